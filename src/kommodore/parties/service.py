"""Reading contacts and companies under the user's ``contacts``/``companies`` view right: by
id, and a page at a time with filters, ``query`` and order (rights inside the SQL).

Tags carry no colour here (``color`` null: only lead tags have one); nothing is ever unsorted
here (``is_unsorted`` false); customers and a party's catalog elements are not
modelled, so those ``with`` keys embed ``[]``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

import msgspec

from kommodore.auth.rights import Actor, Code, EntityRights, StoredRights, allows
from kommodore.auth.service import MAX_ID, Principal
from kommodore.custom_fields.values import read_value
from kommodore.db.database import Connection
from kommodore.http.hal import collection_body, element_ref, self_links
from kommodore.http.paging import Page, page_links
from kommodore.parties import listing, store, wire
from kommodore.parties.filters import PartyQuery
from kommodore.parties.store import Kind, PartyRow, ValueRow

WITH_KEYS: dict[Kind, frozenset[str]] = {
    "contacts": frozenset({"leads", "customers", "catalog_elements"}),
    "companies": frozenset({"leads", "customers", "catalog_elements", "contacts"}),
}


NO_RIGHTS = EntityRights()


@lru_cache(maxsize=1024)
def _rights(rights_json: str) -> tuple[EntityRights, EntityRights]:
    """(contacts, companies) of a stored rights object; users share few of them."""
    stored = msgspec.json.decode(rights_json, type=StoredRights)
    return stored.contacts, stored.companies


async def party_rights(conn: Connection, principal: Principal, kind: Kind) -> EntityRights | None:
    """The user's rights on ``kind``; None for admins (they may do everything)."""
    actor: Actor = principal.actor
    if actor.is_admin:
        return None
    rights_json = await store.user_rights(conn, principal.account.id, actor.user_id)
    if rights_json is None:
        return NO_RIGHTS
    contacts, companies = _rights(rights_json)
    return contacts if kind == "contacts" else companies


async def view_code(conn: Connection, principal: Principal, kind: Kind) -> Code | None:
    """The user's view code for ``kind``; None for admins (they see everything)."""
    rights = await party_rights(conn, principal, kind)
    return None if rights is None else rights.view


async def can_view(conn: Connection, principal: Principal, kind: Kind, party: PartyRow) -> bool:
    """A/G/M/D on the party's responsible user and that user's group; admins see all."""
    code = await view_code(conn, principal, kind)
    if code is None:
        return True
    return allows(code, principal.actor, party.responsible_user_id, party.owner_group_id)


async def visible_ids(
    conn: Connection, principal: Principal, kind: Kind, ids: Collection[int]
) -> set[int]:
    """The ids among ``ids`` (live ones of the account) the user may view: a lead linked to a
    contact or company the user cannot see is refused as if it did not exist, so a refusal
    never tells that it does."""
    code = await view_code(conn, principal, kind)
    if code is None or code == "A":
        return set(ids)
    if code == "D":
        return set()
    return {
        p.id
        for p in await store.get_parties(conn, kind, principal.account.id, ids)
        if allows(code, principal.actor, p.responsible_user_id, p.owner_group_id)
    }


def _custom_fields(rows: Sequence[ValueRow]) -> list[dict[str, Any]] | None:
    """Kommo's read shapes, one entry per field; ``None`` without values. A phone's or
    e-mail's ``enum_code`` is its enum's value (``WORK``, ``MOB``, §4.2) unless the enum has
    a code of its own."""
    entries: list[dict[str, Any]] = []
    for r in rows:
        if not entries or entries[-1]["field_id"] != r.field_id:
            entries.append(
                {"field_id": r.field_id, "field_name": r.field_name, "field_code": r.field_code,
                 "field_type": r.field_type, "values": []}
            )  # fmt: skip
        entries[-1]["values"].append(
            read_value(
                r.field_type,
                enum_id=r.enum_id,
                enum_value=r.enum_value,
                enum_code=r.enum_code if r.enum_code is not None else r.enum_value,
                value_text=r.value_text,
                value_int=r.value_int,
                value_json=r.value_json,
            )
        )
    return entries or None


def _refs(origin: str, segment: str, ids: Sequence[int]) -> list[wire.EntityRef]:
    return [wire.EntityRef(id=i, links=self_links(f"{origin}/api/v4/{segment}/{i}")) for i in ids]


async def shape_parties(
    conn: Connection,
    kind: Kind,
    account_id: int,
    parties: Sequence[PartyRow],
    with_: frozenset[str],
    origin: str,
) -> list[wire.Party]:
    """The models of ``parties``, their values and the links ``with_`` asks for, in a fixed
    number of statements whatever the page size."""
    ids = [p.id for p in parties]
    values = await store.party_values(conn, kind, account_id, ids)
    tags = await store.party_tags(conn, kind, account_id, ids)
    wanted = with_ & WITH_KEYS[kind]
    leads = await store.linked(conn, kind, "leads", account_id, ids) if "leads" in wanted else {}
    elements = (
        await store.elements(conn, kind, account_id, ids) if "catalog_elements" in wanted else {}
    )
    others: dict[int, list[int]] = {}
    if kind == "contacts":
        others = await store.linked(conn, kind, "companies", account_id, ids)
    elif "contacts" in wanted:
        others = await store.linked(conn, kind, "contacts", account_id, ids)
    models = []
    for party in parties:
        embedded = wire.PartyEmbedded(
            tags=[wire.TagRef(id=t, name=n, color=None) for t, n in tags.get(party.id, [])]
        )
        if "leads" in wanted:
            embedded.leads = _refs(origin, "leads", leads.get(party.id, []))
        if "customers" in wanted:
            embedded.customers = []
        if "catalog_elements" in wanted:
            embedded.catalog_elements = [
                element_ref(e.element_id, e.catalog_id, e.quantity, e.price_id)
                for e in elements.get(party.id, [])
            ]
        if kind == "contacts":
            embedded.companies = _refs(origin, "companies", others.get(party.id, []))
        elif "contacts" in wanted:
            embedded.contacts = _refs(origin, "contacts", others.get(party.id, []))
        model = wire.Party(
            id=party.id,
            name=party.name,
            responsible_user_id=party.responsible_user_id,
            group_id=party.group_id,
            created_by=party.created_by,
            updated_by=party.updated_by,
            created_at=party.created_at,
            updated_at=party.updated_at,
            closest_task_at=party.closest_task_at,
            is_deleted=False,
            custom_fields_values=_custom_fields(values.get(party.id, [])),
            account_id=account_id,
            links=self_links(f"{origin}/api/v4/{kind}/{party.id}"),
            embedded=embedded,
        )
        if kind == "contacts":
            model.first_name = party.first_name or ""
            model.last_name = party.last_name or ""
            model.is_unsorted = False
        models.append(model)
    return models


def _deleted(kind: Kind, party: PartyRow, origin: str) -> wire.DeletedParty:
    return wire.DeletedParty(
        id=party.id,
        updated_at=party.updated_at,
        updated_by=party.updated_by,
        is_deleted=True,
        links=self_links(f"{origin}/api/v4/{kind}/{party.id}"),
    )


async def read_party(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    party_id: int,
    with_: frozenset[str],
    origin: str,
) -> bytes | None:
    """The contact's or company's JSON, or None (Kommo's 204): unknown, deleted (unless
    ``only_deleted``, which shows deleted ones only), or not viewable."""
    if not 1 <= party_id <= MAX_ID:
        return None
    account_id = principal.account.id
    party = await store.get_party(conn, kind, account_id, party_id)
    if party is None or bool(party.is_deleted) != ("only_deleted" in with_):
        return None
    if not await can_view(conn, principal, kind, party):
        return None
    if party.is_deleted:
        return wire.encoder.encode(_deleted(kind, party, origin))
    (model,) = await shape_parties(conn, kind, account_id, [party], with_, origin)
    return wire.encoder.encode(model)


async def list_parties(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    query: PartyQuery,
    with_: frozenset[str],
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of the contacts or companies the user may view; None (204) when empty."""
    account_id = principal.account.id
    actor = principal.actor
    view = (await view_code(conn, principal, kind), actor.user_id, actor.group_id)
    rows = await listing.list_party_rows(
        conn, kind, account_id, query, view, page.offset, page.limit + 1
    )
    if not rows:
        return None
    has_next = len(rows) > page.limit
    rows = rows[: page.limit]
    items: list[Any]
    if query.only_deleted:
        items = [_deleted(kind, p, origin) for p in rows]
    else:
        items = await shape_parties(conn, kind, account_id, rows, with_, origin)
    links = page_links(url, raw_query, page, has_next)
    return collection_body(kind, items, links, page=page.number)
