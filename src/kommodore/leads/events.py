"""What a lead write tells the world: its events and its webhook changes,
both written in the writing transaction (events.record, webhooks.outbox), so they exist exactly
when the change does."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from kommodore.db.database import Connection
from kommodore.events.record import NewEvent
from kommodore.leads import store

#: Kommo's numeric field type codes (the amoCRM v2 ids) for ``custom_field_value.field_type``.
FIELD_TYPE_CODES = {
    "text": 1, "numeric": 2, "checkbox": 3, "select": 4, "multiselect": 5, "date": 6, "url": 7,
    "multitext": 8, "textarea": 9, "radiobutton": 10, "streetaddress": 11, "smart_address": 13,
    "birthday": 14, "legal_entity": 15, "items": 16, "category": 17, "date_time": 19,
    "price": 20, "tracking_data": 21, "linked_entity": 22, "chained_list": 23, "monetary": 24,
    "file": 25, "payer": 26, "supplier": 27, "org_legal_name": 28,
}  # fmt: skip

ValueKey = tuple[int | None, str | None, int | None, str | None]
"""(enum_id, value_text, value_int, value_json): what identifies a stored value."""


def stage_value(pipeline_id: int, status_id: int) -> list[dict[str, Any]]:
    return [{"lead_status": {"id": status_id, "pipeline_id": pipeline_id}}]


def value_entry(field_id: int, field_type: str, key: ValueKey, label: str | None) -> dict[str, Any]:
    """One ``custom_field_value`` of an event: the enum's label or the value as text."""
    enum_id, text, number, blob = key
    shown = label if label is not None else text
    if shown is None and number is not None:
        shown = str(number)
    if shown is None:
        shown = blob
    return {
        "custom_field_value": {
            "field_id": field_id,
            "field_type": FIELD_TYPE_CODES.get(field_type, 0),
            "enum_id": enum_id,
            "text": shown,
        }
    }


async def old_values(
    conn: Connection, account_id: int, pairs: Collection[tuple[int, int]]
) -> dict[tuple[int, int], list[tuple[ValueKey, str | None]]]:
    """The values edited fields held before the write, by (lead id, field id)."""
    found: dict[tuple[int, int], list[tuple[ValueKey, str | None]]] = {}
    if not pairs:
        return found
    leads = sorted({lead_id for lead_id, _ in pairs})
    fields = sorted({field_id for _, field_id in pairs})
    for v in await store.values_of(conn, account_id, leads, fields):
        key = (v.lead_id, v.field_id)
        if key in pairs:
            found.setdefault(key, []).append(
                ((v.enum_id, v.value_text, v.value_int, v.value_json), v.enum_value)
            )
    return found


def tag_events(
    lead_id: int,
    user_id: int,
    before: set[int],
    after: set[int],
    names: Mapping[int, str],
) -> list[NewEvent]:
    """``entity_tag_added`` / ``entity_tag_deleted``, one per tag, by tag name."""
    out = [
        NewEvent("entity_tag_added", lead_id, user_id, [{"tag": {"name": names.get(t, "")}}])
        for t in sorted(after - before)
    ]
    out += [
        NewEvent("entity_tag_deleted", lead_id, user_id, [], [{"tag": {"name": names.get(t, "")}}])
        for t in sorted(before - after)
    ]
    return out


def link_events(
    lead_id: int,
    user_id: int,
    before: Sequence[tuple[str, int]],
    after: Sequence[tuple[str, int]],
) -> list[NewEvent]:
    """``entity_linked`` / ``entity_unlinked`` for each (entity type, id) gained or lost."""
    old, new = set(before), set(after)
    out = [
        NewEvent("entity_linked", lead_id, user_id,
                 [{"link": {"entity": {"type": kind, "id": entity_id}}}])
        for kind, entity_id in sorted(new - old)
    ]  # fmt: skip
    out += [
        NewEvent("entity_unlinked", lead_id, user_id,
                 [{"unlink": {"entity": {"type": kind, "id": entity_id}}}])
        for kind, entity_id in sorted(old - new)
    ]  # fmt: skip
    return out
