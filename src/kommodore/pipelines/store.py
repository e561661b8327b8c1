"""Pipeline, status and status-description queries (spec §11)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from kommodore.db.database import Connection, sql


@dataclass(frozen=True, slots=True)
class PipelineRow:
    id: int
    name: str
    sort: int
    is_main: bool
    is_unsorted_on: bool
    is_archive: bool


@dataclass(frozen=True, slots=True)
class StatusRow:
    pipeline_id: int
    id: int
    name: str
    sort: int
    is_editable: bool
    color: str
    type: int


@dataclass(frozen=True, slots=True)
class DescriptionRow:
    id: int
    pipeline_id: int
    status_id: int
    level: str
    description: str
    created_at: int
    updated_at: int


_PIPELINE = "SELECT id, name, sort, is_main, is_unsorted_on, is_archive FROM pipelines "
_STATUS = "SELECT pipeline_id, id, name, sort, is_editable, color, type FROM statuses "
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


def _pipeline(r: Any) -> PipelineRow:
    return PipelineRow(r[0], r[1], r[2], bool(r[3]), bool(r[4]), bool(r[5]))


def _status(r: Any) -> StatusRow:
    return StatusRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6])


def _description(r: Any) -> DescriptionRow:
    return DescriptionRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6])


async def pipelines(conn: Connection, account_id: int) -> list[PipelineRow]:
    """Every pipeline of the account in Kommo's order: by ``sort``, then id."""
    return [_pipeline(r) for r in await conn.fetch_all(PIPELINES, account_id)]


async def get_pipeline(conn: Connection, account_id: int, pipeline_id: int) -> PipelineRow | None:
    row = await conn.fetch_one(PIPELINE, account_id, pipeline_id)
    return None if row is None else _pipeline(row)


async def statuses_by_pipeline(conn: Connection, account_id: int) -> dict[int, list[StatusRow]]:
    """pipeline id -> its statuses by ``sort``; one statement for the whole account."""
    grouped: dict[int, list[StatusRow]] = defaultdict(list)
    for row in await conn.fetch_all(ALL_STATUSES, account_id):
        status = _status(row)
        grouped[status.pipeline_id].append(status)
    return grouped


async def statuses(conn: Connection, account_id: int, pipeline_id: int) -> list[StatusRow]:
    return [_status(r) for r in await conn.fetch_all(STATUSES, account_id, pipeline_id)]


async def get_status(
    conn: Connection, account_id: int, pipeline_id: int, status_id: int
) -> StatusRow | None:
    row = await conn.fetch_one(STATUS, account_id, pipeline_id, status_id)
    return None if row is None else _status(row)


async def descriptions(
    conn: Connection, account_id: int, pipeline_id: int, status_id: int | None = None
) -> dict[int, list[DescriptionRow]]:
    """status id -> its descriptions in id order, for one status or the whole pipeline."""
    rows = (
        await conn.fetch_all(DESCRIPTIONS, account_id, pipeline_id)
        if status_id is None
        else await conn.fetch_all(STATUS_DESCRIPTIONS, account_id, pipeline_id, status_id)
    )
    grouped: dict[int, list[DescriptionRow]] = defaultdict(list)
    for row in rows:
        description = _description(row)
        grouped[description.status_id].append(description)
    return grouped
