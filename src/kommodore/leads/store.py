"""Lead queries. Everything beside the lead row is loaded for a list of lead ids at once, so a
page of leads costs the same handful of statements as one lead."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kommodore.db.database import Connection, Query, int_array, sql

LEAD_COLUMNS = (
    "l.id, l.name, l.price, l.responsible_user_id, l.group_id, l.status_id, l.pipeline_id, "
    "l.loss_reason_id, l.source_id, l.created_by, l.updated_by, l.created_at, l.updated_at, "
    "l.closed_at, l.closest_task_at, l.is_deleted, l.score, l.labor_cost, l.is_price_computed, "
    "l.is_price_modified_by_robot"
)
LEAD_SELECT = (
    f"SELECT {LEAD_COLUMNS}, lr.name, lr.sort, lr.created_at, lr.updated_at, s.name "
    "FROM leads l "
    "LEFT JOIN loss_reasons lr ON lr.account_id = l.account_id AND lr.id = l.loss_reason_id "
    "LEFT JOIN sources s ON s.account_id = l.account_id AND s.id = l.source_id"
)
"""A lead with its loss reason and source, which every answer may embed: one statement."""


@dataclass(slots=True)
class LossReasonRow:
    id: int
    name: str
    sort: int
    created_at: int
    updated_at: int


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
    loss_reason: LossReasonRow | None = None
    source_name: str | None = None


def lead_row(r: Any) -> LeadRow:
    """A row of ``LEAD_SELECT``."""
    reason = None
    if r[7] is not None and r[20] is not None:
        reason = LossReasonRow(r[7], r[20], r[21], r[22], r[23])
    return LeadRow(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
        r[13], r[14], bool(r[15]), r[16], r[17], bool(r[18]), bool(r[19]), reason,
        r[24] if r[8] is not None else None,
    )  # fmt: skip


GET_LEAD = sql(f"{LEAD_SELECT} WHERE l.account_id = $1 AND l.id = $2")


async def get_lead(conn: Connection, account_id: int, lead_id: int) -> LeadRow | None:
    row = await conn.fetch_one(GET_LEAD, account_id, lead_id)
    return None if row is None else lead_row(row)


# -- what a lead embeds, for many leads in one statement -------------------------------------
#
# One UNION ALL over the link tables and the custom field values, each branch shaped to the
# same columns: (kind, lead_id, id, n1, n2, num, o1, o2, o3, t1 .. t7). A lead answer thus
# costs three statements whatever it embeds: the token, the lead, and this.

TAG, COMPANY, CONTACT, ELEMENT, VALUE = range(5)
# typed NULLs: PostgreSQL resolves a UNION column's type from its first branches
_BIG, _REAL, _TEXT = "CAST(NULL AS BIGINT)", "CAST(NULL AS DOUBLE PRECISION)", "CAST(NULL AS TEXT)"
_N = f"{_BIG}, {_BIG}, {_REAL}"  # n1, n2, num
_T = ", ".join([_TEXT] * 7)  # t1 .. t7
_BRANCHES = {
    TAG: (
        f"SELECT {TAG}, lt.lead_id, t.id, {_N}, t.id, 0, 0, t.name, t.color, "
        f"{', '.join([_TEXT] * 5)} FROM lead_tags lt "
        "JOIN tags t ON t.account_id = lt.account_id AND t.id = lt.tag_id "
        "WHERE lt.account_id = $1 AND {IDS:lt.lead_id}"
    ),
    COMPANY: (
        f"SELECT {COMPANY}, lc.lead_id, lc.company_id, {_N}, lc.company_id, 0, 0, {_T} "
        "FROM lead_companies lc "
        "JOIN companies c ON c.account_id = lc.account_id AND c.id = lc.company_id "
        "WHERE lc.account_id = $1 AND {IDS:lc.lead_id} AND NOT c.is_deleted"
    ),
    CONTACT: (
        f"SELECT {CONTACT}, lc.lead_id, lc.contact_id, {_N}, "
        f"CASE WHEN lc.is_main THEN 0 ELSE 1 END, lc.contact_id, 0, {_T} "
        "FROM lead_contacts lc "
        "JOIN contacts c ON c.account_id = lc.account_id AND c.id = lc.contact_id "
        "WHERE lc.account_id = $1 AND {IDS:lc.lead_id} AND NOT c.is_deleted"
    ),
    ELEMENT: (
        f"SELECT {ELEMENT}, le.lead_id, le.element_id, le.catalog_id, le.price_id, le.quantity, "
        f"le.element_id, 0, 0, {_T} FROM lead_catalog_elements le "
        "JOIN catalog_elements e ON e.account_id = le.account_id AND e.id = le.element_id "
        "WHERE le.account_id = $1 AND {IDS:le.lead_id} AND NOT e.is_deleted"
    ),
    VALUE: (
        f"SELECT {VALUE}, v.lead_id, v.field_id, v.enum_id, v.value_int, {_REAL}, f.sort, f.id, "
        "v.position, f.name, f.code, f.type, e.value, e.code, v.value_text, v.value_json "
        "FROM lead_custom_field_values v "
        "JOIN custom_fields f ON f.account_id = v.account_id AND f.id = v.field_id "
        "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id "
        "WHERE v.account_id = $1 AND {IDS:v.lead_id}"
    ),
}


@lru_cache(maxsize=32)
def _parts_query(kinds: frozenset[int], single: bool) -> Query:
    """The UNION of the asked kinds; ``single`` compares with ``= $2`` rather than a list,
    which lets SQLite plan a point lookup."""
    body = " UNION ALL ".join(_BRANCHES[k] for k in sorted(kinds))
    order = " ORDER BY 2, 1, 7, 8, 9"

    def ids(dialect: str) -> str:
        if single:
            return r"\1 = $2"
        if dialect == "postgresql":
            return r"\1 = ANY($2::bigint[])"
        return r"\1 IN (SELECT value FROM json_each($2))"

    pg = re.sub(r"\{IDS:([\w.]+)\}", ids("postgresql"), body) + order
    lite = re.sub(r"\{IDS:([\w.]+)\}", ids("sqlite"), body) + order
    return Query(pg, sql(lite).sqlite)


@dataclass(slots=True)
class LeadParts:
    """What the leads embed, by lead id, each list already in Kommo's order."""

    tags: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    companies: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    contacts: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    elements: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    values: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))


async def lead_parts(
    conn: Connection,
    account_id: int,
    lead_ids: Sequence[int],
    *,
    contacts: bool,
    elements: bool,
    tags_and_values: bool = True,
) -> LeadParts:
    """Rows (kind, lead_id, id, n1, n2, num, o1, o2, o3, t1 .. t7) sorted into their kinds:
    tags (id, name=t1, color=t2), companies (id), contacts (id, is_main = o1 == 0),
    elements (id, catalog_id=n1, price_id=n2, quantity=num), custom field values
    (field id, enum_id=n1, value_int=n2, name=t1, code=t2, type=t3, enum value=t4,
    enum code=t5, value_text=t6, value_json=t7)."""
    kinds = {COMPANY}
    if tags_and_values:
        kinds |= {TAG, VALUE}
    if contacts:
        kinds.add(CONTACT)
    if elements:
        kinds.add(ELEMENT)
    single = len(lead_ids) == 1
    query = _parts_query(frozenset(kinds), single)
    ids: Any = lead_ids[0] if single else int_array(conn.dialect, lead_ids)
    parts = LeadParts()
    buckets = (parts.tags, parts.companies, parts.contacts, parts.elements, parts.values)
    for row in await conn.fetch_all(query, account_id, ids):
        buckets[row[0]][row[1]].append(row)
    return parts


_TOUCH = sql("UPDATE leads SET updated_at = $3, updated_by = $4 WHERE account_id = $1 AND id = $2")


async def touch_leads(
    conn: Connection, account_id: int, lead_ids: Sequence[int], user_id: int, now: int
) -> None:
    """Record a change made beside the lead row (links, tags): every successful write bumps
    ``updated_at`` and ``updated_by``."""
    await conn.execute_many(_TOUCH, [(account_id, i, now, user_id) for i in sorted(set(lead_ids))])
