"""The ``kommodore`` command: serve, migrate, demo, token. Names here are a contract."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

import click

from kommodore.leads.commands import lead
from kommodore.settings import Settings
from kommodore.web.commands import user
from kommodore.webhooks.commands import worker

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
    configure_logging(settings.log_format, settings.log_level)
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
def token_create(subdomain: str, user_id: int | None, admin: bool, days: int) -> None:
    """Print a new long-lived token, alone, on stdout."""
    if (user_id is None) == (not admin):
        raise click.UsageError("give exactly one of --user ID or --admin")
    click.echo(_create_token(Settings(), subdomain, user_id, admin, days))


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
    settings: Settings, subdomain: str, user_id: int | None, admin: bool, days: int
) -> str:
    from kommodore.accounts import store as accounts
    from kommodore.auth import store
    from kommodore.auth.keys import load_signing_key
    from kommodore.auth.tokens import issue_token
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
                    if await store.find_user(conn, account.id, user_id) is None:
                        raise click.ClickException(f"no user {user_id} in {subdomain!r}")
                    uid = user_id
                now = int(time.time())
                issued = issue_token(
                    key,
                    account_id=account.id,
                    user_id=uid,
                    integration_id=cli_integration_id(account.id),
                    api_domain=settings.resolved_api_domain,
                    base_domain=settings.base_domain,
                    lifetime_seconds=days * 86_400,
                    now=now,
                )
                await store.insert_token(conn, issued.claims, "long_lived", now)
                return issued.token
        finally:
            await db.close()

    return asyncio.run(run())


def _redacted(url: str) -> str:
    """A database URL without its password, for logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}@{host}"


if __name__ == "__main__":
    main()
