"""Reading one contact or company under the user's ``contacts``/``companies`` view right.

The schema holds only the base model: no custom field values, tags or contact-company links
for these entities yet, so ``custom_fields_values`` is ``null`` and the ``_embedded`` arrays
are empty. Nothing is ever unsorted here (``is_unsorted`` false).
"""

from __future__ import annotations

from functools import lru_cache

import msgspec

from kommodore.auth.rights import Actor, Code, StoredRights, allows
from kommodore.auth.service import MAX_ID, Principal
from kommodore.db.database import Connection
from kommodore.http.hal import self_links
from kommodore.parties import store, wire
from kommodore.parties.store import Kind, PartyRow


@lru_cache(maxsize=1024)
def _view_codes(rights_json: str) -> tuple[Code, Code]:
    """(contacts view, companies view) of a stored rights object; users share few of them."""
    stored = msgspec.json.decode(rights_json, type=StoredRights)
    return stored.contacts.view, stored.companies.view


async def can_view(conn: Connection, principal: Principal, kind: Kind, party: PartyRow) -> bool:
    """A/G/M/D on the party's responsible user and that user's group; admins see all."""
    actor: Actor = principal.actor
    if actor.is_admin:
        return True
    rights_json = await store.user_rights(conn, principal.account.id, actor.user_id)
    if rights_json is None:
        return False
    contacts, companies = _view_codes(rights_json)
    code = contacts if kind == "contacts" else companies
    return allows(code, actor, party.responsible_user_id, party.owner_group_id)


async def _visible(
    conn: Connection, principal: Principal, kind: Kind, party_id: int
) -> PartyRow | None:
    """The party, or None (Kommo's 204): unknown, deleted, or not viewable."""
    if not 1 <= party_id <= MAX_ID:
        return None
    party = await store.get_party(conn, kind, principal.account.id, party_id)
    if party is None or party.is_deleted:
        return None
    return party if await can_view(conn, principal, kind, party) else None


async def read_contact(
    conn: Connection, principal: Principal, contact_id: int, origin: str
) -> bytes | None:
    party = await _visible(conn, principal, "contacts", contact_id)
    if party is None:
        return None
    return wire.encoder.encode(
        wire.Contact(
            id=party.id,
            name=party.name,
            first_name=party.first_name or "",
            last_name=party.last_name or "",
            responsible_user_id=party.responsible_user_id,
            group_id=party.group_id,
            created_by=party.created_by,
            updated_by=party.updated_by,
            created_at=party.created_at,
            updated_at=party.updated_at,
            closest_task_at=party.closest_task_at,
            is_deleted=False,
            is_unsorted=False,
            custom_fields_values=None,
            account_id=principal.account.id,
            links=self_links(f"{origin}/api/v4/contacts/{party.id}"),
            embedded=wire.ContactEmbedded(tags=[], companies=[]),
        )
    )


async def read_company(
    conn: Connection, principal: Principal, company_id: int, origin: str
) -> bytes | None:
    party = await _visible(conn, principal, "companies", company_id)
    if party is None:
        return None
    return wire.encoder.encode(
        wire.Company(
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
            is_unsorted=False,
            custom_fields_values=None,
            account_id=principal.account.id,
            links=self_links(f"{origin}/api/v4/companies/{party.id}"),
            embedded=wire.CompanyEmbedded(tags=[]),
        )
    )
