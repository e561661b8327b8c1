"""SQL for the events API: one statement per page, filters and rights inside it.

Rights join the event to its lead and reuse the leads list's visibility clause; a contact's or
company's events are checked against the contacts or companies view right by an EXISTS on the
party and its responsible user. So a user's pages are full and ``_links.next`` is exact. The
values are JSON text; filters on them read them with each database's JSON functions
(``json_each``/``json_extract`` on SQLite, ``jsonb_array_elements``/``#>>`` on PostgreSQL).
Only fixed fragments are put together here; every value (the page's LIMIT and OFFSET too) is a
bound parameter. The lead rights clause comes from ``auth.store.lead_visibility_sql``, its ids
bound like the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kommodore.auth.rights import Code, Visibility
from kommodore.auth.store import lead_visibility_sql
from kommodore.db.database import Connection, Dialect, fetch_value, sql
from kommodore.db.where import FALSE, Where
from kommodore.events.filters import EventQuery, ValueFilter
from kommodore.events.wire import EventHead

CUSTOM_FIELD_CHANGED = "custom_field_value_changed"

PartyView = tuple[Code | None, int, int]
"""The view code on contacts or companies (None for admins), the user id and group id."""


class EventRow(EventHead):
    """A page's row: the event's head, its values as stored JSON text, and its entity's name
    (the lead's, contact's or company's; None for other entities or one that is gone).
    A Struct rather than a NamedTuple, so that it shares its head with the wire's ``Event``;
    built by position from the SELECT list as fetch_rows builds its tuple rows, read by name."""

    value_after: str
    value_before: str
    entity_name: str | None


class _Where(Where):
    """The shared WHERE builder, with the JSON reads the events' values need."""

    def __init__(self, dialect: Dialect, account_id: int) -> None:
        super().__init__(dialect, "e.account_id", account_id)

    def json_text(self, document: str, *path: str | int) -> str:
        """The scalar at ``path`` inside a JSON document, as text (NULL when absent)."""
        if self.dialect == "postgresql":
            steps = ",".join(str(p) for p in path)
            return f"({document} #>> '{{{steps}}}')"
        steps = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        return f"CAST(json_extract({document}, '${steps}') AS TEXT)"

    def any_element(self, column: str, condition: str) -> str:
        """EXISTS an element ``j.value`` of the JSON array in ``column`` meeting ``condition``."""
        if self.dialect == "postgresql":
            elements = f"jsonb_array_elements({column}::jsonb) AS j(value)"
        else:
            elements = f"json_each({column}) AS j"
        return f"EXISTS (SELECT 1 FROM {elements} WHERE {condition})"  # noqa: S608 (fragments built here; values are bound)


def _field_id(w: _Where) -> str:
    """The field a ``custom_field_value_changed`` event is about (either side may be [])."""
    after = w.json_text(_document(w, "e.value_after"), 0, "custom_field_value", "field_id")
    before = w.json_text(_document(w, "e.value_before"), 0, "custom_field_value", "field_id")
    return f"COALESCE({after}, {before})"


def _document(w: _Where, column: str) -> str:
    return f"{column}::jsonb" if w.dialect == "postgresql" else column


def _types(w: _Where, query: EventQuery) -> str:
    """Plain types, and ``custom_field_{ID}_value_changed`` as field value events of ID."""
    parts = []
    if query.types:
        parts.append(w.texts_in("e.type", query.types))
    if query.field_ids:
        ids = [str(int(i)) for i in query.field_ids]
        parts.append(f"(e.type = '{CUSTOM_FIELD_CHANGED}' AND {w.texts_in(_field_id(w), ids)})")
    return "(" + " OR ".join(parts) + ")" if parts else FALSE


def _values(w: _Where, column: str, f: ValueFilter) -> list[str]:
    """``filter[value_after|value_before]``: each key one EXISTS over the value's items."""
    if f.impossible:
        return [FALSE]
    out = []
    if f.statuses is not None:
        pairs = [
            f"({w.json_text('j.value', 'lead_status', 'pipeline_id')} = {w.arg(str(int(p)))} AND "
            f"{w.json_text('j.value', 'lead_status', 'id')} = {w.arg(str(int(s)))})"
            for p, s in f.statuses
        ]
        out.append(w.any_element(column, " OR ".join(pairs)) if pairs else FALSE)
    if f.responsible_user_ids is not None:
        ids = [str(int(i)) for i in f.responsible_user_ids]
        text = w.json_text("j.value", "responsible_user", "id")
        out.append(w.any_element(column, w.texts_in(text, ids)))
    if f.enum_ids is not None:
        ids = [str(int(i)) for i in f.enum_ids]
        text = w.json_text("j.value", "custom_field_value", "enum_id")
        out.append(w.any_element(column, w.texts_in(text, ids)))
    if f.values is not None:
        choices = [
            f"(e.type = 'sale_field_changed' AND "
            f"{w.texts_in(w.json_text('j.value', 'sale_field_value', 'sale'), f.values)})",
            f"(e.type = 'name_field_changed' AND "
            f"{w.texts_in(w.json_text('j.value', 'name_field_value', 'name'), f.values)})",
            f"(e.type = '{CUSTOM_FIELD_CHANGED}' AND "
            f"{w.texts_in(w.json_text('j.value', 'custom_field_value', 'text'), f.values)})",
        ]
        out.append(w.any_element(column, " OR ".join(choices)) if f.values else FALSE)
    return out


_LEADS = (
    "FROM events e "
    "LEFT JOIN leads l ON l.account_id = e.account_id AND l.id = e.entity_id "
    "AND e.entity_type = 'lead'"
)
_PARTY_JOINS = {
    "contact": (
        " LEFT JOIN contacts c ON c.account_id = e.account_id AND c.id = e.entity_id "
        "AND e.entity_type = 'contact'"
    ),
    "company": (
        " LEFT JOIN companies co ON co.account_id = e.account_id AND co.id = e.entity_id "
        "AND e.entity_type = 'company'"
    ),
}
PARTY_ALIASES = {"contact": "c", "company": "co"}
"""The alias of a contact's or company's row in its join."""


def _select(parties: list[str]) -> str:
    """The page's columns and joins: the lead always (its rights and name), a contact or
    company only when its name is asked for, so a page without names joins no more than it
    did before contacts had events."""
    names = ", ".join(["l.name", *(f"{PARTY_ALIASES[p]}.name" for p in parties)])
    name = f"COALESCE({names})" if parties else "l.name"  # SQLite's COALESCE takes 2 or more
    return (
        "SELECT e.id, e.type, e.entity_id, e.entity_type, e.created_by, e.created_at, "
        f"e.value_after, e.value_before, {name} "
        + _LEADS
        + "".join(_PARTY_JOINS[p] for p in parties)
    )


PARTY_TABLES = {"contact": "contacts", "company": "companies"}


def _party_rights(w: _Where, entity: str, view: PartyView) -> str | None:
    """The contacts or companies rights (A/G/M/D on the party's responsible user and that
    user's group now, as the contacts list judges them) on ``entity``'s events; None when the
    actor sees all of them. An EXISTS rather than a join: other entities' events skip it."""
    code, user_id, group_id = view
    if code is None or code == "A":
        return None
    if code == "G":
        allowed = (
            "CASE WHEN u.id IS NULL THEN p.group_id ELSE COALESCE(u.group_id, 0) END = "
            f"{w.arg(group_id)}"
        )
    elif code == "M":
        allowed = f"p.responsible_user_id = {w.arg(user_id)}"
    else:
        return f"e.entity_type <> '{entity}'"
    found = (
        f"EXISTS (SELECT 1 FROM {PARTY_TABLES[entity]} p LEFT JOIN users u "  # noqa: S608 (table from PARTY_TABLES; values bound)
        "ON u.account_id = p.account_id AND u.id = p.responsible_user_id "
        f"WHERE p.account_id = e.account_id AND p.id = e.entity_id AND {allowed})"
    )
    return f"(e.entity_type <> '{entity}' OR {found})"


async def list_events(
    conn: Connection,
    account_id: int,
    query: EventQuery,
    visibility: Visibility,
    party_views: dict[str, PartyView],
    offset: int,
    limit: int,
    named: frozenset[str] = frozenset(),
) -> list[EventRow]:
    """Up to ``limit`` visible events matching ``query`` from ``offset``, newest first.
    ``party_views`` holds the view right on contacts and companies by entity type; ``named``
    the entity types whose events need their entity's name."""
    w = _Where(conn.dialect, account_id)
    c = w.clauses
    c.append(w.texts_in("e.entity_type", list(query.entities)))
    w.filter(
        [
            ("e.id", query.ids, w.texts_in),
            ("e.created_at", query.created_at, w.range),
            ("e.created_by", query.created_by, w.ints_in),
            ("e.entity_id", query.entity_ids, w.ints_in),
        ]
    )
    if query.types is not None:
        c.append(_types(w, query))
    if query.value_after is not None:
        c += _values(w, "e.value_after", query.value_after)
    if query.value_before is not None:
        c += _values(w, "e.value_before", query.value_before)
    rights = lead_visibility_sql(visibility, w.arg)
    if rights:
        # a lead's events follow its rights; a task's are everyone's (tasks have no view right)
        c.append(f"(e.entity_type <> 'lead' OR (l.id IS NOT NULL AND {rights}))")
    for entity, view in party_views.items():
        if (party := _party_rights(w, entity, view)) is not None:
            c.append(party)
    joined = [entity for entity in PARTY_ALIASES if entity in named]
    statement = w.page(_select(joined), "e.created_at DESC, e.id DESC", offset, limit)
    return [EventRow(*r) for r in await conn.fetch_all(statement, *w.args)]


_USER_LANG = sql("SELECT lang FROM users WHERE account_id = $1 AND id = $2")
_USER_RIGHTS = sql("SELECT rights FROM users WHERE account_id = $1 AND id = $2")


async def user_rights(conn: Connection, account_id: int, user_id: int) -> str | None:
    """The JSON ``users.rights`` of the acting user (the actor holds lead rights only)."""
    rights = await fetch_value(conn, _USER_RIGHTS, account_id, user_id)
    return None if rights is None else str(rights)


async def user_language(conn: Connection, account_id: int, user_id: int) -> str | None:
    lang = await fetch_value(conn, _USER_LANG, account_id, user_id)
    return None if lang is None else str(lang)


# -- recording ---------------------------------------------------------------------------------

INSERT_EVENTS = sql(
    "INSERT INTO events (account_id, id, type, entity_type, entity_id, created_by, created_at, "
    "value_after, value_before) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


async def insert_events(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (account_id, id, type, entity_type, entity_id, created_by, created_at,
    value_after, value_before), the values as JSON text."""
    await conn.execute_many(INSERT_EVENTS, rows)
