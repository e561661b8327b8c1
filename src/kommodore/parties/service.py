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
from kommodore.parties.store import Kind, PartyRow, ValueRow


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


def _custom_fields(rows: Sequence[ValueRow]) -> list[dict[str, Any]] | None:
    """Kommo's read shapes, one entry per field; ``None`` without values."""
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
                enum_code=r.enum_code,
                value_text=r.value_text,
                value_int=r.value_int,
                value_json=r.value_json,
            )
        )
    return entries or None


async def read_party(
    conn: Connection, principal: Principal, kind: Kind, party_id: int, origin: str
) -> bytes | None:
    """The contact's or company's JSON, or None (Kommo's 204)."""
    party = await _visible(conn, principal, kind, party_id)
    if party is None:
        return None
    account_id = principal.account.id
    values = await store.party_values(conn, kind, account_id, party.id)
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
        is_unsorted=False,
        custom_fields_values=_custom_fields(values),
        account_id=account_id,
        links=self_links(f"{origin}/api/v4/{kind}/{party.id}"),
        embedded=wire.PartyEmbedded(tags=[]),
    )
    if kind == "contacts":
        model.first_name = party.first_name or ""
        model.last_name = party.last_name or ""
        model.embedded.companies = [
            wire.CompanyRef(id=c, links=self_links(f"{origin}/api/v4/companies/{c}"))
            for c in await store.contact_companies(conn, account_id, party.id)
        ]
    return wire.encoder.encode(model)
