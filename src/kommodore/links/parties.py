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
from kommodore.http.hal import Href, collection_body
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, Reader, request_id_of
from kommodore.leads import store as leads
from kommodore.links import service, wire
from kommodore.links.service import LinkFilter, body_of
from kommodore.parties import service as parties
from kommodore.parties import store as party_store
from kommodore.parties.store import Kind

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
    to_id: int
    to_type: str


def _read_items(kind: Kind, items: list[Any]) -> tuple[list[_Item], BatchErrors]:
    errors = BatchErrors()
    out = []
    for index, item in enumerate(items):
        item_errors = errors.item(request_id_of(item, index))
        if not isinstance(item, dict):
            item_errors.invalid_type("", "object")
            continue
        r = Reader(item, item_errors)
        to_id = r.id("to_entity_id")
        if to_id is None and not r.has("to_entity_id"):
            item_errors.missing("to_entity_id")
        to_type = r.string("to_entity_type")
        if to_type is None and not r.has("to_entity_type"):
            item_errors.missing("to_entity_type")
        elif to_type is not None and to_type not in ALLOWED[kind]:
            item_errors.not_supported("to_entity_type")
            to_type = None
        if to_id is not None and to_type is not None:
            out.append(_Item(item_errors.request_id, to_id, to_type))
    return out, errors


async def write_party_links(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    party_id: int,
    raw: list[Any],
    now: int,
    *,
    unlink: bool,
    url: str,
) -> bytes | None:
    """Link (or unlink) the contact or company the path names; all or nothing. Links to leads
    are written from the lead's side (its rights, main contact, events and webhooks); a
    contact's company is replaced by a new one (one per contact)."""
    account_id = principal.account.id
    items, errors = _read_items(kind, raw)
    if not await _visible(conn, principal, kind, party_id):
        raise Problem(404, "Not Found")  # as for a lead the path names
    party = await party_store.get_party(conn, kind, account_id, party_id)
    rights = await parties.party_rights(conn, principal, kind)
    if rights is not None and party is not None:
        owner, group = party.responsible_user_id, party.owner_group_id
        if not allows(rights.edit, principal.actor, owner, group):
            raise Problem(403, "Access denied")
    for it in items:
        other_kind = it.to_type
        if other_kind == "leads":
            lead = await leads.get_lead(conn, account_id, it.to_id)
            found = lead is not None and not lead.is_deleted
        else:
            other = await party_store.get_party(conn, OTHER_KIND[other_kind], account_id, it.to_id)
            found = other is not None and not other.is_deleted
        if not found:
            errors.item(it.request_id).not_supported("to_entity_id")
    errors.raise_if_any()
    lead_items = [
        {"entity_id": it.to_id, "to_entity_id": party_id, "to_entity_type": kind,
         "request_id": it.request_id}
        for it in items if it.to_type == "leads"
    ]  # fmt: skip
    if lead_items:
        await service.write_links(conn, principal, lead_items, path_lead_id=None, unlink=unlink)
    touched: dict[Kind, list[int]] = {"contacts": [], "companies": []}
    for it in items:
        if it.to_type == "leads":
            continue
        contact, company = (party_id, it.to_id) if kind == "contacts" else (it.to_id, party_id)
        if unlink:
            await party_store.drop_company_contact(conn, account_id, company, contact)
        else:
            await party_store.set_company(conn, account_id, contact, company)
        touched["contacts"].append(contact)
        touched["companies"].append(company)
    for other_kind, ids in touched.items():
        await party_store.touch(
            conn,
            other_kind,
            account_id,
            sorted(set(ids)),
            now,
            principal.actor.user_id,
        )
    if unlink:
        return None
    out = [
        wire.Link(entity_id=party_id, entity_type=kind, to_entity_id=it.to_id,
                  to_entity_type=it.to_type, metadata=None)
        for it in items
    ]  # fmt: skip
    return collection_body("links", out, {"self": Href(url)}, total_items=len(out))
