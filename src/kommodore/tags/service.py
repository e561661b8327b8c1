"""The account's lead tags: every user may list them and add them (adding a tag
is what attaching one by name to a lead does anyway, and that needs no admin).

Filters never widen: ``filter[id]=abc`` matches nothing rather than being dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from msgspec import UNSET, UnsetType

from kommodore.db.database import Connection
from kommodore.http.directory import answer, page_answer, readers
from kommodore.http.paging import Page
from kommodore.http.phpquery import as_list, get_path
from kommodore.http.query import int_values, search_of
from kommodore.http.validation import BatchErrors, Reader
from kommodore.tags import store, wire
from kommodore.tags.resolve import ensure_lead_tags
from kommodore.tags.store import TagRow

MAX_LIMIT = 250
MAX_BATCH = 250
LEAD_TAG_COLORS = frozenset(
    {
        "EBEBEB", "D0D0D0", "F2DDF7", "D1A4DC", "FF8F92", "FFC8C8", "C7DB8C", "DDEBB5", "8699DA",
        "AABDFF", "FFCE5A", "FFE193", "90CDB0", "C6F4DE", "A9A5D7", "D8D5FF", "86C0FC", "832161",
        "6A0F49", "0C7C59", "10599D", "9D2B32", "247BA0",
    }
)  # fmt: skip
"""Kommo's API: the only colours a lead tag may have (the PHP SDK throws on any other)."""


@dataclass(frozen=True, slots=True)
class NewTag:
    request_id: str
    name: str
    color: str | None


async def list_tags(
    conn: Connection,
    account_id: int,
    params: dict[str, Any],
    page: Page,
    url: str,
    raw_query: str,
    entity: str = "leads",
) -> bytes | None:
    """A page of ``entity``'s tags by id, or None (Kommo's 204) when the page is empty."""
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
        entity=entity,
    )
    return page_answer("tags", rows, page, _tag, url, raw_query)


def _color(r: Reader) -> str | None:
    """Optional (null is none); one of Kommo's colours in any case, stored upper-case."""
    value = r.data.get("color")
    if value is None:
        return None
    if not isinstance(value, str):
        r.errors.invalid_type("color", "string")
        return None
    color = value.upper()
    if color not in LEAD_TAG_COLORS:
        r.errors.not_supported("color")
        return None
    return color


def parse_new_tags(items: list[Any], entity: str = "leads") -> list[NewTag]:
    """The items of ``POST /{entity}/tags``; any mistake of any item refuses the batch (400).
    Only lead tags have a colour: elsewhere one sent is ignored, whatever it is."""
    errors = BatchErrors()
    parsed: list[NewTag] = []
    for r in readers(items, errors):
        name = r.name(required=True)
        color = _color(r) if entity == "leads" else None
        if name is not None:
            parsed.append(NewTag(r.errors.request_id, name, color))
    errors.raise_if_any()
    return parsed


async def add_tags(
    conn: Connection, account_id: int, tags: list[NewTag], href: str, entity: str = "leads"
) -> bytes:
    """Each item answered as its tag: an existing name gives the stored tag unchanged (its
    colour too, whatever the item asked for); a name new to the account is created once, with
    the colour of its first item in the batch, and answered for every item naming it."""
    wanted: dict[str, str | None] = {}
    for tag in tags:
        # colour exists only for lead tags: a contact's or company's is stored null (§5)
        wanted.setdefault(tag.name, tag.color if entity == "leads" else None)
    resolved = await ensure_lead_tags(conn, account_id, wanted, entity)
    items = [_tag(resolved[t.name], t.request_id) for t in tags]
    return answer("tags", items, href)


def _tag(row: TagRow, request_id: str | UnsetType = UNSET) -> wire.Tag:
    return wire.Tag(id=row.id, name=row.name, color=row.color, request_id=request_id)
