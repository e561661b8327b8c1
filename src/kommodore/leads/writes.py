"""Lead writes: the lookups a batch needs, then one ``executemany`` per table and kind of
change, so a batch of 250 costs a handful of round trips rather than thousands."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache
from typing import Any

from kommodore.db.database import Connection, Query, dual, int_array, sql, text_array
from kommodore.leads.store import LEAD_COLUMNS, LeadRow, lead_row
from kommodore.search import index as search

# -- lookups ---------------------------------------------------------------------------------

_USERS = dual("SELECT id, group_id FROM users WHERE account_id = $1 AND id = ANY($2::bigint[])")
_LOSS_REASONS = dual("SELECT id FROM loss_reasons WHERE account_id = $1 AND id = ANY($2::bigint[])")
_PARTIES = {
    kind: dual(
        f"SELECT id FROM {kind} WHERE account_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted"
    )
    for kind in ("contacts", "companies")
}
_SOURCES = dual(
    "SELECT external_id, id, pipeline_id FROM sources WHERE account_id = $1 "
    "AND external_id = ANY($2::text[]) AND (integration_id IS NULL OR integration_id = $3) "
    "ORDER BY integration_id NULLS LAST"
)
_LEADS_SELECT = (
    f"SELECT {LEAD_COLUMNS}, NULL, NULL, NULL, NULL, NULL FROM leads l "
    "WHERE l.account_id = $1 AND l.id = ANY($2::bigint[])"
)
_LEADS = Query(
    dual(f"{_LEADS_SELECT} FOR UPDATE").postgresql,
    dual(_LEADS_SELECT).sqlite,
)
"""The edited leads, locked on PostgreSQL until the batch commits (SQLite has one writer)."""
_VALUED_FIELDS = dual(
    "SELECT DISTINCT lead_id, field_id FROM lead_custom_field_values "
    "WHERE account_id = $1 AND lead_id = ANY($2::bigint[]) AND field_id = ANY($3::bigint[])"
)
_TAGS_BY_NAME = dual(
    "SELECT name, id FROM tags WHERE account_id = $1 AND entity_type = 'leads' "
    "AND name = ANY($2::text[])"
)
_LEAD_TAG_IDS = dual(
    "SELECT lead_id, tag_id FROM lead_tags WHERE account_id = $1 AND lead_id = ANY($2::bigint[])"
)


async def user_groups(conn: Connection, account_id: int, ids: Collection[int]) -> dict[int, int]:
    """user id -> group id (0 for the default group) for the ids that are account users."""
    if not ids:
        return {}
    rows = await conn.fetch_all(_USERS, account_id, int_array(conn.dialect, sorted(ids)))
    return {r[0]: r[1] or 0 for r in rows}


async def existing(
    conn: Connection, query: Query, account_id: int, ids: Collection[int]
) -> set[int]:
    if not ids:
        return set()
    return {
        r[0] for r in await conn.fetch_all(query, account_id, int_array(conn.dialect, sorted(ids)))
    }


async def loss_reasons(conn: Connection, account_id: int, ids: Collection[int]) -> set[int]:
    return await existing(conn, _LOSS_REASONS, account_id, ids)


async def parties(conn: Connection, kind: str, account_id: int, ids: Collection[int]) -> set[int]:
    """The ids among ``ids`` that are live contacts (or companies) of the account."""
    return await existing(conn, _PARTIES[kind], account_id, ids)


async def sources(
    conn: Connection, account_id: int, integration_id: str, external_ids: Collection[str]
) -> dict[str, tuple[int, int]]:
    """external id -> (source id, pipeline id): the integration's own sources first, then the
    account's."""
    if not external_ids:
        return {}
    found: dict[str, tuple[int, int]] = {}
    for r in await conn.fetch_all(
        _SOURCES, account_id, text_array(conn, sorted(external_ids)), integration_id
    ):
        found.setdefault(r[0], (r[1], r[2]))
    return found


async def leads_for_update(
    conn: Connection, account_id: int, ids: Collection[int]
) -> dict[int, LeadRow]:
    if not ids:
        return {}
    rows = await conn.fetch_all(_LEADS, account_id, int_array(conn.dialect, sorted(ids)))
    return {r[0]: lead_row(r) for r in rows}


async def valued_fields(
    conn: Connection, account_id: int, lead_ids: Collection[int], field_ids: Collection[int]
) -> set[tuple[int, int]]:
    """(lead id, field id) pairs that hold a value, for required-field checks on a move."""
    if not lead_ids or not field_ids:
        return set()
    rows = await conn.fetch_all(
        _VALUED_FIELDS,
        account_id,
        int_array(conn.dialect, sorted(lead_ids)),
        int_array(conn.dialect, sorted(field_ids)),
    )
    return {(r[0], r[1]) for r in rows}


async def tag_ids_by_name(
    conn: Connection, account_id: int, names: Collection[str]
) -> dict[str, int]:
    """Existing lead tags by exact name, without creating any (for ``tags_to_delete``)."""
    if not names:
        return {}
    rows = await conn.fetch_all(_TAGS_BY_NAME, account_id, text_array(conn, sorted(names)))
    return {r[0]: r[1] for r in rows}


async def lead_tag_ids(
    conn: Connection, account_id: int, lead_ids: Collection[int]
) -> dict[int, set[int]]:
    tags: dict[int, set[int]] = defaultdict(set)
    if lead_ids:
        for r in await conn.fetch_all(
            _LEAD_TAG_IDS, account_id, int_array(conn.dialect, sorted(lead_ids))
        ):
            tags[r[0]].add(r[1])
    return tags


# -- writes ----------------------------------------------------------------------------------

LEAD_INSERT_COLUMNS = (
    "account_id", "id", "name", "price", "responsible_user_id", "group_id", "pipeline_id",
    "status_id", "loss_reason_id", "source_id", "created_by", "updated_by", "created_at",
    "updated_at", "closed_at", "closest_task_at", "is_deleted", "score", "labor_cost",
    "is_price_computed", "is_price_modified_by_robot",
)  # fmt: skip


def _insert(table: str, columns: Sequence[str], conflict: str = "") -> Query:
    marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}){conflict}")


INSERT_LEAD = _insert("leads", LEAD_INSERT_COLUMNS)
VALUE_COLUMNS = (
    "account_id", "lead_id", "field_id", "position", "enum_id", "value_text", "value_number",
    "value_int", "value_json",
)  # fmt: skip
INSERT_VALUE = _insert("lead_custom_field_values", VALUE_COLUMNS)
DELETE_FIELD_VALUES = sql(
    "DELETE FROM lead_custom_field_values WHERE account_id = $1 AND lead_id = $2 AND field_id = $3"
)
INSERT_LEAD_TAG = _insert(
    "lead_tags", ("account_id", "lead_id", "tag_id"), " ON CONFLICT DO NOTHING"
)
DELETE_LEAD_TAG = sql(
    "DELETE FROM lead_tags WHERE account_id = $1 AND lead_id = $2 AND tag_id = $3"
)
DELETE_LEAD_TAGS = sql("DELETE FROM lead_tags WHERE account_id = $1 AND lead_id = $2")
INSERT_LEAD_CONTACT = _insert("lead_contacts", ("account_id", "lead_id", "contact_id", "is_main"))
INSERT_LEAD_COMPANY = _insert("lead_companies", ("account_id", "lead_id", "company_id"))

#: Columns an edit may set, in the order their parameters follow ``account_id, id``.
UPDATABLE = (
    "name", "price", "responsible_user_id", "group_id", "pipeline_id", "status_id",
    "loss_reason_id", "created_at", "updated_at", "updated_by", "closed_at",
)  # fmt: skip


@lru_cache(maxsize=256)
def update_query(columns: tuple[str, ...]) -> Query:
    """``UPDATE leads SET c = $3, ...`` for one set of changed columns (whitelisted)."""
    assert set(columns) <= set(UPDATABLE)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=3))
    return sql(f"UPDATE leads SET {sets} WHERE account_id = $1 AND id = $2")


async def insert_leads(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    await conn.execute_many(INSERT_LEAD, rows)


async def update_leads(
    conn: Connection, account_id: int, changes: Iterable[tuple[int, dict[str, Any]]]
) -> None:
    """Each lead's changed columns; leads changing the same columns share one executemany."""
    groups: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
    for lead_id, values in changes:
        columns = tuple(c for c in UPDATABLE if c in values)
        groups[columns].append([account_id, lead_id, *(values[c] for c in columns)])
    for columns, rows in groups.items():
        await conn.execute_many(update_query(columns), rows)


async def replace_values(
    conn: Connection,
    account_id: int,
    cleared: Sequence[tuple[int, int]],
    rows: Sequence[Sequence[Any]],
) -> None:
    """Drop the listed (lead, field) values, then insert the new rows."""
    await conn.execute_many(DELETE_FIELD_VALUES, [(account_id, lead, f) for lead, f in cleared])
    await conn.execute_many(INSERT_VALUE, rows)


async def change_tags(
    conn: Connection,
    account_id: int,
    *,
    cleared_leads: Sequence[int],
    removed: Sequence[tuple[int, int]],
    added: Sequence[tuple[int, int]],
) -> None:
    await conn.execute_many(DELETE_LEAD_TAGS, [(account_id, lead) for lead in cleared_leads])
    await conn.execute_many(DELETE_LEAD_TAG, [(account_id, lead, t) for lead, t in removed])
    await conn.execute_many(INSERT_LEAD_TAG, [(account_id, lead, t) for lead, t in added])


async def link_parties(
    conn: Connection,
    account_id: int,
    contacts: Sequence[tuple[int, int, bool]],
    companies: Sequence[tuple[int, int]],
) -> None:
    """New leads' contacts (lead, contact, is_main) and companies (lead, company)."""
    await conn.execute_many(INSERT_LEAD_CONTACT, [(account_id, *c) for c in contacts])
    await conn.execute_many(INSERT_LEAD_COMPANY, [(account_id, *c) for c in companies])


async def reindex(
    conn: Connection, account_id: int, lead_ids: Collection[int], *, fresh: bool = False
) -> None:
    """Rebuild the search documents of these leads: a written name or value is
    findable by ``query`` as soon as the batch commits. ``fresh``: new leads, no old ones."""
    await search.reindex(conn, account_id, sorted(set(lead_ids)), fresh=fresh)
