"""The ``kommodore`` command: serve, migrate, demo, and the groups of the domains' ``commands``
modules (token, integration, user, lead, worker). Names here are a contract."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import pydantic

from kommodore.cli_support import signing_key
from kommodore.control.commands import (
    export,
    requests,
    reset,
    seed,
    snapshot,
    webhooks_group,
)
from kommodore.errors import UserError, require
from kommodore.integrations.commands import create_token, integration, token
from kommodore.leads.commands import lead
from kommodore.oauth.commands import token_purge
from kommodore.settings import Settings
from kommodore.web.commands import user
from kommodore.webhooks.commands import worker

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


token.add_command(token_purge)
main.add_command(token)
main.add_command(integration)
main.add_command(user)
main.add_command(lead)
main.add_command(worker)
main.add_command(reset)
main.add_command(snapshot)
main.add_command(seed)
main.add_command(export)
main.add_command(requests)
main.add_command(webhooks_group)


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
    signing_key(settings)  # once, before any worker: they share the generated file
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
    from kommodore.integrations.service import TokenRequest

    token = create_token(settings, TokenRequest(subdomain, admin=True, days=30))
    verb = "created" if summary.created else "already exists:"
    click.echo(
        f"demo account {subdomain} (id {summary.account_id}) {verb} {summary.leads} leads"
        + (f" in {took:.1f}s" if summary.created else ""),
        err=True,
    )
    click.echo("users: " + ", ".join(f"{k}={v}" for k, v in summary.users.items()), err=True)
    lead = summary.lead_ids[0] if summary.lead_ids else 0
    click.echo(f"\nTOKEN={token}\n")
    if settings.resolved_control_api:
        from kommodore.control.token import control_token

        click.echo(f"CONTROL_TOKEN={control_token(settings)}\n")
    click.echo(
        f'curl -s -H "Authorization: Bearer $TOKEN" '
        f'"http://127.0.0.1:{port}/api/v4/leads/{lead}?with=contacts,loss_reason,source_id"'
    )


if __name__ == "__main__":
    main()
