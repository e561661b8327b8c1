"""Reading pipelines and their statuses and shaping them as Kommo does.

Every user of the account may read them. An unknown pipeline is a 404 problem, as Kommo
answers it [OBS]; the collections are never paged.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from msgspec import UNSET, UnsetType
from msgspec.structs import astuple

from kommodore.auth.service import MAX_ID
from kommodore.db.database import Connection
from kommodore.http.directory import answer, found, self_href
from kommodore.http.hal import self_links
from kommodore.http.problems import Problem
from kommodore.pipelines import store, wire
from kommodore.pipelines.store import DescriptionRow, PipelineRow, StatusRow

#: ``with`` values of the status reads; the pipeline reads take none.
STATUS_WITH = frozenset({"descriptions"})
SYSTEM_USER = 0
"""``created_by``/``updated_by`` of a description: the schema keeps no author for them."""


def pipeline_not_found() -> Problem:
    return Problem(404, "Pipeline not found")


def status_not_found() -> Problem:
    return Problem(404, "Status not found")


def _in_range(value: int) -> bool:
    return 1 <= value <= MAX_ID


async def pipeline_row(conn: Connection, account_id: int, pipeline_id: int) -> PipelineRow:
    """The account's pipeline, or the 404 "Pipeline not found"."""
    row = (
        await store.get_pipeline(conn, account_id, pipeline_id) if _in_range(pipeline_id) else None
    )
    return found(row, pipeline_not_found)


async def status_row(
    conn: Connection, account_id: int, pipeline_id: int, status_id: int
) -> StatusRow:
    """The pipeline's status, or the 404 of whichever of the two does not exist."""
    await pipeline_row(conn, account_id, pipeline_id)
    row = (
        await store.get_status(conn, account_id, pipeline_id, status_id)
        if _in_range(status_id)
        else None
    )
    return found(row, status_not_found)


def _datetime(timestamp: int) -> str:
    """Kommo's API: descriptions carry ``YYYY-MM-DD HH:MM:SS`` strings (rendered in UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(timestamp))


def status_model(
    status: StatusRow,
    account_id: int,
    origin: str,
    descriptions: Sequence[DescriptionRow] | None,
    request_id: str | UnsetType = UNSET,
) -> wire.Status:
    """A status as ``GET`` shows it; a write answer adds the item's ``request_id``."""
    model = wire.Status(
        *astuple(status),  # the row's columns lead the keys, in their order
        account_id=account_id,
        request_id=request_id,
        links=self_links(
            f"{origin}/api/v4/leads/pipelines/{status.pipeline_id}/statuses/{status.id}"
        ),
    )
    if descriptions is not None:
        model.descriptions = [
            wire.StatusDescription(
                id=d.id,
                account_id=account_id,
                created_at=_datetime(d.created_at),
                updated_at=_datetime(d.updated_at),
                created_by=SYSTEM_USER,
                updated_by=SYSTEM_USER,
                pipeline_id=d.pipeline_id,
                status_id=d.status_id,
                level=d.level,
                description=d.description,
            )
            for d in descriptions
        ]
    return model


def pipeline_model(
    pipeline: PipelineRow,
    statuses: Sequence[StatusRow],
    account_id: int,
    origin: str,
    request_id: str | UnsetType = UNSET,
) -> wire.Pipeline:
    """A pipeline with its statuses as ``GET`` shows it; a write answer adds ``request_id``."""
    return wire.Pipeline(
        *astuple(pipeline),  # the row's columns lead the keys, in their order
        account_id=account_id,
        request_id=request_id,
        links=self_links(f"{origin}/api/v4/leads/pipelines/{pipeline.id}"),
        embedded=wire.PipelineEmbedded(
            statuses=[status_model(s, account_id, origin, None) for s in statuses]
        ),
    )


async def list_pipelines(
    conn: Connection, account_id: int, url: str, query: str, origin: str
) -> bytes | None:
    """All pipelines with their statuses; None (204) only for an account without any."""
    pipelines = await store.pipelines(conn, account_id)
    if not pipelines:
        return None
    statuses = await store.statuses_by_pipeline(conn, account_id)
    models = [pipeline_model(p, statuses.get(p.id, []), account_id, origin) for p in pipelines]
    return answer("pipelines", models, self_href(url, query))


async def read_pipeline(conn: Connection, account_id: int, pipeline_id: int, origin: str) -> bytes:
    pipeline = await pipeline_row(conn, account_id, pipeline_id)
    statuses = await store.statuses(conn, account_id, pipeline_id)
    return wire.encoder.encode(pipeline_model(pipeline, statuses, account_id, origin))


async def list_statuses(
    conn: Connection,
    account_id: int,
    pipeline_id: int,
    with_: frozenset[str],
    url: str,
    query: str,
    origin: str,
) -> bytes | None:
    """The pipeline's statuses by ``sort``; 404 when the pipeline is unknown."""
    await pipeline_row(conn, account_id, pipeline_id)
    statuses = await store.statuses(conn, account_id, pipeline_id)
    if not statuses:
        return None
    descriptions = (
        await store.descriptions(conn, account_id, pipeline_id) if "descriptions" in with_ else None
    )
    models = [
        status_model(
            s, account_id, origin, None if descriptions is None else descriptions.get(s.id, [])
        )
        for s in statuses
    ]
    return answer("statuses", models, self_href(url, query))


async def read_status(
    conn: Connection,
    account_id: int,
    pipeline_id: int,
    status_id: int,
    with_: frozenset[str],
    origin: str,
) -> bytes:
    """One status; 404 "Pipeline not found" or "Status not found" for what does not exist."""
    status = await status_row(conn, account_id, pipeline_id, status_id)
    descriptions = (
        await store.status_descriptions(conn, account_id, pipeline_id, status_id)
        if "descriptions" in with_
        else None
    )
    return wire.encoder.encode(status_model(status, account_id, origin, descriptions))
