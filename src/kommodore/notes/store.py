"""Every statement about notes, and the few about a note's parent that notes need: whether it
exists, who is responsible for it (rights judge by that), and the list page's join to it.

A note's parent is ``(entity_type, entity_id)`` with no foreign key (one table serves three
parent types); a parent is never removed, only soft-deleted, and its notes are hidden with it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal, NamedTuple

from kommodore.db.database import (
    Connection,
    Query,
    fetch_rows,
    int_array,
    sql,
)
from kommodore.db.where import Where
from kommodore.http.directory import with_booleans

Kind = Literal["leads", "contacts", "companies"]
KINDS: tuple[Kind, ...] = ("leads", "contacts", "companies")


class NoteRow(NamedTuple):
    """A stored note; ``params`` is its JSON text, ``is_pinned`` a real boolean."""

    id: int
    entity_type: str
    entity_id: int
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    responsible_user_id: int
    group_id: int
    note_type: str
    params: str
    is_pinned: bool


_NOTE_COLUMNS = (
    "n.id, n.entity_type, n.entity_id, n.created_by, n.updated_by, n.created_at, n.updated_at, "
    "n.responsible_user_id, n.group_id, n.note_type, n.params, n.is_pinned"
)
_note = with_booleans(NoteRow, "is_pinned")


class ParentRow(NamedTuple):
    """A note's parent as rights judge it. ``group_id`` is the lead's own column, or for a
    contact or company its responsible user's group now; leads add their stage."""

    id: int
    responsible_user_id: int
    group_id: int
    pipeline_id: int
    status_id: int
    is_deleted: bool


_parent = with_booleans(ParentRow, "is_deleted")

PARENTS: dict[Kind, Query] = {
    "leads": sql(
        "SELECT id, responsible_user_id, group_id, pipeline_id, status_id, is_deleted "
        "FROM leads WHERE account_id = $1 AND id = ANY($2::bigint[])"
    ),
    **{
        kind: sql(
            "SELECT p.id, p.responsible_user_id, "  # noqa: S608 (table names from the fixed KINDS)
            "CASE WHEN u.id IS NULL THEN p.group_id ELSE COALESCE(u.group_id, 0) END, 0, 0, "
            f"p.is_deleted FROM {kind} p LEFT JOIN users u "
            "ON u.account_id = p.account_id AND u.id = p.responsible_user_id "
            "WHERE p.account_id = $1 AND p.id = ANY($2::bigint[])"
        )
        for kind in ("contacts", "companies")
    },
}


async def parents(
    conn: Connection, kind: Kind, account_id: int, ids: Collection[int]
) -> dict[int, ParentRow]:
    """The account's entities of ``kind`` among ``ids`` (deleted ones too), by id."""
    if not ids:
        return {}
    found = await fetch_rows(
        conn, _parent, PARENTS[kind], account_id, int_array(conn.dialect, sorted(ids))
    )
    return {p.id: p for p in found}


_NOTES_BY_ID = sql(
    f"SELECT {_NOTE_COLUMNS} FROM notes n "  # noqa: S608 (a column list constant)
    "WHERE n.account_id = $1 AND n.entity_type = $2 AND n.id = ANY($3::bigint[])"
)
_NOTES_FOR_UPDATE = sql(
    f"SELECT {_NOTE_COLUMNS} FROM notes n "  # noqa: S608 (a column list constant)
    "WHERE n.account_id = $1 AND n.entity_type = $2 AND n.id = ANY($3::bigint[]) FOR UPDATE"
)


async def notes_by_id(
    conn: Connection, account_id: int, kind: Kind, ids: Collection[int], *, lock: bool = False
) -> dict[int, NoteRow]:
    """The notes of parents of ``kind`` among ``ids``, by id (locked on PostgreSQL with
    ``lock``)."""
    if not ids:
        return {}
    query = _NOTES_FOR_UPDATE if lock else _NOTES_BY_ID
    found = await fetch_rows(
        conn, _note, query, account_id, kind, int_array(conn.dialect, sorted(ids))
    )
    return {n.id: n for n in found}


_INSERT = sql(
    "INSERT INTO notes (account_id, id, entity_type, entity_id, note_type, params, "
    "responsible_user_id, group_id, created_by, updated_by, created_at, updated_at, is_pinned) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE)"
)
_UPDATE = sql(
    "UPDATE notes SET params = $3, responsible_user_id = $4, group_id = $5, updated_by = $6, "
    "updated_at = $7 WHERE account_id = $1 AND id = $2"
)
_PIN = sql("UPDATE notes SET is_pinned = $3 WHERE account_id = $1 AND id = $2")


async def insert_notes(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Rows in the column order of :data:`_INSERT` (after ``account_id, id``: entity_type,
    entity_id, note_type, params JSON, responsible, group, created_by, updated_by,
    created_at, updated_at)."""
    await conn.execute_many(_INSERT, rows)


async def update_notes(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Rows of (account_id, id, params JSON, responsible, group, updated_by, updated_at)."""
    await conn.execute_many(_UPDATE, rows)


async def set_pinned(conn: Connection, account_id: int, note_id: int, pinned: bool) -> None:
    await conn.execute(_PIN, account_id, note_id, pinned)


# -- the list page -------------------------------------------------------------------------

_JOIN: dict[Kind, str] = {
    "leads": "JOIN leads l ON l.account_id = n.account_id AND l.id = n.entity_id",
    **{
        kind: (
            f"JOIN {kind} l ON l.account_id = n.account_id AND l.id = n.entity_id "
            "LEFT JOIN users u ON u.account_id = l.account_id AND u.id = l.responsible_user_id"
        )
        for kind in ("contacts", "companies")
    },
}
PARTY_GROUP = "CASE WHEN u.id IS NULL THEN l.group_id ELSE COALESCE(u.group_id, 0) END"
"""A contact's or company's group as rights judge it: its responsible user's group now."""


def page_query(q: Where, kind: Kind, order: str, offset: int, limit: int) -> Query:
    """The notes of live parents of ``kind`` under ``q``'s clauses (which may name the parent
    as ``l``), ``limit`` of them from ``offset``."""
    q.clauses.append(f"n.entity_type = {q.arg(kind)}")
    q.clauses.append("NOT l.is_deleted")
    select = f"SELECT {_NOTE_COLUMNS} FROM notes n {_JOIN[kind]}"  # noqa: S608 (fixed fragments)
    return q.page(select, order, offset, limit)


async def note_page(conn: Connection, query: Query, args: Sequence[Any]) -> list[NoteRow]:
    return await fetch_rows(conn, _note, query, *args)
