"""What a lead write tells the world: its events and its webhook changes,
both written in the writing transaction (events.record, webhooks.outbox), so they exist exactly
when the change does."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from kommodore.db.database import Connection
from kommodore.events.record import NewEvent
from kommodore.events.values import ValueKey
from kommodore.leads import store


def stage_value(pipeline_id: int, status_id: int) -> list[dict[str, Any]]:
    return [{"lead_status": {"id": status_id, "pipeline_id": pipeline_id}}]


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
    entity_type: str = "lead",
) -> list[NewEvent]:
    """``entity_linked`` / ``entity_unlinked`` for each (entity type, id) gained or lost; on
    a lead, or on the contact or company ``entity_type`` names (their catalog elements)."""
    old, new = set(before), set(after)
    out = [
        NewEvent("entity_linked", lead_id, user_id,
                 [{"link": {"entity": {"type": kind, "id": entity_id}}}], entity_type=entity_type)
        for kind, entity_id in sorted(new - old)
    ]  # fmt: skip
    out += [
        NewEvent("entity_unlinked", lead_id, user_id,
                 [{"unlink": {"entity": {"type": kind, "id": entity_id}}}],
                 entity_type=entity_type)
        for kind, entity_id in sorted(old - new)
    ]  # fmt: skip
    return out


PARTY_TYPES = ("contact", "company")
"""The linked entity types whose own end records the link (catalog elements do not)."""


def party_end_events(
    lead_id: int,
    user_id: int,
    gained: Sequence[tuple[str, int]],
    lost: Sequence[tuple[str, int]] = (),
) -> list[NewEvent]:
    """The other end of each contact or company link a lead gained or lost: its own
    ``lead_linked``/``lead_unlinked`` naming the lead."""
    out = []
    for (etype, entity_id), gone in [(x, False) for x in gained] + [(x, True) for x in lost]:
        if etype not in PARTY_TYPES:
            continue
        action = "unlink" if gone else "link"
        value = [{action: {"entity": {"type": "lead", "id": lead_id}}}]
        out.append(NewEvent(f"lead_{action}ed", entity_id, user_id, value, entity_type=etype))
    return out
