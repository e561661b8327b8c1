"""What a contact or company write hands to the webhooks outbox: Kommo's items under
``contacts[{action}][i]`` for both contacts and companies (the ``type`` key tells them apart),
with the legacy field names of real payloads. Queued in the writing transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kommodore.custom_fields.values import read_value
from kommodore.db.database import Connection
from kommodore.parties import store
from kommodore.parties.store import Kind, PartyRow, ValueRow
from kommodore.webhooks import outbox
from kommodore.webhooks.payload import Pair, flatten

Action = Literal["add", "update"]
SINGULAR: dict[Kind, str] = {"contacts": "contact", "companies": "company"}


@dataclass(frozen=True, slots=True)
class PartyChange:
    party_id: int
    action: Action
    old_responsible: int | None = None
    """The responsible user before an edit that changed it (a ``responsible`` item too)."""


def _actions(change: PartyChange) -> tuple[str, ...]:
    if change.action == "update" and change.old_responsible is not None:
        return ("update", "responsible")
    return (change.action,)


def _values(values: Sequence[ValueRow]) -> list[Pair]:
    """``[custom_fields][i][id|name]``, ``[values][j][value]`` (+ ``[enum]``, the enum's id),
    then ``[code]``, in the order of Kommo's example."""
    pairs: list[Pair] = []
    field_index, value_index, current, code = -1, 0, None, None
    for v in values:
        if v.field_id != current:
            if code is not None:
                pairs.append((f"[custom_fields][{field_index}][code]", code))
            current, field_index, value_index = v.field_id, field_index + 1, 0
            code = v.field_code
            pairs.append((f"[custom_fields][{field_index}][id]", str(v.field_id)))
            pairs.append((f"[custom_fields][{field_index}][name]", v.field_name))
        item = f"[custom_fields][{field_index}][values][{value_index}]"
        shown = read_value(
            v.field_type, enum_id=v.enum_id, enum_value=v.enum_value, enum_code=v.enum_code,
            value_text=v.value_text, value_int=v.value_int, value_json=v.value_json,
        )  # fmt: skip
        for key, value in shown.items():
            if key == "enum_code":
                continue
            pairs += flatten(f"{item}[enum]" if key == "enum_id" else f"{item}[{key}]", value)
        value_index += 1
    if code is not None:
        pairs.append((f"[custom_fields][{field_index}][code]", code))
    return pairs


def party_pairs(
    kind: Kind,
    party: PartyRow,
    account_id: int,
    values: Sequence[ValueRow],
    tags: Sequence[tuple[int, str]],
    leads: Sequence[int],
    company: tuple[int, str] | None,
    old_responsible: int | None = None,
) -> list[Pair]:
    """One item's keys relative to its ``contacts[action][i]``."""
    pairs: list[Pair] = [
        ("[id]", str(party.id)),
        ("[name]", party.name),
        ("[responsible_user_id]", str(party.responsible_user_id)),
    ]
    if old_responsible is not None:
        pairs.append(("[old_responsible_user_id]", str(old_responsible)))
    pairs += [
        ("[date_create]", str(party.created_at)),
        ("[last_modified]", str(party.updated_at)),
        ("[created_user_id]", str(party.created_by)),
        ("[modified_user_id]", str(party.updated_by)),
    ]
    if company is not None:
        pairs += [("[company_name]", company[1]), ("[linked_company_id]", str(company[0]))]
    pairs.append(("[account_id]", str(account_id)))
    for index, (tag_id, name) in enumerate(tags):
        pairs += [(f"[tags][{index}][id]", str(tag_id)), (f"[tags][{index}][name]", name)]
    pairs += _values(values)
    pairs += [(f"[linked_leads_id][{lead}][ID]", str(lead)) for lead in leads]
    pairs += [
        ("[created_at]", str(party.created_at)),
        ("[updated_at]", str(party.updated_at)),
        ("[type]", SINGULAR[kind]),
    ]
    return pairs


async def enqueue_party_changes(
    conn: Connection, kind: Kind, account_id: int, changes: Sequence[PartyChange], now: int
) -> None:
    """Queue deliveries for the webhooks subscribed to these changes (``add_contact``,
    ``update_company``, ``responsible_contact`` ...); one indexed query when none is."""
    if not changes:
        return
    wanted = {a for c in changes for a in _actions(c)}
    hooks = await outbox.subscribers(conn, account_id, wanted, SINGULAR[kind])
    if not hooks:
        return
    ids = sorted({c.party_id for c in changes})
    parties = {
        p.id: p for p in [await store.get_party(conn, kind, account_id, i) for i in ids] if p
    }
    values = await store.party_values(conn, kind, account_id, ids)
    tags = await store.party_tags(conn, kind, account_id, ids)
    leads = await store.linked(conn, kind, "leads", account_id, ids)
    companies: dict[int, tuple[int, str]] = {}
    if kind == "contacts":
        for contact_id, company_ids in (
            await store.linked(conn, kind, "companies", account_id, ids)
        ).items():
            company = await store.get_party(conn, "companies", account_id, company_ids[0])
            if company is not None:
                companies[contact_id] = (company.id, company.name)
    items: dict[str, list[Sequence[Pair]]] = {}
    for change in changes:
        party = parties.get(change.party_id)
        if party is None:
            continue
        for action in _actions(change):
            items.setdefault(action, []).append(
                party_pairs(
                    kind, party, account_id, values.get(party.id, []), tags.get(party.id, []),
                    leads.get(party.id, []), companies.get(party.id),
                    change.old_responsible if action == "responsible" else None,
                )
            )  # fmt: skip
    await outbox.enqueue(conn, account_id, hooks, items, now, top="contacts")
