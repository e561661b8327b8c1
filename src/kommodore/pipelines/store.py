"""Pipeline, status and status-description queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

import msgspec
from msgspec.structs import astuple

from kommodore.db.database import Connection, fetch_row, fetch_rows, fetch_value, sql
from kommodore.http.directory import with_booleans


class PipelineRow(msgspec.Struct):
    """A pipeline's columns, in the order of its keys on the wire (which extends it)."""

    id: int
    name: str
    sort: int
    is_main: bool
    is_unsorted_on: bool
    is_archive: bool


class StatusRow(msgspec.Struct):
    """A status's columns, in the order of its keys on the wire (which extends it)."""

    id: int
    name: str
    sort: int
    is_editable: bool
    pipeline_id: int
    color: str
    type: int


class DescriptionRow(NamedTuple):
    id: int
    pipeline_id: int
    status_id: int
    level: str
    description: str
    created_at: int
    updated_at: int


_PIPELINE = "SELECT id, name, sort, is_main, is_unsorted_on, is_archive FROM pipelines "
_STATUS = "SELECT id, name, sort, is_editable, pipeline_id, color, type FROM statuses "
_DESCRIPTION = (
    "SELECT id, pipeline_id, status_id, level, description, created_at, updated_at "
    "FROM status_descriptions "
)

PIPELINES = sql(_PIPELINE + "WHERE account_id = $1 ORDER BY sort, id")
PIPELINE = sql(_PIPELINE + "WHERE account_id = $1 AND id = $2")
ALL_STATUSES = sql(_STATUS + "WHERE account_id = $1 ORDER BY pipeline_id, sort, id")
STATUSES = sql(_STATUS + "WHERE account_id = $1 AND pipeline_id = $2 ORDER BY sort, id")
STATUS = sql(_STATUS + "WHERE account_id = $1 AND pipeline_id = $2 AND id = $3")
DESCRIPTIONS = sql(_DESCRIPTION + "WHERE account_id = $1 AND pipeline_id = $2 ORDER BY id")
STATUS_DESCRIPTIONS = sql(
    _DESCRIPTION + "WHERE account_id = $1 AND pipeline_id = $2 AND status_id = $3 ORDER BY id"
)


_pipeline = with_booleans(PipelineRow, "is_main", "is_unsorted_on", "is_archive")
_status = with_booleans(StatusRow, "is_editable")


async def pipelines(conn: Connection, account_id: int) -> list[PipelineRow]:
    """Every pipeline of the account in Kommo's order: by ``sort``, then id."""
    return await fetch_rows(conn, _pipeline, PIPELINES, account_id)


async def get_pipeline(conn: Connection, account_id: int, pipeline_id: int) -> PipelineRow | None:
    return await fetch_row(conn, _pipeline, PIPELINE, account_id, pipeline_id)


async def statuses_by_pipeline(conn: Connection, account_id: int) -> dict[int, list[StatusRow]]:
    """pipeline id -> its statuses by ``sort``; one statement for the whole account."""
    grouped: dict[int, list[StatusRow]] = defaultdict(list)
    for status in await fetch_rows(conn, _status, ALL_STATUSES, account_id):
        grouped[status.pipeline_id].append(status)
    return grouped


async def statuses(conn: Connection, account_id: int, pipeline_id: int) -> list[StatusRow]:
    return await fetch_rows(conn, _status, STATUSES, account_id, pipeline_id)


async def get_status(
    conn: Connection, account_id: int, pipeline_id: int, status_id: int
) -> StatusRow | None:
    return await fetch_row(conn, _status, STATUS, account_id, pipeline_id, status_id)


async def descriptions(
    conn: Connection, account_id: int, pipeline_id: int
) -> dict[int, list[DescriptionRow]]:
    """status id -> its descriptions in id order, for the whole pipeline."""
    grouped: dict[int, list[DescriptionRow]] = defaultdict(list)
    for description in await fetch_rows(
        conn, DescriptionRow, DESCRIPTIONS, account_id, pipeline_id
    ):
        grouped[description.status_id].append(description)
    return grouped


async def status_descriptions(
    conn: Connection, account_id: int, pipeline_id: int, status_id: int
) -> list[DescriptionRow]:
    """One status's descriptions in id order."""
    return await fetch_rows(
        conn, DescriptionRow, STATUS_DESCRIPTIONS, account_id, pipeline_id, status_id
    )


# -- writes --------------------------------------------------------------------------------

COUNT_PIPELINES = sql("SELECT count(*) FROM pipelines WHERE account_id = $1")
COUNT_STATUSES = sql("SELECT count(*) FROM statuses WHERE account_id = $1 AND pipeline_id = $2")
INSERT_PIPELINE = sql(
    "INSERT INTO pipelines (account_id, id, name, sort, is_main, is_unsorted_on, is_archive, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
)
INSERT_STATUS = sql(
    "INSERT INTO statuses (account_id, id, name, sort, is_editable, pipeline_id, color, type) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)
INSERT_DESCRIPTION = sql(
    "INSERT INTO status_descriptions (account_id, id, pipeline_id, status_id, level, "
    "description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)
DEMOTE_OTHERS = sql(
    "UPDATE pipelines SET is_main = $3, updated_at = $4 "
    "WHERE account_id = $1 AND id <> $2 AND is_main = $5"
)
UPDATE_PIPELINE = sql(
    "UPDATE pipelines SET name = coalesce($3, name), sort = coalesce($4, sort), "
    "is_main = coalesce($5, is_main), is_unsorted_on = coalesce($6, is_unsorted_on), "
    "is_archive = coalesce($7, is_archive), updated_at = $8 WHERE account_id = $1 AND id = $2"
)
PIPELINE_LEAD = sql("SELECT 1 FROM leads WHERE account_id = $1 AND pipeline_id = $2 LIMIT 1")
PIPELINE_SOURCE = sql("SELECT 1 FROM sources WHERE account_id = $1 AND pipeline_id = $2 LIMIT 1")
DELETE_PIPELINE_DESCRIPTIONS = sql(
    "DELETE FROM status_descriptions WHERE account_id = $1 AND pipeline_id = $2"
)
DELETE_PIPELINE_STATUSES = sql("DELETE FROM statuses WHERE account_id = $1 AND pipeline_id = $2")
DELETE_PIPELINE = sql("DELETE FROM pipelines WHERE account_id = $1 AND id = $2")
UPDATE_STATUS = sql(
    "UPDATE statuses SET name = coalesce($4, name), sort = coalesce($5, sort), "
    "color = coalesce($6, color) WHERE account_id = $1 AND pipeline_id = $2 AND id = $3"
)
UPDATE_DESCRIPTION = sql(
    "UPDATE status_descriptions SET level = $3, description = $4, updated_at = $5 "
    "WHERE account_id = $1 AND id = $2"
)
DELETE_DESCRIPTION = sql("DELETE FROM status_descriptions WHERE account_id = $1 AND id = $2")
MOVE_LEADS = sql(
    "UPDATE leads SET status_id = $4, updated_at = $5, updated_by = $6 "
    "WHERE account_id = $1 AND pipeline_id = $2 AND status_id = $3"
)
DELETE_STATUS_DESCRIPTIONS = sql(
    "DELETE FROM status_descriptions WHERE account_id = $1 AND pipeline_id = $2 AND status_id = $3"
)
DELETE_STATUS = sql("DELETE FROM statuses WHERE account_id = $1 AND pipeline_id = $2 AND id = $3")


async def count_pipelines(conn: Connection, account_id: int) -> int:
    return int(await fetch_value(conn, COUNT_PIPELINES, account_id) or 0)


async def count_statuses(conn: Connection, account_id: int, pipeline_id: int) -> int:
    """The pipeline's statuses, system ones included (Kommo's API counts them)."""
    return int(await fetch_value(conn, COUNT_STATUSES, account_id, pipeline_id) or 0)


async def insert_pipelines(
    conn: Connection, account_id: int, pipelines: Sequence[PipelineRow], now: int
) -> None:
    await conn.execute_many(INSERT_PIPELINE, [(account_id, *astuple(p), now) for p in pipelines])


async def insert_statuses(conn: Connection, account_id: int, statuses: Sequence[StatusRow]) -> None:
    await conn.execute_many(INSERT_STATUS, [(account_id, *astuple(s)) for s in statuses])


async def insert_descriptions(
    conn: Connection, account_id: int, descriptions: Sequence[DescriptionRow]
) -> None:
    await conn.execute_many(INSERT_DESCRIPTION, [(account_id, *d) for d in descriptions])


async def demote_others(conn: Connection, account_id: int, main_id: int, now: int) -> None:
    """Every pipeline but ``main_id`` stops being the main one (exactly one)."""
    await conn.execute(DEMOTE_OTHERS, account_id, main_id, False, now, True)


class PipelineEdit(NamedTuple):
    """The columns a pipeline PATCH may set; None keeps the stored value."""

    name: str | None
    sort: int | None
    is_main: bool | None
    is_unsorted_on: bool | None
    is_archive: bool | None


async def update_pipeline(
    conn: Connection, account_id: int, pipeline_id: int, edit: PipelineEdit, now: int
) -> None:
    """Set the edit's columns and ``updated_at``."""
    await conn.execute(UPDATE_PIPELINE, account_id, pipeline_id, *edit, now)


async def pipeline_in_use(conn: Connection, account_id: int, pipeline_id: int) -> str | None:
    """What still points at the pipeline: "leads" (deleted ones too), "sources", or None."""
    for user, query in (("leads", PIPELINE_LEAD), ("sources", PIPELINE_SOURCE)):
        if await fetch_value(conn, query, account_id, pipeline_id) is not None:
            return user
    return None


async def delete_pipeline(conn: Connection, account_id: int, pipeline_id: int) -> None:
    """The pipeline with its statuses and their descriptions, children first (the cascades
    are not relied upon)."""
    await conn.execute(DELETE_PIPELINE_DESCRIPTIONS, account_id, pipeline_id)
    await conn.execute(DELETE_PIPELINE_STATUSES, account_id, pipeline_id)
    await conn.execute(DELETE_PIPELINE, account_id, pipeline_id)


async def update_status(
    conn: Connection,
    account_id: int,
    pipeline_id: int,
    status_id: int,
    *,
    name: str | None,
    sort: int | None,
    color: str | None,
) -> None:
    """Set the given columns; None keeps the stored value (statuses keep no timestamps)."""
    await conn.execute(UPDATE_STATUS, account_id, pipeline_id, status_id, name, sort, color)


async def update_description(
    conn: Connection, account_id: int, description_id: int, level: str, text: str, now: int
) -> None:
    await conn.execute(UPDATE_DESCRIPTION, account_id, description_id, level, text, now)


async def delete_descriptions(
    conn: Connection, account_id: int, description_ids: Sequence[int]
) -> None:
    await conn.execute_many(DELETE_DESCRIPTION, [(account_id, d) for d in description_ids])


async def delete_status(
    conn: Connection,
    account_id: int,
    pipeline_id: int,
    status_id: int,
    *,
    target_id: int,
    now: int,
    user_id: int,
) -> None:
    """Move the status's leads (deleted ones too: they still reference it) to ``target_id``
    as the acting user's change, now; then drop its descriptions and the status."""
    await conn.execute(MOVE_LEADS, account_id, pipeline_id, status_id, target_id, now, user_id)
    await conn.execute(DELETE_STATUS_DESCRIPTIONS, account_id, pipeline_id, status_id)
    await conn.execute(DELETE_STATUS, account_id, pipeline_id, status_id)
