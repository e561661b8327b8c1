"""Field groups (the tabs of a card) of leads, contacts and companies: every user reads them,
admins add, edit and delete them (``/api/v4/{entity}/custom_fields/groups``, LEADS §10.3,
neighbours §4.4).

Kommo names a group with a string (``leads_16291691632810``). Here a stored group is
``{entity}_{account_id}{id}`` (its id from the ``custom_field_groups`` sequence) and every
entity type has one predefined group, ``{entity}_{account_id}``, which is not stored: it
exists in every account from its start, cannot be deleted, renamed or moved, and only takes
fields. A field names its group in ``group_id``; deleting a group leaves its fields in no
group (``group_id`` null).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from kommodore.auth.service import MAX_ID
from kommodore.custom_fields import store, wire
from kommodore.custom_fields.store import GroupRow
from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.http.directory import answer, present, readers, single
from kommodore.http.hal import collection_body, self_links
from kommodore.http.paging import Page, page_links
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, ItemErrors, Reader

MAX_BATCH = 50
MAX_LIMIT = 50
MAX_SORT = 2**31 - 1
"""``sort`` is a 32-bit integer column on PostgreSQL."""
PREDEFINED = 0
"""The stored-id stand-in of the predefined group."""
PREDEFINED_NAME = "Statistics"
"""The name of Kommo's predefined lead group (its tracking fields' tab)."""
GROUP_TYPE = "custom_field_group"
NOT_FOUND = "Custom field group not found"
NOT_DELETABLE = "This custom field group can not be deleted"
PREDEFINED_FIXED = "The predefined group can not be renamed or moved."


def api_id(entity: str, account_id: int, group_id: int) -> str:
    """The id the API shows: the predefined group's is the entity type and the account id,
    a stored group's adds its own id."""
    own = "" if group_id == PREDEFINED else str(group_id)
    return f"{entity}_{account_id}{own}"


def stored_id(entity: str, account_id: int, text: str) -> int | None:
    """The stored id an API id names (``PREDEFINED`` for the predefined group); None when it
    cannot name a group of this entity type and account."""
    prefix = f"{entity}_{account_id}"
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix) :]
    if not rest:
        return PREDEFINED
    if not rest.isascii() or not rest.isdigit() or rest.startswith("0"):
        return None
    number = int(rest)
    return number if number <= MAX_ID else None


def _predefined() -> GroupRow:
    return GroupRow(PREDEFINED, PREDEFINED_NAME, 0)


async def _all(conn: Connection, account_id: int, entity: str) -> list[GroupRow]:
    """Every group of ``entity``, the predefined one first, then by sort and id."""
    stored = await store.groups(conn, account_id, entity)
    return sorted([_predefined(), *stored], key=lambda g: (g.sort, g.id))


async def group_ids(conn: Connection, account_id: int, entity: str) -> set[str]:
    """The API ids of the groups of ``entity``: what a field's ``group_id`` may name."""
    return {api_id(entity, account_id, g.id) for g in await _all(conn, account_id, entity)}


def _model(
    row: GroupRow,
    entity: str,
    account_id: int,
    members: dict[str, list[int]],
    origin: str,
    request_id: str | None = None,
) -> wire.CustomFieldGroup:
    gid = api_id(entity, account_id, row.id)
    model = wire.CustomFieldGroup(
        id=gid,
        name=row.name,
        sort=row.sort,
        entity_type=entity,
        is_predefined=row.id == PREDEFINED,
        type=GROUP_TYPE,
        fields=members.get(gid, []),
        links=self_links(f"{origin}/api/v4/{entity}/custom_fields/groups/{gid}"),
    )
    if request_id is not None:
        model.request_id = request_id
    return model


async def list_groups(
    conn: Connection,
    account_id: int,
    entity: str,
    page: Page,
    origin: str,
    url: str,
    raw_query: str,
) -> bytes | None:
    """A page of the groups (50 at most); None (204) past the last page. The predefined
    group makes the list never empty."""
    rows = await _all(conn, account_id, entity)
    shown = rows[page.offset : page.offset + page.limit]
    if not shown:
        return None
    members = await store.group_members(conn, account_id, entity)
    items = [_model(r, entity, account_id, members, origin) for r in shown]
    page_count = math.ceil(len(rows) / page.limit)
    links = page_links(url, raw_query, page, page.number < page_count, page_count)
    return collection_body(
        "custom_field_groups",
        items,
        links,
        page=page.number,
        total_items=len(rows),
        page_count=page_count,
    )


async def _existing(conn: Connection, account_id: int, entity: str, text: str) -> GroupRow:
    """The group the path names, or the 404 problem."""
    group_id = stored_id(entity, account_id, text)
    if group_id == PREDEFINED:
        return _predefined()
    row = None if group_id is None else await store.group(conn, account_id, entity, group_id)
    if row is None:
        raise Problem(404, NOT_FOUND)
    return row


async def read_group(
    conn: Connection, account_id: int, entity: str, text: str, origin: str
) -> bytes:
    row = await _existing(conn, account_id, entity, text)
    members = await store.group_members(conn, account_id, entity)
    return wire.encoder.encode(_model(row, entity, account_id, members, origin))


# -- writes ---------------------------------------------------------------------------------


@dataclass(slots=True)
class GroupInput:
    """One item: ``None`` is "not sent"; ``fields`` are the ids of fields to move in."""

    request_id: str
    errors: ItemErrors
    name: str | None = None
    sort: int | None = None
    fields: list[tuple[int, str]] = field(default_factory=list)
    """(field id, its path) of each entry of ``fields``."""


def _read(r: Reader, *, new: bool) -> GroupInput:
    """``name`` (required on add), ``sort`` (null: absent on add, refused on edit) and
    ``fields`` (ids of the entity's fields); other keys (``id``, ``entity_type``,
    ``is_predefined``, ``type``, ``_links``) are read-only and ignored."""
    g = GroupInput(r.errors.request_id, r.errors, name=r.name(required=new))
    if (new and r.has("sort")) or (not new and present(r, "sort", "int", required=False)):
        g.sort = r.integer("sort", maximum=MAX_SORT)
    entries = r.array("fields")
    for index, value in enumerate(entries or []):
        path = f"fields.{index}"
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None:
            r.errors.invalid_type(path, "int")
        elif not 1 <= number <= MAX_ID:
            r.errors.not_supported(path)
        else:
            g.fields.append((number, path))
    return g


async def _check_fields(
    conn: Connection, account_id: int, entity: str, inputs: list[GroupInput]
) -> None:
    """Every id in ``fields`` must name a field of ``entity`` in the account."""
    named = sorted({fid for g in inputs for fid, _ in g.fields})
    known = await store.fields_by_ids(conn, account_id, named, entity) if named else {}
    for g in inputs:
        for fid, path in g.fields:
            if fid not in known:
                g.errors.not_supported(path)


async def add_groups(
    conn: Connection, account_id: int, entity: str, items: list[Any], origin: str, href: str
) -> bytes:
    """``POST``: new groups in the batch's order, all or nothing; one without ``sort`` goes
    one after the largest so far. A field listed in ``fields`` moves into the group (a field
    listed by two items ends in the later one)."""
    errors = BatchErrors()
    inputs = [_read(r, new=True) for r in readers(items, errors)]
    await _check_fields(conn, account_id, entity, inputs)
    errors.raise_if_any()

    now = int(time.time())
    ids = await allocate(conn, "custom_field_groups", len(inputs))
    largest = await store.group_max_sort(conn, account_id, entity) or 0
    rows: list[GroupRow] = []
    for group_id, g in zip(ids, inputs, strict=True):
        sort = g.sort if g.sort is not None else min(largest + 1, MAX_SORT)
        largest = max(largest, sort)
        assert g.name is not None
        rows.append(GroupRow(group_id, g.name, sort))
    await store.insert_groups(conn, account_id, entity, rows, now)
    for row, g in zip(rows, inputs, strict=True):
        gid = api_id(entity, account_id, row.id)
        await store.move_fields(conn, account_id, entity, gid, [f for f, _ in g.fields], now)
    members = await store.group_members(conn, account_id, entity)
    models = [
        _model(row, entity, account_id, members, origin, g.request_id)
        for row, g in zip(rows, inputs, strict=True)
    ]
    return answer("custom_field_groups", models, href)


async def edit_group(
    conn: Connection,
    account_id: int,
    entity: str,
    text: str,
    body: dict[str, Any],
    origin: str,
) -> bytes:
    """``PATCH /{id}``: ``name`` and/or ``sort``, and ``fields`` to move into the group (the
    fields already in it stay); answered as ``GET /{id}`` shows the group. The predefined
    group takes fields only."""
    row = await _existing(conn, account_id, entity, text)
    errors, r = single(body)
    g = _read(r, new=False)
    await _check_fields(conn, account_id, entity, [g])
    if row.id == PREDEFINED:
        for key, value, old in (("name", g.name, row.name), ("sort", g.sort, row.sort)):
            if value is not None and value != old:
                g.errors.invalid(key, PREDEFINED_FIXED)
    errors.raise_if_any()

    now = int(time.time())
    if row.id != PREDEFINED:
        new = row._replace(
            name=row.name if g.name is None else g.name,
            sort=row.sort if g.sort is None else g.sort,
        )
        await store.update_group(conn, account_id, entity, new, now)
    gid = api_id(entity, account_id, row.id)
    await store.move_fields(conn, account_id, entity, gid, [f for f, _ in g.fields], now)
    return await read_group(conn, account_id, entity, gid, origin)


async def delete_group(conn: Connection, account_id: int, entity: str, text: str) -> None:
    """``DELETE /{id}``: its fields stay, in no group; the predefined group is refused."""
    row = await _existing(conn, account_id, entity, text)
    if row.id == PREDEFINED:
        raise Problem(400, NOT_DELETABLE)
    gid = api_id(entity, account_id, row.id)
    await store.delete_group(conn, account_id, entity, row.id, gid, int(time.time()))
