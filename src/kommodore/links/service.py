"""A lead's links to contacts, companies and catalog elements: read for leads the
user may view, written for leads the user may edit. Deleted contacts, companies and elements
are left out of reads, as in a lead's ``_embedded``, and cannot be linked or unlinked.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from msgspec import UNSET, UnsetType

from kommodore.auth.rights import can_edit_lead, can_view_lead
from kommodore.auth.service import MAX_ID, Principal
from kommodore.db.database import Connection
from kommodore.events.record import NewEvent, record
from kommodore.http.hal import Href, collection_body
from kommodore.http.paging import Page, page_links
from kommodore.http.phpquery import as_list, get_path
from kommodore.http.problems import Problem
from kommodore.http.query import int_values
from kommodore.http.validation import BatchErrors, request_id_of
from kommodore.leads import store as leads
from kommodore.leads.events import link_events, party_end_events
from kommodore.leads.outbox import LeadChange, enqueue_lead_changes
from kommodore.links import store, wire
from kommodore.links.input import (
    COMPANIES,
    CONTACTS,
    DEFAULT_QUANTITY,
    ELEMENTS,
    TO_ENTITY_TYPES,
    LinkInput,
    read_link,
)
from kommodore.parties import store as party_store
from kommodore.parties.outbox import PartyChange, enqueue_party_changes
from kommodore.parties.service import visible_ids
from kommodore.parties.store import Kind

ONE_COMPANY = "A lead can have only one company"
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
        for contact in parts.contacts.get(lead_id, ()):
            if f.admits(contact.id, "contacts", None):
                main = wire.ContactMetadata(main_contact=contact.is_main)
                add(lead_id, contact.id, "contacts", main)
        for company in parts.companies.get(lead_id, ()):
            if f.admits(company.id, "companies", None):
                add(lead_id, company.id, "companies", None)
        for e in parts.elements.get(lead_id, ()):
            if f.admits(e.id, "catalog_elements", e.catalog_id):
                metadata = wire.ElementMetadata(quantity=e.quantity, catalog_id=e.catalog_id)
                if e.price_id is not None:
                    metadata.price_id = e.price_id
                add(lead_id, e.id, "catalog_elements", metadata)
    return out


def body_of(items: list[wire.Link], url: str, raw_query: str) -> bytes | None:
    """``GET /leads/links``: every link, ``self`` the request URL as sent (Kommo's example
    shows no ``page``/``limit`` there)."""
    if not items:
        return None
    links = {"self": Href(f"{url}?{raw_query}" if raw_query else url)}
    return collection_body("links", items, links, total_items=len(items))


async def lead_links(
    conn: Connection,
    principal: Principal,
    lead_id: int,
    f: LinkFilter,
    page: Page,
    url: str,
    raw_query: str,
) -> bytes | None:
    """``GET /leads/{id}/links``, a page at a time (Kommo's ``self`` carries the ``page`` and
    ``limit`` in force); None (204) when the lead is unknown, deleted or not viewable, or the
    page holds no link that passes the filters. ``_total_items`` counts the page's links."""
    if not 1 <= lead_id <= MAX_ID:
        return None
    account_id = principal.account.id
    lead = await leads.get_lead(conn, account_id, lead_id)
    if lead is None or lead.is_deleted or not can_view_lead(principal.actor, lead):
        return None
    every = await _links(conn, account_id, [lead_id], f, False)
    items = every[page.offset : page.offset + page.limit]
    if not items:
        return None
    links = page_links(url, raw_query, page, len(every) > page.offset + page.limit)
    return collection_body("links", items, links, total_items=len(items))


def links_href(url: str) -> str:
    """``self`` of a link answer: the lead's (or the leads') links collection, without a
    query, as Kommo's examples show it (``.../leads/{id}/links``, ``.../leads/links``)."""
    return url.removesuffix("/link") + "/links"


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
    return body_of(await _links(conn, account_id, visible, f, True), url, raw_query)


# -- link writes ------------------------------------------------------------------------------
#
# A batch is judged as a whole before anything is written: its leads (locked for the length of
# the transaction), the rights on them, its targets and users, and then each lead's links as the
# items would leave them, in item order, which is where "only one company" is decided. Only then
# are the differences between the links as they were and as they end written.


class ElementState(NamedTuple):
    """A catalog element link's values, in the column order its writes take."""

    catalog_id: int
    quantity: float
    price_id: int | None


@dataclass(slots=True)
class LeadLinks:
    """A lead's link rows as the batch sees them; deleted contacts and companies keep their
    rows but count for nothing (a lead whose only company is deleted may take another)."""

    contacts: dict[int, bool]
    """contact id -> is_main, deleted contacts included"""
    live_contacts: set[int]
    company: int | None
    company_live: bool
    elements: dict[int, ElementState]
    """element id -> its link's values"""

    def copy(self) -> LeadLinks:
        return LeadLinks(
            dict(self.contacts),
            set(self.live_contacts),
            self.company,
            self.company_live,
            dict(self.elements),
        )

    def has_main(self) -> bool:
        return any(self.contacts[c] for c in self.live_contacts)

    def make_main(self, contact_id: int) -> None:
        for c in self.contacts:
            self.contacts[c] = c == contact_id

    def link_contact(self, contact_id: int, is_main: bool | None) -> None:
        """The first contact becomes main; ``is_main: true`` takes it over. ``is_main:
        false`` does not demote the main contact: a lead with contacts has one."""
        self.contacts.setdefault(contact_id, False)
        self.live_contacts.add(contact_id)
        if is_main or not self.has_main():
            self.make_main(contact_id)

    def unlink_contact(self, contact_id: int) -> None:
        if contact_id not in self.contacts:
            return
        del self.contacts[contact_id]
        self.live_contacts.discard(contact_id)
        if self.live_contacts and not self.has_main():
            self.make_main(min(self.live_contacts))

    def link_company(self, company_id: int) -> bool:
        """False when the lead already has another (live) company."""
        if self.company is None or not self.company_live:
            self.company, self.company_live = company_id, True
            return True
        return self.company == company_id

    def unlink_company(self, company_id: int) -> None:
        if self.company == company_id:
            self.company, self.company_live = None, False

    def link_element(self, element_id: int, catalog_id: int, link: LinkInput) -> None:
        link_element(self.elements, element_id, catalog_id, link)


def link_element(
    elements: dict[int, ElementState], element_id: int, catalog_id: int, link: LinkInput
) -> None:
    """An upsert into an entity's element links: what the item leaves out keeps its value on
    an existing link, and is quantity 1 and no price on a new one."""
    old = elements.get(element_id)
    quantity = link.quantity
    if quantity is None:
        quantity = DEFAULT_QUANTITY if old is None else old.quantity
    price_id = link.price_id
    if isinstance(price_id, UnsetType):
        price_id = None if old is None else old.price_id
    elements[element_id] = ElementState(catalog_id, quantity, price_id)


def element_states(
    rows: Sequence[store.ElementLink], owner_ids: Sequence[int]
) -> dict[int, dict[int, ElementState]]:
    """Per owner (lead, contact or company), its element links as the rows hold them."""
    state: dict[int, dict[int, ElementState]] = {i: {} for i in owner_ids}
    for e in rows:
        state[e.owner_id][e.element_id] = ElementState(e.catalog_id, float(e.quantity), e.price_id)
    return state


def element_changes(
    changes: store.ElementChanges,
    account_id: int,
    owner_id: int,
    old: dict[int, ElementState],
    new: dict[int, ElementState],
) -> None:
    """The rows that turn ``old`` element links into ``new``."""
    a = account_id, owner_id
    for e, values in old.items():
        if e not in new:
            changes.delete.append((*a, e))
        elif new[e] != values:
            changes.update.append((*a, e, *new[e]))
    for e, values in new.items():
        if e not in old:
            changes.insert.append((*a, e, *values))


def _lead_links(rows: store.LinkRows, lead_ids: Sequence[int]) -> dict[int, LeadLinks]:
    state = {i: LeadLinks({}, set(), None, False, {}) for i in lead_ids}
    for c in rows.contacts:
        state[c.lead_id].contacts[c.contact_id] = bool(c.is_main)
        if not c.is_deleted:
            state[c.lead_id].live_contacts.add(c.contact_id)
    for co in rows.companies:
        state[co.lead_id].company, state[co.lead_id].company_live = co.company_id, not co.is_deleted
    for lead_id, elements in element_states(rows.elements, lead_ids).items():
        state[lead_id].elements = elements
    return state


def _changes(
    account_id: int, before: dict[int, LeadLinks], after: dict[int, LeadLinks]
) -> tuple[store.LinkChanges, list[int]]:
    """The rows to write, and the leads whose links changed."""
    changes = store.LinkChanges()
    changed: list[int] = []
    for lead_id, old in before.items():
        new = after[lead_id]
        a = account_id, lead_id
        if (old.contacts, old.company, old.elements) == (new.contacts, new.company, new.elements):
            continue
        changed.append(lead_id)
        for c, is_main in old.contacts.items():
            if c not in new.contacts:
                changes.delete_contacts.append((*a, c))
            elif new.contacts[c] != is_main:
                changes.update_contacts.append((*a, c, new.contacts[c]))
        for c, is_main in new.contacts.items():
            if c not in old.contacts:
                changes.insert_contacts.append((*a, c, is_main))
        if old.company != new.company:
            if old.company is not None:
                changes.delete_companies.append(a)
            if new.company is not None:
                changes.insert_companies.append((*a, new.company))
        element_changes(changes.elements, account_id, lead_id, old.elements, new.elements)
    return changes, changed


async def _judge_leads(
    conn: Connection,
    principal: Principal,
    links: list[LinkInput],
    path_lead_id: int | None,
) -> None:
    """Lock the batch's leads and judge them. A lead the user cannot see (unknown, another
    account's, deleted, hidden by rights) is one that does not exist: 404 in the path,
    ``NotSupportedChoice`` at ``entity_id`` in a body. One the user sees but may not edit
    refuses the whole batch with 403, before any validation error is answered."""
    account_id = principal.account.id
    actor = principal.actor
    if path_lead_id is not None:
        if not 1 <= path_lead_id <= MAX_ID:
            raise Problem(404, "Not Found")
        lead = (await store.lock_leads(conn, account_id, [path_lead_id])).get(path_lead_id)
        if lead is None or lead.is_deleted or not can_view_lead(actor, lead):
            raise Problem(404, "Not Found")
        if not can_edit_lead(actor, lead):
            raise Problem(403, "Access denied")
        return
    ids = sorted({link.entity_id for link in links if link.entity_id is not None})
    leads = await store.lock_leads(conn, account_id, ids) if ids else {}
    forbidden = False
    for link in links:
        if link.entity_id is None:
            continue
        lead = leads.get(link.entity_id)
        if lead is None or lead.is_deleted or not can_view_lead(actor, lead):
            link.errors.not_supported("entity_id")
            link.entity_id = None
        elif not can_edit_lead(actor, lead):
            forbidden = True
    if forbidden:
        raise Problem(403, "Access denied")


async def judge_targets(
    conn: Connection, account_id: int, links: list[LinkInput], principal: Principal | None = None
) -> None:
    """Targets must be live entities of the account (contacts and companies also ones the
    ``principal`` may view, when given); an element must sit in the catalog the item names;
    ``updated_by`` must be 0 or a user of the account."""
    for kind in TO_ENTITY_TYPES:
        ids = sorted({x.to_id for x in links if x.to_type == kind and x.to_id is not None})
        live = await store.live_targets(conn, account_id, kind, ids)
        if principal is not None and kind != ELEMENTS:
            seen = await visible_ids(conn, principal, cast(Kind, kind), live)
            live = {i: v for i, v in live.items() if i in seen}
        for x in links:
            if x.to_type != kind or x.to_id is None:
                continue
            if x.to_id not in live:
                x.errors.not_supported("to_entity_id")
            elif kind == ELEMENTS and x.catalog_id is not None and live[x.to_id] != x.catalog_id:
                x.errors.not_supported("metadata.catalog_id")
    user_ids = sorted({x.updated_by for x in links if x.updated_by})
    users = await store.account_users(conn, account_id, user_ids)
    for x in links:
        if x.updated_by and x.updated_by not in users:
            x.errors.not_supported("metadata.updated_by")


async def write_links(
    conn: Connection,
    principal: Principal,
    items: list[Any],
    *,
    path_lead_id: int | None,
    unlink: bool,
) -> tuple[list[LinkInput], dict[int, LeadLinks]]:
    """Validate the whole batch, then write it: all or nothing. Answers the items and each
    lead's links as the batch left them."""
    account_id = principal.account.id
    errors = BatchErrors()
    links: list[LinkInput] = []
    for index, item in enumerate(items):
        link = read_link(
            item, index, errors.item(request_id_of(item, index)), path_lead_id=path_lead_id
        )
        if link is not None:
            links.append(link)
    await _judge_leads(conn, principal, links, path_lead_id)
    await judge_targets(conn, account_id, links, principal)

    valid = [x for x in links if x.valid]
    lead_ids = sorted({x.entity_id for x in valid if x.entity_id is not None})
    before = _lead_links(await store.link_rows(conn, account_id, lead_ids), lead_ids)
    after = {i: s.copy() for i, s in before.items()}
    for x in valid:
        assert x.entity_id is not None and x.to_id is not None
        state = after[x.entity_id]
        if x.to_type == CONTACTS and unlink:
            state.unlink_contact(x.to_id)
        elif x.to_type == CONTACTS:
            state.link_contact(x.to_id, x.is_main)
        elif x.to_type == COMPANIES:
            if unlink:
                state.unlink_company(x.to_id)
            elif not state.link_company(x.to_id):
                x.errors.invalid("to_entity_id", ONE_COMPANY)
        elif unlink:
            state.elements.pop(x.to_id, None)
        else:
            assert x.catalog_id is not None
            state.link_element(x.to_id, x.catalog_id, x)
    errors.raise_if_any()

    changes, changed = _changes(account_id, before, after)
    await store.write_changes(conn, changes)
    # the last item naming a lead says who updated it
    last_user: dict[int, int] = {}
    for x in valid:
        assert x.entity_id is not None
        last_user[x.entity_id] = principal.actor.user_id if x.updated_by is None else x.updated_by
    by_user: dict[int, list[int]] = {}
    for lead_id in changed:
        by_user.setdefault(last_user[lead_id], []).append(lead_id)
    now = int(time.time())
    for user_id, ids in by_user.items():
        await leads.touch_leads(conn, account_id, ids, user_id, now)
    # one call, so the lead's events and then its contacts' and companies' keep their order
    lead_events = [
        event
        for lead_id in changed
        for event in link_events(
            lead_id, last_user[lead_id], _linked(before[lead_id]), _linked(after[lead_id])
        )
    ]
    party_events, touched = _party_ends({i: (before[i], after[i]) for i in changed}, last_user)
    for (kind, user), found in touched.items():
        await party_store.touch(conn, kind, account_id, sorted(found), now, user)
    await record(conn, account_id, lead_events + party_events, now)
    await enqueue_lead_changes(
        conn, account_id, [LeadChange(lead_id, "update") for lead_id in changed], now
    )
    for kind in PARTY_KINDS.values():
        ids = sorted({i for (k, _), found in touched.items() if k == kind for i in found})
        await enqueue_party_changes(
            conn, kind, account_id, [PartyChange(i, "update") for i in ids], now
        )
    return links, after


PARTY_KINDS: dict[str, Kind] = {"contact": "contacts", "company": "companies"}


def _party_ends(
    states: dict[int, tuple[LeadLinks, LeadLinks]], last_user: dict[int, int]
) -> tuple[list[NewEvent], dict[tuple[Kind, int], set[int]]]:
    """The other end of each contact or company link a lead gained or lost: its own
    ``lead_linked``/``lead_unlinked`` naming the lead, and the contacts and companies to
    bump (by the user who updated the lead) and queue ``update_contact``/``update_company``
    for, as a contact-company link does."""
    events: list[NewEvent] = []
    touched: dict[tuple[Kind, int], set[int]] = {}
    for lead_id, (old_state, new_state) in states.items():
        old, new = set(_linked(old_state)), set(_linked(new_state))
        user = last_user[lead_id]
        ends = party_end_events(lead_id, user, sorted(new - old), sorted(old - new))
        events += ends
        for e in ends:
            touched.setdefault((PARTY_KINDS[e.entity_type], user), set()).add(e.entity_id)
    return events, touched


def _linked(state: LeadLinks) -> list[tuple[str, int]]:
    """What a lead is linked to, as events name it (deleted contacts and companies aside)."""
    linked = [("contact", c) for c in sorted(state.live_contacts)]
    if state.company is not None and state.company_live:
        linked.append(("company", state.company))
    linked += [("catalog_element", e) for e in sorted(state.elements)]
    return linked


def _metadata(state: LeadLinks, link: LinkInput) -> wire.Metadata:
    """The read shapes of ``GET /leads/{id}/links``."""
    assert link.to_id is not None
    if link.to_type == CONTACTS:
        return wire.ContactMetadata(main_contact=state.contacts[link.to_id])
    if link.to_type == COMPANIES:
        return None
    return element_metadata(state.elements[link.to_id])


def element_metadata(element: ElementState) -> wire.ElementMetadata:
    """An element link's ``metadata``: ``price_id`` only when set."""
    metadata = wire.ElementMetadata(
        quantity=_quantity(element.quantity), catalog_id=element.catalog_id
    )
    if element.price_id is not None:
        metadata.price_id = element.price_id
    return metadata


async def link(
    conn: Connection,
    principal: Principal,
    items: list[Any],
    path_lead_id: int | None,
    url: str,
) -> bytes:
    """``POST /leads/{id}/link`` and ``/leads/link``: one answer entry per item, in item order,
    each showing the link as the whole batch left it."""
    links, after = await write_links(
        conn, principal, items, path_lead_id=path_lead_id, unlink=False
    )
    out = []
    for x in links:
        assert x.entity_id is not None and x.to_type is not None and x.to_id is not None
        out.append(
            wire.Link(
                entity_id=x.entity_id,
                entity_type="leads",
                to_entity_id=x.to_id,
                to_entity_type=x.to_type,
                metadata=_metadata(after[x.entity_id], x),
            )
        )
    links_ = {"self": Href(links_href(url))}
    return collection_body("links", out, links_, total_items=len(out))


async def unlink(
    conn: Connection, principal: Principal, items: list[Any], path_lead_id: int | None
) -> None:
    """``POST /leads/{id}/unlink`` and ``/leads/unlink``: links that do not exist are no-ops."""
    await write_links(conn, principal, items, path_lead_id=path_lead_id, unlink=True)
