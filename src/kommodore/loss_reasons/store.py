"""Loss reason queries."""

from __future__ import annotations

import msgspec
from msgspec.structs import astuple

from kommodore.db.database import Connection, fetch_row, fetch_rows, fetch_value, sql


class LossReasonRow(msgspec.Struct):
    """A reason's columns, in the order of its keys on the wire (which extends it)."""

    id: int
    name: str
    sort: int
    created_at: int
    updated_at: int


_COLUMNS = "SELECT id, name, sort, created_at, updated_at FROM loss_reasons "
ALL = sql(_COLUMNS + "WHERE account_id = $1 ORDER BY sort, id")
ONE = sql(_COLUMNS + "WHERE account_id = $1 AND id = $2")


async def loss_reasons(conn: Connection, account_id: int) -> list[LossReasonRow]:
    """Every loss reason of the account, by ``sort`` then id."""
    return await fetch_rows(conn, LossReasonRow, ALL, account_id)


async def get_loss_reason(
    conn: Connection, account_id: int, reason_id: int
) -> LossReasonRow | None:
    return await fetch_row(conn, LossReasonRow, ONE, account_id, reason_id)


MAX_SORT = sql("SELECT max(sort) FROM loss_reasons WHERE account_id = $1")
INSERT = sql(
    "INSERT INTO loss_reasons (account_id, id, name, sort, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)"
)
UPDATE = sql(
    "UPDATE loss_reasons SET name = coalesce($3, name), sort = coalesce($4, sort), "
    "updated_at = $5 WHERE account_id = $1 AND id = $2"
)
DETACH = sql(
    "UPDATE leads SET loss_reason_id = NULL, updated_at = $3, updated_by = $4 "
    "WHERE account_id = $1 AND loss_reason_id = $2"
)
DELETE = sql("DELETE FROM loss_reasons WHERE account_id = $1 AND id = $2")


async def max_sort(conn: Connection, account_id: int) -> int | None:
    """The largest ``sort`` of the account's reasons; None when it has none."""
    value = await fetch_value(conn, MAX_SORT, account_id)
    return None if value is None else int(value)


async def insert_loss_reasons(
    conn: Connection, account_id: int, reasons: list[LossReasonRow]
) -> None:
    await conn.execute_many(INSERT, [(account_id, *astuple(r)) for r in reasons])


async def update_loss_reason(
    conn: Connection,
    account_id: int,
    reason_id: int,
    *,
    name: str | None,
    sort: int | None,
    now: int,
) -> None:
    """Set ``name`` and/or ``sort`` (None keeps the stored value) and ``updated_at``."""
    await conn.execute(UPDATE, account_id, reason_id, name, sort, now)


async def delete_loss_reason(
    conn: Connection, account_id: int, reason_id: int, *, now: int, user_id: int
) -> None:
    """Clear the reason from every lead carrying it (deleted ones too: the foreign key has
    no ON DELETE), recording who and when, then delete it."""
    await conn.execute(DETACH, account_id, reason_id, now, user_id)
    await conn.execute(DELETE, account_id, reason_id)
