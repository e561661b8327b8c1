"""``kommodore reset`` and ``kommodore snapshot``: the control plane's state actions on the
command line. They open the database directly, so they work with the server stopped too; with
it running, the HTTP endpoints are the ones that hold in-flight requests back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import click

from kommodore.cli_support import run_with_database
from kommodore.control.service import MAX_DEMO_LEADS, MAX_SEED, BadName, Control
from kommodore.control.store import SnapshotIncompatible, SnapshotInfo, SnapshotMissing
from kommodore.db.database import Database
from kommodore.webhooks.store import Delivery


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
@click.option("--seed", default=1, show_default=True, type=click.IntRange(0, MAX_SEED))
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


def _line(entry: dict[str, Any]) -> str:
    at = datetime.fromtimestamp(entry["at_ms"] / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
    target = entry["path"] + (f"?{entry['query']}" if entry["query"] else "")
    who = entry["principal"]
    fields = [
        str(entry["id"]), at, entry["method"], target, str(entry["status"]),
        f"{entry['latency_ms']:.1f}ms",
        f"account={who['account_id']} user={who['user_id']}" if who else "-",
    ]  # fmt: skip
    if entry["reason"]:
        fields.append(entry["reason"])
    return "  ".join(fields)


@click.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True,
              help="The running server's origin.")  # fmt: skip
@click.option("--method", default=None)
@click.option("--path", default=None, help="A path prefix, e.g. /api/v4/leads.")
@click.option("--status", default=None, type=int)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option("--follow", is_flag=True, help="Keep printing new requests as they come.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line, bodies included.")
def requests(
    url: str,
    method: str | None,
    path: str | None,
    status: int | None,
    limit: int,
    follow: bool,
    as_json: bool,
) -> None:
    """The running server's request journal: what it was asked, what it answered, and why
    it refused (needs the control API on)."""
    import httpx

    from kommodore.control.token import control_token
    from kommodore.settings import Settings

    headers = {"Authorization": f"Bearer {control_token(Settings())}"}
    params: dict[str, Any] = {"limit": limit}
    params.update({k: v for k, v in (("method", method), ("path", path), ("status", status)) if v})
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        while True:
            try:
                response = client.get("/_kommodore/requests", params=params)
            except httpx.HTTPError as exc:
                raise click.ClickException(f"cannot reach {url}: {exc}") from None
            if response.status_code != 200:
                detail = response.json().get("detail", response.text)
                raise click.ClickException(f"{response.status_code} from {url}: {detail}")
            for entry in response.json()["requests"]:
                click.echo(json.dumps(entry, ensure_ascii=False) if as_json else _line(entry))
                params["after"] = entry["id"]
            if not follow:
                return
            params.setdefault("after", 0)
            time.sleep(0.5)


@click.group("webhooks")
def webhooks_group() -> None:
    """The webhook outbox: what was sent where, how it went, and a retry."""


@webhooks_group.command("deliveries")
@click.option("--account-id", type=int, default=None)
@click.option("--status", type=click.Choice(["pending", "delivered", "failed"]), default=None)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--body", is_flag=True, help="Print each delivery's exact body too.")
def deliveries(account_id: int | None, status: str | None, limit: int, body: bool) -> None:
    """The newest deliveries first: id, status, attempts, destination, last answer or error."""

    async def work(db: Database) -> list[Delivery]:
        return await Control(db).deliveries(account_id=account_id, status=status, limit=limit)

    for d in run_with_database(work):
        answer = d.last_error or (f"HTTP {d.last_status}" if d.last_status else "-")
        click.echo(f"{d.id}\t{d.status}\t{d.attempts}\t{d.destination}\t{answer}")
        if body and d.body is not None:
            click.echo(f"\t{d.body}")


@webhooks_group.command("retry")
@click.argument("delivery_id", type=int)
def retry(delivery_id: int) -> None:
    """Make a delivery due now: the worker sends it again on its next turn."""

    async def work(db: Database) -> Delivery | None:
        return await Control(db).retry_delivery(delivery_id)

    if run_with_database(work) is None:
        raise click.ClickException(f"no webhook delivery {delivery_id}")
    click.echo(f"delivery {delivery_id} is due now")
