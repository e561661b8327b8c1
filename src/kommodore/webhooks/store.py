"""Webhook and outbox queries.

The outbox is one queue for the installation, but every statement that locks or changes a
delivery names one account (one shard on Citus): the worker first reads which accounts have
due deliveries, without locks, through the ``(status, next_attempt_ms)`` index, then claims
per account. Only the purges (a background task, no row locks) span accounts in one statement
(docs/architecture.md, "Statements that shard").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec

from kommodore.db.database import (
    Connection,
    fetch_row,
    fetch_rows,
    fetch_value,
    int_array,
    sql,
)
from kommodore.webhooks import payload

# -- webhooks -------------------------------------------------------------------------------


class WebhookRow(msgspec.Struct):
    """A webhook as Kommo's answer shows it, key for key: its columns in that order (the
    account's id among them), ``settings`` decoded."""

    id: int
    destination: str
    created_at: int
    updated_at: int
    account_id: int
    created_by: int
    sort: int
    disabled: bool
    settings: list[str]


def _webhook(
    id: int, destination: str, created_at: int, updated_at: int, account_id: int,
    created_by: int, sort: int, disabled: Any, settings: str,
) -> WebhookRow:  # fmt: skip
    """A row of ``_SELECT``: settings are stored as JSON text, the flag is 0/1 on SQLite."""
    return WebhookRow(
        id, destination, created_at, updated_at, account_id, created_by, sort, bool(disabled),
        msgspec.json.decode(settings),
    )  # fmt: skip


_SELECT = (
    "SELECT id, destination, created_at, updated_at, account_id, created_by, sort, disabled, "
    "settings FROM webhooks WHERE account_id = $1 "
)
_LIST = sql(_SELECT + "AND ($2::text IS NULL OR destination = $2) ORDER BY sort, id")
_BY_DESTINATION = sql(_SELECT + "AND destination = $2")
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
    return await fetch_rows(conn, _webhook, _LIST, account_id, destination)


async def webhook_by_destination(
    conn: Connection, account_id: int, destination: str
) -> WebhookRow | None:
    return await fetch_row(conn, _webhook, _BY_DESTINATION, account_id, destination)


async def count_webhooks(conn: Connection, account_id: int) -> int:
    return int(await fetch_value(conn, _COUNT, account_id))


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


class EnabledWebhook(NamedTuple):
    id: int
    destination: str
    settings: list[str]
    """The events it subscribes to."""


def _enabled(id: int, destination: str, settings: str) -> EnabledWebhook:
    return EnabledWebhook(id, destination, msgspec.json.decode(settings))


async def enabled_webhooks(conn: Connection, account_id: int) -> list[EnabledWebhook]:
    """The account's enabled webhooks: one primary-key range."""
    return await fetch_rows(conn, _enabled, _SUBSCRIBED, account_id)


async def subdomain(conn: Connection, account_id: int) -> str:
    found = await fetch_value(conn, _SUBDOMAIN, account_id)
    return "" if found is None else str(found)


# -- the outbox -----------------------------------------------------------------------------

SECTIONS = payload.ACTIONS
"""The body's sections (one per action), each a column ``<action>_items``."""
_SECTION_COLUMNS = ", ".join(f"{a}_items" for a in SECTIONS)

_INSERT_BODY = sql(
    f"INSERT INTO webhook_bodies (account_id, id, created_at, size, head, {_SECTION_COLUMNS}) "  # noqa: S608 (a column list constant)
    "VALUES ($1, $2, $3, $4, $5, " + ", ".join(f"${n}" for n in range(6, 6 + len(SECTIONS))) + ")"
)
_INSERT_DELIVERY = sql(
    "INSERT INTO webhook_deliveries (account_id, id, webhook_id, destination, body_id, actions, "
    "created_at, status, attempts, next_attempt_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8)"
)
_INSERT_NOTICE = sql(
    "INSERT INTO webhook_deliveries (account_id, id, webhook_id, destination, body_id, actions, "
    "created_at, status, attempts, next_attempt_ms, kind) "
    "VALUES ($1, $2, 0, $3, $4, '', $5, 'pending', 0, $6, 'revocation')"
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


async def insert_notice(
    conn: Connection, account_id: int, delivery_id: int, url: str, body_id: int, now: int
) -> None:
    """A revocation notice to ``url``, due now: a delivery of no webhook (``webhook_id`` 0)
    whose body (the notice's query string) is ``body_id``."""
    await conn.execute(_INSERT_NOTICE, account_id, delivery_id, url, body_id, now, now * 1000)


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
    kind: str = "webhook"
    """``webhook``, or ``revocation``: a GET of ``destination`` with the body as its query."""


_DUE_ACCOUNTS = sql(
    "SELECT account_id, count(*) FROM webhook_deliveries WHERE status = 'pending' "
    "AND next_attempt_ms <= $1 AND (locked_until_ms IS NULL OR locked_until_ms < $1) "
    "GROUP BY account_id ORDER BY min(next_attempt_ms), account_id LIMIT $2"
)
"""The accounts with due, unclaimed deliveries (how many each), the longest waiting first: a
plain read across accounts, no row lock (Citus runs it on every shard and merges; it refuses a
row lock there)."""
_CLAIM_DUE = (
    "SELECT id FROM webhook_deliveries WHERE account_id = $1 AND status = 'pending' "
    "AND next_attempt_ms <= $2 AND (locked_until_ms IS NULL OR locked_until_ms < $2) "
    "ORDER BY next_attempt_ms, id LIMIT $5"
)
_CLAIM_SET = (
    "UPDATE webhook_deliveries SET locked_until_ms = $3, claimed_by = $4 "
    "WHERE account_id = $1 AND id {due} "
    "RETURNING account_id, id, webhook_id, destination, body_id, actions, attempts, kind"
)
_CLAIM = sql(
    _CLAIM_SET.format(due=f"= ANY(ARRAY({_CLAIM_DUE} FOR UPDATE SKIP LOCKED))"),
    sqlite=_CLAIM_SET.format(due=f"IN ({_CLAIM_DUE})"),
)
"""One account's due deliveries, oldest first: one shard. ``ARRAY(...)`` runs the locking
read once (an ``IN`` may be planned as a join that runs it again per row, each run skipping
the rows the last one locked, claiming more than the limit). PostgreSQL skips rows another
claimer holds, and re-checks a row another claimer committed meanwhile (its lease is then in
the future, so it no longer matches); SQLite's ``BEGIN IMMEDIATE`` lets one claimer in at a
time, across processes."""
_BODIES = sql(
    f"SELECT id, head, {_SECTION_COLUMNS} FROM webhook_bodies "  # noqa: S608 (a column list constant)
    "WHERE account_id = $1 AND id = ANY($2::bigint[])"
)


class _DueAccount(NamedTuple):
    account_id: int
    due: int


def shares(due: Sequence[tuple[int, int]], limit: int) -> dict[int, int]:
    """How many of its ``due`` deliveries each account claims of a batch of ``limit``: equal
    parts, what an account cannot use going to the others (the accounts with fewer due are
    served first, so their leftover is known). ``due``: (account, due deliveries) pairs."""
    taken: dict[int, int] = {}
    left = limit
    ordered = sorted(due, key=lambda d: (d[1], d[0]))
    for index, (account_id, count) in enumerate(ordered):
        share = min(count, -(-left // (len(ordered) - index)))  # an equal part, rounded up
        if share > 0:
            taken[account_id] = share
            left -= share
    return taken


class _ClaimedRow(NamedTuple):
    account_id: int
    id: int
    webhook_id: int
    destination: str
    body_id: int
    actions: str
    attempts: int
    kind: str


async def claim(
    conn: Connection, now_ms: int, locked_until_ms: int, worker: str, limit: int
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for ``worker`` until ``locked_until_ms``, each with
    its body put together; run in a transaction of its own, so the claim is visible to others
    once it returns.

    Fair across accounts, one shard per statement: up to ``limit`` accounts with due
    deliveries, longest waiting first, share the batch (:func:`shares`). An account's oldest
    due delivery only grows newer as it is served, so every account reaches the front: none
    starves behind another's backlog."""
    due = await fetch_rows(conn, _DueAccount, _DUE_ACCOUNTS, now_ms, limit)
    rows: list[_ClaimedRow] = []
    for account_id, share in shares(due, limit).items():
        rows += await fetch_rows(
            conn, _ClaimedRow, _CLAIM, account_id, now_ms, locked_until_ms, worker, share
        )
    wanted: dict[int, set[int]] = {}
    for r in rows:
        wanted.setdefault(r.account_id, set()).add(r.body_id)
    bodies: dict[tuple[int, int], tuple[str, dict[str, str | None]]] = {}
    for account_id in sorted(wanted):
        ids = int_array(conn.dialect, sorted(wanted[account_id]))
        for body_id, head, *sections in await conn.fetch_all(_BODIES, account_id, ids):
            bodies[(account_id, body_id)] = (head, dict(zip(SECTIONS, sections, strict=True)))
    claimed = []
    for r in rows:
        found = bodies.get((r.account_id, r.body_id))
        text = None
        if found is not None:
            head, by_action = found
            text = payload.assemble(head, [by_action[a] for a in r.actions.split(",") if a])
        claimed.append(
            Claimed(r.account_id, r.id, r.webhook_id, r.destination, text, r.attempts, r.kind)
        )
    return claimed


_HOOK_STATE = sql(
    "SELECT disabled, bad_answers FROM webhooks WHERE account_id = $1 AND id = $2 FOR UPDATE"
)
"""Locked on PostgreSQL: two workers recording bad answers of one webhook take turns."""
_SET_HOOK_STATE = sql(
    "UPDATE webhooks SET disabled = $3, bad_answers = $4 WHERE account_id = $1 AND id = $2"
)


class HookState(NamedTuple):
    disabled: bool
    bad_answers: list[int]
    """When it answered badly, in ms."""


def _hook_state(disabled: Any, bad_answers: str) -> HookState:
    return HookState(bool(disabled), msgspec.json.decode(bad_answers))


async def webhook_state(conn: Connection, account_id: int, webhook_id: int) -> HookState | None:
    """The webhook's state, or None when it was deleted."""
    return await fetch_row(conn, _hook_state, _HOOK_STATE, account_id, webhook_id)


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
        "DELETE FROM webhook_deliveries WHERE (account_id, id) IN ("  # noqa: S608 (an operator from a fixed tuple)
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


class _BodyKey(NamedTuple):
    """What a purge returns of each delivery it deleted."""

    account_id: int
    body_id: int


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
        rows = await fetch_rows(conn, _BodyKey, _PURGE_OLD, status, before_ms, limit - gone)
        await _drop_orphans(conn, set(rows))
        gone += len(rows)
        if gone >= limit:
            break
    return gone


async def count_deliveries(conn: Connection) -> int:
    return int(await fetch_value(conn, _COUNT_DELIVERIES))


async def purge_oldest(conn: Connection, count: int, *, finished: bool) -> int:
    """Forget the ``count`` oldest deliveries, finished ones (delivered, failed) or pending
    ones, and the bodies left without a delivery; how many went."""
    rows = await fetch_rows(conn, _BodyKey, _PURGE_OLDEST[finished], count)
    await _drop_orphans(conn, set(rows))
    return len(rows)


async def body_bytes(conn: Connection) -> int:
    """What the stored bodies hold, in characters (bytes: the encoding is ASCII)."""
    return int(await fetch_value(conn, _BODY_BYTES))


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


# -- the outbox in the open (the control plane's webhook deliveries) --------------------------

_DELIVERIES = sql(
    "SELECT d.account_id, d.id, d.webhook_id, d.kind, d.destination, d.status, d.attempts, "
    "d.next_attempt_ms, d.last_status, d.last_error, d.delivered_at, d.created_at, d.actions, "
    "b.head, "
    + ", ".join(f"b.{a}_items" for a in SECTIONS)  # a column list constant
    + " "
    "FROM webhook_deliveries d LEFT JOIN webhook_bodies b "
    "ON b.account_id = d.account_id AND b.id = d.body_id "
    "WHERE ($1::bigint IS NULL OR d.account_id = $1) AND ($2::text IS NULL OR d.status = $2) "
    "AND ($3::bigint IS NULL OR d.id = $3) ORDER BY d.id DESC LIMIT $4"
)
_RETRY = sql(
    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_ms = $2, "
    "locked_until_ms = NULL, claimed_by = NULL WHERE id = $1 RETURNING account_id"
)


class _DeliveryRow(NamedTuple):
    account_id: int
    id: int
    webhook_id: int
    kind: str
    destination: str
    status: str
    attempts: int
    next_attempt_ms: int
    last_status: int | None
    last_error: str | None
    delivered_at: int | None
    created_at: int
    actions: str
    head: str | None
    add_items: str | None
    update_items: str | None
    status_items: str | None
    responsible_items: str | None
    delete_items: str | None
    restore_items: str | None
    note_lead_items: str | None
    note_contact_items: str | None
    note_company_items: str | None


class Delivery(msgspec.Struct, kw_only=True):
    """A delivery as a developer inspects it: where, how it went, and the exact body sent (or
    to be sent); None once the outbox purged the body."""

    id: int
    account_id: int
    webhook_id: int
    """0 for a revocation notice."""
    kind: str
    """``webhook`` (a POST of ``body``) or ``revocation`` (a GET of ``destination`` with
    ``body`` as its query)."""
    destination: str
    status: str
    attempts: int
    next_attempt_ms: int | None
    last_status: int | None
    last_error: str | None
    delivered_at: int | None
    created_at: int
    body: str | None


def _delivery(r: _DeliveryRow) -> Delivery:
    body = None
    if r.head is not None:
        by_action = {a: getattr(r, f"{a}_items") for a in SECTIONS}
        body = payload.assemble(r.head, [by_action[a] for a in r.actions.split(",") if a])
    return Delivery(
        id=r.id, account_id=r.account_id, webhook_id=r.webhook_id, kind=r.kind,
        destination=r.destination,
        status=r.status, attempts=r.attempts,
        next_attempt_ms=r.next_attempt_ms if r.status == "pending" else None,
        last_status=r.last_status, last_error=r.last_error, delivered_at=r.delivered_at,
        created_at=r.created_at, body=body,
    )  # fmt: skip


async def deliveries(
    conn: Connection,
    *,
    account_id: int | None = None,
    status: str | None = None,
    delivery_id: int | None = None,
    limit: int = 100,
) -> list[Delivery]:
    """The newest deliveries first, with their bodies put together."""
    rows = await fetch_rows(conn, _DeliveryRow, _DELIVERIES, account_id, status, delivery_id, limit)
    return [_delivery(r) for r in rows]


async def retry_delivery(conn: Connection, delivery_id: int, now_ms: int) -> bool:
    """Make a delivery due now, whatever became of it, for the worker's next turn; False when
    there is none of that id."""
    return await fetch_value(conn, _RETRY, delivery_id, now_ms) is not None
