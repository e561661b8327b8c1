"""The events API's rules: who sees which events, and their shapes."""

from __future__ import annotations

import msgspec

from kommodore.auth.rights import lead_visibility
from kommodore.auth.service import Principal
from kommodore.db.database import Connection
from kommodore.events import store, types, wire
from kommodore.events.filters import EventQuery
from kommodore.events.store import EventRow
from kommodore.http.hal import Href, collection_body, self_links
from kommodore.http.paging import Page, page_links

MAX_LIMIT = 100
"""Kommo's API: events pages hold at most 100."""

EVENT_WITH = frozenset({"lead_name"})
"""``with`` values that change an event; the others of Kommo's API name entities kommodore
does not keep and are ignored."""

ENTITY_PATHS = {"lead": "leads", "contact": "contacts", "company": "companies", "task": "tasks"}
"""Where ``_embedded.entity._links.self`` points for each entity type."""

_ID_CHARS = frozenset("0123456789abcdefghjkmnpqrstvwxyz")


def _shape(row: EventRow, account_id: int, with_name: bool, origin: str) -> wire.Event:
    path = ENTITY_PATHS.get(row.entity_type, "leads")
    entity = wire.EntityRef(
        id=row.entity_id, links=self_links(f"{origin}/api/v4/{path}/{row.entity_id}")
    )
    if with_name and row.entity_type == "lead":
        entity.name = row.lead_name or ""
    return wire.Event(
        id=row.id,
        type=row.type,
        entity_id=row.entity_id,
        entity_type=row.entity_type,
        created_by=row.created_by,
        created_at=row.created_at,
        value_after=msgspec.json.decode(row.value_after),
        value_before=msgspec.json.decode(row.value_before),
        account_id=account_id,
        links=self_links(f"{origin}/api/v4/events/{row.id}"),
        embedded=wire.EventEmbedded(entity=entity),
    )


async def list_events(
    conn: Connection,
    principal: Principal,
    query: EventQuery,
    with_: frozenset[str],
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of events of leads the user may view and of tasks, newest first; None (204)
    when empty."""
    account_id = principal.account.id
    rows = await store.list_events(
        conn, account_id, query, lead_visibility(principal.actor), page.offset, page.limit + 1
    )
    if not rows:
        return None
    has_next = len(rows) > page.limit
    with_name = "lead_name" in with_
    items = [_shape(r, account_id, with_name, origin) for r in rows[: page.limit]]
    links = page_links(url, raw_query, page, has_next)
    return collection_body("events", items, links, page=page.number)


async def read_event(
    conn: Connection, principal: Principal, event_id: str, with_: frozenset[str], origin: str
) -> bytes | None:
    """One event, or None (204, as for leads) when there is no such event in the account or
    the user may not view its lead."""
    event_id = event_id.lower()
    if len(event_id) != 26 or not set(event_id) <= _ID_CHARS:
        return None
    account_id = principal.account.id
    rows = await store.list_events(
        conn, account_id, EventQuery(ids=[event_id]), lead_visibility(principal.actor), 0, 1
    )
    if not rows:
        return None
    return wire.encoder.encode(_shape(rows[0], account_id, "lead_name" in with_, origin))


async def event_types(
    conn: Connection, principal: Principal, language_code: str | None, url: str, raw_query: str
) -> bytes:
    """Every type with its label in ``language_code``, else in the user's language, else
    English."""
    language = (language_code or "").strip().lower()
    if language not in types.LANGUAGES:
        user_lang = await store.user_language(conn, principal.account.id, principal.actor.user_id)
        language = user_lang if user_lang in types.LANGUAGES else types.DEFAULT_LANGUAGE
    items = [
        wire.EventType(key=t.key, type=t.code, lang=t.labels[language]) for t in types.EVENT_TYPES
    ]
    # not paged: the request URL as sent, without the page and limit of a paged collection
    links = {"self": Href(f"{url}?{raw_query}" if raw_query else url)}
    return collection_body("events_types", items, links, total_items=len(items))
