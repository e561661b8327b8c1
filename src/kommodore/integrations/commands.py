"""``kommodore token ...`` and ``kommodore integration ...``: long-lived tokens, and the OAuth
clients that users install in their accounts.

The token commands live here, not in ``auth``: every long-lived token belongs to an integration
(a private one of the account, or the account's built-in CLI integration), and checking that
integration, and finding the account, takes the domain packages that ``auth`` sits below.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING

import click

from kommodore.cli_support import run_with_database, signing_key
from kommodore.outbound import OutboundPolicy
from kommodore.settings import Settings

if TYPE_CHECKING:
    from kommodore.db.database import Connection, Database
    from kommodore.integrations.service import Revocation, TokenRequest

LONG_LIVED_MIN_DAYS, LONG_LIVED_MAX_DAYS = 1, 5 * 365 + 1


# -- long-lived tokens ----------------------------------------------------------------------------


@click.group()
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
    from kommodore.integrations.service import TokenRequest

    request = TokenRequest(subdomain, user_id, admin, days, integration_id)
    click.echo(create_token(Settings(), request))


@token.command("revoke")
@click.argument("jti")
def token_revoke(jti: str) -> None:
    """Revoke a token by its ``jti`` claim; it answers 401 from the next request on."""
    from kommodore.auth import store

    async def work(db: Database) -> bool:
        async with db.transaction() as conn:
            return await store.revoke_token(conn, jti, int(time.time()))

    if not run_with_database(work):
        click.echo(f"no live token with jti {jti}", err=True)
        sys.exit(1)
    click.echo(f"revoked {jti}", err=True)


async def _account_id(conn: Connection, subdomain: str) -> int:
    from kommodore.accounts import store as accounts

    account = await accounts.find_by_subdomain(conn, subdomain)
    if account is None:
        raise click.ClickException(f"no account with subdomain {subdomain!r}")
    return account.id


def create_token(settings: Settings, request: TokenRequest) -> str:
    """A new long-lived token, recorded (``token create``, and the admin token that ``demo``
    prints)."""
    from kommodore.integrations.service import TokenRefused, issue_long_lived

    async def work(db: Database) -> str:
        key = signing_key(settings)  # after the schema check: a wrong dir gets no new key
        async with db.transaction() as conn:
            try:
                return await issue_long_lived(conn, key, settings, request)
            except TokenRefused as exc:
                raise click.ClickException(str(exc)) from None

    return run_with_database(work, settings)


# -- integrations (OAuth clients) ----------------------------------------------------------------


@click.group()
def integration() -> None:
    """Integrations: the OAuth 2.0 clients that users install in their accounts."""


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

    click.echo(json.dumps(run_with_database(work)))


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

    for line in run_with_database(work):
        click.echo(line)


def _report(revocation: Revocation) -> str:
    return (
        f"tokens revoked in {len(revocation.account_ids)} account(s); "
        f"revocation notices queued: {revocation.notices_queued} "
        "(the webhook delivery worker sends them)"
    )


@integration.command("disable")
@click.argument("integration_id")
def integration_disable(integration_id: str) -> None:
    """Disable an integration everywhere: its tokens answer 401 from the next request on, and
    every account that had it installed gets a notice at its revocation URL (queued; the
    webhook delivery worker sends and retries it)."""
    from kommodore.integrations import service as integrations

    async def work(db: Database) -> Revocation | None:
        return await integrations.disable_and_notify(db, integration_id, int(time.time()))

    revocation = run_with_database(work)
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

    run_with_database(work)
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

    revocation = run_with_database(work)
    if revocation is None:
        click.echo(f"integration {integration_id} is not installed in {subdomain}", err=True)
        sys.exit(1)
    click.echo(f"removed {integration_id} from {subdomain}: {_report(revocation)}", err=True)
