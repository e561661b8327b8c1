"""SQL for ``GET /api/v4/contacts`` and ``/companies``: one statement per page, filters,
``query`` and the user's view right inside it, so every page is full and ``_links.next`` exact.

Put together per request from fixed fragments; every value a client sends is a parameter.
"""

from __future__ import annotations

from typing import NamedTuple

from kommodore.auth.rights import Code
from kommodore.custom_fields import types
from kommodore.custom_fields.value_filters import range_bounds
from kommodore.db.database import Connection, fetch_rows, sql
from kommodore.db.where import FALSE, Where, since
from kommodore.http.query import like_pattern, to_int, to_number
from kommodore.parties.filters import FieldFilter, PartyQuery
from kommodore.parties.store import OWNER_GROUP, SELECT, Kind, PartyRow, party_rows
from kommodore.search.parties import candidates, inner_word

VALUES_TABLE: dict[Kind, tuple[str, str]] = {
    "contacts": ("contact_custom_field_values", "contact_id"),
    "companies": ("company_custom_field_values", "company_id"),
}
FIELDS = sql("SELECT id, code, type FROM custom_fields WHERE account_id = $1 AND entity_type = $2")
PHONE_DIGITS = 10
"""Kommo's calls API matches a number by its last 10 digits."""


class _Field(NamedTuple):
    id: int
    code: str | None
    type: str


def _exists(q: Where, kind: Kind, condition: str, field_id: int | None = None) -> str:
    """A value of the party (of field ``field_id``, or of any field) meeting ``condition``."""
    table, owner = VALUES_TABLE[kind]
    of_field = "" if field_id is None else f"AND v.field_id = {q.arg(int(field_id))} "
    return (
        f"EXISTS (SELECT 1 FROM {table} v WHERE v.account_id = p.account_id "  # noqa: S608 (table, column and clauses from code; values bound)
        f"AND v.{owner} = p.id {of_field}AND {condition})"
    )


def _lower(q: Where, column: str) -> str:
    return f"lower({column})" if q.dialect == "postgresql" else f"kommo_lower({column})"


def _digits(q: Where, column: str) -> str:
    if q.dialect == "postgresql":
        return f"regexp_replace({column}, '[^0-9]', '', 'g')"
    return f"kommo_digits({column})"


def _last(q: Where, column: str, n: int) -> str:
    return f"right({column}, {n})" if q.dialect == "postgresql" else f"substr({column}, -{n})"


def _phone_matches(q: Where, digits: str) -> str:
    """A value's digits contain ``digits``, or both agree on their last 10 digits (§2.3)."""
    stored = _digits(q, "v.value_text")
    contains = f"{stored} LIKE {q.arg('%' + digits + '%')}"
    if len(digits) < PHONE_DIGITS:
        return contains
    return f"({contains} OR {_last(q, stored, PHONE_DIGITS)} = {q.arg(digits[-PHONE_DIGITS:])})"


def _phone_needle(digits: str) -> str:
    """What a phone's digits must contain to match ``digits``: the digits, or their last 10
    (a number agreeing on its last 10 digits holds them)."""
    return digits[-PHONE_DIGITS:]


def _phone_field(q: Where, kind: Kind, phones: list[int], condition: str) -> str:
    if not phones:
        return FALSE
    return _exists(q, kind, f"{q.ints_in('v.field_id', phones)} AND {condition}")


def _search(q: Where, kind: Kind, text: str, phones: list[int]) -> str:
    """``query`` [DECISION §2.3]: a case-insensitive substring of the names or of any value's
    text; phones as digits; the id when the query is a number. The search index gives the
    candidates, the scan's predicate checks them."""
    pattern = q.arg(like_pattern(text))
    names = ["p.name"] + (["p.first_name", "p.last_name"] if kind == "contacts" else [])
    found = [f"{_lower(q, n)} LIKE {pattern} ESCAPE '\\'" for n in names]
    found.append(_exists(q, kind, f"{_lower(q, 'v.value_text')} LIKE {pattern} ESCAPE '\\'"))
    word = inner_word(text)
    needles, runs = [] if word else [text.lower()], []
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    if digits and all(c.isdigit() or c in "+-() ." for c in text):
        found.append(_phone_field(q, kind, phones, _phone_matches(q, digits)))
        # a text holding this query holds its digits: looked up by them alone
        needles, runs, word = [], [_phone_needle(digits)], None
    number = to_int(text)
    if number is not None:
        found.append(f"p.id = {q.arg(number)}")
    ids = [] if number is None else [number]
    indexed = candidates(q, kind, needles, ids, digit_runs=runs, word=word)
    return f"({indexed} AND (" + " OR ".join(found) + "))"


def _custom_field(q: Where, kind: Kind, f: FieldFilter, field: _Field | None) -> str:
    """One ``filter[custom_fields_values][id|code]`` by the field's type."""
    if field is None:
        return FALSE
    t = field.type
    if f.range is not None:
        bounds = range_bounds(q, t, f.range)
        return _exists(q, kind, " AND ".join(bounds), field.id) if bounds else FALSE
    if not f.values:
        return FALSE
    if field.code == "PHONE":
        wanted = ["".join(c for c in v if c.isascii() and c.isdigit()) for v in f.values]
        wanted = [d for d in wanted if d]
        if not wanted:
            return FALSE
        clauses = [_phone_matches(q, d) for d in wanted]
        indexed = candidates(q, kind, digit_runs=[_phone_needle(d) for d in wanted])
        return f"({indexed} AND {_exists(q, kind, '(' + ' OR '.join(clauses) + ')', field.id)})"
    if t in types.ENUM_LABEL:
        enums = [e for v in f.values if (e := to_int(v)) is not None]
        return _exists(q, kind, q.ints_in("v.enum_id", enums), field.id) if enums else FALSE
    if t in types.NUMERIC:
        numbers = [x for v in f.values if (x := to_number(v)) is not None]
        if not numbers:
            return FALSE
        return _exists(q, kind, q.numbers_in("v.value_number", numbers), field.id)
    if t in types.DATE:
        stamps = [s for v in f.values if (s := to_int(v)) is not None]
        return _exists(q, kind, q.ints_in("v.value_int", stamps), field.id) if stamps else FALSE
    if t in types.CHECKBOX:
        wanted_flags = {v.strip().lower() for v in f.values}
        on, off = bool(wanted_flags & {"1", "true"}), bool(wanted_flags & {"0", "false"})
        checked = _exists(q, kind, "v.value_int = 1", field.id)
        if on and off:
            return "1 = 1"
        return checked if on else (f"NOT {checked}" if off else FALSE)
    if t in types.TEXT or t in types.ENUM_TYPED_TEXT:
        # e-mails and other multitext compare case-insensitively, texts exactly
        # (the index holds every value's text lower-cased: its candidates, then the check)
        lowered = [v.lower() for v in f.values]
        indexed = candidates(q, kind, values=lowered)
        if t in types.ENUM_TYPED_TEXT:
            check = q.texts_in(_lower(q, "v.value_text"), lowered)
        else:
            check = q.texts_in("v.value_text", list(f.values))
        return f"({indexed} AND {_exists(q, kind, check, field.id)})"
    return FALSE


def _rights(q: Where, code: Code | None, user_id: int, group_id: int) -> str | None:
    """The view right as a predicate; None when the user sees every party."""
    if code is None or code == "A":
        return None
    if code == "G":
        return f"{OWNER_GROUP} = {q.arg(group_id)}"
    if code == "M":
        return f"p.responsible_user_id = {q.arg(user_id)}"
    return FALSE


async def list_party_rows(
    conn: Connection,
    kind: Kind,
    account_id: int,
    query: PartyQuery,
    view: tuple[Code | None, int, int],
    offset: int,
    limit: int,
) -> list[PartyRow]:
    """Up to ``limit`` parties matching ``query`` the user may view (``view``: the code, None
    for admins, the user's id and group), from ``offset``, in the query's order."""
    q = Where(conn.dialect, "p.account_id", account_id)
    q.clauses.append("p.is_deleted" if query.only_deleted else "NOT p.is_deleted")
    q.filter(
        [
            ("p.id", query.ids, q.ints_in),
            ("p.name", query.names, q.texts_in),
            ("p.created_by", query.created_by, q.ints_in),
            ("p.updated_by", query.updated_by, q.ints_in),
            ("p.responsible_user_id", query.responsible_user_ids, q.ints_in),
            ("p.created_at", query.created_at, q.range),
            ("p.updated_at", query.updated_at, q.range),
            ("p.updated_at", since(query.modified_since), q.range),
            ("p.closest_task_at", query.closest_task_at, q.range),
        ]
    )
    fields: list[_Field] = []
    if query.custom_fields or query.search:
        fields = await fetch_rows(conn, _Field, FIELDS, account_id, kind)
    by_id = {f.id: f for f in fields}
    by_code = {f.code: f for f in fields if f.code}
    for f in query.custom_fields:
        found = by_id.get(f.field_id) if f.field_id is not None else by_code.get(f.code or "")
        q.clauses.append(_custom_field(q, kind, f, found))
    if query.search:
        phones = [f.id for f in fields if f.code == "PHONE"]
        q.clauses.append(_search(q, kind, query.search, phones))
    rights = _rights(q, *view)
    if rights:
        q.clauses.append(rights)
    direction = "DESC" if query.direction == "desc" else "ASC"
    order = f"p.id {direction}"
    if query.order != "id":
        order = f"p.{query.order} {direction}, {order}"
    return await party_rows(conn, q.page(SELECT[kind], order, offset, limit), *q.args)
