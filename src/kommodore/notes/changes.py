"""Note writes: add, edit, pin and unpin, each all or nothing.

Order of refusals, as for leads: type and reference errors (400 ``validation-errors``, every
item's at once), then rights on the parents (403), then the writes, the events and the
webhooks in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kommodore.auth.service import Principal
from kommodore.db import ids
from kommodore.db.database import Connection
from kommodore.http.directory import each_item
from kommodore.http.hal import Href, self_links
from kommodore.http.problems import Problem
from kommodore.http.validation import MAX_ID, BatchErrors
from kommodore.leads import store as leads
from kommodore.notes import outbox, store, wire
from kommodore.notes.input import (
    PARAMS,
    READ_ONLY,
    NoteInput,
    check_type,
    read_item,
    read_params,
    stored_params,
)
from kommodore.notes.service import Rights, note_href, rights_of
from kommodore.notes.store import Kind, NoteRow, ParentRow

MAX_BATCH = 250

NOT_FOUND = "Note is not found"


def read_batch(
    items: Iterable[Any], *, update: bool, path_entity_id: int | None
) -> tuple[list[NoteInput], BatchErrors]:
    """Every item taken apart (its errors under its ``request_id``); on a parent's path the
    path names the parent, whatever an item sends."""
    errors = BatchErrors()
    inputs: list[NoteInput] = []
    for item_errors, r in each_item(items, errors):
        if r is None:
            continue
        item = read_item(
            r, item_errors.request_id, update=update, entity_in_path=path_entity_id is not None
        )
        if path_entity_id is not None:
            item.entity_id = path_entity_id
        elif not update and item.entity_id is None and "entity_id" not in r.data:
            item.errors.not_supported("entity_id")
        if update:
            if item.id is None and "id" not in r.data:
                item.errors.missing("id")
            item.reader = r  # its params are read once its note (and so its type) is known
        else:
            check_type(item, r)
        inputs.append(item)
    return inputs, errors


async def _users(conn: Connection, account_id: int, inputs: Sequence[NoteInput]) -> dict[int, int]:
    """user id -> group id for every user the batch names."""
    named = {
        u
        for i in inputs
        for u in (i.created_by, i.updated_by, i.responsible_user_id)
        if u is not None
    }
    return await leads.user_groups(conn, account_id, named)


def _check_users(item: NoteInput, users: dict[int, int]) -> None:
    for key in ("created_by", "updated_by", "responsible_user_id"):
        user = getattr(item, key)
        if user is not None and user not in users:
            item.errors.not_supported(key)


def _check_rights(rights: Rights, pairs: Sequence[tuple[NoteInput, ParentRow]]) -> None:
    """403 when the actor may not edit a parent, naming the items (as leads' writes do)."""
    refused = BatchErrors()
    for item, parent in pairs:
        if not rights.can_edit(parent):
            refused.item(item.request_id).denied("entity_id")
    refused.raise_denied_if_any()


async def _live_parents(
    conn: Connection, account_id: int, kind: Kind, wanted: Iterable[int | None]
) -> dict[int, ParentRow]:
    found = await store.parents(conn, kind, account_id, {i for i in wanted if i is not None})
    return {i: p for i, p in found.items() if not p.is_deleted}


async def _visible_parents(
    conn: Connection, account_id: int, rights: Rights, kind: Kind, wanted: Iterable[int | None]
) -> dict[int, ParentRow]:
    """The live parents the user may view: one it may not is one that does not exist (a 403
    would tell that it does), as a lead the user cannot see is for lead writes."""
    found = await _live_parents(conn, account_id, kind, wanted)
    return {i: p for i, p in found.items() if rights.can_view(p)}


@dataclass(frozen=True, slots=True)
class Added:
    note: NoteRow
    request_id: str


async def add_notes(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    inputs: Sequence[NoteInput],
    errors: BatchErrors,
    now: int,
) -> list[Added]:
    """Validate and write new notes; returns them in request order."""
    account_id = principal.account.id
    actor = principal.actor
    rights = await rights_of(conn, principal, kind)
    found = await _visible_parents(conn, account_id, rights, kind, (i.entity_id for i in inputs))
    users = await _users(conn, account_id, inputs)
    for item in inputs:
        if item.entity_id is not None and item.entity_id not in found:
            item.errors.not_supported("entity_id")
        _check_users(item, users)
    errors.raise_if_any()
    _check_rights(rights, [(i, found[i.entity_id]) for i in inputs if i.entity_id is not None])

    note_ids = await ids.allocate(conn, "notes", len(inputs))
    added: list[Added] = []
    for item, note_id in zip(inputs, note_ids, strict=True):
        if item.entity_id is None or item.note_type is None or item.params is None:
            raise AssertionError("an item without errors has its parent, type and params")
        responsible = item.responsible_user_id or actor.user_id
        created_by = item.created_by or actor.user_id
        created_at = item.created_at if item.created_at is not None else now
        updated_at = item.updated_at if item.updated_at is not None else max(created_at, now)
        params = stored_params(item.note_type, item.params)
        note = NoteRow(
            id=note_id, entity_type=kind, entity_id=item.entity_id, created_by=created_by,
            updated_by=item.updated_by or created_by, created_at=created_at,
            updated_at=updated_at, responsible_user_id=responsible,
            group_id=users.get(responsible, actor.group_id if responsible == actor.user_id else 0),
            note_type=item.note_type, params=json.dumps(params, ensure_ascii=False),
            is_pinned=False,
        )  # fmt: skip
        added.append(Added(note, item.request_id))
    await store.insert_notes(
        conn,
        [
            (account_id, n.id, kind, n.entity_id, n.note_type, n.params, n.responsible_user_id,
             n.group_id, n.created_by, n.updated_by, n.created_at, n.updated_at)
            for n in (a.note for a in added)
        ],
    )  # fmt: skip
    await outbox.report_added(conn, account_id, kind, [a.note for a in added], now)
    return added


async def edit_notes(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    inputs: Sequence[NoteInput],
    errors: BatchErrors,
    now: int,
    *,
    path_entity_id: int | None,
) -> list[tuple[NoteRow, str]]:
    """Edit notes (``params`` replaced as a whole, ``responsible_user_id``); a note never
    moves to another parent, so an item's ``entity_id`` is ignored. Returns each edited note
    as written, with its ``request_id``."""
    account_id = principal.account.id
    actor = principal.actor
    stored = await store.notes_by_id(
        conn, account_id, kind, [i.id for i in inputs if i.id is not None], lock=True
    )
    rights = await rights_of(conn, principal, kind)
    found = await _visible_parents(
        conn, account_id, rights, kind, (n.entity_id for n in stored.values())
    )
    users = await _users(conn, account_id, inputs)
    seen: set[int] = set()
    pairs: list[tuple[NoteInput, NoteRow]] = []
    for item in inputs:
        reader = item.reader
        note = stored.get(item.id) if item.id is not None else None
        if item.id is not None and (
            note is None
            or note.entity_id not in found
            or (path_entity_id is not None and note.entity_id != path_entity_id)
        ):
            item.errors.not_supported("id")
            continue
        if note is None:
            continue
        if note.id in seen:
            item.errors.invalid("id", "This value is already used.")
            continue
        seen.add(note.id)
        _check_users(item, users)
        if (
            note.note_type in READ_ONLY
            or note.note_type not in PARAMS
            or (item.note_type is not None and item.note_type != note.note_type)
        ):
            item.errors.not_supported("note_type")
        elif reader is not None and "params" in reader.data:
            item.params = read_params(reader, note.note_type)
        pairs.append((item, note))
    errors.raise_if_any()
    _check_rights(rights, [(i, found[n.entity_id]) for i, n in pairs])

    written: list[tuple[NoteRow, str]] = []
    for item, note in pairs:
        params = note.params
        if item.params is not None:
            params = json.dumps(stored_params(note.note_type, item.params), ensure_ascii=False)
        responsible = item.responsible_user_id or note.responsible_user_id
        group = note.group_id
        if item.responsible_user_id is not None:
            group = users.get(responsible, 0)
        updated_at = item.updated_at if item.updated_at is not None else now
        written.append(
            (
                note._replace(
                    params=params, responsible_user_id=responsible, group_id=group,
                    updated_by=item.updated_by or actor.user_id, updated_at=updated_at,
                ),
                item.request_id,
            )
        )  # fmt: skip
    await store.update_notes(
        conn,
        [
            (account_id, n.id, n.params, n.responsible_user_id, n.group_id, n.updated_by,
             n.updated_at)
            for n, _ in written
        ],
    )  # fmt: skip
    return written


async def set_pinned(
    conn: Connection, principal: Principal, kind: Kind, note_id: int, pinned: bool
) -> None:
    """Pin or unpin a note: 404 "Note is not found" for an unknown note (or one whose
    parent is deleted or not viewable), 403 without ``edit`` on its parent."""
    account_id = principal.account.id
    if not 1 <= note_id <= MAX_ID:
        raise Problem(404, NOT_FOUND)
    note = (await store.notes_by_id(conn, account_id, kind, [note_id], lock=True)).get(note_id)
    parent = None
    if note is not None:
        parent = (await _live_parents(conn, account_id, kind, [note.entity_id])).get(note.entity_id)
    rights = await rights_of(conn, principal, kind)
    if note is None or parent is None or not rights.can_view(parent):
        raise Problem(404, NOT_FOUND)
    if not rights.can_edit(parent):
        raise Problem(403, "Access denied")
    await store.set_pinned(conn, account_id, note_id, pinned)


# -- answers -----------------------------------------------------------------------------------

_encoder = wire.encoder


def _collection(href: str, items: list[Any]) -> bytes:
    return _encoder.encode({"_links": {"self": Href(href)}, "_embedded": {"notes": items}})


def added_body(added: Sequence[Added], kind: Kind, origin: str, path: str) -> bytes:
    """``_links.self`` is the collection the request was sent to."""
    return _collection(
        f"{origin}{path}",
        [
            wire.CreatedNote(
                id=a.note.id,
                entity_id=a.note.entity_id,
                request_id=a.request_id,
                links=self_links(note_href(origin, kind, a.note.entity_id, a.note.id)),
            )
            for a in added
        ],
    )


def _updated(note: NoteRow, kind: Kind, origin: str, request_id: str | None) -> wire.UpdatedNote:
    item = wire.UpdatedNote(
        id=note.id,
        entity_id=note.entity_id,
        updated_at=note.updated_at,
        links=self_links(note_href(origin, kind, note.entity_id, note.id)),
    )
    if request_id is not None:
        item.request_id = request_id
    return item


def edited_body(
    written: Sequence[tuple[NoteRow, str]], kind: Kind, origin: str, path: str
) -> bytes:
    return _collection(f"{origin}{path}", [_updated(n, kind, origin, r) for n, r in written])


def edited_one(note: NoteRow, kind: Kind, origin: str) -> bytes:
    """The single PATCH answers with the item alone (spec §14 Q11)."""
    return _encoder.encode(_updated(note, kind, origin, None))
