"""Lead queries. Everything beside the lead row is loaded for a list of lead ids at once, so a
page of leads costs the same handful of statements as one lead."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kommodore.db.database import Connection, Query, int_array, sql

LEAD_COLUMNS = (
    "id, name, price, responsible_user_id, group_id, status_id, pipeline_id, loss_reason_id, "
    "source_id, created_by, updated_by, created_at, updated_at, closed_at, closest_task_at, "
    "is_deleted, score, labor_cost, is_price_computed, is_price_modified_by_robot"
)


@dataclass(slots=True)
class LeadRow:
    id: int
    name: str
    price: int
    responsible_user_id: int
    group_id: int
    status_id: int
    pipeline_id: int
    loss_reason_id: int | None
    source_id: int | None
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    closed_at: int | None
    closest_task_at: int | None
    is_deleted: bool
    score: int | None
    labor_cost: int | None
    is_price_computed: bool
    is_price_modified_by_robot: bool


def lead_row(r: Any) -> LeadRow:
    return LeadRow(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
        r[13], r[14], bool(r[15]), r[16], r[17], bool(r[18]), bool(r[19]),
    )  # fmt: skip


def _in_ids(pg: str, column: str) -> Query:
    """Filter ``column`` by a list parameter ``$2``: ``= ANY`` on PostgreSQL, ``json_each`` on
    SQLite; one statement text either way, whatever the list's length."""
    return sql(
        pg.replace("{IDS}", f"{column} = ANY($2::bigint[])"),
        pg.replace("{IDS}", f"{column} IN (SELECT value FROM json_each(?2))").replace("$1", "?1"),
    )


GET_LEAD = sql(f"SELECT {LEAD_COLUMNS} FROM leads WHERE account_id = $1 AND id = $2")

TAGS = _in_ids(
    "SELECT lt.lead_id, t.id, t.name, t.color FROM lead_tags lt "
    "JOIN tags t ON t.account_id = lt.account_id AND t.id = lt.tag_id "
    "WHERE lt.account_id = $1 AND {IDS} ORDER BY lt.lead_id, t.id",
    "lt.lead_id",
)
COMPANIES = _in_ids(
    "SELECT lc.lead_id, lc.company_id FROM lead_companies lc "
    "JOIN companies c ON c.account_id = lc.account_id AND c.id = lc.company_id "
    "WHERE lc.account_id = $1 AND {IDS} AND NOT c.is_deleted",
    "lc.lead_id",
)
CONTACTS = _in_ids(
    "SELECT lc.lead_id, lc.contact_id, lc.is_main FROM lead_contacts lc "
    "JOIN contacts c ON c.account_id = lc.account_id AND c.id = lc.contact_id "
    "WHERE lc.account_id = $1 AND {IDS} AND NOT c.is_deleted "
    "ORDER BY lc.lead_id, lc.is_main DESC, lc.contact_id",
    "lc.lead_id",
)
CATALOG_ELEMENTS = _in_ids(
    "SELECT le.lead_id, le.element_id, le.catalog_id, le.quantity, le.price_id "
    "FROM lead_catalog_elements le "
    "JOIN catalog_elements e ON e.account_id = le.account_id AND e.id = le.element_id "
    "WHERE le.account_id = $1 AND {IDS} AND NOT e.is_deleted "
    "ORDER BY le.lead_id, le.element_id",
    "le.lead_id",
)
LOSS_REASONS = _in_ids(
    "SELECT id, name, sort, created_at, updated_at FROM loss_reasons "
    "WHERE account_id = $1 AND {IDS}",
    "id",
)
SOURCES = _in_ids("SELECT id, name FROM sources WHERE account_id = $1 AND {IDS}", "id")
CUSTOM_FIELD_VALUES = _in_ids(
    "SELECT v.lead_id, v.field_id, f.name, f.code, f.type, v.enum_id, e.value, e.code, "
    "v.value_text, v.value_int, v.value_json "
    "FROM lead_custom_field_values v "
    "JOIN custom_fields f ON f.account_id = v.account_id AND f.id = v.field_id "
    "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id "
    "WHERE v.account_id = $1 AND {IDS} "
    "ORDER BY v.lead_id, f.sort, f.id, v.position",
    "v.lead_id",
)


async def get_lead(conn: Connection, account_id: int, lead_id: int) -> LeadRow | None:
    row = await conn.fetch_one(GET_LEAD, account_id, lead_id)
    return None if row is None else lead_row(row)


async def _grouped(
    conn: Connection, query: Query, account_id: int, ids: Sequence[int]
) -> dict[int, list[Any]]:
    by_lead: dict[int, list[Any]] = defaultdict(list)
    for row in await conn.fetch_all(query, account_id, int_array(conn.dialect, ids)):
        by_lead[row[0]].append(row)
    return by_lead


async def tags(conn: Connection, account_id: int, lead_ids: Sequence[int]) -> dict[int, list[Any]]:
    """lead id -> rows of (lead_id, tag id, name, color)."""
    return await _grouped(conn, TAGS, account_id, lead_ids)


async def companies(
    conn: Connection, account_id: int, lead_ids: Sequence[int]
) -> dict[int, list[Any]]:
    """lead id -> rows of (lead_id, company id)."""
    return await _grouped(conn, COMPANIES, account_id, lead_ids)


async def contacts(
    conn: Connection, account_id: int, lead_ids: Sequence[int]
) -> dict[int, list[Any]]:
    """lead id -> rows of (lead_id, contact id, is_main), the main contact first."""
    return await _grouped(conn, CONTACTS, account_id, lead_ids)


async def catalog_elements(
    conn: Connection, account_id: int, lead_ids: Sequence[int]
) -> dict[int, list[Any]]:
    """lead id -> rows of (lead_id, element id, catalog id, quantity, price_id)."""
    return await _grouped(conn, CATALOG_ELEMENTS, account_id, lead_ids)


async def custom_field_values(
    conn: Connection, account_id: int, lead_ids: Sequence[int]
) -> dict[int, list[Any]]:
    """lead id -> rows of (lead_id, field id, name, code, type, enum id, enum value, enum code,
    text, int, json), in field order then value position."""
    return await _grouped(conn, CUSTOM_FIELD_VALUES, account_id, lead_ids)


async def loss_reasons(conn: Connection, account_id: int, ids: Sequence[int]) -> dict[int, Any]:
    """id -> row of (id, name, sort, created_at, updated_at)."""
    rows = await conn.fetch_all(LOSS_REASONS, account_id, int_array(conn.dialect, ids))
    return {row[0]: row for row in rows}


async def sources(conn: Connection, account_id: int, ids: Sequence[int]) -> dict[int, Any]:
    """id -> row of (id, name)."""
    rows = await conn.fetch_all(SOURCES, account_id, int_array(conn.dialect, ids))
    return {row[0]: row for row in rows}
