"""``kommodore reset`` and ``kommodore snapshot``: the control plane's state actions on the
command line. They open the database directly, so they work with the server stopped too; with
it running, the HTTP endpoints are the ones that hold in-flight requests back."""

from __future__ import annotations

import click

from kommodore.cli_support import run_with_database
from kommodore.control.service import MAX_DEMO_LEADS, BadName, Control
from kommodore.control.store import SnapshotIncompatible, SnapshotInfo, SnapshotMissing
from kommodore.db.database import Database


def _run_named(name: str, action: str) -> SnapshotInfo | bool | None:
    async def work(db: Database) -> SnapshotInfo | bool | None:
        control = Control(db)
        try:
            if action == "save":
                return await control.save(name)
            if action == "restore":
                await control.restore(name)
                return None
            return await control.delete(name)
        except BadName as exc:
            raise click.ClickException(str(exc)) from None
        except SnapshotMissing:
            raise click.ClickException(f"no snapshot named {name!r}") from None
        except SnapshotIncompatible:
            raise click.ClickException(
                f"snapshot {name!r} was taken at another schema revision; take it again"
            ) from None

    return run_with_database(work)


@click.command()
@click.option("--demo", is_flag=True, help="Bring back the demo account rather than nothing.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--leads", default=2000, show_default=True, type=click.IntRange(1, MAX_DEMO_LEADS))
def reset(demo: bool, seed: int, leads: int) -> None:
    """Empty every account (or bring back the demo account of SEED and LEADS)."""

    async def work(db: Database) -> str:
        state = await Control(db).reset(demo=demo, seed=seed, leads=leads)
        if state is None:
            return "reset: empty"
        return f"reset: demo account {state.subdomain} (id {state.account_id}), {state.leads} leads"

    click.echo(run_with_database(work))


@click.group()
def snapshot() -> None:
    """Save the whole state under a name, and go back to it (tests between runs)."""


@snapshot.command("save")
@click.argument("name")
def save(name: str) -> None:
    """Save the whole state as NAME (replacing a snapshot of that name)."""
    _run_named(name, "save")
    click.echo(f"saved {name}")


@snapshot.command("restore")
@click.argument("name")
def restore(name: str) -> None:
    """Make the whole state what NAME holds."""
    _run_named(name, "restore")
    click.echo(f"restored {name}")


@snapshot.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    if not _run_named(name, "delete"):
        raise click.ClickException(f"no snapshot named {name!r}")
    click.echo(f"deleted {name}")


@snapshot.command("list")
def list_() -> None:
    """Every snapshot: name, when it was taken, its schema revision and size."""

    async def work(db: Database) -> list[SnapshotInfo]:
        return await Control(db).snapshots()

    for info in run_with_database(work):
        size = "" if info.size_bytes is None else f"\t{info.size_bytes}"
        click.echo(f"{info.name}\t{info.created_at}\t{info.revision}{size}")
