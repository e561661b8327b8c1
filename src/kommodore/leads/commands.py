"""``kommodore lead delete|restore``: Kommo deletes and restores leads only in its UI."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from kommodore.cli_support import run_with_database
from kommodore.http.problems import Problem
from kommodore.leads.lifecycle import Operation

if TYPE_CHECKING:
    from kommodore.db.database import Database


@click.group()
def lead() -> None:
    """Delete and restore leads, with the webhooks and events Kommo would send."""


def _run(subdomain: str, user_id: int | None, lead_ids: tuple[int, ...], op: Operation) -> None:
    from kommodore.accounts import store as accounts
    from kommodore.context import using
    from kommodore.leads import lifecycle
    from kommodore.settings import Settings

    settings = Settings()

    async def work(db: Database) -> list[int]:
        async with db.transaction() as conn:
            account = await accounts.find_by_subdomain(conn, subdomain)
            if account is None:
                raise click.ClickException(f"no account with subdomain {subdomain!r}")
            actor = await lifecycle.acting_user(conn, account.id, user_id)
            if actor is None:
                if user_id is None:
                    raise click.ClickException(f"account {subdomain!r} has no active admin")
                raise click.ClickException(f"no user {user_id} in {subdomain!r}")
            return await lifecycle.change_deletion(
                conn, account.id, lead_ids, actor, op, int(time.time())
            )

    try:
        with using(settings):
            changed = run_with_database(work, settings)
    except Problem as problem:
        ids = problem.extra.get("lead_ids", [])
        raise click.ClickException(
            f"{problem.detail}: {', '.join(str(i) for i in ids)}; nothing changed"
        ) from None
    verb = "deleted" if op == "delete" else "restored"
    click.echo(f"{verb} {len(changed)} lead(s): {', '.join(str(i) for i in changed)}", err=True)


_subdomain = click.option("--subdomain", required=True, help="The account.")
_user = click.option(
    "--user", "user_id", type=int, help="The acting user (default: the account's first admin)."
)
_ids = click.argument("lead_ids", nargs=-1, required=True, type=click.IntRange(min=1))


def _command(op: Operation, summary: str) -> None:
    """``kommodore lead <op>``: the two commands differ only in what they do."""

    @lead.command(op, help=summary)
    @_subdomain
    @_user
    @_ids
    def command(subdomain: str, user_id: int | None, lead_ids: tuple[int, ...]) -> None:
        _run(subdomain, user_id, lead_ids, op)


_command("delete", "Delete leads (soft, as Kommo does): all of them or, on any error, none.")
_command("restore", "Restore deleted leads: all of them or, on any error, none.")
