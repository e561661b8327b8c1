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

from kommodore.db.database import Connection, Query, dual, int_array, sql
from kommodore.leads.store import LEAD_SELECT, LeadRow, lead_row

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


_LIST = dual(
    f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 "
    "AND ($2::text IS NULL OR destination = $2) ORDER BY sort, id"
)
_BY_DESTINATION = sql(
    f"SELECT {_WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 AND destination = $2"
)
_COUNT = sql("SELECT count(*) FROM webhooks WHERE account_id = $1")
_LOCK_ACCOUNT = sql(
    "SELECT id FROM accounts WHERE id = $1 FOR UPDATE", "SELECT id FROM accounts WHERE id = ?1"
)
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
_LEADS = dual(f"{LEAD_SELECT} WHERE l.account_id = $1 AND l.id = ANY($2::bigint[])")


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

_INSERT_DELIVERY = sql(
    "INSERT INTO webhook_deliveries (account_id, id, webhook_id, destination, body, created_at, "
    "status, attempts, next_attempt_ms) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7)"
)


async def insert_deliveries(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (account_id, id, webhook_id, destination, body, created_at, next_attempt_ms)."""
    await conn.execute_many(_INSERT_DELIVERY, rows)


@dataclass(frozen=True, slots=True)
class Claimed:
    account_id: int
    id: int
    webhook_id: int
    destination: str
    body: str
    attempts: int


_DUE = (
    "SELECT account_id, id FROM webhook_deliveries WHERE status = 'pending' "
    "AND next_attempt_ms <= $1 AND (locked_until_ms IS NULL OR locked_until_ms < $1) "
    "ORDER BY next_attempt_ms LIMIT $4"
)
_CLAIM_SET = (
    "UPDATE webhook_deliveries SET locked_until_ms = $2, claimed_by = $3 "
    "WHERE (account_id, id) IN ({due}) "
    "RETURNING account_id, id, webhook_id, destination, body, attempts"
)
_CLAIM = Query(
    _CLAIM_SET.format(due=_DUE + " FOR UPDATE SKIP LOCKED"),
    sql(_CLAIM_SET.format(due=_DUE)).sqlite,
)
"""PostgreSQL skips rows another claimer holds; SQLite's ``BEGIN IMMEDIATE`` already lets one
claimer in at a time, across processes."""


async def claim(
    conn: Connection, now_ms: int, locked_until_ms: int, worker: str, limit: int
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for ``worker`` until ``locked_until_ms``; run in a
    transaction of its own, so the claim is visible to others once it returns."""
    rows = await conn.fetch_all(_CLAIM, now_ms, locked_until_ms, worker, limit)
    return [Claimed(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


_HOOK_STATE = sql(
    "SELECT disabled, bad_answers FROM webhooks WHERE account_id = $1 AND id = $2 FOR UPDATE",
    "SELECT disabled, bad_answers FROM webhooks WHERE account_id = ?1 AND id = ?2",
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


_PURGE = sql(
    "DELETE FROM webhook_deliveries WHERE (account_id, id) IN ("
    "SELECT account_id, id FROM webhook_deliveries WHERE status = $1 AND next_attempt_ms < $2 "
    "LIMIT $3)"
)


async def purge(conn: Connection, before_ms: int, limit: int) -> None:
    """Forget delivered and failed deliveries last tried before ``before_ms`` (their
    ``next_attempt_ms`` holds the time of the last attempt), through the due index."""
    for status in ("delivered", "failed"):
        await conn.execute(_PURGE, status, before_ms, limit)
