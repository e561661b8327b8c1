"""Links seen from a contact or a company (``GET /api/v4/{contacts|companies}/{id}/links``
and ``/{contacts|companies}/links?filter[entity_id]=``): the same facts as the leads' links,
read from the other end. A contact shows its company and its leads, a company its contacts and
its leads; ``metadata`` is null for all of them (``main_contact`` is reported from the lead's
side only). Deleted entities are left out; visibility is judged on the contact or company.
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
from kommodore.links import service, wire
from kommodore.links.service import LinkFilter, body_of
from kommodore.parties import service as parties
from kommodore.parties import store as party_store
from kommodore.parties.outbox import SINGULAR, PartyChange, enqueue_party_changes
from kommodore.parties.store import Kind, PartyRow

OTHERS: dict[Kind, tuple[str, ...]] = {
    "contacts": ("companies", "leads"),
    "companies": ("contacts", "leads"),
}
"""What each side lists, in this order, each by ascending id."""


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
    out: list[wire.Link] = []
    for party_id in ids:
        for other in OTHERS[kind]:
            for to_id in found[other].get(party_id, []):
                if f.admits(to_id, other, None):
                    out.append(
                        wire.Link(
                            entity_id=party_id if multi else UNSET,
                            entity_type=kind if multi else UNSET,
                            to_entity_id=to_id,
                            to_entity_type=other,
                            metadata=None,
                        )
                    )
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
    "contacts": ("companies", "leads"),
    "companies": ("contacts", "leads"),
}


OTHER_KIND: dict[str, Kind] = {"contacts": "contacts", "companies": "companies"}


@dataclass(slots=True)
class _Item:
    request_id: str
    party_id: int
    to_id: int
    to_type: str
    errors: ItemErrors
    """The item's own errors: one answer entry per item, however many of its ends fail."""


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
            out.append(_Item(item_errors.request_id, party_id, to_id, to_type, item_errors))
    return out, errors


async def _editable(conn: Connection, principal: Principal, kind: Kind, party: PartyRow) -> bool:
    rights = await parties.party_rights(conn, principal, kind)
    if rights is None:
        return True
    return allows(rights.edit, principal.actor, party.responsible_user_id, party.owner_group_id)


def _pair(kind: Kind, party_id: int, other_id: int) -> tuple[int, int]:
    """(contact, company) of a link between ``party_id`` of ``kind`` and the other side."""
    return (party_id, other_id) if kind == "contacts" else (other_id, party_id)


def _link_event(kind: Kind, entity_id: int, user: int, other: str, other_id: int, *,
                unlink: bool) -> NewEvent:  # fmt: skip
    """``{other}_linked``/``{other}_unlinked`` on one end (``company_linked`` on a contact,
    ``contact_linked`` on a company), naming the other in ``value_after``."""
    action = "unlink" if unlink else "link"
    value = [{action: {"entity": {"type": other, "id": other_id}}}]
    return NewEvent(f"{other}_{action}ed", entity_id, user, value, entity_type=SINGULAR[kind])


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
    ``_unlinked``) on both ends, bump both and queue their ``update_*`` hooks."""
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
        if it.to_type != "leads":
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
    errors.raise_if_any()
    lead_items = [
        {"entity_id": it.to_id, "to_entity_id": it.party_id, "to_entity_type": kind,
         "request_id": it.request_id}
        for it in valid if it.to_type == "leads"
    ]  # fmt: skip
    if lead_items:
        await service.write_links(conn, principal, lead_items, path_lead_id=None, unlink=unlink)
    await _write_company_links(conn, account_id, kind, valid, user, now, unlink=unlink)
    if unlink:
        return None
    out = [
        wire.Link(entity_id=it.party_id, entity_type=kind, to_entity_id=it.to_id,
                  to_entity_type=it.to_type, metadata=None)
        for it in valid
    ]  # fmt: skip
    return collection_body("links", out, {"self": Href(url)}, total_items=len(out))


async def _write_company_links(
    conn: Connection,
    account_id: int,
    kind: Kind,
    items: Sequence[_Item],
    user: int,
    now: int,
    *,
    unlink: bool,
) -> None:
    """Apply the contact-company items in order to each contact's one company, then write
    what differs, with its events and hooks."""
    pairs = [_pair(kind, it.party_id, it.to_id) for it in items if it.to_type != "leads"]
    if not pairs:
        return
    contacts = sorted({c for c, _ in pairs})
    before = {
        c: ids[0]
        for c, ids in (
            await party_store.linked(conn, "contacts", "companies", account_id, contacts)
        ).items()
    }
    after: dict[int, int | None] = {c: before.get(c) for c in contacts}
    for contact, company in pairs:
        if not unlink:
            after[contact] = company
        elif after[contact] == company:
            after[contact] = None
    events: list[NewEvent] = []
    touched: dict[Kind, set[int]] = {"contacts": set(), "companies": set()}
    for contact in contacts:
        old, new = before.get(contact), after[contact]
        if old == new:
            continue
        await party_store.set_company(conn, account_id, contact, new)
        touched["contacts"].add(contact)
        for end, gone in ((old, True), (new, False)):
            if end is None:
                continue
            touched["companies"].add(end)
            events.append(_link_event("contacts", contact, user, "company", end, unlink=gone))
            events.append(_link_event("companies", end, user, "contact", contact, unlink=gone))
    for end_kind, ids in touched.items():
        await party_store.touch(conn, end_kind, account_id, sorted(ids), now, user)
    await record(conn, account_id, events, now)
    for end_kind, ids in touched.items():
        await enqueue_party_changes(
            conn, end_kind, account_id, [PartyChange(i, "update") for i in sorted(ids)], now
        )
