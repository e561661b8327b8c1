"""SQL for ``GET /api/v4/leads``: one statement per page, filters and rights inside it.

Rights are part of the WHERE clause rather than a filter applied afterwards, so every page is
full and ``_links.next`` is exact. Integers are inlined only after ``int()`` has checked them;
every string goes in as a parameter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kommodore.auth.rights import Visibility
from kommodore.auth.store import lead_visibility_sql
from kommodore.custom_fields import types
from kommodore.db.database import Connection, Dialect, composed, int_array, sql
from kommodore.http.query import Range, like_pattern, to_int, to_number
from kommodore.leads.filters import CustomFieldFilter, LeadQuery
from kommodore.leads.store import LEAD_SELECT, LeadRow, lead_row
from kommodore.search.index import glob_pattern

FALSE = "1 = 0"

FIELD_TYPES = sql(
    "SELECT id, type FROM custom_fields WHERE account_id = $1 AND entity_type = 'leads' "
    "AND id = ANY($2::bigint[])"
)


class _Sql:
    """Collects a WHERE clause and its parameters for one dialect."""

    def __init__(self, dialect: Dialect, account_id: int) -> None:
        self.dialect = dialect
        self.args: list[Any] = [account_id]
        self.clauses: list[str] = ["l.account_id = " + self.mark(1)]

    def mark(self, n: int) -> str:
        return f"${n}" if self.dialect == "postgresql" else f"?{n}"

    def arg(self, value: Any) -> str:
        self.args.append(value)
        return self.mark(len(self.args))

    def ints_in(self, column: str, values: Sequence[int]) -> str:
        if not values:
            return FALSE
        if len(values) == 1:
            return f"{column} = {int(values[0])}"
        if self.dialect == "postgresql":
            return f"{column} = ANY({self.arg(list(values))}::bigint[])"
        return f"{column} IN (SELECT value FROM json_each({self.arg(int_array('sqlite', values))}))"

    def texts_in(self, column: str, values: Sequence[str]) -> str:
        if not values:
            return FALSE
        if self.dialect == "postgresql":
            return f"{column} = ANY({self.arg(list(values))}::text[])"
        return f"{column} IN (SELECT value FROM json_each({self.arg(json.dumps(list(values)))}))"

    def numbers_in(self, column: str, values: Sequence[float]) -> str:
        if not values:
            return FALSE
        return f"{column} IN ({', '.join(repr(float(v)) for v in values)})"

    def lower(self, expression: str) -> str:
        function = "lower" if self.dialect == "postgresql" else "kommo_lower"
        return f"{function}({expression})"


def _range(column: str, bounds: Range) -> str:
    low, high = bounds
    parts = []
    if low is not None:
        parts.append(f"{column} >= {int(low)}")
    if high is not None:
        parts.append(f"{column} <= {int(high)}")
    return " AND ".join(parts) if parts else f"{column} IS NOT NULL"


def _values_subquery(q: _Sql, field_id: int, condition: str) -> str:
    """A correlated EXISTS: walking leads in the page's order and probing the value index
    stops as soon as the page is full, where an IN list would first collect every match."""
    return (
        "EXISTS (SELECT 1 FROM lead_custom_field_values v WHERE v.account_id = l.account_id "
        f"AND v.lead_id = l.id AND v.field_id = {int(field_id)} AND {condition})"
    )


def _custom_field(q: _Sql, f: CustomFieldFilter, field_type: str | None) -> str:
    """One ``filter[custom_fields_values][id]`` by the field's type."""
    if field_type is None:
        return FALSE
    if f.range is not None:
        low, high = f.range
        lo: float | None
        hi: float | None
        if field_type in types.DATE:
            lo, hi = (to_int(low) if low else None), (to_int(high) if high else None)
            column = "v.value_int"
        elif field_type in types.NUMERIC:
            lo, hi = (to_number(low) if low else None), (to_number(high) if high else None)
            column = "v.value_number"
        else:
            return FALSE
        if (low and lo is None) or (high and hi is None):
            return FALSE
        bounds = []
        if lo is not None:
            bounds.append(f"{column} >= {lo!r}")
        if hi is not None:
            bounds.append(f"{column} <= {hi!r}")
        if not bounds:
            return FALSE
        return _values_subquery(q, f.field_id, " AND ".join(bounds))
    if field_type in types.CHECKBOX:
        checked = _values_subquery(q, f.field_id, "v.value_int = 1")
        wanted = {v.strip().lower() for v in f.values}
        on = bool(wanted & {"1", "true"})
        off = bool(wanted & {"0", "false"})
        if on and off:
            return "1 = 1"
        if on:
            return checked
        return f"NOT {checked}" if off else FALSE
    if field_type in types.ENUM_LABEL:
        enums = [e for v in f.values if (e := to_int(v)) is not None]
        return _values_subquery(q, f.field_id, q.ints_in("v.enum_id", enums)) if enums else FALSE
    if field_type in types.NUMERIC:
        numbers = [x for v in f.values if (x := to_number(v)) is not None]
        if not numbers:
            return FALSE
        return _values_subquery(q, f.field_id, q.numbers_in("v.value_number", numbers))
    if field_type in types.DATE:
        stamps = [t for v in f.values if (t := to_int(v)) is not None]
        if not stamps:
            return FALSE
        return _values_subquery(q, f.field_id, q.ints_in("v.value_int", stamps))
    if field_type in types.TEXT or field_type in types.ENUM_TYPED_TEXT:
        if not f.values:
            return FALSE
        prefixes = q.texts_in("substr(v.value_text, 1, 100)", [v[:100] for v in f.values])
        exact = q.texts_in("v.value_text", list(f.values))
        return _values_subquery(q, f.field_id, f"{prefixes} AND {exact}")
    return FALSE  # object-valued fields cannot be filtered


async def list_lead_rows(
    conn: Connection,
    account_id: int,
    query: LeadQuery,
    visibility: Visibility,
    offset: int,
    limit: int,
) -> list[LeadRow]:
    """Up to ``limit`` visible leads matching ``query`` from ``offset``, in the query's order."""
    q = _Sql(conn.dialect, account_id)
    w = q.clauses
    w.append("l.is_deleted" if query.only_deleted else "NOT l.is_deleted")
    if query.ids is not None:
        w.append(q.ints_in("l.id", query.ids))
    if query.names is not None:
        w.append(q.texts_in("l.name", query.names))
    if query.price is not None:
        w.append(_range("l.price", query.price))
    if query.statuses is not None:
        pairs = [
            f"(l.pipeline_id = {int(p)} AND l.status_id = {int(s)})" for p, s in query.statuses
        ]
        w.append("(" + " OR ".join(pairs) + ")" if pairs else FALSE)
    for column, ids in (
        ("l.pipeline_id", query.pipeline_ids),
        ("l.created_by", query.created_by),
        ("l.updated_by", query.updated_by),
        ("l.responsible_user_id", query.responsible_user_ids),
    ):
        if ids is not None:
            w.append(q.ints_in(column, ids))
    for column, bounds in (
        ("l.created_at", query.created_at),
        ("l.updated_at", query.updated_at),
        ("l.closed_at", query.closed_at),
        ("l.closest_task_at", query.closest_task_at),
    ):
        if bounds is not None:
            w.append(_range(column, bounds))
    if query.custom_fields:
        field_ids = sorted({f.field_id for f in query.custom_fields})
        rows = await conn.fetch_all(FIELD_TYPES, account_id, int_array(conn.dialect, field_ids))
        field_types = {row[0]: row[1] for row in rows}
        for f in query.custom_fields:
            w.append(_custom_field(q, f, field_types.get(f.field_id)))
    if query.search:
        w.append(_search(q, query.search))
    rights = lead_visibility_sql(visibility)
    if rights:
        w.append(rights)
    direction = "DESC" if query.direction == "desc" else "ASC"
    order = f"l.id {direction}"
    if query.order != "id":
        order = f"l.{query.order} {direction}, {order}"
    text = (
        f"{LEAD_SELECT} WHERE {' AND '.join(w)} "
        f"ORDER BY {order} LIMIT {int(limit)} OFFSET {int(offset)}"
    )
    rows = await conn.fetch_all(composed(conn.dialect, text), *q.args)
    return [lead_row(r) for r in rows]


def _search(q: _Sql, text: str) -> str:
    """``query``: a case-insensitive substring of the name, of any custom field value's text
    or of an enum label, answered from the search index; or the lead's id when the query is a
    number."""
    if q.dialect == "postgresql":
        pattern = q.arg(like_pattern(text))
        indexed = (
            f"l.id IN (SELECT s.lead_id FROM lead_search s WHERE s.account_id = {q.mark(1)} "
            f"AND s.text LIKE {pattern} ESCAPE '\\')"
        )
    else:
        pattern = q.arg(glob_pattern(text))
        indexed = f"l.id IN (SELECT rowid FROM lead_search WHERE text GLOB {pattern})"
    number = to_int(text)
    return f"({indexed} OR l.id = {number})" if number is not None else indexed
