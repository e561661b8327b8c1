"""Loss reason queries (spec §12.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kommodore.db.database import Connection, sql


@dataclass(frozen=True, slots=True)
class LossReasonRow:
    id: int
    name: str
    sort: int
    created_at: int
    updated_at: int


_COLUMNS = "SELECT id, name, sort, created_at, updated_at FROM loss_reasons "
ALL = sql(_COLUMNS + "WHERE account_id = $1 ORDER BY sort, id")
ONE = sql(_COLUMNS + "WHERE account_id = $1 AND id = $2")


def _reason(r: Any) -> LossReasonRow:
    return LossReasonRow(r[0], r[1], r[2], r[3], r[4])


async def loss_reasons(conn: Connection, account_id: int) -> list[LossReasonRow]:
    """Every loss reason of the account, by ``sort`` then id."""
    return [_reason(r) for r in await conn.fetch_all(ALL, account_id)]


async def get_loss_reason(
    conn: Connection, account_id: int, reason_id: int
) -> LossReasonRow | None:
    row = await conn.fetch_one(ONE, account_id, reason_id)
    return None if row is None else _reason(row)
