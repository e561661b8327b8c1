"""Reading catalogs and their elements; every user of the account may read them.

Catalog custom field values are not stored yet, so an element's ``custom_fields_values`` is
always ``null`` (what Kommo sends for an element without values).
"""

from __future__ import annotations

from typing import Any

from msgspec.structs import astuple

from kommodore.auth.service import MAX_ID
from kommodore.catalogs import store, wire
from kommodore.db.database import Connection
from kommodore.http.directory import found, page_answer
from kommodore.http.hal import self_links
from kommodore.http.paging import Page
from kommodore.http.phpquery import get_path
from kommodore.http.problems import Problem
from kommodore.http.query import int_values, search_of

MAX_LIMIT = 250


def catalog_not_found() -> Problem:
    return Problem(404, "Catalog not found")


def _catalog(row: store.CatalogRow, account_id: int, origin: str) -> wire.Catalog:
    # the wire's keys are the row's columns, then the account and the links
    return wire.Catalog(
        *astuple(row),
        account_id=account_id,
        links=self_links(f"{origin}/api/v4/catalogs/{row.id}"),
    )


def _element(row: store.ElementRow, catalog_id: int, account_id: int, origin: str) -> wire.Element:
    # the row's columns, then custom_fields_values (none stored yet), the catalog (after the
    # values, as Kommo orders them), the account and the links
    return wire.Element(
        *astuple(row),
        custom_fields_values=None,
        catalog_id=catalog_id,
        account_id=account_id,
        links=self_links(f"{origin}/api/v4/catalogs/{catalog_id}/elements/{row.id}"),
    )


async def _known_catalog(conn: Connection, account_id: int, catalog_id: int) -> None:
    """An unknown catalog (another account's, or an id out of range) is a 404 problem, like
    Kommo's other missing parents."""
    if not 1 <= catalog_id <= MAX_ID or not await store.catalog_exists(
        conn, account_id, catalog_id
    ):
        raise catalog_not_found()


async def read_catalog(conn: Connection, account_id: int, catalog_id: int, origin: str) -> bytes:
    """``GET /catalogs/{id}``: the catalog as the list shows it; unknown, the 404 problem."""
    row = None
    if 1 <= catalog_id <= MAX_ID:
        row = await store.get_catalog(conn, account_id, catalog_id)
    return wire.encoder.encode(_catalog(found(row, catalog_not_found), account_id, origin))


async def read_element(
    conn: Connection, account_id: int, catalog_id: int, element_id: int, origin: str
) -> bytes | None:
    """``GET /catalogs/{id}/elements/{id}``: the element as the list shows it. An unknown
    catalog is the list's 404; an element it does not hold (unknown, deleted, another
    catalog's or account's) is None (204), as Kommo answers for an entity by id."""
    await _known_catalog(conn, account_id, catalog_id)
    if not 1 <= element_id <= MAX_ID:
        return None
    row = await store.get_element(conn, account_id, catalog_id, element_id)
    if row is None:
        return None
    return wire.encoder.encode(_element(row, catalog_id, account_id, origin))


async def list_catalogs(
    conn: Connection, account_id: int, page: Page, origin: str, url: str, raw_query: str
) -> bytes | None:
    """A page of catalogs by sort then id, or None (204) when the page is empty."""
    rows = await store.list_catalogs(conn, account_id, page.offset, page.limit + 1)
    return page_answer(
        "catalogs", rows, page, lambda r: _catalog(r, account_id, origin), url, raw_query
    )


async def list_elements(
    conn: Connection,
    account_id: int,
    catalog_id: int,
    params: dict[str, Any],
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of a catalog's live elements by id, or None (204) when the page is empty. An
    unknown catalog is a 404 problem, like Kommo's other missing parents."""
    await _known_catalog(conn, account_id, catalog_id)
    ids = int_values(get_path(params, "filter", "id"))
    if ids is not None and not ids:
        return None
    rows = await store.list_elements(
        conn,
        account_id,
        catalog_id,
        ids=ids,
        pattern=search_of(params),
        offset=page.offset,
        limit=page.limit + 1,
    )
    return page_answer(
        "elements",
        rows,
        page,
        lambda r: _element(r, catalog_id, account_id, origin),
        url,
        raw_query,
    )
