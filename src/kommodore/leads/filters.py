"""The query of ``GET /api/v4/leads``: filters, search, order and deleted-ness.

Parsing is forgiving the way Kommo's clients need (every PHP spelling of a filter means the
same), but never widening: a value that cannot match anything (``filter[id]=abc``, a status
pair without its pipeline) matches nothing rather than being dropped, so a client's typo can
narrow a result to empty but never turn a filtered request into "all leads".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from kommodore.http.phpquery import as_list, as_range, get_path
from kommodore.http.query import Range, int_range, int_values, to_int
from kommodore.leads import prices

OrderColumn = Literal["id", "created_at", "updated_at"]
Direction = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True)
class CustomFieldFilter:
    field_id: int
    values: tuple[str, ...] = ()
    range: tuple[str | None, str | None] | None = None


@dataclass(slots=True)
class LeadQuery:
    ids: list[int] | None = None
    names: list[str] | None = None
    price: Range | None = None
    """In hundredths (``filter[price]`` may be fractional): vs ``price * 100 + price_minor``."""
    statuses: list[tuple[int, int]] | None = None
    pipeline_ids: list[int] | None = None
    created_by: list[int] | None = None
    updated_by: list[int] | None = None
    responsible_user_ids: list[int] | None = None
    created_at: Range | None = None
    updated_at: Range | None = None
    closed_at: Range | None = None
    closest_task_at: Range | None = None
    custom_fields: list[CustomFieldFilter] = field(default_factory=list)
    search: str | None = None
    tag_ids: list[int] | None = None
    """Leads with any of these tags: the console's board filter (the API has no tag filter)."""
    order: OrderColumn = "id"
    direction: Direction = "asc"
    only_deleted: bool = False
    modified_since: int | None = None
    """``If-Modified-Since``: leads changed at or after it."""


def _statuses(value: Any) -> list[tuple[int, int]] | None:
    """``filter[statuses][i][pipeline_id|status_id]``; a pair lacking either key is kept as an
    impossible pair (0, 0), so it matches nothing."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return []
    pairs = []
    for item in value.values():
        if not isinstance(item, dict):
            pairs.append((0, 0))
            continue
        pipeline = item.get("pipeline_id")
        status = item.get("status_id")
        p = to_int(pipeline) if isinstance(pipeline, str) else None
        s = to_int(status) if isinstance(status, str) else None
        pairs.append((p, s) if p is not None and s is not None else (0, 0))
    return pairs


def _custom_fields(value: Any) -> list[CustomFieldFilter]:
    if not isinstance(value, dict):
        return []
    filters = []
    for key, spec in value.items():
        field_id = to_int(key)
        if field_id is None:
            field_id = 0  # no such field: matches nothing
        if isinstance(spec, dict) and ("from" in spec or "to" in spec):
            bounds = as_range(spec)
            filters.append(CustomFieldFilter(field_id, range=bounds))
        else:
            filters.append(CustomFieldFilter(field_id, values=tuple(as_list(spec))))
    return filters


def _order(value: Any) -> tuple[OrderColumn, Direction]:
    """``order[created_at|updated_at|id]=asc|desc``; the first usable key wins."""
    if isinstance(value, dict):
        for key, direction in value.items():
            if key in ("id", "created_at", "updated_at") and isinstance(direction, str):
                d = direction.strip().lower()
                if d in ("asc", "desc"):
                    return key, d  # type: ignore[return-value]
    return "id", "asc"


def lead_query(
    params: dict[str, Any], with_: frozenset[str], modified_since: int | None = None
) -> LeadQuery:
    f = params.get("filter")
    filters: dict[str, Any] = f if isinstance(f, dict) else {}
    names = filters.get("name")
    search = params.get("query")
    order, direction = _order(params.get("order"))
    return LeadQuery(
        ids=int_values(filters.get("id")),
        names=as_list(names) if names is not None else None,
        price=prices.cents_range(as_range(filters.get("price"))),
        statuses=_statuses(filters.get("statuses")),
        pipeline_ids=int_values(filters.get("pipeline_id")),
        created_by=int_values(filters.get("created_by")),
        updated_by=int_values(filters.get("updated_by")),
        responsible_user_ids=int_values(filters.get("responsible_user_id")),
        created_at=int_range(filters.get("created_at")),
        updated_at=int_range(filters.get("updated_at")),
        closed_at=int_range(filters.get("closed_at")),
        closest_task_at=int_range(filters.get("closest_task_at")),
        custom_fields=_custom_fields(get_path(params, "filter", "custom_fields_values")),
        search=(search.strip() or None) if isinstance(search, str) else None,
        order=order,
        direction=direction,
        only_deleted="only_deleted" in with_,
        modified_since=modified_since,
    )
