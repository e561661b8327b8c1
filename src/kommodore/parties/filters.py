"""The query of ``GET /api/v4/contacts`` and ``/companies``: filters, ``query``, order.

As for leads, parsing never widens: a value that cannot match (``filter[id]=abc``) matches
nothing rather than being dropped. ``filter[custom_fields_values]`` is keyed by field id or,
as the official SDK sends it, by field code (``[PHONE]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from kommodore.http.phpquery import as_list, as_range, get_path
from kommodore.http.query import Range, int_range, int_values, to_int

OrderColumn = Literal["id", "updated_at"]
Direction = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """One ``filter[custom_fields_values][key]``: ``key`` a field id or a field code."""

    field_id: int | None
    code: str | None
    values: tuple[str, ...] = ()
    range: tuple[str | None, str | None] | None = None


@dataclass(slots=True)
class PartyQuery:
    ids: list[int] | None = None
    names: list[str] | None = None
    created_by: list[int] | None = None
    updated_by: list[int] | None = None
    responsible_user_ids: list[int] | None = None
    created_at: Range | None = None
    updated_at: Range | None = None
    closest_task_at: Range | None = None
    custom_fields: list[FieldFilter] = field(default_factory=list)
    search: str | None = None
    order: OrderColumn = "id"
    direction: Direction = "asc"
    only_deleted: bool = False
    modified_since: int | None = None
    """``If-Modified-Since``: parties changed at or after it."""


def _custom_fields(value: Any) -> list[FieldFilter]:
    if not isinstance(value, dict):
        return []
    filters = []
    for key, spec in value.items():
        field_id = to_int(key)
        code = None if field_id is not None else key
        if isinstance(spec, dict) and ("from" in spec or "to" in spec):
            filters.append(FieldFilter(field_id, code, range=as_range(spec)))
        else:
            filters.append(FieldFilter(field_id, code, values=tuple(as_list(spec))))
    return filters


def _order(value: Any) -> tuple[OrderColumn, Direction]:
    """``order[updated_at|id]=asc|desc``; anything else (``order=updated_at_desc``) is
    ignored [DECISION §2.2]."""
    if isinstance(value, dict):
        for key, direction in value.items():
            if key in ("id", "updated_at") and isinstance(direction, str):
                d = direction.strip().lower()
                if d in ("asc", "desc"):
                    return key, d  # type: ignore[return-value]
    return "id", "asc"


def party_query(
    params: dict[str, Any], with_: frozenset[str], modified_since: int | None = None
) -> PartyQuery:
    f = params.get("filter")
    filters: dict[str, Any] = f if isinstance(f, dict) else {}
    names = filters.get("name")
    raw = params.get("query")
    texts = as_list(raw) if isinstance(raw, str | dict) else []
    search = texts[0].strip() if texts else ""
    order, direction = _order(params.get("order"))
    return PartyQuery(
        ids=int_values(filters.get("id")),
        names=as_list(names) if names is not None else None,
        created_by=int_values(filters.get("created_by")),
        updated_by=int_values(filters.get("updated_by")),
        responsible_user_ids=int_values(filters.get("responsible_user_id")),
        created_at=int_range(filters.get("created_at")),
        updated_at=int_range(filters.get("updated_at")),
        closest_task_at=int_range(filters.get("closest_task_at")),
        custom_fields=_custom_fields(get_path(params, "filter", "custom_fields_values")),
        search=search or None,
        order=order,
        direction=direction,
        only_deleted="only_deleted" in with_,
        modified_since=modified_since,
    )
