"""Reading one contact or company under the user's ``contacts``/``companies`` view right.

Custom field values and a contact's companies come from the complex lead add; tags
of contacts and companies are not stored, so ``_embedded.tags`` is empty. Nothing is ever
unsorted here (``is_unsorted`` false).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import msgspec

from kommodore.auth.rights import Actor, Code, StoredRights, allows
from kommodore.auth.service import MAX_ID, Principal
from kommodore.custom_fields.values import read_value
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


def _custom_fields(rows: Sequence[Any]) -> list[dict[str, Any]] | None:
    """Kommo's read shapes, one entry per field; ``None`` without values."""
    entries: list[dict[str, Any]] = []
    for r in rows:
        if not entries or entries[-1]["field_id"] != r[0]:
            entries.append(
                {"field_id": r[0], "field_name": r[1], "field_code": r[2], "field_type": r[3],
                 "values": []}
            )  # fmt: skip
        entries[-1]["values"].append(
            read_value(
                r[3],
                enum_id=r[4],
                enum_value=r[5],
                enum_code=r[6],
                value_text=r[7],
                value_int=r[8],
                value_json=r[9],
            )
        )
    return entries or None


async def read_contact(
    conn: Connection, principal: Principal, contact_id: int, origin: str
) -> bytes | None:
    party = await _visible(conn, principal, "contacts", contact_id)
    if party is None:
        return None
    account_id = principal.account.id
    values = await store.party_values(conn, "contacts", account_id, party.id)
    companies = await store.contact_companies(conn, account_id, party.id)
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
            custom_fields_values=_custom_fields(values),
            account_id=account_id,
            links=self_links(f"{origin}/api/v4/contacts/{party.id}"),
            embedded=wire.ContactEmbedded(
                tags=[],
                companies=[
                    wire.CompanyRef(id=c, links=self_links(f"{origin}/api/v4/companies/{c}"))
                    for c in companies
                ],
            ),
        )
    )


async def read_company(
    conn: Connection, principal: Principal, company_id: int, origin: str
) -> bytes | None:
    party = await _visible(conn, principal, "companies", company_id)
    if party is None:
        return None
    values = await store.party_values(conn, "companies", principal.account.id, party.id)
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
            custom_fields_values=_custom_fields(values),
            account_id=principal.account.id,
            links=self_links(f"{origin}/api/v4/companies/{party.id}"),
            embedded=wire.CompanyEmbedded(tags=[]),
        )
    )
