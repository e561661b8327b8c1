"""Source writes: admins add, edit and delete their integration's sources.

An integration sees and edits its own sources (``integration_id``) and the account-owned ones
(``integration_id`` NULL, which belong to the account and so to every integration); another
integration's are unknown ids to it. A new source belongs to the calling integration.
Every item is checked before anything is written; the batch is all or nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import msgspec

from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.http import directory
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, ItemErrors, Reader
from kommodore.sources import service, store, wire
from kommodore.sources.store import SourceRow

MAX_BATCH = 50
"""Kommo's API: at most 50 sources per call."""
MAX_PER_INTEGRATION = 100
"""Kommo's API: at most 100 sources per integration."""
MAX_NAME = 255
MAX_EXTERNAL_ID = 36
MAX_ORIGIN_CODE = 64
NOT_FOUND = "Source not found"
ONE_DEFAULT = "Only one source can be the default."
EXTERNAL_ID = "This value should be 1 to 36 printable ASCII characters."


@dataclass(slots=True)
class SourceInput:
    """One item; ``columns`` holds only the keys sent (``services`` as a Python list)."""

    request_id: str
    errors: ItemErrors
    id: int | None = None
    columns: dict[str, Any] = field(default_factory=dict)


def read_source(r: Reader, *, update: bool, path_id: int | None = None) -> SourceInput:
    """Type-check one item: ``name`` and ``external_id`` are required on create and may never
    be null; ``pipeline_id``, ``default`` and ``services`` sent as null are ignored,
    ``origin_code`` null clears it. Read-only keys (``_links``...) are ignored. ``path_id``:
    the source the URL names (``PATCH /{id}``), which wins over an ``id`` in the body."""
    errors = r.errors
    s = SourceInput(errors.request_id, errors, id=directory.edit_id(r, path_id) if update else None)
    name = r.name(required=not update, max_length=MAX_NAME)
    if name is not None:
        s.columns["name"] = name
    external_id = _required_text(r, "external_id", MAX_EXTERNAL_ID, required=not update)
    if external_id is not None:
        if external_id and all(" " <= c <= "~" for c in external_id):
            s.columns["external_id"] = external_id
        else:
            errors.invalid("external_id", EXTERNAL_ID)
    pipeline_id = r.id("pipeline_id")
    if pipeline_id is not None:
        s.columns["pipeline_id"] = pipeline_id
    default = r.boolean("default")
    if default is not None:
        s.columns["default"] = default
    if r.is_null("origin_code"):
        s.columns["origin_code"] = None
    else:
        origin_code = r.text("origin_code", max_length=MAX_ORIGIN_CODE)
        if origin_code is not None:
            s.columns["origin_code"] = origin_code
    services = r.array("services")
    if services is not None:
        bad = [i for i, entry in enumerate(services) if not isinstance(entry, dict)]
        for index in bad:
            errors.invalid_type(f"services.{index}", "object")
        if not bad:
            s.columns["services"] = services
    return s


def _required_text(r: Reader, key: str, max_length: int, *, required: bool) -> str | None:
    if key not in r.data:
        if required:
            r.errors.missing(key)
        return None
    if r.is_null(key):
        r.errors.invalid_type(key, "string")
        return None
    if isinstance(r.data[key], str) and len(r.data[key]) > max_length and key == "external_id":
        r.errors.invalid(key, EXTERNAL_ID)
        return None
    return r.text(key, max_length=max_length)


def _services_json(services: list[Any]) -> str | None:
    """The services as stored JSON; None when they cannot be stored (text a database
    refuses, such as a lone surrogate)."""
    try:
        text = msgspec.json.encode(services).decode()
    except (msgspec.EncodeError, UnicodeError):
        return None
    return text if "\x00" not in text else None


def _check(s: SourceInput, pipelines: dict[int, bool], defaults: list[SourceInput]) -> None:
    """Checks against the account: the pipeline, one default per batch, storable services."""
    pipeline_id = s.columns.get("pipeline_id")
    if pipeline_id is not None and pipeline_id not in pipelines:
        s.errors.not_supported("pipeline_id")
    if s.columns.get("default") is True:
        if defaults:
            s.errors.invalid("default", ONE_DEFAULT)
        defaults.append(s)
    if "services" in s.columns:
        text = _services_json(s.columns["services"])
        if text is None:
            s.errors.invalid("services", "This value contains characters not allowed.")
        else:
            s.columns["services_json"] = text


def _answer(
    rows: Sequence[SourceRow], inputs: Sequence[SourceInput], origin: str, href: str
) -> bytes:
    models = [service.model(row, origin, s.request_id) for row, s in zip(rows, inputs, strict=True)]
    return directory.answer("sources", models, href)


# -- POST ------------------------------------------------------------------------------------


async def add_sources(
    conn: Connection,
    account_id: int,
    integration_id: str,
    items: list[Any],
    origin: str,
    self_href: str,
) -> bytes:
    """New sources of the calling integration; without ``pipeline_id`` in the main pipeline.
    ``external_id`` must be new among the sources the integration sees; a new default source
    makes the others not default. 422 when the integration would have more than 100."""
    errors = BatchErrors()
    valid = [read_source(r, update=False) for r in directory.readers(items, errors)]
    pipelines = await store.pipelines(conn, account_id)
    taken = {row.external_id for row in await store.sources(conn, account_id, integration_id)}
    defaults: list[SourceInput] = []
    for s in valid:
        _check(s, pipelines, defaults)
        directory.claim(s, "external_id", taken)
    errors.raise_if_any()
    own = await store.own_count(conn, account_id, integration_id)
    if own + len(valid) > MAX_PER_INTEGRATION:
        raise Problem(422, f"Limit {MAX_PER_INTEGRATION} sources per integration")

    now = int(time.time())
    main = next((pid for pid, is_main in pipelines.items() if is_main), min(pipelines, default=0))
    ids = await allocate(conn, "sources", len(valid))
    rows = [
        SourceRow(
            id=source_id,
            name=s.columns["name"],
            pipeline_id=s.columns.get("pipeline_id", main),
            external_id=s.columns["external_id"],
            is_default=s.columns.get("default", False),
            origin_code=s.columns.get("origin_code"),
            services=s.columns.get("services_json", "[]"),
        )
        for source_id, s in zip(ids, valid, strict=True)
    ]
    await store.insert_sources(conn, account_id, integration_id, rows, now)
    for row in rows:
        if row.is_default:
            await store.unset_defaults(conn, account_id, integration_id, row.id, now)
    stored = await _reread(conn, account_id, integration_id, [row.id for row in rows])
    return _answer(stored, valid, origin, self_href)


# -- PATCH -----------------------------------------------------------------------------------


async def edit_sources(
    conn: Connection,
    account_id: int,
    integration_id: str,
    items: list[Any],
    origin: str,
    self_href: str,
) -> bytes:
    """``PATCH`` of a batch: each item names a source the integration sees by ``id``;
    an unknown one (another integration's, another account's) is ``NotSupportedChoice``."""
    errors = BatchErrors()
    edits = await directory.edited_rows(
        [read_source(r, update=True) for r in directory.readers(items, errors)],
        partial(store.sources_by_ids, conn, account_id, integration_id),
    )
    updated = await _edit(conn, account_id, integration_id, edits, errors)
    return _answer(updated, [s for s, _ in edits], origin, self_href)


async def edit_source(
    conn: Connection,
    account_id: int,
    integration_id: str,
    source_id: int,
    body: dict[str, Any],
    origin: str,
) -> bytes:
    """``PATCH /{id}``: one object, answered as ``GET /{id}`` shows the source; 404 when the
    integration does not see it. An ``id`` in the body is ignored."""
    row = await _visible(conn, account_id, integration_id, source_id)
    errors, r = directory.single(body)
    edits = [(read_source(r, update=True, path_id=source_id), row)]
    updated = await _edit(conn, account_id, integration_id, edits, errors)
    return wire.encoder.encode(service.model(updated[0], origin))


async def _visible(
    conn: Connection, account_id: int, integration_id: str, source_id: int
) -> SourceRow:
    row = await service.visible_source(conn, account_id, integration_id, source_id)
    return directory.found(row, _not_found)


def _not_found() -> Problem:
    return Problem(404, NOT_FOUND)


async def _edit(
    conn: Connection,
    account_id: int,
    integration_id: str,
    edits: Sequence[tuple[SourceInput, SourceRow]],
    errors: BatchErrors,
) -> list[SourceRow]:
    """Check the edits against the account and the integration's other sources (external
    ids stay distinct after the whole batch, so two sources may swap theirs), then write."""
    pipelines = await store.pipelines(conn, account_id)
    stored = {
        row.id: row.external_id for row in await store.sources(conn, account_id, integration_id)
    }
    defaults: list[SourceInput] = []
    for s, _ in edits:
        _check(s, pipelines, defaults)
    directory.still_unique([(s, row.id) for s, row in edits], "external_id", stored)
    errors.raise_if_any()

    now = int(time.time())
    updated = [_edited(s, row) for s, row in edits]
    await store.update_sources(conn, account_id, updated, now)
    for s, row in edits:
        if s.columns.get("default") is True:
            await store.unset_defaults(conn, account_id, integration_id, row.id, now)
    return await _reread(conn, account_id, integration_id, [row.id for row in updated])


async def _reread(
    conn: Connection, account_id: int, integration_id: str, source_ids: Sequence[int]
) -> list[SourceRow]:
    """The sources as stored after the write (a later default may have unset an earlier)."""
    rows = await store.sources_by_ids(conn, account_id, integration_id, source_ids)
    return [rows[source_id] for source_id in source_ids]


def _edited(s: SourceInput, row: SourceRow) -> SourceRow:
    c = s.columns
    return row._replace(
        name=c.get("name", row.name),
        pipeline_id=c.get("pipeline_id", row.pipeline_id),
        external_id=c.get("external_id", row.external_id),
        is_default=c.get("default", row.is_default),
        origin_code=c.get("origin_code", row.origin_code),
        services=c.get("services_json", row.services),
    )


# -- DELETE ----------------------------------------------------------------------------------


async def delete_sources(
    conn: Connection, account_id: int, integration_id: str, items: list[Any], user_id: int
) -> None:
    """``DELETE`` of a batch of ``{"id"}``: every id must name a source the integration sees
    (``NotSupportedChoice`` otherwise); an id sent twice is deleted once."""
    errors = BatchErrors()
    wanted = [(r.errors, directory.edit_id(r, None)) for r in directory.readers(items, errors)]
    ids = [source_id for _, source_id in wanted if source_id is not None]
    rows = await store.sources_by_ids(conn, account_id, integration_id, ids)
    for item_errors, source_id in wanted:
        if source_id is not None and source_id not in rows:
            item_errors.not_supported("id")
    errors.raise_if_any()
    await store.delete_sources(conn, account_id, sorted(rows), int(time.time()), user_id)


async def delete_source(
    conn: Connection, account_id: int, integration_id: str, source_id: int, user_id: int
) -> None:
    """``DELETE /{id}``: 404 when the integration does not see the source."""
    await _visible(conn, account_id, integration_id, source_id)
    await store.delete_sources(conn, account_id, [source_id], int(time.time()), user_id)
