"""Links seen from a contact or a company (``GET /api/v4/{contacts|companies}/{id}/links``
and ``/{contacts|companies}/links?filter[entity_id]=``): the same facts as the leads' links,
read from the other end. A contact shows its company and its leads, a company its contacts and
its leads; ``metadata`` is null for all of them (``main_contact`` is reported from the lead's
side only). Then the catalog elements a contact or company links itself, with the leads'
element ``metadata``. Deleted entities are left out; visibility is judged on the contact or
company.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from msgspec import UNSET

from kommodore.auth.rights import allows
from kommodore.auth.service import MAX_ID, Principal
from kommodore.db.database import Connection
from kommodore.events.record import NewEvent, record
from kommodore.http.hal import Href, collection_body
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, ItemErrors, Reader, request_id_of
from kommodore.leads import store as leads
from kommodore.leads.events import link_events
from kommodore.links import service, store, wire
from kommodore.links.input import ELEMENTS, LinkInput, read_link
from kommodore.links.service import ElementState, LinkFilter, body_of
from kommodore.parties import service as parties
from kommodore.parties import store as party_store
from kommodore.parties.changes import write_company_links
from kommodore.parties.outbox import SINGULAR, PartyChange, enqueue_party_changes
from kommodore.parties.store import Kind, PartyRow

OTHERS: dict[Kind, tuple[str, ...]] = {
    "contacts": ("companies", "leads"),
    "companies": ("contacts", "leads"),
}
"""What each side lists, in this order, each by ascending id; then its catalog elements."""


async def _links(
    conn: Connection,
    kind: Kind,
    account_id: int,
    ids: Sequence[int],
    f: LinkFilter,
    multi: bool,
) -> list[wire.Link]:
    found = {
        other: await party_store.linked(conn, kind, other, account_id, ids)
        for other in OTHERS[kind]
    }
    elements = await party_store.elements(conn, kind, account_id, ids)
    out: list[wire.Link] = []

    def add(party_id: int, to_id: int, to_type: str, metadata: wire.Metadata) -> None:
        out.append(
            wire.Link(
                entity_id=party_id if multi else UNSET,
                entity_type=kind if multi else UNSET,
                to_entity_id=to_id,
                to_entity_type=to_type,
                metadata=metadata,
            )
        )

    for party_id in ids:
        for other in OTHERS[kind]:
            for to_id in found[other].get(party_id, []):
                if f.admits(to_id, other, None):
                    add(party_id, to_id, other, None)
        for e in elements.get(party_id, []):
            if f.admits(e.element_id, ELEMENTS, e.catalog_id):
                state = ElementState(e.catalog_id, e.quantity, e.price_id)
                add(party_id, e.element_id, ELEMENTS, service.element_metadata(state))
    return out


async def _visible(conn: Connection, principal: Principal, kind: Kind, party_id: int) -> bool:
    if not 1 <= party_id <= MAX_ID:
        return False
    party = await party_store.get_party(conn, kind, principal.account.id, party_id)
    if party is None or party.is_deleted:
        return False
    return await parties.can_view(conn, principal, kind, party)


async def party_links(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    party_id: int,
    f: LinkFilter,
    url: str,
    raw_query: str,
) -> bytes | None:
    """``GET /{kind}/{id}/links``; None (204) when the party is unknown, deleted or not
    viewable, or nothing passes the filters."""
    if not await _visible(conn, principal, kind, party_id):
        return None
    items = await _links(conn, kind, principal.account.id, [party_id], f, False)
    return body_of(items, url, raw_query)


async def many_party_links(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    ids: Sequence[int],
    f: LinkFilter,
    url: str,
    raw_query: str,
) -> bytes | None:
    """``GET /{kind}/links?filter[entity_id]=``: the links of the viewable ones among
    ``ids``."""
    visible = [i for i in ids if await _visible(conn, principal, kind, i)]
    items = await _links(conn, kind, principal.account.id, visible, f, True)
    return body_of(items, url, raw_query)


# -- writes: POST /{contacts|companies}/{id}/link and /unlink ----------------------------------

ALLOWED: dict[Kind, tuple[str, ...]] = {
    "contacts": ("companies", "leads", ELEMENTS),
    "companies": ("contacts", "leads", ELEMENTS),
}


OTHER_KIND: dict[str, Kind] = {"contacts": "contacts", "companies": "companies"}
ELEMENT_EVENT_TYPE = "catalog_element"
"""How events name a linked catalog element (as a lead's do)."""


@dataclass(slots=True)
class _Item:
    request_id: str
    party_id: int
    to_id: int
    to_type: str
    errors: ItemErrors
    """The item's own errors: one answer entry per item, however many of its ends fail."""
    element: LinkInput | None = None
    """A catalog element item read as a lead's is: its ``metadata`` (catalog, quantity,
    price) and its checks."""


def _read_items(
    kind: Kind, items: list[Any], path_id: int | None
) -> tuple[list[_Item], BatchErrors]:
    """The batch's items; in the batch form (``path_id`` None) each names its party in
    ``entity_id``."""
    errors = BatchErrors()
    out = []
    for index, item in enumerate(items):
        item_errors = errors.item(request_id_of(item, index))
        if not isinstance(item, dict):
            item_errors.invalid_type("", "object")
            continue
        r = Reader(item, item_errors)
        party_id = path_id
        if path_id is None:
            party_id = r.id("entity_id")
            if party_id is None and not r.has("entity_id"):
                item_errors.missing("entity_id")
        to_id = r.id("to_entity_id")
        if to_id is None and not r.has("to_entity_id"):
            item_errors.missing("to_entity_id")
        to_type = r.string("to_entity_type")
        if to_type is None and not r.has("to_entity_type"):
            item_errors.missing("to_entity_type")
        elif to_type is not None and to_type not in ALLOWED[kind]:
            item_errors.not_supported("to_entity_type")
            to_type = None
        if party_id is not None and to_id is not None and to_type is not None:
            element = None
            if to_type == ELEMENTS:
                element = read_link(item, index, item_errors, path_lead_id=party_id)
            out.append(
                _Item(item_errors.request_id, party_id, to_id, to_type, item_errors, element)
            )
    return out, errors


async def _editable(conn: Connection, principal: Principal, kind: Kind, party: PartyRow) -> bool:
    rights = await parties.party_rights(conn, principal, kind)
    if rights is None:
        return True
    return allows(rights.edit, principal.actor, party.responsible_user_id, party.owner_group_id)


def _pair(kind: Kind, party_id: int, other_id: int) -> tuple[int, int]:
    """(contact, company) of a link between ``party_id`` of ``kind`` and the other side."""
    return (party_id, other_id) if kind == "contacts" else (other_id, party_id)


async def write_party_links(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    path_id: int | None,
    raw: list[Any],
    now: int,
    *,
    unlink: bool,
    url: str,
) -> bytes | None:
    """Link (or unlink) contacts or companies, named in the path or, in the batch form, by each
    item's ``entity_id``; all or nothing. Links to leads are written from the lead's side (its
    rights, main contact, events and webhooks); a contact's company is replaced by a new one
    (one per contact). Contact-company changes leave ``company_linked``/``contact_linked`` (and
    ``_unlinked``) on both ends, bump both and queue their ``update_*`` hooks. Catalog
    elements are linked as a lead links them (the same item reading, checks and upsert), into
    the contact's or company's own link table."""
    account_id = principal.account.id
    user = principal.actor.user_id
    items, errors = _read_items(kind, raw, path_id)
    if path_id is not None and not await _visible(conn, principal, kind, path_id):
        raise Problem(404, "Not Found")  # as for a lead the path names
    # the parties the items name: unseen ones do not exist; seen but not editable ones refuse
    # the whole batch (on both ends of a contact-company link)
    forbidden = False
    judged: dict[tuple[str, int], bool] = {}
    valid: list[_Item] = []
    for it in items:
        ok = True
        ends: list[tuple[Kind, int, str]] = [(kind, it.party_id, "entity_id")]
        if it.to_type in OTHER_KIND:
            ends.append((OTHER_KIND[it.to_type], it.to_id, "to_entity_id"))
        for end_kind, end_id, path in ends:
            key = (end_kind, end_id)
            if key not in judged:
                party = None
                if await _visible(conn, principal, end_kind, end_id):
                    party = await party_store.get_party(conn, end_kind, account_id, end_id)
                judged[key] = party is not None
                if party is not None and not await _editable(conn, principal, end_kind, party):
                    forbidden = True
            if not judged[key]:
                it.errors.not_supported(path)
                ok = False
        if it.to_type == "leads":
            lead = await leads.get_lead(conn, account_id, it.to_id)
            if lead is None or lead.is_deleted:
                it.errors.not_supported("to_entity_id")
                ok = False
        if ok:
            valid.append(it)
    if forbidden:
        raise Problem(403, "Access denied")
    element_items = [it.element for it in valid if it.element is not None]
    await service.judge_targets(conn, account_id, element_items)
    errors.raise_if_any()
    lead_items = [
        {"entity_id": it.to_id, "to_entity_id": it.party_id, "to_entity_type": kind,
         "request_id": it.request_id}
        for it in valid if it.to_type == "leads"
    ]  # fmt: skip
    if lead_items:
        await service.write_links(conn, principal, lead_items, path_lead_id=None, unlink=unlink)
    pairs = [_pair(kind, it.party_id, it.to_id) for it in valid if it.to_type in OTHER_KIND]
    events = await write_company_links(conn, account_id, pairs, user, now, unlink=unlink)
    await record(conn, account_id, events, now)
    elements = await _write_element_links(conn, account_id, kind, valid, user, now, unlink=unlink)
    if unlink:
        return None
    out = [
        wire.Link(
            entity_id=it.party_id, entity_type=kind, to_entity_id=it.to_id,
            to_entity_type=it.to_type,
            metadata=(
                service.element_metadata(elements[it.party_id][it.to_id])
                if it.to_type == ELEMENTS else None
            ),
        )
        for it in valid
    ]  # fmt: skip
    return collection_body("links", out, {"self": Href(url)}, total_items=len(out))


async def _write_element_links(
    conn: Connection,
    account_id: int,
    kind: Kind,
    items: Sequence[_Item],
    user: int,
    now: int,
    *,
    unlink: bool,
) -> dict[int, dict[int, ElementState]]:
    """Apply the catalog element items in order to each party's element links, as a lead's
    are (an upsert of ``quantity`` and ``price_id``; unlinking an absent one a no-op), then
    write what differs, with ``entity_linked``/``entity_unlinked`` on the party, its
    ``updated_at`` (by the user the last item names in ``metadata.updated_by``, else the acting
    user) and its ``update_*`` hook. Answers each party's element links as the batch left
    them."""
    links = [it.element for it in items if it.element is not None]
    owners = sorted({x.entity_id for x in links if x.entity_id is not None})
    if not owners:
        return {}
    await store.lock_parties(conn, kind, account_id, owners)
    rows = await store.element_rows(conn, kind, account_id, owners)
    before = service.element_states(rows, owners)
    after = {owner: dict(state) for owner, state in before.items()}
    last_user: dict[int, int] = {}
    for x in links:
        assert x.entity_id is not None and x.to_id is not None and x.catalog_id is not None
        if unlink:
            after[x.entity_id].pop(x.to_id, None)
        else:
            service.link_element(after[x.entity_id], x.to_id, x.catalog_id, x)
        last_user[x.entity_id] = user if x.updated_by is None else x.updated_by
    changes = store.ElementChanges()
    events: list[NewEvent] = []
    by_user: dict[int, list[int]] = {}
    for owner in owners:
        if before[owner] == after[owner]:
            continue
        service.element_changes(changes, account_id, owner, before[owner], after[owner])
        events += link_events(
            owner, last_user[owner],
            [(ELEMENT_EVENT_TYPE, e) for e in sorted(before[owner])],
            [(ELEMENT_EVENT_TYPE, e) for e in sorted(after[owner])],
            entity_type=SINGULAR[kind],
        )  # fmt: skip
        by_user.setdefault(last_user[owner], []).append(owner)
    await store.write_element_changes(conn, kind, changes)
    for by, ids in by_user.items():
        await party_store.touch(conn, kind, account_id, ids, now, by)
    await record(conn, account_id, events, now)
    changed = sorted(i for ids in by_user.values() for i in ids)
    await enqueue_party_changes(
        conn, kind, account_id, [PartyChange(i, "update") for i in changed], now
    )
    return after
