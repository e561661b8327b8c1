"""What a lead write hands to the webhooks outbox: the leads a batch changed, and how, as the
items of Kommo's webhook body (``leads[add][0][id]=...``).

Leads call down into :mod:`kommodore.webhooks.outbox` and build the items from their own
store; webhooks never read a lead's table, so the two packages import one way only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from kommodore.db.database import Connection
from kommodore.leads import prices, store
from kommodore.leads.service import read_part
from kommodore.leads.store import LeadRow, TagPart, ValuePart
from kommodore.webhooks import outbox
from kommodore.webhooks.payload import Pair, flatten, scalar

Action = Literal["add", "update", "delete", "restore"]


@dataclass(frozen=True, slots=True)
class LeadChange:
    """A lead a batch changed. ``old_stage`` is its (pipeline_id, status_id) before the write
    when the stage changed (a ``status`` webhook); ``responsible_changed`` asks for a
    ``responsible`` one."""

    lead_id: int
    action: Action
    old_stage: tuple[int, int] | None = None
    responsible_changed: bool = False


def actions_of(change: LeadChange) -> tuple[str, ...]:
    """The body actions (as Kommo names them) one change appears under."""
    if change.action != "update":
        return (change.action,)
    actions = ["update"]
    if change.old_stage is not None:
        actions.append("status")
    if change.responsible_changed:
        actions.append("responsible")
    return tuple(actions)


async def enqueue_lead_changes(
    conn: Connection, account_id: int, changes: Sequence[LeadChange], now: int
) -> None:
    """Queue deliveries for the account's enabled webhooks subscribed to these changes.

    Without a subscribed webhook this costs one indexed query. Otherwise the leads are read
    as the transaction leaves them (after its writes) and handed to the outbox as items."""
    if not changes:
        return
    hooks = await outbox.subscribers(conn, account_id, {a for c in changes for a in actions_of(c)})
    if not hooks:
        return
    lead_ids = sorted({change.lead_id for change in changes})
    leads = await store.leads_by_id(conn, account_id, lead_ids)
    parts = await store.lead_parts(conn, account_id, lead_ids, contacts=False, elements=False)

    items: dict[str, list[Sequence[Pair]]] = {}
    plain: dict[int, list[Pair]] = {}
    for change in changes:
        lead = leads.get(change.lead_id)
        for action in actions_of(change):
            if action == "delete":
                item = deleted_pairs(change.lead_id, lead)
            elif lead is None:
                continue  # not in this account: nothing to report
            elif action == "status":
                item = lead_pairs(
                    lead, account_id, parts.tags[lead.id], parts.values[lead.id], change.old_stage
                )
            else:
                if lead.id not in plain:
                    plain[lead.id] = lead_pairs(
                        lead, account_id, parts.tags[lead.id], parts.values[lead.id]
                    )
                item = plain[lead.id]
            items.setdefault(action, []).append(item)
    await outbox.enqueue(conn, account_id, hooks, items, now)


def custom_field_pairs(values: Sequence[ValuePart]) -> list[Pair]:
    """``[custom_fields][i][id|name|code]`` and ``[values][j][value]`` (+ ``[enum]``, the
    enum's id) from the lead's values (ordered by field, then position). Dates are
    ``[value]=<unix seconds>``, checkboxes ``1``/``0``, object values nest in brackets."""
    pairs: list[Pair] = []
    field_index, value_index, current = -1, 0, None
    for v in values:
        if v.field_id != current:
            current, field_index, value_index = v.field_id, field_index + 1, 0
            base = f"[custom_fields][{field_index}]"
            pairs.append((f"{base}[id]", str(v.field_id)))
            pairs.append((f"{base}[name]", v.field_name))
            if v.field_code is not None:
                pairs.append((f"{base}[code]", v.field_code))
        item = f"[custom_fields][{field_index}][values][{value_index}]"
        for key, value in read_part(v).items():
            if key == "enum_code":
                continue
            pairs += flatten(f"{item}[enum]" if key == "enum_id" else f"{item}[{key}]", value)
        value_index += 1
    return pairs


def lead_pairs(
    lead: LeadRow,
    account_id: int,
    tags: Sequence[TagPart],
    values: Sequence[ValuePart],
    old_stage: tuple[int, int] | None = None,
) -> list[Pair]:
    """One item's keys relative to its ``leads[action][i]`` (``[id]``, ``[tags][0][id]``...), in
    the order of the real payload of Kommo's API; ``old_stage`` (pipeline, status) adds
    ``old_status_id`` and ``old_pipeline_id`` (status items)."""
    pairs: list[Pair] = [
        ("[id]", str(lead.id)),
        ("[name]", lead.name),
        ("[status_id]", str(lead.status_id)),
    ]
    if old_stage is not None:
        old_pipeline_id, old_status_id = old_stage
        pairs.append(("[old_status_id]", str(old_status_id)))
    pairs.append(("[pipeline_id]", str(lead.pipeline_id)))
    if old_stage is not None:
        pairs.append(("[old_pipeline_id]", str(old_pipeline_id)))
    pairs.append(("[price]", scalar(lead.price)))
    if lead.price_minor:
        pairs.append(("[price_with_minor_units]", prices.text(lead.price, lead.price_minor)))
    pairs += [
        ("[responsible_user_id]", str(lead.responsible_user_id)),
        ("[last_modified]", str(lead.updated_at)),
        ("[modified_user_id]", str(lead.updated_by)),
        ("[created_user_id]", str(lead.created_by)),
        ("[date_create]", str(lead.created_at)),
        ("[account_id]", str(account_id)),
    ]
    for index, tag in enumerate(tags):
        pairs.append((f"[tags][{index}][id]", str(tag.id)))
        pairs.append((f"[tags][{index}][name]", tag.name))
    pairs += custom_field_pairs(values)
    pairs.append(("[created_at]", str(lead.created_at)))
    pairs.append(("[updated_at]", str(lead.updated_at)))
    return pairs


def deleted_pairs(lead_id: int, lead: LeadRow | None) -> list[Pair]:
    """A delete item: the id, and the stage the lead was in."""
    pairs: list[Pair] = [("[id]", str(lead_id))]
    if lead is not None:
        pairs += [("[status_id]", str(lead.status_id)), ("[pipeline_id]", str(lead.pipeline_id))]
    return pairs
