"""The events API's rules: who sees which events, and their shapes."""

from __future__ import annotations

import msgspec

from kommodore.auth.rights import StoredRights, lead_visibility
from kommodore.auth.service import Principal
from kommodore.db.database import Connection
from kommodore.events import store, types, wire
from kommodore.events.filters import EventQuery
from kommodore.events.store import EventRow, PartyView
from kommodore.http.hal import Href, collection_body, self_links
from kommodore.http.paging import Page, page_links

MAX_LIMIT = 100
"""Kommo's API: events pages hold at most 100."""

EVENT_WITH = frozenset({"lead_name", "contact_name", "company_name"})
"""``with`` values that change an event (``{entity_type}_name`` adds the name to that entity
type's events); the others of Kommo's API name entities kommodore does not keep and are
ignored."""

ENTITY_PATHS = {"lead": "leads", "contact": "contacts", "company": "companies", "task": "tasks"}
"""Where ``_embedded.entity._links.self`` points for each entity type."""

NAMED_ENTITIES = frozenset({"lead", "contact", "company"})
"""Entity types whose events take a ``with={type}_name``."""

_ID_CHARS = frozenset("0123456789abcdefghjkmnpqrstvwxyz")


def _shape(row: EventRow, account_id: int, with_: frozenset[str], origin: str) -> wire.Event:
    path = ENTITY_PATHS.get(row.entity_type, "leads")
    entity = wire.EntityRef(
        id=row.entity_id, links=self_links(f"{origin}/api/v4/{path}/{row.entity_id}")
    )
    if f"{row.entity_type}_name" in with_ and row.entity_type in NAMED_ENTITIES:
        entity.name = row.entity_name or ""
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
    """A page of events of the leads, contacts and companies the user may view and of tasks,
    newest first; None (204) when empty."""
    account_id = principal.account.id
    views = await _party_views(conn, principal)
    rows = await store.list_events(
        conn, account_id, query, lead_visibility(principal.actor), views, page.offset,
        page.limit + 1, _named(with_),
    )  # fmt: skip
    if not rows:
        return None
    has_next = len(rows) > page.limit
    items = [_shape(r, account_id, with_, origin) for r in rows[: page.limit]]
    links = page_links(url, raw_query, page, has_next)
    return collection_body("events", items, links, page=page.number)


async def read_event(
    conn: Connection, principal: Principal, event_id: str, with_: frozenset[str], origin: str
) -> bytes | None:
    """One event, or None (204, as for leads) when there is no such event in the account or
    the user may not view its lead, contact or company."""
    event_id = event_id.lower()
    if len(event_id) != 26 or not set(event_id) <= _ID_CHARS:
        return None
    account_id = principal.account.id
    views = await _party_views(conn, principal)
    rows = await store.list_events(
        conn, account_id, EventQuery(ids=[event_id]), lead_visibility(principal.actor), views,
        0, 1, _named(with_),
    )  # fmt: skip
    if not rows:
        return None
    return wire.encoder.encode(_shape(rows[0], account_id, with_, origin))


def _named(with_: frozenset[str]) -> frozenset[str]:
    """The entity types whose names ``with`` asks for."""
    return frozenset(e for e in NAMED_ENTITIES if f"{e}_name" in with_)


async def _party_views(conn: Connection, principal: Principal) -> dict[str, PartyView]:
    """The view right on contacts and on companies by event entity type; the actor carries
    lead rights only, so these are read from the user's stored rights (none when missing)."""
    actor = principal.actor
    if actor.is_admin:
        return {}
    rights_json = await store.user_rights(conn, principal.account.id, actor.user_id)
    stored = msgspec.json.decode(rights_json, type=StoredRights) if rights_json else StoredRights()
    return {
        "contact": (stored.contacts.view, actor.user_id, actor.group_id),
        "company": (stored.companies.view, actor.user_id, actor.group_id),
    }


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
