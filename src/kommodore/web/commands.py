"""``kommodore user ...``: managing people who sign in to the consent page."""

from __future__ import annotations

import sys
from functools import partial
from typing import TYPE_CHECKING

import click

from kommodore.cli_support import run_with_database

if TYPE_CHECKING:
    from kommodore.db.database import Database


@click.group()
def user() -> None:
    """Users who sign in to the OAuth consent page."""


@user.command("set-password")
@click.option("--subdomain", required=True, help="The account's subdomain.")
@click.option("--email", required=True, help="The user's email (any letter case).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of a prompt.",
)
def set_password(subdomain: str, email: str, password_stdin: bool) -> None:
    """Set the password the user signs in to the consent page with (argon2id).

    A new password ends the user's open sign-in sessions.
    """
    from kommodore.web.passwords import WeakPassword, hash_password

    if password_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    try:
        password_hash = hash_password(password)
    except WeakPassword as exc:
        raise click.ClickException(str(exc)) from exc
    user_id = run_with_database(partial(_store, subdomain, email, password_hash))
    click.echo(f"password set for {email} (user {user_id}) in {subdomain}", err=True)


async def _store(subdomain: str, email: str, password_hash: str, db: Database) -> int:
    from kommodore.accounts import store as accounts
    from kommodore.web import store

    async with db.transaction() as conn:
        account = await accounts.find_by_subdomain(conn, subdomain)
        if account is None:
            raise click.ClickException(f"no account with subdomain {subdomain!r}")
        user_ids = await store.users_by_email(conn, account.id, email.strip())
        if not user_ids:
            raise click.ClickException(f"no user with email {email!r} in {subdomain!r}")
        for user_id in user_ids:
            await store.set_password_hash(conn, account.id, user_id, password_hash)
        return user_ids[0]
