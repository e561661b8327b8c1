"""The ``kommodore`` command: serve, migrate, demo, token. Names here are a contract."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click

from kommodore.leads.commands import lead
from kommodore.settings import Settings
from kommodore.web.commands import user
from kommodore.webhooks.commands import worker

if TYPE_CHECKING:
    from kommodore.db.database import Connection, Database
    from kommodore.integrations.service import Revocation

T = TypeVar("T")

LONG_LIVED_MIN_DAYS, LONG_LIVED_MAX_DAYS = 1, 5 * 365 + 1


def cli_integration_id(account_id: int) -> str:
    """The account's built-in private integration that CLI-issued long-lived tokens belong to."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kommodore:cli-integration:{account_id}"))


@click.group()
def main() -> None:
    """kommodore: a self-hosted server for the Kommo API v4 (leads)."""


main.add_command(user)
main.add_command(lead)
main.add_command(worker)


@main.command()
def migrate() -> None:
    """Apply database migrations (SQLite in the data directory, or KOMMODORE_DATABASE_URL)."""
    from kommodore.db.migrate import upgrade

    settings = Settings()
    upgrade(settings.resolved_database_url)
    click.echo(f"migrated {_redacted(settings.resolved_database_url)}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--server",
    type=click.Choice(["uvicorn", "granian"]),
    default="uvicorn",
    show_default=True,
    help="The ASGI server; uvicorn measured faster here (docs/performance.md).",
)
def serve(host: str, port: int, workers: int, server: str) -> None:
    """Apply migrations, then serve the API."""
    from kommodore.auth.keys import load_signing_key
    from kommodore.db.migrate import upgrade
    from kommodore.logging import configure_logging

    settings = Settings()
    configure_logging(settings.resolved_log_format, settings.log_level)
    upgrade(settings.resolved_database_url)
    load_signing_key(settings.jwt_private_key, settings.data_dir)  # once, before any worker
    target = "kommodore.app:create_app_from_env"
    if server == "granian":
        from granian import Granian
        from granian.constants import Interfaces

        Granian(
            target,
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            factory=True,
        ).serve()
        return
    import uvicorn

    uvicorn.run(
        target,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        date_header=False,  # our middleware sets Date on every response
        server_header=False,
        proxy_headers=False,
    )


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
    help="A private integration of the account (spec §8.2); the user must be an admin.",
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
    from kommodore.db import open_database

    async def run() -> bool:
        db = await open_database(Settings().resolved_database_url)
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
    from kommodore.auth.keys import load_signing_key
    from kommodore.auth.tokens import DEFAULT_SCOPES, issue_token
    from kommodore.db import open_database
    from kommodore.db.database import sql

    key = load_signing_key(settings.jwt_private_key, settings.data_dir)

    async def run() -> str:
        db = await open_database(settings.resolved_database_url)
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
    """Integrations: the OAuth clients of spec §8."""


def _run_db(work: Callable[[Database], Awaitable[T]]) -> T:
    from kommodore.db import open_database

    async def run() -> T:
        db = await open_database(Settings().resolved_database_url)
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
@click.option("--revocation-url", help="Receives the revocation notice (spec §8.4).")
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
        return await integrations.disable_and_notify(db, integration_id, int(time.time()))

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
            db, account_id, integration_id, int(time.time())
        )

    revocation = _run_db(work)
    if revocation is None:
        click.echo(f"integration {integration_id} is not installed in {subdomain}", err=True)
        sys.exit(1)
    click.echo(f"removed {integration_id} from {subdomain}: {_report(revocation)}", err=True)


def _redacted(url: str) -> str:
    """A database URL without its password, for logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}@{host}"


if __name__ == "__main__":
    main()
