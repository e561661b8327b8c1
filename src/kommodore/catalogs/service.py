"""Listing catalogs and their elements; every user of the account may read them.

Catalog custom field values are not stored yet, so an element's ``custom_fields_values`` is
always ``null`` (what Kommo sends for an element without values).
"""

from __future__ import annotations

from typing import Any

from msgspec.structs import astuple

from kommodore.auth.service import MAX_ID
from kommodore.catalogs import store, wire
from kommodore.db.database import Connection
from kommodore.http.directory import page_answer
from kommodore.http.hal import self_links
from kommodore.http.paging import Page
from kommodore.http.phpquery import get_path
from kommodore.http.problems import Problem
from kommodore.http.query import int_values, search_of

MAX_LIMIT = 250


def catalog_not_found() -> Problem:
    return Problem(404, "Catalog not found")


async def list_catalogs(
    conn: Connection, account_id: int, page: Page, origin: str, url: str, raw_query: str
) -> bytes | None:
    """A page of catalogs by sort then id, or None (204) when the page is empty."""
    rows = await store.list_catalogs(conn, account_id, page.offset, page.limit + 1)
    base = f"{origin}/api/v4/catalogs/"
    return page_answer(
        "catalogs",
        rows,
        page,
        # the wire's keys are the row's columns, then the account and the links
        lambda r: wire.Catalog(
            *astuple(r), account_id=account_id, links=self_links(f"{base}{r.id}")
        ),
        url,
        raw_query,
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
    if not 1 <= catalog_id <= MAX_ID or not await store.catalog_exists(
        conn, account_id, catalog_id
    ):
        raise catalog_not_found()
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
    base = f"{origin}/api/v4/catalogs/{catalog_id}/elements/"
    return page_answer(
        "elements",
        rows,
        page,
        # the row's columns, then custom_fields_values (none stored yet), account, links
        lambda r: wire.Element(
            *astuple(r),
            custom_fields_values=None,
            account_id=account_id,
            links=self_links(f"{base}{r.id}"),
        ),
        url,
        raw_query,
    )
