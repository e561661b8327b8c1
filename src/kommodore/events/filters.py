"""The query of ``GET /api/v4/events``: filters parsed the way Kommo's clients send
them (the PHP SDK joins lists with commas; arrays and repeated keys work too).

As for leads, a value that cannot match (``filter[created_by]=abc``, an unknown ``value_after``
key) matches nothing rather than being dropped: a typo can narrow a result, never widen it.
Requests Kommo documents as malformed (more than 10 ``created_by`` or ``entity_id``,
``entity_id`` without exactly one ``entity``, ``custom_field_values`` without exactly one
``custom_field_{ID}_value_changed`` type) are a 400 problem naming the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kommodore.http.phpquery import as_list
from kommodore.http.problems import Problem
from kommodore.http.query import to_int

RECORDED_ENTITIES = ("lead", "contact", "company", "task")
"""The entity types kommodore records events of."""

MAX_CREATED_BY = 10
MAX_ENTITY_IDS = 10

FIELD_TYPE = re.compile(r"custom_field_(\d{1,19})_value_changed")
"""``custom_field_{ID}_value_changed``: stored as ``custom_field_value_changed`` events whose
value names field ID."""

Range = tuple[int | None, int | None]
EMPTY_RANGE: Range = (1, 0)


def csv(value: Any) -> list[str]:
    """A list filter: an array, a repeated key, or one comma-separated string; blanks dropped."""
    return [part.strip() for v in as_list(value) for part in v.split(",") if part.strip()]


def ints(value: Any) -> list[int]:
    """Integers of a list filter; members that are not integers are left out (they match
    nothing, so an all-invalid list matches nothing)."""
    return [n for v in csv(value) if (n := to_int(v)) is not None]


@dataclass(slots=True)
class ValueFilter:
    """``filter[value_after]`` or ``filter[value_before]``: every key given must match."""

    statuses: list[tuple[int, int]] | None = None
    responsible_user_ids: list[int] | None = None
    enum_ids: list[int] | None = None
    values: list[str] | None = None
    impossible: bool = False


@dataclass(slots=True)
class EventQuery:
    ids: list[str] | None = None
    created_at: Range | None = None
    created_by: list[int] | None = None
    entity_ids: list[int] | None = None
    entities: tuple[str, ...] = RECORDED_ENTITIES
    """The entity types asked for (``filter[entity]``) among those kommodore records events
    of; empty when it names none of them."""
    types: list[str] | None = None
    field_ids: list[int] = field(default_factory=list)
    """Fields of ``custom_field_{ID}_value_changed`` types in ``filter[type]``."""
    value_after: ValueFilter | None = None
    value_before: ValueFilter | None = None


def _created_at(value: Any) -> Range | None:
    """A timestamp (events from it on), ``from,to`` in one string, or ``[from]``/``[to]``."""
    if value is None:
        return None
    if isinstance(value, dict):
        low, high = value.get("from"), value.get("to")
        bounds = [b if isinstance(b, str) and b.strip() else None for b in (low, high)]
    else:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) > 2:
            return EMPTY_RANGE
        bounds = [p or None for p in parts] + [None] * (2 - len(parts))
    parsed = [to_int(b) if b is not None else None for b in bounds]
    if any(b is not None and p is None for b, p in zip(bounds, parsed, strict=True)):
        return EMPTY_RANGE
    if parsed[0] is None and parsed[1] is None:
        return None
    return (parsed[0], parsed[1])


def _statuses(value: Any) -> list[tuple[int, int]]:
    """``[leads_statuses][i][pipeline_id|status_id]``; a pair lacking a key matches nothing."""
    if not isinstance(value, dict):
        return []
    pairs = []
    for item in value.values():
        pipeline = item.get("pipeline_id") if isinstance(item, dict) else None
        status = item.get("status_id") if isinstance(item, dict) else None
        p = to_int(pipeline) if isinstance(pipeline, str) else None
        s = to_int(status) if isinstance(status, str) else None
        pairs.append((p, s) if p is not None and s is not None else (0, 0))
    return pairs


def _value_filter(value: Any) -> ValueFilter | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return ValueFilter(impossible=True)
    found = ValueFilter()
    for key, item in value.items():
        if key == "leads_statuses":
            found.statuses = _statuses(item)
        elif key == "responsible_user_id":
            found.responsible_user_ids = ints(item)
        elif key == "custom_field_values":
            found.enum_ids = ints(item)
        elif key == "value":
            # names may hold commas: a list is an array or a repeated key, never csv
            found.values = as_list(item)
        else:
            found.impossible = True
    return found


def event_query(params: dict[str, Any]) -> EventQuery:
    f = params.get("filter")
    filters: dict[str, Any] = f if isinstance(f, dict) else {}
    query = EventQuery()
    if (ids := filters.get("id")) is not None:
        query.ids = csv(ids)
    query.created_at = _created_at(filters.get("created_at"))
    if (created_by := filters.get("created_by")) is not None:
        if len(csv(created_by)) > MAX_CREATED_BY:
            raise Problem(400, f"filter[created_by] takes at most {MAX_CREATED_BY} ids")
        query.created_by = ints(created_by)
    entities = csv(filters["entity"]) if filters.get("entity") is not None else None
    if entities is not None:
        query.entities = tuple(e for e in RECORDED_ENTITIES if e in entities)
    if (entity_ids := filters.get("entity_id")) is not None:
        if entities is None or len(set(entities)) != 1:
            raise Problem(400, "filter[entity_id] requires exactly one filter[entity]")
        if len(csv(entity_ids)) > MAX_ENTITY_IDS:
            raise Problem(400, f"filter[entity_id] takes at most {MAX_ENTITY_IDS} ids")
        query.entity_ids = ints(entity_ids)
    if (types := filters.get("type")) is not None:
        query.types = []
        for name in csv(types):
            match = FIELD_TYPE.fullmatch(name)
            if match:
                query.field_ids.append(int(match.group(1)))
            else:
                query.types.append(name)
    query.value_after = _value_filter(filters.get("value_after"))
    query.value_before = _value_filter(filters.get("value_before"))
    for side in (query.value_after, query.value_before):
        enums = side is not None and side.enum_ids is not None
        if enums and (query.types or len(query.field_ids) != 1):
            raise Problem(
                400,
                "filter[value_after|value_before][custom_field_values] requires exactly "
                "one filter[type] custom_field_{ID}_value_changed",
            )
    return query
