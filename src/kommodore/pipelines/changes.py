"""Admin writes of pipelines and statuses (and their limits).

Every item of a batch is validated before anything is written, and the rules that need the
database (the 50-pipeline and 100-status limits, the one main pipeline, unknown description
ids) are checked on the writing transaction's connection before the first write, so a batch is
all or nothing. Answers are read back from the database, so they are what ``GET`` shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.http.directory import answer, each_item, present, self_href, single
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, ItemErrors, Reader
from kommodore.pipelines import store, wire
from kommodore.pipelines.service import pipeline_model, pipeline_row, status_model, status_row
from kommodore.pipelines.store import DescriptionRow, PipelineEdit, PipelineRow, StatusRow

MAX_PIPELINE_BATCH = 50
"""Pipelines per POST: an account holds no more."""
MAX_STATUS_BATCH = 100
"""Statuses per POST: a pipeline holds no more."""
MAX_PIPELINES = 50
MAX_STATUSES = 100
"""Per pipeline, the three system statuses included."""
MAX_SORT = 2**31 - 1
"""``sort`` is a 32-bit integer column on PostgreSQL."""
MAX_DESCRIPTION = 1000

WON, LOST = 142, 143
COLORS = (
    "#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb", "#ffc8c8",
    "#ff8f92", "#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81", "#87f2c0", "#f9deff",
    "#f3beff", "#ccc8f9", "#eb93ff", "#f2f3f4", "#e6e8ea",
)  # fmt: skip
"""The allowed status colours; the first is the default."""
DEFAULT_COLOR = COLORS[0]
LEVELS = ("newbie", "candidate", "master")

INCOMING = ("Incoming leads", 10, "#c1c1c1")
SYSTEM_WON = ("Closed - won", 10000, "#CCFF66")
SYSTEM_LOST = ("Closed - lost", 11000, "#D5D8DB")
"""(name, sort, colour) of the system statuses every new pipeline gets."""

ONE_MAIN = "Only one pipeline can be the main one."
KEEP_MAIN = "There must be one main pipeline: make another pipeline the main one instead."
MAIN_ARCHIVED = "The main pipeline cannot be archived."
TOO_MANY_PIPELINES = f"An account can have at most {MAX_PIPELINES} pipelines."
TOO_MANY_STATUSES = (
    f"A pipeline can have at most {MAX_STATUSES} statuses, the system ones included."
)
DUPLICATE_LEVEL = "Each level can have only one description."
SYSTEM_EDIT = "System statuses cannot be edited."
DUPLICATE_ID = "Each description can be given only once."


@dataclass(frozen=True, slots=True)
class NewDescription:
    level: str
    text: str


@dataclass(frozen=True, slots=True)
class DescriptionEdit:
    """A ``descriptions`` entry of a status PATCH: with ``id`` it keeps (``text`` set) or
    drops (``text`` None) that description; without, it is a new one."""

    id: int | None
    level: str
    text: str | None


@dataclass(frozen=True, slots=True)
class NewStatus:
    request_id: str
    errors: ItemErrors
    name: str
    sort: int
    color: str
    descriptions: list[NewDescription] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NewPipeline:
    request_id: str
    errors: ItemErrors
    name: str
    sort: int
    is_main: bool
    is_unsorted_on: bool
    is_archive: bool
    statuses: list[NewStatus]
    won_name: str | None
    lost_name: str | None


@dataclass(frozen=True, slots=True)
class PipelineChange:
    request_id: str
    errors: BatchErrors
    item: ItemErrors
    edit: PipelineEdit


@dataclass(frozen=True, slots=True)
class StatusChange:
    request_id: str
    errors: BatchErrors
    item: ItemErrors
    name: str | None
    sort: int | None
    color: str | None
    descriptions: list[DescriptionEdit] | None


T = TypeVar("T")


@dataclass(slots=True)
class Batch(Generic[T]):
    """A parsed batch: every item's errors in item order, and the values of the items that
    parsed (only written once ``errors`` is empty)."""

    errors: BatchErrors
    items: list[ItemErrors]
    values: list[T]


def _check_limit(batch: Batch[Any], existing: int, maximum: int, message: str) -> None:
    """Refuse every item past ``maximum`` (the stored ones counted), then the batch when any
    item has an error."""
    for index, errors in enumerate(batch.items):
        if existing + index + 1 > maximum:
            errors.invalid("", message)
    batch.errors.raise_if_any()


# -- field readers ---------------------------------------------------------------------------


def _sort(r: Reader, *, required: bool) -> int | None:
    if not present(r, "sort", "int", required=required):
        return None
    return r.integer("sort", maximum=MAX_SORT)


def _flag(r: Reader, key: str, *, required: bool) -> bool | None:
    return r.boolean(key) if present(r, key, "bool", required=required) else None


def _color(r: Reader) -> str | None:
    """One of the allowed colours, matched case-insensitively and stored as listed; None when
    absent (the caller's default) or wrong."""
    value = r.data.get("color")
    if "color" not in r.data:
        return None
    if not isinstance(value, str):
        r.errors.invalid_type(r.path("color"), "string")
        return None
    color = value.lower()
    if color not in COLORS:
        r.errors.not_supported(r.path("color"))
        return None
    return color


def _level(r: Reader) -> str | None:
    if "level" not in r.data:
        r.errors.missing(r.path("level"))
        return None
    value = r.data["level"]
    if not isinstance(value, str):
        r.errors.invalid_type(r.path("level"), "string")
        return None
    if value not in LEVELS:
        r.errors.not_supported(r.path("level"))
        return None
    return value


def _description_text(r: Reader, *, required: bool) -> str | None:
    if not present(r, "description", "string", required=required):
        return None
    return r.text("description", max_length=MAX_DESCRIPTION)


def _descriptions(r: Reader, *, edit: bool) -> list[DescriptionEdit] | None:
    """``descriptions``: objects of ``level`` (newbie, candidate, master, each at most once)
    and ``description`` (≤ 1000 characters); on edit also ``id``, where an entry with ``id``
    and no ``description`` removes that description. None when absent or wrong."""
    if "descriptions" in r.data and r.is_null("descriptions"):
        r.errors.invalid_type(r.path("descriptions"), "array")
        return None
    entries = r.nested_list("descriptions")
    if entries is None:
        return None
    before = len(r.errors.errors)
    edits: list[DescriptionEdit] = []
    seen: set[str] = set()
    for entry in entries:
        with_id = edit and "id" in entry.data
        description_id = None
        if with_id and entry.is_null("id"):
            entry.errors.invalid_type(entry.path("id"), "int")
        elif with_id:
            description_id = entry.id("id")
        level = _level(entry)
        text = _description_text(entry, required=not with_id)
        if level is None:
            continue
        if text is not None:
            if level in seen:
                entry.errors.invalid(entry.path("level"), DUPLICATE_LEVEL)
            seen.add(level)
        edits.append(DescriptionEdit(description_id, level, text))
    return edits if len(r.errors.errors) == before else None


# -- pipelines ---------------------------------------------------------------------------------


def _embedded_statuses(
    r: Reader, request_id: str
) -> tuple[list[NewStatus], str | None, str | None] | None:
    """``_embedded.statuses``: new regular statuses, and new names for 142 and 143 (entries
    with that ``id``; any other ``id`` is not a choice)."""
    embedded = r.nested("_embedded")
    if embedded is None:
        if r.is_null("_embedded") or "_embedded" not in r.data:
            return [], None, None
        return None
    entries = embedded.nested_list("statuses")
    before = len(r.errors.errors)
    statuses: list[NewStatus] = []
    names: dict[int, str | None] = {}
    for entry in entries or []:
        if "id" in entry.data:
            status_id = entry.id("id")
            if entry.is_null("id"):
                entry.errors.invalid_type(entry.path("id"), "int")
            elif status_id is not None and status_id not in (WON, LOST):
                entry.errors.not_supported(entry.path("id"))
            elif status_id is not None:
                names[status_id] = entry.name(required=False)
            continue
        name, sort, color = entry.name(required=True), _sort(entry, required=True), _color(entry)
        if name is not None and sort is not None:
            statuses.append(NewStatus(request_id, r.errors, name, sort, color or DEFAULT_COLOR))
    if 3 + len(statuses) > MAX_STATUSES:
        r.errors.invalid(embedded.path("statuses"), TOO_MANY_STATUSES)
    if len(r.errors.errors) != before:
        return None
    return statuses, names.get(WON), names.get(LOST)


def parse_new_pipelines(items: list[Any]) -> Batch[NewPipeline]:
    """The items of ``POST /leads/pipelines``: ``name``, ``sort``, ``is_main`` and
    ``is_unsorted_on`` required, ``is_archive`` and ``_embedded.statuses`` optional; at most
    one item may be the main pipeline."""
    batch: Batch[NewPipeline] = Batch(BatchErrors(), [], [])
    main_seen = False
    for errors, r in each_item(items, batch.errors):
        batch.items.append(errors)
        if r is None:
            continue
        request_id = errors.request_id
        name, sort = r.name(required=True), _sort(r, required=True)
        is_main = _flag(r, "is_main", required=True)
        is_unsorted_on = _flag(r, "is_unsorted_on", required=True)
        is_archive = _flag(r, "is_archive", required=False)
        embedded = _embedded_statuses(r, request_id)
        if is_main:
            if main_seen:
                errors.invalid("is_main", ONE_MAIN)
            main_seen = True
            if is_archive:
                errors.invalid("is_archive", MAIN_ARCHIVED)
        if (
            name is None
            or sort is None
            or is_main is None
            or is_unsorted_on is None
            or embedded is None
            or errors.errors
        ):
            continue
        statuses, won, lost = embedded
        batch.values.append(
            NewPipeline(
                request_id,
                errors,
                name,
                sort,
                is_main,
                is_unsorted_on,
                bool(is_archive),
                statuses,
                won,
                lost,
            )
        )
    return batch


async def add_pipelines(
    conn: Connection,
    account_id: int,
    batch: Batch[NewPipeline],
    url: str,
    query: str,
    origin: str,
) -> bytes:
    """Create the pipelines, each with its incoming, won and lost statuses and the regular
    ones it names; a new main pipeline demotes the others."""
    existing = await store.count_pipelines(conn, account_id)
    _check_limit(batch, existing, MAX_PIPELINES, TOO_MANY_PIPELINES)

    now = int(time.time())
    new = batch.values
    if existing == 0 and new and not any(p.is_main for p in new):
        # an account without pipelines: its first one is the main one
        new = [replace(new[0], is_main=True), *new[1:]]
    pipeline_ids = await allocate(conn, "pipelines", len(new))
    status_ids = iter(await allocate(conn, "statuses", sum(1 + len(p.statuses) for p in new)))
    pipelines: list[PipelineRow] = []
    statuses: list[StatusRow] = []
    for pipeline_id, p in zip(pipeline_ids, new, strict=True):
        pipelines.append(
            PipelineRow(pipeline_id, p.name, p.sort, p.is_main, p.is_unsorted_on, p.is_archive)
        )
        name, sort, color = INCOMING
        statuses.append(StatusRow(next(status_ids), name, sort, False, pipeline_id, color, 1))
        statuses.extend(
            StatusRow(next(status_ids), s.name, s.sort, True, pipeline_id, s.color, 0)
            for s in p.statuses
        )
        for status_id, (name, sort, color), custom in (
            (WON, SYSTEM_WON, p.won_name),
            (LOST, SYSTEM_LOST, p.lost_name),
        ):
            statuses.append(
                StatusRow(status_id, custom or name, sort, False, pipeline_id, color, 0)
            )
    main = next((row.id for row in pipelines if row.is_main), None)
    if main is not None:
        await store.demote_others(conn, account_id, main, now)
    await store.insert_pipelines(conn, account_id, pipelines, now)
    await store.insert_statuses(conn, account_id, statuses)

    grouped = await store.statuses_by_pipeline(conn, account_id)
    models = [
        pipeline_model(row, grouped.get(row.id, []), account_id, origin, p.request_id)
        for row, p in zip(pipelines, new, strict=True)
    ]
    return answer("pipelines", models, self_href(url, query))


def parse_pipeline_change(body: dict[str, Any]) -> PipelineChange:
    """``PATCH /leads/pipelines/{id}``: any of ``name``, ``sort``, ``is_main``,
    ``is_unsorted_on``, ``is_archive``, none of them null; other keys are ignored."""
    errors, r = single(body)
    edit = PipelineEdit(
        name=r.name(required=False),
        sort=_sort(r, required=False),
        is_main=_flag(r, "is_main", required=False),
        is_unsorted_on=_flag(r, "is_unsorted_on", required=False),
        is_archive=_flag(r, "is_archive", required=False),
    )
    change = PipelineChange(r.errors.request_id, errors, r.errors, edit)
    errors.raise_if_any()
    return change


async def update_pipeline(
    conn: Connection, account_id: int, pipeline_id: int, change: PipelineChange, origin: str
) -> bytes:
    """Apply the change; ``is_main: true`` demotes the other pipelines, ``false`` on the main
    one is refused (there is always exactly one). Answers the pipeline as ``GET`` shows it."""
    current = await pipeline_row(conn, account_id, pipeline_id)
    edit = change.edit
    if edit.is_main is False and current.is_main:
        change.item.invalid("is_main", KEEP_MAIN)
    main = current.is_main if edit.is_main is None else edit.is_main
    archived = current.is_archive if edit.is_archive is None else edit.is_archive
    if main and archived and edit.is_main is not False:
        change.item.invalid("is_archive", MAIN_ARCHIVED)
    change.errors.raise_if_any()

    now = int(time.time())
    if edit.is_main:
        await store.demote_others(conn, account_id, pipeline_id, now)
    await store.update_pipeline(conn, account_id, pipeline_id, edit, now)
    row = await pipeline_row(conn, account_id, pipeline_id)
    statuses = await store.statuses(conn, account_id, pipeline_id)
    return wire.encoder.encode(pipeline_model(row, statuses, account_id, origin, change.request_id))


async def delete_pipeline(conn: Connection, account_id: int, pipeline_id: int) -> None:
    """Delete an unused pipeline with its statuses. Refused (400): the account's last
    pipeline, the main one, and one that leads (deleted ones too) or sources still use."""
    row = await pipeline_row(conn, account_id, pipeline_id)
    if await store.count_pipelines(conn, account_id) <= 1:
        raise Problem(400, "The last pipeline of the account cannot be deleted")
    if row.is_main:
        raise Problem(400, "The main pipeline cannot be deleted")
    used_by = await store.pipeline_in_use(conn, account_id, pipeline_id)
    if used_by == "leads":
        raise Problem(400, "The pipeline has leads and cannot be deleted")
    if used_by == "sources":
        raise Problem(400, "The pipeline is used by a source and cannot be deleted")
    await store.delete_pipeline(conn, account_id, pipeline_id)


# -- statuses ----------------------------------------------------------------------------------


def is_system(status: StatusRow) -> bool:
    """Incoming (type 1), won (142) and lost (143) and anything not editable."""
    return status.type == 1 or status.id in (WON, LOST) or not status.is_editable


def parse_new_statuses(items: list[Any]) -> Batch[NewStatus]:
    """The items of ``POST /leads/pipelines/{pid}/statuses``: ``name`` and ``sort`` required,
    ``color`` (default the first allowed one) and ``descriptions`` optional."""
    batch: Batch[NewStatus] = Batch(BatchErrors(), [], [])
    for errors, r in each_item(items, batch.errors):
        batch.items.append(errors)
        if r is None:
            continue
        request_id = errors.request_id
        name, sort, color = r.name(required=True), _sort(r, required=True), _color(r)
        descriptions = _descriptions(r, edit=False)
        if name is None or sort is None or errors.errors:
            continue
        batch.values.append(
            NewStatus(
                request_id,
                errors,
                name,
                sort,
                color or DEFAULT_COLOR,
                [NewDescription(d.level, d.text or "") for d in descriptions or []],
            )
        )
    return batch


async def add_statuses(
    conn: Connection,
    account_id: int,
    pipeline_id: int,
    batch: Batch[NewStatus],
    url: str,
    query: str,
    origin: str,
) -> bytes:
    """Add regular statuses (and their descriptions) to the pipeline, ≤ 100 in all."""
    await pipeline_row(conn, account_id, pipeline_id)
    existing = await store.count_statuses(conn, account_id, pipeline_id)
    _check_limit(batch, existing, MAX_STATUSES, TOO_MANY_STATUSES)

    now = int(time.time())
    new = batch.values
    ids = await allocate(conn, "statuses", len(new))
    rows = [
        StatusRow(status_id, s.name, s.sort, True, pipeline_id, s.color, 0)
        for status_id, s in zip(ids, new, strict=True)
    ]
    description_ids = iter(
        await allocate(conn, "status_descriptions", sum(len(s.descriptions) for s in new))
    )
    descriptions = [
        DescriptionRow(next(description_ids), pipeline_id, row.id, d.level, d.text, now, now)
        for row, s in zip(rows, new, strict=True)
        for d in s.descriptions
    ]
    await store.insert_statuses(conn, account_id, rows)
    await store.insert_descriptions(conn, account_id, descriptions)

    # a status in a write answer comes with its descriptions (as Kommo's examples show
    # them, even when empty) and the item's ``request_id``
    stored = await store.descriptions(conn, account_id, pipeline_id)
    models = [
        status_model(row, account_id, origin, stored.get(row.id, []), s.request_id)
        for row, s in zip(rows, new, strict=True)
    ]
    return answer("statuses", models, self_href(url, query))


def parse_status_change(body: dict[str, Any]) -> StatusChange:
    """``PATCH /leads/pipelines/{pid}/statuses/{id}``: any of ``name``, ``sort``, ``color``,
    ``descriptions`` (the status's new set of descriptions), none of them null."""
    errors, r = single(body)
    if r.is_null("color"):
        r.errors.invalid_type("color", "string")
    change = StatusChange(
        r.errors.request_id,
        errors,
        r.errors,
        name=r.name(required=False),
        sort=_sort(r, required=False),
        color=None if r.is_null("color") else _color(r),
        descriptions=_descriptions(r, edit=True),
    )
    errors.raise_if_any()
    return change


async def update_status(
    conn: Connection,
    account_id: int,
    pipeline_id: int,
    status_id: int,
    change: StatusChange,
    origin: str,
) -> bytes:
    """Apply the change to a regular status. ``descriptions``, when sent, becomes the
    status's whole set: an entry with the ``id`` of one of its descriptions keeps it (with the
    new text), one without ``id`` is new, and every description not kept is removed."""
    row = await status_row(conn, account_id, pipeline_id, status_id)
    if is_system(row):
        change.item.invalid("id", SYSTEM_EDIT)
    current = await store.status_descriptions(conn, account_id, pipeline_id, status_id)
    current_ids = {d.id for d in current}
    given: set[int] = set()
    for index, edit in enumerate(change.descriptions or []):
        if edit.id is None:
            continue
        if edit.id not in current_ids:
            change.item.not_supported(f"descriptions.{index}.id")
        elif edit.id in given:
            change.item.invalid(f"descriptions.{index}.id", DUPLICATE_ID)
        given.add(edit.id)
    change.errors.raise_if_any()

    now = int(time.time())
    await store.update_status(
        conn, account_id, pipeline_id, status_id,
        name=change.name, sort=change.sort, color=change.color,
    )  # fmt: skip
    if change.descriptions is not None:
        kept = {e.id: e for e in change.descriptions if e.id is not None and e.text is not None}
        await store.delete_descriptions(
            conn, account_id, [d.id for d in current if d.id not in kept]
        )
        for description_id, edit in kept.items():
            await store.update_description(
                conn, account_id, description_id, edit.level, edit.text or "", now
            )
        added = [e for e in change.descriptions if e.id is None]
        ids = await allocate(conn, "status_descriptions", len(added))
        await store.insert_descriptions(
            conn,
            account_id,
            [
                DescriptionRow(i, pipeline_id, status_id, e.level, e.text or "", now, now)
                for i, e in zip(ids, added, strict=True)
            ],
        )
    row = await status_row(conn, account_id, pipeline_id, status_id)
    stored = await store.status_descriptions(conn, account_id, pipeline_id, status_id)
    return wire.encoder.encode(status_model(row, account_id, origin, stored, change.request_id))


async def delete_status(
    conn: Connection, account_id: int, pipeline_id: int, status_id: int, user_id: int
) -> None:
    """Delete a regular status with its descriptions; its leads (deleted ones too) move to
    the pipeline's first other regular status by ``sort, id``. System statuses and the
    pipeline's last regular status are refused (400)."""
    row = await status_row(conn, account_id, pipeline_id, status_id)
    if is_system(row):
        raise Problem(400, "System statuses cannot be deleted")
    others = [
        s
        for s in await store.statuses(conn, account_id, pipeline_id)
        if not is_system(s) and s.id != status_id
    ]
    if not others:
        raise Problem(400, "A pipeline must keep at least one regular status")
    await store.delete_status(
        conn,
        account_id,
        pipeline_id,
        status_id,
        target_id=others[0].id,
        now=int(time.time()),
        user_id=user_id,
    )
