"""Catalog and catalog element queries."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from kommodore.db.database import (
    Connection,
    fetch_row,
    fetch_rows,
    fetch_value,
    int_array,
    sql,
)
from kommodore.http.directory import with_booleans


class CatalogRow(msgspec.Struct):
    """A catalog's columns, in the order its answer lists them (the wire extends it)."""

    id: int
    name: str
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    sort: int
    type: str
    can_add_elements: bool
    can_show_in_cards: bool
    can_link_multiple: bool
    can_be_deleted: bool
    sdk_widget_code: str | None


class ElementRow(msgspec.Struct):
    """An element's columns, in the order its answer lists them (the wire extends it; Kommo
    puts ``catalog_id`` after ``custom_fields_values``, so the wire adds it from the path)."""

    id: int
    name: str
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    is_deleted: bool


CATALOGS = sql(
    "SELECT id, name, created_by, updated_by, created_at, updated_at, sort, type, "
    "can_add_elements, can_show_in_cards, can_link_multiple, can_be_deleted, sdk_widget_code "
    "FROM catalogs WHERE account_id = $1 ORDER BY sort, id LIMIT $2 OFFSET $3"
)
CATALOG = sql(
    "SELECT id, name, created_by, updated_by, created_at, updated_at, sort, type, "
    "can_add_elements, can_show_in_cards, can_link_multiple, can_be_deleted, sdk_widget_code "
    "FROM catalogs WHERE account_id = $1 AND id = $2"
)
CATALOG_EXISTS = sql("SELECT id FROM catalogs WHERE account_id = $1 AND id = $2")
_ELEMENT_COLUMNS = "id, name, created_by, updated_by, created_at, updated_at, is_deleted "
ELEMENT = sql(
    "SELECT " + _ELEMENT_COLUMNS + "FROM catalog_elements "
    "WHERE account_id = $1 AND catalog_id = $2 AND id = $3 AND NOT is_deleted"
)
ELEMENTS = sql(
    "SELECT " + _ELEMENT_COLUMNS + "FROM catalog_elements "
    "WHERE account_id = $1 AND catalog_id = $2 AND NOT is_deleted "
    "AND ($3::bigint[] IS NULL OR id = ANY($3::bigint[])) "
    "AND ($4::text IS NULL OR lower(name) LIKE $4::text ESCAPE '\\') "
    "ORDER BY id LIMIT $5 OFFSET $6"
)


_catalog = with_booleans(
    CatalogRow, "can_add_elements", "can_show_in_cards", "can_link_multiple", "can_be_deleted"
)
_element = with_booleans(ElementRow, "is_deleted")


async def list_catalogs(
    conn: Connection, account_id: int, offset: int, limit: int
) -> list[CatalogRow]:
    return await fetch_rows(conn, _catalog, CATALOGS, account_id, limit, offset)


async def get_catalog(conn: Connection, account_id: int, catalog_id: int) -> CatalogRow | None:
    return await fetch_row(conn, _catalog, CATALOG, account_id, catalog_id)


async def get_element(
    conn: Connection, account_id: int, catalog_id: int, element_id: int
) -> ElementRow | None:
    """A live element of the account's catalog; None for a deleted one, another catalog's or
    another account's."""
    return await fetch_row(conn, _element, ELEMENT, account_id, catalog_id, element_id)


async def catalog_exists(conn: Connection, account_id: int, catalog_id: int) -> bool:
    return await fetch_value(conn, CATALOG_EXISTS, account_id, catalog_id) is not None


async def list_elements(
    conn: Connection,
    account_id: int,
    catalog_id: int,
    *,
    ids: Sequence[int] | None,
    pattern: str | None,
    offset: int,
    limit: int,
) -> list[ElementRow]:
    """Live elements of a catalog by id; ``pattern`` is a lower-cased, escaped LIKE pattern."""
    return await fetch_rows(
        conn,
        _element,
        ELEMENTS,
        account_id,
        catalog_id,
        None if ids is None else int_array(conn.dialect, ids),
        pattern,
        limit,
        offset,
    )
