"""Lead custom field queries (spec §10.3): one statement per page, one for the page's enums."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kommodore.db.database import Connection, Query, dual, int_array, sql, text_array

FIELD_COLUMNS = (
    "id, name, code, sort, type, entity_type, is_computed, is_predefined, is_deletable, "
    "is_api_only, group_id, required_statuses, hidden_statuses, remind, currency, "
    "chained_lists, tracking_callback, search_in"
)


@dataclass(frozen=True, slots=True)
class FieldRow:
    id: int
    name: str
    code: str | None
    sort: int
    type: str
    entity_type: str
    is_computed: bool
    is_predefined: bool
    is_deletable: bool
    is_api_only: bool
    group_id: str | None
    required_statuses: str | None
    hidden_statuses: str
    remind: str | None
    currency: str | None
    chained_lists: str | None
    tracking_callback: str | None
    search_in: str | None


def _field(r: Any) -> FieldRow:
    return FieldRow(
        r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), bool(r[7]), bool(r[8]), bool(r[9]),
        r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[17],
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class EnumRow:
    id: int
    value: str
    sort: int
    code: str | None


GET_FIELD = sql(
    f"SELECT {FIELD_COLUMNS} FROM custom_fields "
    "WHERE account_id = $1 AND entity_type = 'leads' AND id = $2"
)
ENUMS = dual(
    "SELECT field_id, id, value, sort, code FROM custom_field_enums "
    "WHERE account_id = $1 AND field_id = ANY($2::bigint[]) ORDER BY field_id, sort, id"
)

#: Order keys the list accepts (``order[sort]``, ``order[id]``), as SQL columns.
ORDER_COLUMNS = {"sort": "sort", "id": "id"}


@lru_cache(maxsize=16)
def _list_query(order: tuple[tuple[str, str], ...]) -> Query:
    """The list statement for one order; ``order`` holds only whitelisted names, so the few
    texts there are can be built once and cached."""
    by = ", ".join(f"{ORDER_COLUMNS[c]} {'DESC' if d == 'desc' else 'ASC'}" for c, d in order)
    return dual(
        f"SELECT {FIELD_COLUMNS}, count(*) OVER () FROM custom_fields "
        "WHERE account_id = $1 AND entity_type = 'leads' "
        "AND ($2::text[] IS NULL OR type = ANY($2::text[])) "
        f"ORDER BY {by} LIMIT $3 OFFSET $4"
    )


async def get_field(conn: Connection, account_id: int, field_id: int) -> FieldRow | None:
    row = await conn.fetch_one(GET_FIELD, account_id, field_id)
    return None if row is None else _field(row)


async def list_fields(
    conn: Connection,
    account_id: int,
    field_types: Sequence[str] | None,
    order: tuple[tuple[str, str], ...],
    offset: int,
    limit: int,
) -> tuple[list[FieldRow], int]:
    """A page of the account's lead fields and the number of matching fields on all pages
    (0 when the page is empty: the count comes from the page's own rows)."""
    rows = await conn.fetch_all(
        _list_query(order), account_id, text_array(conn, field_types), limit, offset
    )
    total = int(rows[0][18]) if rows else 0
    return [_field(r) for r in rows], total


async def enums(
    conn: Connection, account_id: int, field_ids: Sequence[int]
) -> dict[int, list[EnumRow]]:
    """field id -> its enums by sort, then id."""
    by_field: dict[int, list[EnumRow]] = defaultdict(list)
    for r in await conn.fetch_all(ENUMS, account_id, int_array(conn.dialect, field_ids)):
        by_field[r[0]].append(EnumRow(r[1], r[2], r[3], r[4]))
    return by_field
