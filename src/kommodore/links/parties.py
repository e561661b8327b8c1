"""Links seen from a contact or a company (``GET /api/v4/{contacts|companies}/{id}/links``
and ``/{contacts|companies}/links?filter[entity_id]=``): the same facts as the leads' links,
read from the other end. A contact shows its company and its leads, a company its contacts and
its leads; ``metadata`` is null for all of them (``main_contact`` is reported from the lead's
side only). Deleted entities are left out; visibility is judged on the contact or company.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec import UNSET

from kommodore.auth.service import MAX_ID, Principal
from kommodore.db.database import Connection
from kommodore.links import wire
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
