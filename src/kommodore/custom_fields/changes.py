"""Custom field writes (Kommo's API "Writes"): admins add, edit and delete the account's
fields of leads, contacts and companies (``entity``; the leads' by default).

Every item of a batch is checked (types first, then against the account's stages, catalogs,
field codes and the fields being edited) and the batch is refused as a whole, before anything
is written, when any item has an error. Answers re-read what was written, so
they are exactly what ``GET /api/v4/{entity}/custom_fields/{id}`` shows.

Contacts and companies (neighbours §4.4) have no ``tracking_data`` or ``chained_list`` fields
and no ``hidden_statuses``; their predefined fields (PHONE, EMAIL...) keep their type, code and
enums (the enums' values are the ``enum_code`` clients write) and cannot be deleted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import msgspec

from kommodore.custom_fields import groups, service, store, types, wire
from kommodore.custom_fields.input import MAX_SORT, EnumInput, FieldInput, read_field
from kommodore.custom_fields.store import EnumRow, FieldRow, StageRow
from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.http import directory
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors
from kommodore.search.index import reindex

MAX_BATCH = 50
"""Kommo pages fields by 50; a write takes as many."""
DEFAULT_SORT = 500
NOT_DELETABLE = "This custom field can not be deleted"
LEADS_ONLY_TYPES = frozenset({"tracking_data", "chained_list"})
"""Types only lead fields have (chained lists: leads and customers, which kommodore lacks)."""
NOT_FOR_ENTITY = "This value is not allowed for fields of {entity}."
PREDEFINED_ENUMS = "The enums of a predefined field cannot be added, removed or renamed."

ONLY_FOR = {
    "remind": frozenset({"birthday"}),
    "currency": frozenset({"monetary"}),
    "tracking_callback": frozenset({"tracking_data"}),
    "search_in": frozenset({"linked_entity"}),
    "chained_lists": frozenset({"chained_list"}),
}
"""Keys only some types have; a value (not null, not ``[]``) on another type is refused."""


@dataclass(slots=True)
class _Lookups:
    stages: set[StageRow]
    catalogs: set[int]
    codes: dict[int, str]
    """field id -> code of the account's lead fields."""
    groups: set[str]
    """The API ids of the entity's field groups (read only when an item names one)."""


@dataclass(slots=True)
class _EnumPlan:
    """What one field's ``enums`` list does to its stored enums."""

    inserts: list[tuple[str, int, str | None]] = field(default_factory=list)
    """(value, sort, code) of new enums, in the list's order."""
    updates: list[EnumRow] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    relabelled: list[int] = field(default_factory=list)
    """Enums whose value changes: the search documents of their leads change too."""


async def _lookups(
    conn: Connection, account_id: int, inputs: Sequence[FieldInput], entity: str
) -> _Lookups:
    """The account's stages, catalogs and field groups (only when an item names one) and the
    codes of the entity's fields."""
    stages = await store.stages(conn, account_id) if any(f.stages for f in inputs) else set()
    catalogs = await store.catalogs(conn, account_id) if any(f.catalogs for f in inputs) else set()
    named = any(f.columns.get("group_id") is not None for f in inputs)
    known = await groups.group_ids(conn, account_id, entity) if named else set()
    return _Lookups(stages, catalogs, await store.codes(conn, account_id, entity), known)


def _check_entity(f: FieldInput, entity: str) -> None:
    """Leads-only types and keys sent for a contact or company field (§4.4)."""
    if entity == "leads":
        return
    if f.type in LEADS_ONLY_TYPES:
        f.errors.not_supported("type")
    if f.columns.get("hidden_statuses"):
        f.errors.invalid("hidden_statuses", NOT_FOR_ENTITY.format(entity=entity))


def _check_refs(f: FieldInput, look: _Lookups, stored_group: str | None = None) -> None:
    """Stages, catalogs and the group an item names must be the account's (the group one of
    the entity type's); an edit may send back the group the field has."""
    group_id = f.columns.get("group_id")
    if group_id is not None and group_id != stored_group and group_id not in look.groups:
        f.errors.not_supported("group_id")
    for stage in f.stages:
        if (stage.pipeline_id, stage.status_id) not in look.stages:
            f.errors.not_supported(stage.path)
    for catalog in f.catalogs:
        if catalog.catalog_id not in look.catalogs:
            f.errors.not_supported(catalog.path)


def _check_for_type(f: FieldInput, field_type: str) -> None:
    for key, allowed in ONLY_FOR.items():
        value = f.columns.get(key)
        if value is not None and value != [] and field_type not in allowed:
            f.errors.invalid(key, f"This value is not allowed for fields of type {field_type}.")
    if f.enums and field_type not in types.WITH_ENUMS:
        f.errors.invalid("enums", f"This value is not allowed for fields of type {field_type}.")


def _plan_enums(
    f: FieldInput, field_id: int, field_type: str, existing: Sequence[EnumRow]
) -> _EnumPlan | None:
    """The new list checked against the stored one: an ``id`` must be one of this field's
    enums, values must differ, and so must codes (ignoring case, as value writes match them).
    An entry without ``sort`` keeps its old sort or, when new, goes one after the entry before
    it. Stored enums left out of the list are deleted."""
    if f.enums is None or field_type not in types.WITH_ENUMS:
        return None
    by_id = {e.id: e for e in existing}
    plan = _EnumPlan()
    kept: set[int] = set()
    final: list[tuple[EnumInput, str, str | None]] = []
    previous = 0
    for entry in f.enums:
        if entry.id is not None:
            old = by_id.get(entry.id)
            if old is None:
                f.errors.not_supported(f"{entry.path}.id")
                continue
            if entry.id in kept:
                f.errors.invalid(f"{entry.path}.id", directory.USED)
                continue
            kept.add(entry.id)
            value = entry.value if entry.value is not None else old.value
            sort = entry.sort if entry.sort is not None else old.sort
            code = entry.code if entry.code_sent else old.code
            plan.updates.append(EnumRow(field_id, entry.id, value, sort, code))
            if value != old.value:
                plan.relabelled.append(entry.id)
        else:
            if entry.value is None:
                continue  # its error is recorded already
            value, code = entry.value, entry.code
            sort = entry.sort if entry.sort is not None else min(previous + 1, MAX_SORT)
            plan.inserts.append((value, sort, code))
        previous = sort
        final.append((entry, value, code))
    values: set[str] = set()
    codes: set[str] = set()
    for entry, value, code in final:
        if value in values:
            f.errors.invalid(f"{entry.path}.value", directory.USED)
        values.add(value)
        if code is not None:
            if code.casefold() in codes:
                f.errors.invalid(f"{entry.path}.code", directory.USED)
            codes.add(code.casefold())
    plan.deletes = [e.id for e in existing if e.id not in kept]
    return plan


def _json(value: Any) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


async def _answer(
    conn: Connection,
    account_id: int,
    field_ids: Sequence[int],
    request_ids: Sequence[str],
    origin: str,
    self_href: str,
    entity: str,
) -> bytes:
    models = await service.models(conn, account_id, field_ids, origin, entity)
    items = [
        msgspec.structs.replace(models[field_id], request_id=request_id)
        for field_id, request_id in zip(field_ids, request_ids, strict=True)
    ]
    return directory.answer("custom_fields", items, self_href)


# -- POST ------------------------------------------------------------------------------------


async def add_fields(
    conn: Connection,
    account_id: int,
    items: list[Any],
    origin: str,
    self_href: str,
    entity: str = "leads",
) -> bytes:
    """``POST``: new fields of ``entity`` in the batch's order; ids from the ``custom_fields``
    sequence, their enums' from ``custom_field_enums``."""
    errors = BatchErrors()
    valid = [read_field(r, update=False) for r in directory.readers(items, errors)]
    look = await _lookups(conn, account_id, valid, entity)
    taken = set(look.codes.values())
    plans: list[_EnumPlan | None] = []
    for f in valid:
        _check_refs(f, look)
        _check_entity(f, entity)
        directory.claim(f, "code", taken)
        if f.type is not None:
            _check_for_type(f, f.type)
            plans.append(_plan_enums(f, 0, f.type, ()))
    errors.raise_if_any()

    now = int(time.time())
    account_currency = await store.currency(conn, account_id)
    field_ids = list(await allocate(conn, "custom_fields", len(valid)))
    rows = [
        _new_row(f, fid, account_currency, entity) for f, fid in zip(valid, field_ids, strict=True)
    ]
    await store.insert_fields(conn, account_id, rows, now)
    await _insert_enums(conn, account_id, list(zip(field_ids, plans, strict=True)))
    return await _answer(
        conn, account_id, field_ids, [f.request_id for f in valid], origin, self_href, entity
    )


def _new_row(f: FieldInput, field_id: int, account_currency: str, entity: str) -> FieldRow:
    """A monetary field without a currency takes the account's."""
    c = f.columns
    field_type = f.type or ""
    currency = c.get("currency")
    if field_type == "monetary" and currency is None:
        currency = account_currency
    return FieldRow(
        id=field_id,
        name=c["name"],
        code=c.get("code"),
        sort=c.get("sort", DEFAULT_SORT),
        type=field_type,
        entity_type=entity,
        is_computed=False,
        is_predefined=False,
        is_deletable=True,
        is_api_only=c.get("is_api_only", False),
        group_id=c.get("group_id"),
        required_statuses=_json(c.get("required_statuses")),
        hidden_statuses=_json(c.get("hidden_statuses") or []) or "[]",
        remind=c.get("remind"),
        currency=currency,
        chained_lists=_json(c.get("chained_lists")),
        tracking_callback=c.get("tracking_callback"),
        search_in=c.get("search_in"),
    )


async def _insert_enums(
    conn: Connection, account_id: int, plans: Sequence[tuple[int, _EnumPlan | None]]
) -> None:
    new = [(fid, e) for fid, plan in plans if plan is not None for e in plan.inserts]
    enum_ids = await allocate(conn, "custom_field_enums", len(new))
    await store.insert_enums(
        conn,
        account_id,
        [
            EnumRow(fid, eid, value, sort, code)
            for eid, (fid, (value, sort, code)) in zip(enum_ids, new, strict=True)
        ],
    )


# -- PATCH -----------------------------------------------------------------------------------


async def edit_fields(
    conn: Connection,
    account_id: int,
    items: list[Any],
    origin: str,
    self_href: str,
    entity: str = "leads",
) -> bytes:
    """``PATCH`` of a batch: every item names its field by ``id``; an unknown id (or another
    account's, or another entity's field) is ``NotSupportedChoice`` at ``id``."""
    errors = BatchErrors()
    edits = await directory.edited_rows(
        [read_field(r, update=True) for r in directory.readers(items, errors)],
        partial(store.fields_by_ids, conn, account_id, entity=entity),
    )
    await _edit(conn, account_id, edits, errors, entity)
    return await _answer(
        conn, account_id, [row.id for _, row in edits], [f.request_id for f, _ in edits],
        origin, self_href, entity,
    )  # fmt: skip


async def edit_field(
    conn: Connection,
    account_id: int,
    field_id: int,
    body: dict[str, Any],
    origin: str,
    entity: str = "leads",
) -> bytes:
    """``PATCH /{id}``: one object, answered as ``GET /{id}`` shows the field; an unknown id
    (or another entity's field) is the 404 of ``GET``. An ``id`` in the body is ignored: the
    path names the field."""
    row = await service.field_row(conn, account_id, field_id, entity)
    errors, r = directory.single(body)
    edits = [(read_field(r, update=True, path_id=field_id), row)]
    await _edit(conn, account_id, edits, errors, entity)
    models = await service.models(conn, account_id, [field_id], origin, entity)
    return wire.encoder.encode(models[field_id])


async def _edit(
    conn: Connection,
    account_id: int,
    edits: Sequence[tuple[FieldInput, FieldRow]],
    errors: BatchErrors,
    entity: str,
) -> None:
    look = await _lookups(conn, account_id, [f for f, _ in edits], entity)
    with_enums = [row.id for f, row in edits if f.enums is not None]
    stored_enums = await store.enums(conn, account_id, with_enums) if with_enums else {}
    plans: list[tuple[int, _EnumPlan | None]] = []
    for f, row in edits:
        _check_refs(f, look, row.group_id)
        if f.type is not None and f.type != row.type:
            f.errors.invalid("type", "The type of a custom field cannot be changed.")
        _check_for_type(f, row.type)
        _check_entity(f, entity)
        if "code" in f.columns and row.is_predefined and f.columns["code"] != row.code:
            f.errors.invalid("code", "The code of a predefined field cannot be changed.")
        plan = _plan_enums(f, row.id, row.type, stored_enums.get(row.id, []))
        if row.is_predefined and plan is not None and _changes_enum_set(plan):
            f.errors.invalid("enums", PREDEFINED_ENUMS)
        plans.append((row.id, plan))
    directory.still_unique([(f, row.id) for f, row in edits], "code", look.codes)
    errors.raise_if_any()

    now = int(time.time())
    await store.update_fields(conn, account_id, [_edited_row(f, row) for f, row in edits], now)
    deletes = [e for _, plan in plans if plan is not None for e in plan.deletes]
    relabelled = [e for _, plan in plans if plan is not None for e in plan.relabelled]
    touched = (
        await store.leads_of_enums(conn, account_id, deletes + relabelled)
        if entity == "leads"
        else []
    )
    await store.delete_enums(conn, account_id, deletes, entity)
    await store.update_enums(
        conn, account_id, [u for _, plan in plans if plan is not None for u in plan.updates]
    )
    await _insert_enums(conn, account_id, plans)
    await reindex(conn, account_id, sorted(set(touched)))


def _changes_enum_set(plan: _EnumPlan) -> bool:
    """Whether the plan adds, removes or renames an enum (a new ``sort`` or ``code`` is
    fine)."""
    return bool(plan.inserts or plan.deletes or plan.relabelled)


def _edited_row(f: FieldInput, row: FieldRow) -> FieldRow:
    """The stored field with the keys sent; a monetary field keeps a currency."""
    c = f.columns

    def text(key: str, old: str | None) -> str | None:
        value: str | None = c.get(key, old)
        return value

    def json_column(key: str, old: str | None) -> str | None:
        return _json(c[key]) if key in c else old

    currency = text("currency", row.currency)
    if row.type == "monetary" and currency is None:
        currency = row.currency
    return row._replace(
        name=c.get("name", row.name),
        code=text("code", row.code),
        sort=c.get("sort", row.sort),
        is_api_only=c.get("is_api_only", row.is_api_only),
        group_id=text("group_id", row.group_id),
        required_statuses=json_column("required_statuses", row.required_statuses),
        hidden_statuses=json_column("hidden_statuses", row.hidden_statuses) or "[]",
        remind=text("remind", row.remind),
        currency=currency,
        chained_lists=json_column("chained_lists", row.chained_lists),
        tracking_callback=text("tracking_callback", row.tracking_callback),
        search_in=text("search_in", row.search_in),
    )


# -- DELETE ----------------------------------------------------------------------------------


async def delete_field(
    conn: Connection, account_id: int, field_id: int, entity: str = "leads"
) -> None:
    """Delete a field with its enums and every entity's values of it (foreign keys cascade);
    a predefined or undeletable field is refused with a 400 problem. Only leads have search
    documents to rebuild (contacts and companies are searched live)."""
    row = await service.field_row(conn, account_id, field_id, entity)
    if row.is_predefined or not row.is_deletable:
        raise Problem(400, NOT_DELETABLE)
    touched = await store.leads_of_field(conn, account_id, field_id) if entity == "leads" else []
    await store.delete_field(conn, account_id, field_id, entity)
    await reindex(conn, account_id, sorted(set(touched)))
