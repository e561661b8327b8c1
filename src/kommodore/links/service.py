"""A lead's links to contacts, companies and catalog elements (spec §12.4), for leads the user
may view. Deleted contacts, companies and elements are left out, as in a lead's ``_embedded``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from msgspec import UNSET

from kommodore.auth.rights import can_view_lead
from kommodore.auth.service import MAX_ID, Principal
from kommodore.db.database import Connection
from kommodore.http.hal import Href, collection_body
from kommodore.http.phpquery import as_list, get_path
from kommodore.http.problems import Problem
from kommodore.leads import store as leads
from kommodore.leads.filters import int_values
from kommodore.links import store, wire

TO_ENTITY_TYPES = ("contacts", "companies", "catalog_elements")
MAX_LEADS = 250
"""``filter[entity_id]`` takes at most this many lead ids, like a page of leads."""


@dataclass(frozen=True, slots=True)
class LinkFilter:
    """``filter[to_entity_id]``, ``filter[to_entity_type]``, ``filter[to_catalog_id]``; None is
    "no filter". Values that cannot match (``abc``, an unknown type) match nothing."""

    to_ids: frozenset[int] | None = None
    to_types: frozenset[str] | None = None
    catalog_ids: frozenset[int] | None = None

    def admits(self, to_id: int, to_type: str, catalog_id: int | None) -> bool:
        if self.to_ids is not None and to_id not in self.to_ids:
            return False
        if self.to_types is not None and to_type not in self.to_types:
            return False
        return self.catalog_ids is None or catalog_id in self.catalog_ids


def link_filter(params: dict[str, Any]) -> LinkFilter:
    to_ids = int_values(get_path(params, "filter", "to_entity_id"))
    raw_types = get_path(params, "filter", "to_entity_type")
    catalog_ids = int_values(get_path(params, "filter", "to_catalog_id"))
    return LinkFilter(
        to_ids=None if to_ids is None else frozenset(to_ids),
        to_types=None if raw_types is None else frozenset(as_list(raw_types)),
        catalog_ids=None if catalog_ids is None else frozenset(catalog_ids),
    )


def entity_ids(params: dict[str, Any]) -> list[int]:
    """``filter[entity_id][]`` (or scalar) of ``/leads/links``: required, so its absence is a
    400 problem; ids that are not integers match nothing."""
    ids = int_values(get_path(params, "filter", "entity_id"))
    if ids is None:
        raise Problem(400, "filter[entity_id] is required")
    unique = sorted(set(ids))
    if len(unique) > MAX_LEADS:
        raise Problem(400, f"filter[entity_id] takes at most {MAX_LEADS} ids")
    return unique


def _quantity(value: float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


async def _links(
    conn: Connection, account_id: int, lead_ids: Sequence[int], f: LinkFilter, multi: bool
) -> list[wire.Link]:
    """Per lead (by id): contacts (the main one first), its company, then catalog elements."""
    parts = await leads.lead_parts(
        conn, account_id, lead_ids, contacts=True, elements=True, tags_and_values=False
    )
    out: list[wire.Link] = []

    def add(lead_id: int, to_id: int, to_type: str, metadata: wire.Metadata) -> None:
        out.append(
            wire.Link(
                entity_id=lead_id if multi else UNSET,
                entity_type="leads" if multi else UNSET,
                to_entity_id=to_id,
                to_entity_type=to_type,
                metadata=metadata,
            )
        )

    for lead_id in lead_ids:
        for row in parts.contacts.get(lead_id, ()):
            if f.admits(row[2], "contacts", None):
                add(lead_id, row[2], "contacts", wire.ContactMetadata(main_contact=row[6] == 0))
        for row in parts.companies.get(lead_id, ()):
            if f.admits(row[2], "companies", None):
                add(lead_id, row[2], "companies", None)
        for row in parts.elements.get(lead_id, ()):
            if f.admits(row[2], "catalog_elements", row[3]):
                metadata = wire.ElementMetadata(quantity=_quantity(row[5]), catalog_id=row[3])
                if row[4] is not None:
                    metadata.price_id = row[4]
                add(lead_id, row[2], "catalog_elements", metadata)
    return out


def _body(items: list[wire.Link], url: str, raw_query: str) -> bytes | None:
    if not items:
        return None
    links = {"self": Href(f"{url}?{raw_query}" if raw_query else url)}
    return collection_body("links", items, links, total_items=len(items))


async def lead_links(
    conn: Connection,
    principal: Principal,
    lead_id: int,
    f: LinkFilter,
    url: str,
    raw_query: str,
) -> bytes | None:
    """``GET /leads/{id}/links``; None (204) when the lead is unknown, deleted or not
    viewable, or has no link that passes the filters."""
    if not 1 <= lead_id <= MAX_ID:
        return None
    account_id = principal.account.id
    lead = await leads.get_lead(conn, account_id, lead_id)
    if lead is None or lead.is_deleted or not can_view_lead(principal.actor, lead):
        return None
    return _body(await _links(conn, account_id, [lead_id], f, False), url, raw_query)


async def many_links(
    conn: Connection,
    principal: Principal,
    ids: Sequence[int],
    f: LinkFilter,
    url: str,
    raw_query: str,
) -> bytes | None:
    """``GET /leads/links``: links of the listed leads the user may view; unknown, deleted and
    invisible leads are left out silently, and None (204) when nothing is left."""
    account_id = principal.account.id
    valid = [i for i in ids if 1 <= i <= MAX_ID]
    if not valid:
        return None
    rows = await store.live_leads(conn, account_id, valid)
    visible = [r.id for r in rows if can_view_lead(principal.actor, r)]
    if not visible:
        return None
    return _body(await _links(conn, account_id, visible, f, True), url, raw_query)
