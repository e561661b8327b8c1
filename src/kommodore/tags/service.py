"""Listing the account's lead tags (spec §12.1); every user may read them.

Filters never widen: ``filter[id]=abc`` matches nothing rather than being dropped.
"""

from __future__ import annotations

from typing import Any

from kommodore.db.database import Connection
from kommodore.http.hal import collection_body
from kommodore.http.paging import Page, page_links
from kommodore.http.phpquery import as_list, get_path
from kommodore.http.query import search_of
from kommodore.leads.filters import int_values
from kommodore.tags import store, wire

MAX_LIMIT = 250


async def list_tags(
    conn: Connection,
    account_id: int,
    params: dict[str, Any],
    page: Page,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of lead tags by id, or None (Kommo's 204) when the page is empty."""
    ids = int_values(get_path(params, "filter", "id"))
    name = get_path(params, "filter", "name")
    names = None if name is None else as_list(name)
    if (ids is not None and not ids) or (names is not None and not names):
        return None
    rows = await store.list_tags(
        conn,
        account_id,
        ids=ids,
        names=names,
        pattern=search_of(params),
        offset=page.offset,
        limit=page.limit + 1,
    )
    if not rows:
        return None
    has_next = len(rows) > page.limit
    items = [wire.Tag(id=r.id, name=r.name, color=r.color) for r in rows[: page.limit]]
    links = page_links(url, raw_query, page, has_next)
    return collection_body("tags", items, links, page=page.number)
