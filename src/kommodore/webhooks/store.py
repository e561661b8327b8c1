"""Webhook and outbox queries.

The worker's statements (claim, finish, purge) span accounts on purpose: the outbox is one
queue for the installation, read through its ``(status, next_attempt_ms)`` index; each row it
touches is then addressed by its full key ``(account_id, id)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from kommodore.db.database import Connection, int_array, sql
from kommodore.leads.store import LEAD_SELECT, LeadRow, lead_row
from kommodore.webhooks import payload

# -- webhooks -------------------------------------------------------------------------------


@dataclass(slots=True)
class WebhookRow:
    id: int
    destination: str
    settings: list[str]
    sort: int
    disabled: bool
    created_by: int
    created_at: int
    updated_at: int


_WEBHOOK_COLUMNS = "id, destination, settings, sort, disabled, created_by, created_at, updated_at"


def _webhook(r: Any) -> WebhookRow:
    return WebhookRow(r[0], r[1], msgspec.json.decode(r[2]), r[3], bool(r[4]), r[5], r[6], r[7])


_LIST = sql(
    f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 "
    "AND ($2::text IS NULL OR destination = $2) ORDER BY sort, id"
)
_BY_DESTINATION = sql(
    f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 AND destination = $2"
)
_COUNT = sql("SELECT count(*) FROM webhooks WHERE account_id = $1")
_LOCK_ACCOUNT = sql("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
_INSERT = sql(
    "INSERT INTO webhooks (account_id, id, destination, settings, sort, disabled, created_by, "
    "created_at, updated_at, bad_answers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '[]')"
)
_UPDATE = sql(
    "UPDATE webhooks SET settings = $3, sort = $4, disabled = $5, bad_answers = '[]', "
    "updated_at = $6 WHERE account_id = $1 AND id = $2"
)
_DELETE = sql("DELETE FROM webhooks WHERE account_id = $1 AND id = $2")


async def list_webhooks(
    conn: Connection, account_id: int, destination: str | None
) -> list[WebhookRow]:
    return [_webhook(r) for r in await conn.fetch_all(_LIST, account_id, destination)]


async def webhook_by_destination(
    conn: Connection, account_id: int, destination: str
) -> WebhookRow | None:
    row = await conn.fetch_one(_BY_DESTINATION, account_id, destination)
    return None if row is None else _webhook(row)


async def count_webhooks(conn: Connection, account_id: int) -> int:
    row = await conn.fetch_one(_COUNT, account_id)
    return int(row[0]) if row is not None else 0


async def lock_account(conn: Connection, account_id: int) -> None:
    """Serialise webhook writes of one account (the limit of 100 and the unique destination
    are checked then written): PostgreSQL locks the account row; SQLite has one writer."""
    await conn.execute(_LOCK_ACCOUNT, account_id)


async def insert_webhook(conn: Connection, account_id: int, row: WebhookRow) -> None:
    await conn.execute(
        _INSERT, account_id, row.id, row.destination, msgspec.json.encode(row.settings).decode(),
        row.sort, row.disabled, row.created_by, row.created_at, row.updated_at,
    )  # fmt: skip


async def update_webhook(conn: Connection, account_id: int, row: WebhookRow) -> None:
    """New settings and sort; enabled again with a clean record of bad answers."""
    await conn.execute(
        _UPDATE, account_id, row.id, msgspec.json.encode(row.settings).decode(), row.sort,
        row.disabled, row.updated_at,
    )  # fmt: skip


async def delete_webhook(conn: Connection, account_id: int, webhook_id: int) -> None:
    await conn.execute(_DELETE, account_id, webhook_id)


# -- what enqueue reads ---------------------------------------------------------------------

_SUBSCRIBED = sql(
    "SELECT id, destination, settings FROM webhooks WHERE account_id = $1 AND NOT disabled"
)
_SUBDOMAIN = sql("SELECT subdomain FROM accounts WHERE id = $1")
_LEADS = sql(f"{LEAD_SELECT} WHERE l.account_id = $1 AND l.id = ANY($2::bigint[])")


async def enabled_webhooks(conn: Connection, account_id: int) -> list[tuple[int, str, list[str]]]:
    """(id, destination, settings) of the account's enabled webhooks: one primary-key range."""
    return [
        (r[0], r[1], msgspec.json.decode(r[2]))
        for r in await conn.fetch_all(_SUBSCRIBED, account_id)
    ]


async def subdomain(conn: Connection, account_id: int) -> str:
    row = await conn.fetch_one(_SUBDOMAIN, account_id)
    return str(row[0]) if row is not None else ""


async def leads_by_id(
    conn: Connection, account_id: int, lead_ids: Sequence[int]
) -> dict[int, LeadRow]:
    rows = await conn.fetch_all(_LEADS, account_id, int_array(conn.dialect, lead_ids))
    leads = [lead_row(r) for r in rows]
    return {lead.id: lead for lead in leads}


# -- the outbox -----------------------------------------------------------------------------

SECTIONS = ("add", "update", "status", "responsible", "delete", "restore")
"""The body's sections (one per lead action), each a column ``<action>_items``."""
_SECTION_COLUMNS = ", ".join(f"{a}_items" for a in SECTIONS)

_INSERT_BODY = sql(
    f"INSERT INTO webhook_bodies (account_id, id, created_at, size, head, {_SECTION_COLUMNS}) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)
_INSERT_DELIVERY = sql(
    "INSERT INTO webhook_deliveries (account_id, id, webhook_id, destination, body_id, actions, "
    "created_at, status, attempts, next_attempt_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8)"
)


async def insert_body(
    conn: Connection,
    account_id: int,
    body_id: int,
    created_at: int,
    head: str,
    sections: dict[str, str],
) -> None:
    """A batch's body, once: its encoded account block and the sections of its actions."""
    size = len(head) + sum(len(text) for text in sections.values())
    await conn.execute(
        _INSERT_BODY, account_id, body_id, created_at, size, head,
        *(sections.get(a) for a in SECTIONS),
    )  # fmt: skip


async def insert_deliveries(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (account_id, id, webhook_id, destination, body_id, actions, created_at,
    next_attempt_ms); ``actions`` names the body's sections the webhook gets, comma-separated."""
    await conn.execute_many(_INSERT_DELIVERY, rows)


@dataclass(frozen=True, slots=True)
class Claimed:
    account_id: int
    id: int
    webhook_id: int
    destination: str
    body: str | None
    """None when the body was purged (over the outbox's budget) before the delivery was sent."""
    attempts: int


_DUE = (
    "SELECT account_id, id FROM webhook_deliveries WHERE status = 'pending' "
    "AND next_attempt_ms <= $1 AND (locked_until_ms IS NULL OR locked_until_ms < $1) "
    "ORDER BY next_attempt_ms LIMIT $4"
)
_CLAIM_SET = (
    "UPDATE webhook_deliveries SET locked_until_ms = $2, claimed_by = $3 "
    "WHERE (account_id, id) IN ({due}) "
    "RETURNING account_id, id, webhook_id, destination, body_id, actions, attempts"
)
_CLAIM = sql(_CLAIM_SET.format(due=_DUE + " FOR UPDATE SKIP LOCKED"))
"""PostgreSQL skips rows another claimer holds; SQLite's ``BEGIN IMMEDIATE`` already lets one
claimer in at a time, across processes."""
_BODIES = sql(
    f"SELECT id, head, {_SECTION_COLUMNS} FROM webhook_bodies "
    "WHERE account_id = $1 AND id = ANY($2::bigint[])"
)


async def claim(
    conn: Connection, now_ms: int, locked_until_ms: int, worker: str, limit: int
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for ``worker`` until ``locked_until_ms``, each with
    its body put together; run in a transaction of its own, so the claim is visible to others
    once it returns."""
    rows = await conn.fetch_all(_CLAIM, now_ms, locked_until_ms, worker, limit)
    wanted: dict[int, set[int]] = {}
    for r in rows:
        wanted.setdefault(r[0], set()).add(r[4])
    bodies: dict[tuple[int, int], tuple[str, dict[str, str | None]]] = {}
    for account_id in sorted(wanted):
        ids = int_array(conn.dialect, sorted(wanted[account_id]))
        for b in await conn.fetch_all(_BODIES, account_id, ids):
            bodies[(account_id, b[0])] = (b[1], dict(zip(SECTIONS, b[2:], strict=True)))
    claimed = []
    for r in rows:
        found = bodies.get((r[0], r[4]))
        text = None
        if found is not None:
            head, sections = found
            text = payload.assemble(head, [sections[a] for a in r[5].split(",") if a])
        claimed.append(Claimed(r[0], r[1], r[2], r[3], text, r[6]))
    return claimed


_HOOK_STATE = sql(
    "SELECT disabled, bad_answers FROM webhooks WHERE account_id = $1 AND id = $2 FOR UPDATE"
)
"""Locked on PostgreSQL: two workers recording bad answers of one webhook take turns."""
_SET_HOOK_STATE = sql(
    "UPDATE webhooks SET disabled = $3, bad_answers = $4 WHERE account_id = $1 AND id = $2"
)


async def webhook_state(
    conn: Connection, account_id: int, webhook_id: int
) -> tuple[bool, list[int]] | None:
    """(disabled, bad-answer times in ms), or None when the webhook was deleted."""
    row = await conn.fetch_one(_HOOK_STATE, account_id, webhook_id)
    if row is None:
        return None
    return bool(row[0]), msgspec.json.decode(row[1])


async def set_webhook_state(
    conn: Connection, account_id: int, webhook_id: int, disabled: bool, bad_answers: list[int]
) -> None:
    await conn.execute(
        _SET_HOOK_STATE, account_id, webhook_id, disabled, msgspec.json.encode(bad_answers).decode()
    )


_FINISH = sql(
    "UPDATE webhook_deliveries SET status = $4, attempts = $5, next_attempt_ms = $6, "
    "locked_until_ms = NULL, last_status = $7, last_error = $8, "
    "delivered_at = $9 WHERE account_id = $1 AND id = $2 AND claimed_by = $3 "
    "AND status = 'pending'"
)


async def finish(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (account_id, id, worker, status, attempts, next_attempt_ms, last_status,
    last_error, delivered_at). ``claimed_by`` stays: it tells which worker made the last
    attempt. A row another worker has claimed since (this one's lease ran out) is left to
    that worker."""
    await conn.execute_many(_FINISH, rows)


_PURGE_OLD = sql(
    "DELETE FROM webhook_deliveries WHERE (account_id, id) IN ("
    "SELECT account_id, id FROM webhook_deliveries WHERE status = $1 AND next_attempt_ms < $2 "
    "LIMIT $3) RETURNING account_id, body_id"
)
_COUNT_DELIVERIES = sql("SELECT count(*) FROM webhook_deliveries")
_PURGE_OLDEST = {
    finished: sql(
        "DELETE FROM webhook_deliveries WHERE (account_id, id) IN ("
        f"SELECT account_id, id FROM webhook_deliveries WHERE status {op} 'pending' "
        "ORDER BY id LIMIT $1) RETURNING account_id, body_id"
    )
    for finished, op in ((True, "<>"), (False, "="))
}
_BODY_BYTES = sql("SELECT COALESCE(SUM(size), 0) FROM webhook_bodies")
_OLDEST_BODIES = sql("SELECT account_id, id, size FROM webhook_bodies ORDER BY id LIMIT $1")
_DELETE_BODY_DELIVERIES = sql(
    "DELETE FROM webhook_deliveries WHERE account_id = $1 AND body_id = $2 RETURNING status"
)
_DELETE_BODY = sql("DELETE FROM webhook_bodies WHERE account_id = $1 AND id = $2")
_DELETE_ORPHAN = sql(
    "DELETE FROM webhook_bodies WHERE account_id = $1 AND id = $2 AND NOT EXISTS ("
    "SELECT 1 FROM webhook_deliveries WHERE account_id = $1 AND body_id = $2)"
)


_SWEEP_ORPHANS = sql(
    "DELETE FROM webhook_bodies WHERE (account_id, id) IN ("
    "SELECT b.account_id, b.id FROM webhook_bodies b WHERE NOT EXISTS ("
    "SELECT 1 FROM webhook_deliveries d WHERE d.account_id = b.account_id AND d.body_id = b.id) "
    "LIMIT $1)"
)


async def sweep_orphans(conn: Connection, limit: int) -> None:
    """Delete up to ``limit`` bodies without a delivery that :func:`_drop_orphans` missed (two
    purges on PostgreSQL each deleting one of a body's last two deliveries see the other's
    still there)."""
    await conn.execute(_SWEEP_ORPHANS, limit)


async def _drop_orphans(conn: Connection, bodies: set[tuple[int, int]]) -> None:
    """Delete the bodies no delivery refers to any more (their last one was just purged)."""
    for account_id, body_id in sorted(bodies):
        await conn.execute(_DELETE_ORPHAN, account_id, body_id)


async def purge_old(conn: Connection, before_ms: int, limit: int) -> int:
    """Forget up to ``limit`` delivered and failed deliveries last tried before ``before_ms``
    (their ``next_attempt_ms`` holds the time of the last attempt), through the due index,
    and the bodies left without a delivery; how many deliveries went."""
    gone = 0
    for status in ("delivered", "failed"):
        rows = await conn.fetch_all(_PURGE_OLD, status, before_ms, limit - gone)
        await _drop_orphans(conn, {(r[0], r[1]) for r in rows})
        gone += len(rows)
        if gone >= limit:
            break
    return gone


async def count_deliveries(conn: Connection) -> int:
    row = await conn.fetch_one(_COUNT_DELIVERIES)
    return int(row[0]) if row is not None else 0


async def purge_oldest(conn: Connection, count: int, *, finished: bool) -> int:
    """Forget the ``count`` oldest deliveries, finished ones (delivered, failed) or pending
    ones, and the bodies left without a delivery; how many went."""
    rows = await conn.fetch_all(_PURGE_OLDEST[finished], count)
    await _drop_orphans(conn, {(r[0], r[1]) for r in rows})
    return len(rows)


async def body_bytes(conn: Connection) -> int:
    """What the stored bodies hold, in characters (bytes: the encoding is ASCII)."""
    row = await conn.fetch_one(_BODY_BYTES)
    return int(row[0]) if row is not None else 0


async def purge_oldest_bodies(conn: Connection, at_least: int, limit: int) -> tuple[int, int]:
    """Forget the oldest bodies, at most ``limit``, until ``at_least`` characters are freed,
    with every delivery of theirs; (characters freed, pending deliveries dropped)."""
    freed = pending = 0
    for account_id, body_id, size in await conn.fetch_all(_OLDEST_BODIES, limit):
        if freed >= at_least:
            break
        statuses = await conn.fetch_all(_DELETE_BODY_DELIVERIES, account_id, body_id)
        pending += sum(1 for (status,) in statuses if status == "pending")
        await conn.execute(_DELETE_BODY, account_id, body_id)
        freed += int(size)
    return freed, pending
