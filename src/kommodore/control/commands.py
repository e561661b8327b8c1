"""``kommodore reset`` and ``kommodore snapshot``: the control plane's state actions on the
command line. They open the database directly, so they work with the server stopped too; with
it running, the HTTP endpoints are the ones that hold in-flight requests back."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from kommodore.cli_support import run_with_database, signing_key
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


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--reset", "reset_first", is_flag=True, help="Empty everything first.")
def seed(file: str, reset_first: bool) -> None:
    """Load a seed FILE (YAML or JSON; docs/seed.schema.json), all or nothing, and print each
    account's id, its users' ids and its long-lived tokens by jti."""
    from kommodore.control.seed.load import SeededAccount, TokenIssuer
    from kommodore.control.seed.parse import SeedError, parse
    from kommodore.settings import Settings

    raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    as_json = True if file.endswith(".json") else None
    settings = Settings()
    issuer = TokenIssuer(signing_key(settings), settings.resolved_api_domain, settings.base_domain)

    async def work(db: Database) -> list[SeededAccount]:
        return await Control(db).seed(parse(raw, as_json=as_json), issuer, reset=reset_first)

    try:
        seeded = run_with_database(work)
    except SeedError as exc:
        lines = [f"  {p.path}: {p.detail}" for p in exc.problems]
        raise click.ClickException(
            f"{file}: {len(lines)} problem(s), nothing was written\n" + "\n".join(lines)
        ) from None
    for account in seeded:
        click.echo(f"account {account.subdomain} (id {account.id})")
        for email, user_id in account.users.items():
            click.echo(f"  user {user_id}\t{email}")
        for jti, token in account.tokens.items():
            click.echo(f"  token {jti}\t{token}")


@click.command("export")
@click.option("--subdomain", default=None, help="The account's subdomain (or --account-id).")
@click.option("--account-id", type=int, default=None)
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              show_default=True)  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="-",
              help="A file to write (default: standard output).")  # fmt: skip
def export(subdomain: str | None, account_id: int | None, fmt: str, output: str) -> None:
    """Write an account as a seed file: `kommodore seed` of it gives the same account back."""
    from kommodore.control.seed.document import SeedDocument
    from kommodore.control.seed.export import AccountMissing
    from kommodore.control.seed.render import render_json, render_yaml

    if (subdomain is None) == (account_id is None):
        raise click.UsageError("name the account: --subdomain or --account-id")

    async def work(db: Database) -> SeedDocument:
        return await Control(db).export(subdomain=subdomain, account_id=account_id)

    try:
        doc = run_with_database(work)
    except AccountMissing:
        raise click.ClickException(f"no account {subdomain or account_id}") from None
    text = render_yaml(doc) if fmt == "yaml" else render_json(doc)
    if output == "-":
        sys.stdout.buffer.write(text)
    else:
        Path(output).write_bytes(text)
        click.echo(f"wrote {output}", err=True)


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
