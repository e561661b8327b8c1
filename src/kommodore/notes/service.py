"""Reading notes under the rights on their parents, shaping them as Kommo does, and the
rights rules the writes share: a note is seen as its parent is (``view``), written and pinned
with ``edit`` on it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec
from msgspec import UNSET

from kommodore.auth.rights import (
    Actor,
    Code,
    StoredRights,
    allows,
    can_edit_lead,
    can_view_lead,
    lead_visibility,
)
from kommodore.auth.service import MAX_ID, Principal
from kommodore.auth.store import lead_visibility_sql
from kommodore.db.database import Connection
from kommodore.db.where import FALSE, Where
from kommodore.http.hal import collection_body, self_links
from kommodore.http.paging import Page, page_links
from kommodore.http.phpquery import as_list
from kommodore.http.query import int_values, to_int
from kommodore.notes import store, wire
from kommodore.notes.store import PARTY_GROUP, Kind, NoteRow, ParentRow
from kommodore.parties import store as parties

# -- rights ------------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _party_codes(rights_json: str) -> dict[str, tuple[Code, Code]]:
    """(view, edit) of contacts and of companies; ``edit`` never exceeds ``view``."""
    stored = msgspec.json.decode(rights_json, type=StoredRights)
    strength = {"D": 0, "M": 1, "G": 2, "L": 3, "A": 4}
    out: dict[str, tuple[Code, Code]] = {}
    for kind, rights in (("contacts", stored.contacts), ("companies", stored.companies)):
        edit = rights.edit if strength[rights.edit] <= strength[rights.view] else rights.view
        out[kind] = (rights.view, edit)
    return out


@dataclass(frozen=True, slots=True)
class Rights:
    """What the acting user may do with notes of one parent type."""

    actor: Actor
    kind: Kind
    view: Code
    edit: Code

    def can_view(self, parent: ParentRow) -> bool:
        if self.kind == "leads":
            return can_view_lead(self.actor, parent)
        return allows(self.view, self.actor, parent.responsible_user_id, parent.group_id)

    def can_edit(self, parent: ParentRow) -> bool:
        if self.kind == "leads":
            return can_edit_lead(self.actor, parent)
        return allows(self.edit, self.actor, parent.responsible_user_id, parent.group_id)


async def rights_of(conn: Connection, principal: Principal, kind: Kind) -> Rights:
    """The actor's rights on parents of ``kind`` (the lead rights travel with the actor; the
    contact and company codes are read from the user's stored rights)."""
    actor = principal.actor
    if actor.is_admin or kind == "leads":
        return Rights(actor, kind, "A", "A")
    rights_json = await parties.user_rights(conn, principal.account.id, actor.user_id)
    if rights_json is None:
        return Rights(actor, kind, "D", "D")
    view, edit = _party_codes(rights_json)[kind]
    return Rights(actor, kind, view, edit)


def _visibility(q: Where, rights: Rights) -> str | None:
    """The parents the actor may view, as a clause on the parent aliased ``l``."""
    actor = rights.actor
    if rights.kind == "leads":
        return lead_visibility_sql(lead_visibility(actor), q.arg)
    if actor.is_admin or rights.view == "A":
        return None
    if rights.view == "G":
        return f"{PARTY_GROUP} = {q.arg(actor.group_id)}"
    if rights.view == "M":
        return f"l.responsible_user_id = {q.arg(actor.user_id)}"
    return FALSE


# -- shaping ------------------------------------------------------------------------------------


def note_model(
    note: NoteRow, kind: Kind, account_id: int, origin: str, *, with_pinned: bool
) -> wire.Note:
    return wire.Note(
        id=note.id,
        entity_id=note.entity_id,
        created_by=note.created_by,
        updated_by=note.updated_by,
        created_at=note.created_at,
        updated_at=note.updated_at,
        responsible_user_id=note.responsible_user_id,
        group_id=note.group_id,
        note_type=note.note_type,
        params=msgspec.json.decode(note.params),
        account_id=account_id,
        is_pinned=note.is_pinned if with_pinned else UNSET,
        links=self_links(note_href(origin, kind, note.entity_id, note.id)),
    )


def note_href(origin: str, kind: Kind, entity_id: int, note_id: int) -> str:
    return f"{origin}/api/v4/{kind}/{entity_id}/notes/{note_id}"


# -- reads --------------------------------------------------------------------------------------


async def read_note(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    entity_id: int | None,
    note_id: int,
    with_: frozenset[str],
    origin: str,
) -> bytes | None:
    """One note, or None (204): unknown, of another parent or parent type, its parent deleted
    or not viewable."""
    if not 1 <= note_id <= MAX_ID:
        return None
    account_id = principal.account.id
    note = (await store.notes_by_id(conn, account_id, kind, [note_id])).get(note_id)
    if note is None or (entity_id is not None and note.entity_id != entity_id):
        return None
    parent = (await store.parents(conn, kind, account_id, [note.entity_id])).get(note.entity_id)
    if parent is None or parent.is_deleted:
        return None
    if not (await rights_of(conn, principal, kind)).can_view(parent):
        return None
    model = note_model(note, kind, account_id, origin, with_pinned="is_pinned" in with_)
    return wire.encoder.encode(model)


@dataclass(frozen=True, slots=True)
class NoteQuery:
    """``GET /{entity_type}/notes`` and ``/{entity_type}/{id}/notes``: filters and order."""

    ids: list[int] | None = None
    entity_ids: list[int] | None = None
    note_types: list[str] | None = None
    updated_after: int | None = None
    updated_range: tuple[int | None, int | None] | None = None
    impossible: bool = False
    """A filter that can match nothing (an unreadable ``updated_at``)."""
    order: str = "id"
    direction: str = "asc"


def _order(value: Any) -> tuple[str, str]:
    """``order[updated_at|id]=asc|desc``; the first usable key wins, ``id asc`` otherwise."""
    if isinstance(value, dict):
        for key, direction in value.items():
            if key in ("id", "updated_at") and isinstance(direction, str):
                d = direction.strip().lower()
                if d in ("asc", "desc"):
                    return key, d
    return "id", "asc"


def note_query(params: dict[str, Any], entity_id: int | None) -> NoteQuery:
    """The list's query; on one parent's path ``filter[entity_id]`` is that parent."""
    f = params.get("filter")
    filters: dict[str, Any] = f if isinstance(f, dict) else {}
    types = filters.get("note_type")
    updated = filters.get("updated_at")
    after: int | None = None
    bounds: tuple[int | None, int | None] | None = None
    impossible = False
    if isinstance(updated, str):  # "changed after": strictly greater
        after = to_int(updated)
        impossible = after is None
    elif isinstance(updated, dict):
        low, high = updated.get("from"), updated.get("to")
        parsed = [to_int(v) if isinstance(v, str) else None for v in (low, high)]
        impossible = any(
            isinstance(v, str) and p is None for v, p in zip((low, high), parsed, strict=True)
        )
        if parsed != [None, None]:
            bounds = (parsed[0], parsed[1])
    order, direction = _order(params.get("order"))
    return NoteQuery(
        ids=int_values(filters.get("id")),
        entity_ids=[entity_id] if entity_id is not None else int_values(filters.get("entity_id")),
        note_types=as_list(types) if types is not None else None,
        updated_after=after,
        updated_range=bounds,
        impossible=impossible,
        order=order,
        direction=direction,
    )


async def list_notes(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    query: NoteQuery,
    with_: frozenset[str],
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of the notes whose parents the user may view, or None (204) when empty. Rights
    are a clause of the statement, so every page is full."""
    account_id = principal.account.id
    rights = await rights_of(conn, principal, kind)
    q = Where(conn.dialect, "n.account_id", account_id)
    visible = _visibility(q, rights)
    if visible is not None:
        q.clauses.append(visible)
    if query.impossible:
        q.clauses.append(FALSE)
    if query.ids is not None:
        q.clauses.append(q.ints_in("n.id", query.ids))
    if query.entity_ids is not None:
        q.clauses.append(q.ints_in("n.entity_id", query.entity_ids))
    if query.note_types is not None:
        q.clauses.append(q.texts_in("n.note_type", query.note_types))
    if query.updated_after is not None:
        q.clauses.append(f"n.updated_at > {q.arg(query.updated_after)}")
    if query.updated_range is not None:
        q.clauses += q.bounds("n.updated_at", *query.updated_range)
    direction = "DESC" if query.direction == "desc" else "ASC"
    order = f"n.{query.order} {direction}" + (", n.id ASC" if query.order != "id" else "")
    statement = store.page_query(q, kind, order, page.offset, page.limit + 1)
    rows = await store.note_page(conn, statement, q.args)
    if not rows:
        return None
    with_pinned = "is_pinned" in with_
    items = [
        note_model(n, kind, account_id, origin, with_pinned=with_pinned) for n in rows[: page.limit]
    ]
    links = page_links(url, raw_query, page, len(rows) > page.limit)
    return collection_body("notes", items, links, page=page.number)
