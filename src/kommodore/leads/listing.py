"""SQL for ``GET /api/v4/leads``: one statement per page, filters and rights inside it.

Rights are part of the WHERE clause rather than a filter applied afterwards, so every page is
full and ``_links.next`` is exact. The statement is put together per request from fixed
fragments of this module (and the rights predicate of :mod:`kommodore.auth.store`); every value
a client sends, the page's LIMIT and OFFSET too, goes in as a parameter.
"""

from __future__ import annotations

from typing import NamedTuple

from kommodore.auth.rights import Visibility
from kommodore.auth.store import lead_visibility_sql
from kommodore.custom_fields import types
from kommodore.custom_fields.value_filters import range_bounds
from kommodore.db.database import Connection, composed, fetch_rows, int_array, sql
from kommodore.db.where import FALSE, Where, since
from kommodore.http.query import like_pattern, to_int, to_number
from kommodore.leads import prices
from kommodore.leads.filters import CustomFieldFilter, LeadQuery
from kommodore.leads.store import LEAD_SELECT, LeadRow, lead_rows
from kommodore.search.index import glob_pattern

FIELD_TYPES = sql(
    "SELECT id, type FROM custom_fields WHERE account_id = $1 AND entity_type = 'leads' "
    "AND id = ANY($2::bigint[])"
)


class _FieldType(NamedTuple):
    id: int
    type: str


def _values_subquery(q: Where, field_id: int, condition: str) -> str:
    """A correlated EXISTS: walking leads in the page's order and probing the value index
    stops as soon as the page is full, where an IN list would first collect every match."""
    return (
        "EXISTS (SELECT 1 FROM lead_custom_field_values v WHERE v.account_id = l.account_id "  # noqa: S608 (a condition built by Where)
        f"AND v.lead_id = l.id AND v.field_id = {q.arg(int(field_id))} AND {condition})"
    )


def _custom_field(q: Where, f: CustomFieldFilter, field_type: str | None) -> str:
    """One ``filter[custom_fields_values][id]`` by the field's type."""
    if field_type is None:
        return FALSE
    if f.range is not None:
        bounds = range_bounds(q, field_type, f.range)
        return _values_subquery(q, f.field_id, " AND ".join(bounds)) if bounds else FALSE
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


async def _where(
    conn: Connection, account_id: int, query: LeadQuery, visibility: Visibility
) -> Where:
    """Every clause of ``query`` and the rights, on leads aliased ``l``."""
    q = Where(conn.dialect, "l.account_id", account_id)
    w = q.clauses
    w.append("l.is_deleted" if query.only_deleted else "NOT l.is_deleted")
    q.filter(
        [
            ("l.id", query.ids, q.ints_in),
            ("l.name", query.names, q.texts_in),
            ("l.price", prices.whole_range(query.price), q.range),
            (f"(l.price * {prices.SCALE} + l.price_minor)", query.price, q.range),
            ("l.pipeline_id", query.pipeline_ids, q.ints_in),
            ("l.created_by", query.created_by, q.ints_in),
            ("l.updated_by", query.updated_by, q.ints_in),
            ("l.responsible_user_id", query.responsible_user_ids, q.ints_in),
            ("l.created_at", query.created_at, q.range),
            ("l.updated_at", query.updated_at, q.range),
            ("l.updated_at", since(query.modified_since), q.range),
            ("l.closed_at", query.closed_at, q.range),
            ("l.closest_task_at", query.closest_task_at, q.range),
        ]
    )
    if query.statuses is not None:
        pairs = [
            f"(l.pipeline_id = {q.arg(int(p))} AND l.status_id = {q.arg(int(s))})"
            for p, s in query.statuses
        ]
        w.append("(" + " OR ".join(pairs) + ")" if pairs else FALSE)
    if query.custom_fields:
        field_ids = sorted({f.field_id for f in query.custom_fields})
        ids = int_array(conn.dialect, field_ids)
        field_types = {
            f.id: f.type for f in await fetch_rows(conn, _FieldType, FIELD_TYPES, account_id, ids)
        }
        for f in query.custom_fields:
            w.append(_custom_field(q, f, field_types.get(f.field_id)))
    if query.search:
        w.append(_search(q, query.search))
    if query.tag_ids is not None:
        tagged = q.ints_in("t.tag_id", query.tag_ids)
        w.append(
            f"l.id IN (SELECT t.lead_id FROM lead_tags t WHERE t.account_id = {q.mark(1)} "  # noqa: S608 (parameter marks and a clause of bound values)
            f"AND {tagged})"
        )
    rights = lead_visibility_sql(visibility, q.arg)
    if rights:
        w.append(rights)
    return q


async def list_lead_rows(
    conn: Connection,
    account_id: int,
    query: LeadQuery,
    visibility: Visibility,
    offset: int,
    limit: int,
) -> list[LeadRow]:
    """Up to ``limit`` visible leads matching ``query`` from ``offset``, in the query's order."""
    q = await _where(conn, account_id, query, visibility)
    direction = "DESC" if query.direction == "desc" else "ASC"
    order = f"l.id {direction}"
    if query.order != "id":
        order = f"l.{query.order} {direction}, {order}"
    return await lead_rows(conn, q.page(LEAD_SELECT, order, offset, limit), *q.args)


class StageTotal(NamedTuple):
    pipeline_id: int
    status_id: int
    leads: int
    price: int


async def stage_totals(
    conn: Connection, account_id: int, query: LeadQuery, visibility: Visibility
) -> list[StageTotal]:
    """How many visible leads match ``query`` in each stage, and their prices' sum (a board's
    column heads)."""
    q = await _where(conn, account_id, query, visibility)
    statement = (
        "SELECT l.pipeline_id, l.status_id, count(*) AS leads, "  # noqa: S608 (clauses of bound values)
        f"coalesce(sum(l.price), 0) AS price FROM leads l WHERE {' AND '.join(q.clauses)} "
        "GROUP BY l.pipeline_id, l.status_id"
    )
    return await fetch_rows(conn, StageTotal, composed(conn.dialect, statement), *q.args)


def _search(q: Where, text: str) -> str:
    """``query``: a case-insensitive substring of the name, of any custom field value's text
    or of an enum label, answered from the search index; or the lead's id when the query is a
    number."""
    if q.dialect == "postgresql":
        pattern = q.arg(like_pattern(text))
        indexed = (
            f"l.id IN (SELECT s.lead_id FROM lead_search s WHERE s.account_id = {q.mark(1)} "  # noqa: S608 (parameter marks only)
            f"AND s.text LIKE {pattern} ESCAPE '\\')"
        )
    else:
        pattern = q.arg(glob_pattern(text))
        indexed = f"l.id IN (SELECT rowid FROM lead_search WHERE text GLOB {pattern})"  # noqa: S608 (a parameter mark only)
    number = to_int(text)
    return f"({indexed} OR l.id = {q.arg(number)})" if number is not None else indexed
