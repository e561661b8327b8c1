"""Lead custom field queries: one statement per page, one for the page's enums."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from kommodore.db.database import (
    Connection,
    Query,
    fetch_column,
    fetch_row,
    fetch_rows,
    fetch_value,
    int_array,
    sql,
    text_array,
)
from kommodore.http.directory import with_booleans


class FieldRow(NamedTuple):
    """A lead field as stored (JSON columns as their text): what reads show and writes
    write."""

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
    total: int = 0
    """Only on a list page: how many fields match on all pages."""


class EnumRow(NamedTuple):
    field_id: int
    id: int
    value: str
    sort: int
    code: str | None


_field = with_booleans(FieldRow, "is_computed", "is_predefined", "is_deletable", "is_api_only")

_SELECT_FIELD = (
    "SELECT id, name, code, sort, type, entity_type, is_computed, is_predefined, is_deletable, "
    "is_api_only, group_id, required_statuses, hidden_statuses, remind, currency, "
    "chained_lists, tracking_callback, search_in"
)
_FIELDS = _SELECT_FIELD + " FROM custom_fields WHERE account_id = $1 AND entity_type = 'leads' "

GET_FIELD = sql(_FIELDS + "AND id = $2")
GET_ENTITY_FIELD = sql(
    _SELECT_FIELD + " FROM custom_fields WHERE account_id = $1 AND entity_type = $3 AND id = $2"
)
"""A field of contacts or companies (``GET /api/v4/{contacts|companies}/custom_fields/{id}``)."""
ENUMS = sql(
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
    return sql(
        _SELECT_FIELD + ", count(*) OVER () FROM custom_fields "
        "WHERE account_id = $1 AND entity_type = $5 "
        "AND ($2::text[] IS NULL OR type = ANY($2::text[])) "
        f"ORDER BY {by} LIMIT $3 OFFSET $4"
    )


async def get_field(
    conn: Connection, account_id: int, field_id: int, entity: str = "leads"
) -> FieldRow | None:
    if entity == "leads":
        return await fetch_row(conn, _field, GET_FIELD, account_id, field_id)
    return await fetch_row(conn, _field, GET_ENTITY_FIELD, account_id, field_id, entity)


async def list_fields(
    conn: Connection,
    account_id: int,
    field_types: Sequence[str] | None,
    order: tuple[tuple[str, str], ...],
    offset: int,
    limit: int,
    entity: str = "leads",
) -> tuple[list[FieldRow], int]:
    """A page of the account's lead fields and the number of matching fields on all pages
    (0 when the page is empty: the count comes from the page's own rows)."""
    rows = await fetch_rows(
        conn,
        _field,
        _list_query(order),
        account_id,
        text_array(conn, field_types),
        limit,
        offset,
        entity,
    )
    return rows, int(rows[0].total) if rows else 0


async def enums_of_fields(
    conn: Connection, account_id: int, field_ids: Sequence[int]
) -> list[EnumRow]:
    """The fields' enums by field, sort, then id."""
    if not field_ids:
        return []
    return await fetch_rows(conn, EnumRow, ENUMS, account_id, int_array(conn.dialect, field_ids))


async def enums(
    conn: Connection, account_id: int, field_ids: Sequence[int]
) -> dict[int, list[EnumRow]]:
    """field id -> its enums by sort, then id."""
    by_field: dict[int, list[EnumRow]] = defaultdict(list)
    for enum in await enums_of_fields(conn, account_id, field_ids):
        by_field[enum.field_id].append(enum)
    return by_field


# -- writes (Kommo's API "Writes") ----------------------------------------------------------

FIELDS_BY_IDS = sql(
    _SELECT_FIELD + " FROM custom_fields "
    "WHERE account_id = $1 AND entity_type = $3 AND id = ANY($2::bigint[])"
)
CODES = sql(
    "SELECT id, code FROM custom_fields "
    "WHERE account_id = $1 AND entity_type = $2 AND code IS NOT NULL"
)
STAGES = sql("SELECT pipeline_id, id FROM statuses WHERE account_id = $1")
CATALOGS = sql("SELECT id FROM catalogs WHERE account_id = $1")
CURRENCY = sql("SELECT currency FROM accounts WHERE id = $1")
INSERT_FIELD = sql(
    "INSERT INTO custom_fields (account_id, id, name, code, sort, type, entity_type, "
    "is_computed, is_predefined, is_deletable, is_api_only, group_id, required_statuses, "
    "hidden_statuses, remind, currency, chained_lists, tracking_callback, search_in, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
    "$13, $14, $15, $16, $17, $18, $19, $20, $20)"
)
UPDATE_FIELD = sql(
    "UPDATE custom_fields SET name = $3, code = $4, sort = $5, is_api_only = $6, "
    "group_id = $7, required_statuses = $8, hidden_statuses = $9, remind = $10, "
    "currency = $11, chained_lists = $12, tracking_callback = $13, search_in = $14, "
    "updated_at = $15 WHERE account_id = $1 AND entity_type = $16 AND id = $2"
)
INSERT_ENUM = sql(
    "INSERT INTO custom_field_enums (account_id, field_id, id, value, sort, code) "
    "VALUES ($1, $2, $3, $4, $5, $6)"
)
UPDATE_ENUM = sql(
    "UPDATE custom_field_enums SET value = $4, sort = $5, code = $6 "
    "WHERE account_id = $1 AND field_id = $2 AND id = $3"
)
LEADS_OF_ENUMS = sql(
    "SELECT DISTINCT lead_id FROM lead_custom_field_values "
    "WHERE account_id = $1 AND enum_id = ANY($2::bigint[])"
)
VALUE_TABLES = {
    "leads": "lead_custom_field_values",
    "contacts": "contact_custom_field_values",
    "companies": "company_custom_field_values",
}
"""Where each entity type keeps its values (the entity types that have fields)."""
DELETE_ENUM_VALUES = {
    entity: sql(
        f"DELETE FROM {table} "  # noqa: S608 (the table from VALUE_TABLES' fixed names)
        "WHERE account_id = $1 AND enum_id = ANY($2::bigint[])"
    )
    for entity, table in VALUE_TABLES.items()
}
DELETE_ENUMS = sql(
    "DELETE FROM custom_field_enums WHERE account_id = $1 AND id = ANY($2::bigint[])"
)
LEADS_OF_FIELD = sql(
    "SELECT DISTINCT lead_id FROM lead_custom_field_values WHERE account_id = $1 AND field_id = $2"
)
DELETE_FIELD = sql(
    "DELETE FROM custom_fields WHERE account_id = $1 AND entity_type = $3 AND id = $2"
)


class CodeRow(NamedTuple):
    id: int
    code: str


class StageRow(NamedTuple):
    pipeline_id: int
    status_id: int


async def fields_by_ids(
    conn: Connection, account_id: int, field_ids: Sequence[int], entity: str = "leads"
) -> dict[int, FieldRow]:
    ids = int_array(conn.dialect, field_ids)
    rows = await fetch_rows(conn, _field, FIELDS_BY_IDS, account_id, ids, entity)
    return {row.id: row for row in rows}


async def codes(conn: Connection, account_id: int, entity: str = "leads") -> dict[int, str]:
    """field id -> code, for the account's fields of ``entity`` that have one (a code is
    unique per entity type: contacts and companies both have a PHONE)."""
    rows = await fetch_rows(conn, CodeRow, CODES, account_id, entity)
    return {row.id: row.code for row in rows}


async def stages(conn: Connection, account_id: int) -> set[StageRow]:
    """Every (pipeline id, status id) of the account."""
    return set(await fetch_rows(conn, StageRow, STAGES, account_id))


async def catalogs(conn: Connection, account_id: int) -> set[int]:
    return set(await fetch_column(conn, CATALOGS, account_id))


async def currency(conn: Connection, account_id: int) -> str:
    value = await fetch_value(conn, CURRENCY, account_id)
    return "USD" if value is None else str(value)


async def insert_fields(
    conn: Connection, account_id: int, rows: Sequence[FieldRow], now: int
) -> None:
    await conn.execute_many(
        INSERT_FIELD,
        [
            (account_id, f.id, f.name, f.code, f.sort, f.type, f.entity_type, f.is_computed,
             f.is_predefined, f.is_deletable, f.is_api_only, f.group_id, f.required_statuses,
             f.hidden_statuses, f.remind, f.currency, f.chained_lists, f.tracking_callback,
             f.search_in, now)
            for f in rows
        ],
    )  # fmt: skip


async def update_fields(
    conn: Connection, account_id: int, rows: Sequence[FieldRow], now: int
) -> None:
    """Each row within its own entity type (``FieldRow.entity_type``)."""
    await conn.execute_many(
        UPDATE_FIELD,
        [
            (account_id, f.id, f.name, f.code, f.sort, f.is_api_only, f.group_id,
             f.required_statuses, f.hidden_statuses, f.remind, f.currency, f.chained_lists,
             f.tracking_callback, f.search_in, now, f.entity_type)
            for f in rows
        ],
    )  # fmt: skip


async def insert_enums(conn: Connection, account_id: int, rows: Sequence[EnumRow]) -> None:
    await conn.execute_many(INSERT_ENUM, [(account_id, *e) for e in rows])


async def update_enums(conn: Connection, account_id: int, rows: Sequence[EnumRow]) -> None:
    await conn.execute_many(UPDATE_ENUM, [(account_id, *e) for e in rows])


async def leads_of_enums(conn: Connection, account_id: int, enum_ids: Sequence[int]) -> list[int]:
    if not enum_ids:
        return []
    return await fetch_column(conn, LEADS_OF_ENUMS, account_id, int_array(conn.dialect, enum_ids))


async def delete_enums(
    conn: Connection, account_id: int, enum_ids: Sequence[int], entity: str = "leads"
) -> None:
    """The enums and every value of ``entity`` that chose one of them (the value's foreign
    key does not cascade)."""
    if not enum_ids:
        return
    ids = int_array(conn.dialect, enum_ids)
    await conn.execute(DELETE_ENUM_VALUES[entity], account_id, ids)
    await conn.execute(DELETE_ENUMS, account_id, ids)


async def leads_of_field(conn: Connection, account_id: int, field_id: int) -> list[int]:
    return await fetch_column(conn, LEADS_OF_FIELD, account_id, field_id)


async def delete_field(
    conn: Connection, account_id: int, field_id: int, entity: str = "leads"
) -> None:
    """The field; its enums and every value of it go with it (foreign keys cascade)."""
    await conn.execute(DELETE_FIELD, account_id, field_id, entity)


# -- what a write of values needs to know about the fields it names ---------------------------


class FieldDefRow(NamedTuple):
    """The columns of a field that validating its values needs."""

    id: int
    name: str
    code: str | None
    type: str
    required_statuses: str | None
    """JSON: the stages that require the field."""


_FIELD_DEFS = (
    "SELECT id, name, code, type, required_statuses FROM custom_fields "
    "WHERE account_id = $1 AND entity_type = $2 "
)
FIELDS_BY_ID_OR_CODE = sql(_FIELD_DEFS + "AND (id = ANY($3::bigint[]) OR code = ANY($4::text[]))")
FIELDS_REQUIRING_STAGES = sql(_FIELD_DEFS + "AND required_statuses IS NOT NULL")


async def fields_by_id_or_code(
    conn: Connection, account_id: int, entity_type: str, ids: Sequence[int], codes: Sequence[str]
) -> list[FieldDefRow]:
    return await fetch_rows(
        conn,
        FieldDefRow,
        FIELDS_BY_ID_OR_CODE,
        account_id,
        entity_type,
        int_array(conn.dialect, ids),
        text_array(conn, codes),
    )


async def fields_requiring_stages(
    conn: Connection, account_id: int, entity_type: str
) -> list[FieldDefRow]:
    return await fetch_rows(conn, FieldDefRow, FIELDS_REQUIRING_STAGES, account_id, entity_type)


# -- field groups (``/api/v4/{entity}/custom_fields/groups``) ---------------------------------


class GroupRow(NamedTuple):
    """A group an admin added (the predefined group of each entity type is not stored)."""

    id: int
    name: str
    sort: int


class GroupMemberRow(NamedTuple):
    id: int
    group_id: str


GROUPS = sql(
    "SELECT id, name, sort FROM custom_field_groups "
    "WHERE account_id = $1 AND entity_type = $2 ORDER BY sort, id"
)
GROUP = sql(
    "SELECT id, name, sort FROM custom_field_groups "
    "WHERE account_id = $1 AND entity_type = $2 AND id = $3"
)
GROUP_MAX_SORT = sql(
    "SELECT max(sort) FROM custom_field_groups WHERE account_id = $1 AND entity_type = $2"
)
GROUP_MEMBERS = sql(
    "SELECT id, group_id FROM custom_fields "
    "WHERE account_id = $1 AND entity_type = $2 AND group_id IS NOT NULL ORDER BY sort, id"
)
INSERT_GROUP = sql(
    "INSERT INTO custom_field_groups (account_id, id, entity_type, name, sort, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)"
)
UPDATE_GROUP = sql(
    "UPDATE custom_field_groups SET name = $4, sort = $5, updated_at = $6 "
    "WHERE account_id = $1 AND entity_type = $2 AND id = $3"
)
DELETE_GROUP = sql(
    "DELETE FROM custom_field_groups WHERE account_id = $1 AND entity_type = $2 AND id = $3"
)
MOVE_FIELDS = sql(
    "UPDATE custom_fields SET group_id = $3, updated_at = $5 "
    "WHERE account_id = $1 AND entity_type = $2 AND id = ANY($4::bigint[])"
)
UNGROUP_FIELDS = sql(
    "UPDATE custom_fields SET group_id = NULL, updated_at = $4 "
    "WHERE account_id = $1 AND entity_type = $2 AND group_id = $3"
)


async def groups(conn: Connection, account_id: int, entity: str) -> list[GroupRow]:
    """The stored groups of ``entity``, by sort, then id."""
    return await fetch_rows(conn, GroupRow, GROUPS, account_id, entity)


async def group(conn: Connection, account_id: int, entity: str, group_id: int) -> GroupRow | None:
    return await fetch_row(conn, GroupRow, GROUP, account_id, entity, group_id)


async def group_max_sort(conn: Connection, account_id: int, entity: str) -> int | None:
    value = await fetch_value(conn, GROUP_MAX_SORT, account_id, entity)
    return None if value is None else int(value)


async def group_members(conn: Connection, account_id: int, entity: str) -> dict[str, list[int]]:
    """group id (as the API names it) -> the ids of its fields, by sort, then id."""
    members: dict[str, list[int]] = defaultdict(list)
    for row in await fetch_rows(conn, GroupMemberRow, GROUP_MEMBERS, account_id, entity):
        members[row.group_id].append(row.id)
    return members


async def insert_groups(
    conn: Connection, account_id: int, entity: str, rows: Sequence[GroupRow], now: int
) -> None:
    await conn.execute_many(
        INSERT_GROUP, [(account_id, g.id, entity, g.name, g.sort, now) for g in rows]
    )


async def update_group(
    conn: Connection, account_id: int, entity: str, row: GroupRow, now: int
) -> None:
    await conn.execute(UPDATE_GROUP, account_id, entity, row.id, row.name, row.sort, now)


async def delete_group(
    conn: Connection, account_id: int, entity: str, group_id: int, api_id: str, now: int
) -> None:
    """The group; its fields stay, in no group."""
    await conn.execute(UNGROUP_FIELDS, account_id, entity, api_id, now)
    await conn.execute(DELETE_GROUP, account_id, entity, group_id)


async def move_fields(
    conn: Connection,
    account_id: int,
    entity: str,
    api_id: str,
    field_ids: Sequence[int],
    now: int,
) -> None:
    """Put the fields in the group named ``api_id`` (out of any other)."""
    if field_ids:
        ids = int_array(conn.dialect, field_ids)
        await conn.execute(MOVE_FIELDS, account_id, entity, api_id, ids, now)
