"""The ``kommodore`` command: serve, migrate, demo, token. Names here are a contract."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import pydantic

from kommodore.errors import UserError, require
from kommodore.leads.commands import lead
from kommodore.outbound import OutboundPolicy
from kommodore.settings import Settings
from kommodore.web.commands import user
from kommodore.webhooks.commands import worker

if TYPE_CHECKING:
    from kommodore.auth.keys import SigningKey
    from kommodore.db.database import Connection, Database
    from kommodore.integrations.service import Revocation

T = TypeVar("T")

LONG_LIVED_MIN_DAYS, LONG_LIVED_MAX_DAYS = 1, 5 * 365 + 1


def cli_integration_id(account_id: int) -> str:
    """The account's built-in private integration that CLI-issued long-lived tokens belong to."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kommodore:cli-integration:{account_id}"))


SERVER_STOP_SECONDS = 5
"""A worker still busy this long after SIGTERM (open connections, a webhook batch, a start-up
in progress) is stopped hard, so the server exits within seconds of being asked to."""


def _foreseeable(exc: BaseException) -> UserError | None:
    """The one-line error a user can act on, for the mistakes a user can make: bad settings,
    a database that is down or unreadable, files that cannot be read or written."""
    if isinstance(exc, UserError):
        return exc
    if isinstance(exc, pydantic.ValidationError):
        error = exc.errors()[0]
        name = "KOMMODORE_" + "_".join(str(p) for p in error["loc"]).upper()
        return UserError(f"{name}: {error['msg']}; fix the variable (or .env) and retry")
    from sqlalchemy.exc import OperationalError as SqlAlchemyOperationalError

    from kommodore.db.guard import unreachable

    if isinstance(exc, SqlAlchemyOperationalError | sqlite3.OperationalError):
        return unreachable(_database_url_or_unknown(), exc)
    try:
        from asyncpg import PostgresError
    except ImportError:
        pass
    else:
        if isinstance(exc, PostgresError):
            return unreachable(_database_url_or_unknown(), exc)
    if isinstance(exc, ConnectionError | socket.gaierror | TimeoutError):
        return unreachable(_database_url_or_unknown(), exc)
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return UserError(f"{exc.strerror or exc}:{where}; check the path and its permissions")
    return None


def _database_url_or_unknown() -> str:
    from kommodore.db.guard import redacted

    try:
        return redacted(Settings().resolved_database_url)
    except pydantic.ValidationError:
        return "(settings invalid)"


class _Commands(click.Group):
    """Turns a foreseeable mistake into one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as exc:
            error = _foreseeable(exc)
            if error is None:
                raise
            raise click.ClickException(str(error)) from None


@click.group(cls=_Commands)
@click.version_option(package_name="kommodore", message="kommodore %(version)s")
def main() -> None:
    """kommodore: a self-hosted server for the Kommo API v4 (leads)."""


main.add_command(user)
main.add_command(lead)
main.add_command(worker)


@main.command()
def migrate() -> None:
    """Apply database migrations (SQLite in the data directory, or KOMMODORE_DATABASE_URL)."""
    from kommodore.db.guard import redacted
    from kommodore.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.resolved_database_url)
    click.echo(f"migrated {redacted(settings.resolved_database_url)}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int, envvar="PORT")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--server",
    type=click.Choice(["uvicorn", "granian"]),
    default="uvicorn",
    show_default=True,
    help="The ASGI server; granian comes with the [granian] extra.",
)
@click.option(
    "--rate-limit/--no-rate-limit",
    default=None,
    help="Kommo's request limit (7 a second, then a 403 block) is on unless "
    "KOMMODORE_RATE_LIMIT_ENABLED=false; --no-rate-limit turns it off for this run.",
)
def serve(host: str, port: int, workers: int, server: str, rate_limit: bool | None) -> None:
    """Apply migrations, then serve the API (PORT in the environment sets --port)."""
    from kommodore.db.migrate import upgrade
    from kommodore.logging import configure_logging

    if rate_limit is not None:
        # the workers build their settings from the environment they inherit
        os.environ["KOMMODORE_RATE_LIMIT_ENABLED"] = "true" if rate_limit else "false"
    settings = Settings()
    configure_logging(settings.resolved_log_format, settings.log_level)
    if server == "granian":
        require("granian", "granian", "--server granian")
    _check_extras(settings)
    _check_port(host, port)
    upgrade(settings.resolved_database_url)
    _signing_key(settings)  # once, before any worker: they share the generated file
    metrics_dir = _metrics_dir(workers)
    _announce(settings, host, port, workers, server)
    try:
        if server == "granian":
            _serve_granian(settings, host, port, workers)
        else:
            _serve_uvicorn(settings, host, port, workers)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


APP_FACTORY = "kommodore.app:create_app_from_env"


def _serve_uvicorn(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    from kommodore.serving import uvicorn_options

    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,  # ours, from the app's middleware (KOMMODORE_ACCESS_LOG)
        date_header=False,  # our middleware sets Date on every response
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=SERVER_STOP_SECONDS,
        **uvicorn_options(settings),
    )


def _serve_granian(settings: Settings, host: str, port: int, workers: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    from kommodore.serving import granian_options

    Granian(
        APP_FACTORY,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        # a worker sent SIGTERM while still starting up never stops on its own (granian 2.8)
        workers_kill_timeout=SERVER_STOP_SECONDS,
        **granian_options(settings),
    ).serve()


def _check_extras(settings: Settings) -> None:
    from kommodore.db import check_database_url, is_postgres_url

    check_database_url(settings.resolved_database_url)
    if is_postgres_url(settings.resolved_database_url):
        require("asyncpg", "postgres", "PostgreSQL")
        require("psycopg", "postgres", "PostgreSQL migrations")
    if settings.rate_limit_enabled and settings.redis_url:
        require("redis", "redis", "KOMMODORE_REDIS_URL")


def _check_port(host: str, port: int) -> None:
    """Refuse a port another process holds, before migrating and spawning workers."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UserError(
            f"cannot resolve --host {host!r} ({exc.strerror}): use an address"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UserError(
                f"cannot listen on {host}:{port} ({exc.strerror}): stop what holds it, "
                "or pick another --port (or PORT=)"
            ) from None


def _metrics_dir(workers: int) -> Path | None:
    """With several workers, each counts in files of a directory /metrics sums up
    (prometheus-client's multiprocess mode): a fresh one per run, removed at exit. An
    operator's own PROMETHEUS_MULTIPROC_DIR is used as it is (and must be emptied between runs)."""
    if workers == 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    path = Path(tempfile.mkdtemp(prefix="kommodore-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def _announce(settings: Settings, host: str, port: int, workers: int, server: str) -> None:
    """The one start-up line an operator reads to know what is running, and how."""
    import structlog

    from kommodore.db.guard import redacted

    if settings.rate_limit_enabled:
        limit = (
            f"on: {settings.rate_limit_per_second}/s per integration and account, as Kommo "
            "(--no-rate-limit or KOMMODORE_RATE_LIMIT_ENABLED=false turns it off)"
        )
    else:
        limit = "off"
    structlog.get_logger("kommodore").info(
        f"kommodore {_version()} listening on http://{host}:{port}",
        database=redacted(settings.resolved_database_url),
        data_dir=str(settings.data_dir.resolve()),
        workers=workers,
        server=server,
        rate_limit=limit,
        base_domain=settings.base_domain,
        env=settings.env,
        access_log=settings.resolved_access_log,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kommodore")
    except PackageNotFoundError:
        return "unknown"


def _signing_key(settings: Settings) -> SigningKey:
    """The signing key, or one line saying why it cannot be read."""
    from kommodore.auth.keys import KEY_FILE, load_signing_key

    where = (
        "KOMMODORE_JWT_PRIVATE_KEY"
        if settings.jwt_private_key
        else str(settings.data_dir / KEY_FILE)
    )
    try:
        return load_signing_key(settings.jwt_private_key, settings.data_dir)
    except (OSError, ValueError, TypeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise UserError(
            f"cannot load the JWT signing key from {where} ({reason}): fix its permissions "
            "or content, or remove the file to have a new key generated"
        ) from None


@main.command()
@click.option("--subdomain", default="demo", show_default=True)
@click.option("--leads", "lead_count", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--port", default=8000, show_default=True, type=int, help="For the curl line.")
def demo(subdomain: str, lead_count: int, seed: int, port: int) -> None:
    """Create a demo account with realistic data (once), then print an admin token and a curl
    line that reads one of its leads."""
    from kommodore.db.migrate import upgrade
    from kommodore.demo.generator import create_demo

    settings = Settings()
    upgrade(settings.resolved_database_url)
    began = time.perf_counter()
    summary = create_demo(settings.resolved_database_url, subdomain, lead_count, seed)
    took = time.perf_counter() - began
    token = _create_token(settings, subdomain, user_id=None, admin=True, days=30)
    verb = "created" if summary.created else "already exists:"
    click.echo(
        f"demo account {subdomain} (id {summary.account_id}) {verb} {summary.leads} leads"
        + (f" in {took:.1f}s" if summary.created else ""),
        err=True,
    )
    click.echo("users: " + ", ".join(f"{k}={v}" for k, v in summary.users.items()), err=True)
    lead = summary.lead_ids[0] if summary.lead_ids else 0
    click.echo(f"\nTOKEN={token}\n")
    click.echo(
        f'curl -s -H "Authorization: Bearer $TOKEN" '
        f'"http://127.0.0.1:{port}/api/v4/leads/{lead}?with=contacts,loss_reason,source_id"'
    )


@main.group()
def token() -> None:
    """Long-lived API tokens (JWT, RS256)."""


@token.command("create")
@click.option("--subdomain", required=True)
@click.option("--user", "user_id", type=int, help="The user the token acts as.")
@click.option("--admin", is_flag=True, help="Act as the account's first admin.")
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(LONG_LIVED_MIN_DAYS, LONG_LIVED_MAX_DAYS),
    help="Lifetime, from 1 day to 5 years as in Kommo.",
)
@click.option(
    "--integration",
    "integration_id",
    help="A private integration of the account; the user must be an admin.",
)
def token_create(
    subdomain: str, user_id: int | None, admin: bool, days: int, integration_id: str | None
) -> None:
    """Print a new long-lived token, alone, on stdout."""
    if (user_id is None) == (not admin):
        raise click.UsageError("give exactly one of --user ID or --admin")
    click.echo(_create_token(Settings(), subdomain, user_id, admin, days, integration_id))


@token.command("revoke")
@click.argument("jti")
def token_revoke(jti: str) -> None:
    """Revoke a token by its ``jti`` claim; it answers 401 from the next request on."""
    from kommodore.auth import store
    from kommodore.db.guard import open_existing

    async def run() -> bool:
        db = await open_existing(Settings().resolved_database_url)
        try:
            async with db.transaction() as conn:
                return await store.revoke_token(conn, jti, int(time.time()))
        finally:
            await db.close()

    if not asyncio.run(run()):
        click.echo(f"no live token with jti {jti}", err=True)
        sys.exit(1)
    click.echo(f"revoked {jti}", err=True)


def _create_token(
    settings: Settings,
    subdomain: str,
    user_id: int | None,
    admin: bool,
    days: int,
    integration_id: str | None = None,
) -> str:
    from kommodore.accounts import store as accounts
    from kommodore.auth import store
    from kommodore.auth.tokens import DEFAULT_SCOPES, issue_token
    from kommodore.db.database import sql
    from kommodore.db.guard import open_existing

    async def run() -> str:
        db = await open_existing(settings.resolved_database_url)
        key = _signing_key(settings)  # after the schema check: a wrong dir gets no new key
        try:
            async with db.transaction() as conn:
                account = await accounts.find_by_subdomain(conn, subdomain)
                if account is None:
                    raise click.ClickException(f"no account with subdomain {subdomain!r}")
                if admin:
                    row = await conn.fetch_one(
                        sql(
                            "SELECT id FROM users WHERE account_id = $1 AND is_admin "
                            "AND is_active ORDER BY id LIMIT 1"
                        ),
                        account.id,
                    )
                    if row is None:
                        raise click.ClickException(f"account {subdomain!r} has no active admin")
                    uid = int(row[0])
                else:
                    assert user_id is not None
                    found = await store.find_user(conn, account.id, user_id)
                    if found is None:
                        raise click.ClickException(f"no user {user_id} in {subdomain!r}")
                    if integration_id is not None and not (found.is_admin and found.is_active):
                        raise click.ClickException(
                            "long-lived tokens of an integration are issued by an active admin"
                        )
                    uid = user_id
                scopes: tuple[str, ...] = DEFAULT_SCOPES
                if integration_id is not None:
                    scopes = await _private_integration_scopes(conn, integration_id, account.id)
                now = int(time.time())
                issued = issue_token(
                    key,
                    account_id=account.id,
                    user_id=uid,
                    integration_id=integration_id or cli_integration_id(account.id),
                    api_domain=settings.resolved_api_domain,
                    base_domain=settings.base_domain,
                    lifetime_seconds=days * 86_400,
                    scopes=scopes,
                    now=now,
                )
                await store.insert_token(conn, issued.claims, "long_lived", now)
                return issued.token
        finally:
            await db.close()

    return asyncio.run(run())


async def _private_integration_scopes(
    conn: Connection, integration_id: str, account_id: int
) -> tuple[str, ...]:
    """The scopes of a private integration of the account that is active and installed."""
    from kommodore.integrations import service as integrations

    try:
        integration = await integrations.usable(conn, integration_id, account_id)
    except integrations.IntegrationUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    if not integration.is_private:
        raise click.ClickException("long-lived tokens are issued for private integrations only")
    installed = await integrations.installation(conn, account_id, integration_id)
    if installed is None or not installed.live:
        raise click.ClickException("the integration is not installed in this account")
    return integration.scopes


# -- integrations (OAuth clients) ----------------------------------------------------------------


@main.group()
def integration() -> None:
    """Integrations: the OAuth 2.0 clients that users install in their accounts."""


def _run_db(work: Callable[[Database], Awaitable[T]]) -> T:
    from kommodore.db.guard import open_existing

    async def run() -> T:
        db = await open_existing(Settings().resolved_database_url)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


async def _account_id(conn: Connection, subdomain: str) -> int:
    from kommodore.accounts import store as accounts

    account = await accounts.find_by_subdomain(conn, subdomain)
    if account is None:
        raise click.ClickException(f"no account with subdomain {subdomain!r}")
    return account.id


@integration.command("create")
@click.option("--name", required=True)
@click.option("--redirect-uri", required=True, help="Where the consent page sends the code.")
@click.option(
    "--scopes",
    default=",".join(("crm", "files", "files_delete", "notifications", "push_notifications")),
    show_default=True,
    help="Comma-separated.",
)
@click.option("--private", "private", is_flag=True, help="Only for the --subdomain account.")
@click.option("--subdomain", help="The account a private integration belongs to.")
@click.option(
    "--revocation-url", help="Receives the notice when the integration is removed or disabled."
)
def integration_create(
    name: str,
    redirect_uri: str,
    scopes: str,
    private: bool,
    subdomain: str | None,
    revocation_url: str | None,
) -> None:
    """Create an integration; print it, with its secret, as one JSON object on stdout."""
    from kommodore.integrations import service as integrations

    if private != (subdomain is not None):
        raise click.UsageError("--private and --subdomain go together")
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]

    async def work(db: Database) -> dict[str, object]:
        async with db.transaction() as conn:
            owner = None if subdomain is None else await _account_id(conn, subdomain)
            try:
                created = await integrations.create(
                    conn,
                    name=name,
                    redirect_uri=redirect_uri,
                    scopes=scope_list,
                    owner_account_id=owner,
                    revocation_url=revocation_url,
                    now=int(time.time()),
                    outbound=OutboundPolicy.from_settings(Settings()),
                )
            except integrations.IntegrationError as exc:
                raise click.ClickException(str(exc)) from exc
        return {
            "client_id": created.id,
            "client_secret": created.secret,
            "name": created.name,
            "redirect_uri": created.redirect_uri,
            "revocation_url": created.revocation_url,
            "scopes": list(created.scopes),
            "is_private": created.is_private,
            "owner_account_id": created.owner_account_id,
        }

    click.echo(json.dumps(_run_db(work)))


@integration.command("list")
def integration_list() -> None:
    """One tab-separated line per integration: id, active|disabled, public|private:<account id>,
    name, redirect_uri. Secrets are not shown."""
    from kommodore.integrations import service as integrations

    async def work(db: Database) -> list[str]:
        async with db.connection() as conn:
            found = await integrations.list_all(conn)
        return [
            "\t".join(
                (
                    i.id,
                    "disabled" if i.disabled_at is not None else "active",
                    f"private:{i.owner_account_id}" if i.is_private else "public",
                    i.name.replace("\t", " ").replace("\n", " "),
                    i.redirect_uri,
                )
            )
            for i in found
        ]

    for line in _run_db(work):
        click.echo(line)


def _report(revocation: Revocation) -> str:
    notices = len(revocation.account_ids) if revocation.integration.revocation_url else 0
    return (
        f"tokens revoked in {len(revocation.account_ids)} account(s); "
        f"revocation notices delivered: {revocation.notices_delivered}/{notices}"
    )


@integration.command("disable")
@click.argument("integration_id")
def integration_disable(integration_id: str) -> None:
    """Disable an integration everywhere: its tokens answer 401 from the next request on, and
    every account that had it installed is notified to its revocation URL."""
    from kommodore.integrations import service as integrations

    async def work(db: Database) -> Revocation | None:
        return await integrations.disable_and_notify(
            db, integration_id, int(time.time()), outbound=OutboundPolicy.from_settings(Settings())
        )

    revocation = _run_db(work)
    if revocation is None:
        click.echo(f"no active integration {integration_id}", err=True)
        sys.exit(1)
    click.echo(f"disabled {integration_id}: {_report(revocation)}", err=True)


@integration.command("install")
@click.argument("integration_id")
@click.option("--subdomain", required=True)
@click.option("--user", "user_id", type=int, default=0, help="Who installs it (0: this command).")
def integration_install(integration_id: str, subdomain: str, user_id: int) -> None:
    """Install an integration in an account (what the consent page's Allow also does)."""
    from kommodore.integrations import service as integrations

    async def work(db: Database) -> None:
        async with db.transaction() as conn:
            account_id = await _account_id(conn, subdomain)
            try:
                await integrations.install(
                    conn,
                    account_id=account_id,
                    integration_id=integration_id,
                    user_id=user_id,
                    now=int(time.time()),
                )
            except integrations.IntegrationUnavailable as exc:
                raise click.ClickException(str(exc)) from exc

    _run_db(work)
    click.echo(f"installed {integration_id} in {subdomain}", err=True)


@integration.command("remove")
@click.argument("integration_id")
@click.option("--subdomain", required=True)
def integration_remove(integration_id: str, subdomain: str) -> None:
    """Remove an integration from an account: its tokens there answer 401 from the next
    request on, and the integration gets the revocation notice."""
    from kommodore.integrations import service as integrations

    async def work(db: Database) -> Revocation | None:
        async with db.connection() as conn:
            account_id = await _account_id(conn, subdomain)
        return await integrations.remove_and_notify(
            db, account_id, integration_id, int(time.time()),
            outbound=OutboundPolicy.from_settings(Settings()),
        )  # fmt: skip

    revocation = _run_db(work)
    if revocation is None:
        click.echo(f"integration {integration_id} is not installed in {subdomain}", err=True)
        sys.exit(1)
    click.echo(f"removed {integration_id} from {subdomain}: {_report(revocation)}", err=True)


if __name__ == "__main__":
    main()
