"""Source queries. A source belongs to the integration that created it
(``integration_id``); NULL marks one the account owns, which every integration may read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from kommodore.db.database import (
    Connection,
    fetch_row,
    fetch_rows,
    fetch_value,
    int_array,
    sql,
    text_array,
)
from kommodore.http.directory import with_booleans


class SourceRow(NamedTuple):
    id: int
    name: str
    pipeline_id: int
    external_id: str
    is_default: bool
    origin_code: str | None
    services: str
    """JSON array of the source's services."""


_SELECT = (
    "SELECT id, name, pipeline_id, external_id, is_default, origin_code, services FROM sources "
    "WHERE account_id = $1 AND (integration_id = $2 OR integration_id IS NULL) "
)
ALL = sql(_SELECT + "ORDER BY id")
BY_EXTERNAL_IDS = sql(_SELECT + "AND external_id = ANY($3::text[]) ORDER BY id")
ONE = sql(_SELECT + "AND id = $3")
BY_IDS = sql(_SELECT + "AND id = ANY($3::bigint[])")


class PipelineRow(NamedTuple):
    id: int
    is_main: bool


_source = with_booleans(SourceRow, "is_default")
_pipeline = with_booleans(PipelineRow, "is_main")


async def sources(
    conn: Connection,
    account_id: int,
    integration_id: str,
    external_ids: Sequence[str] | None = None,
) -> list[SourceRow]:
    """The sources the integration may see, in id order; ``external_ids`` narrows them."""
    if external_ids is None:
        return await fetch_rows(conn, _source, ALL, account_id, integration_id)
    values = text_array(conn, external_ids)
    return await fetch_rows(conn, _source, BY_EXTERNAL_IDS, account_id, integration_id, values)


async def get_source(
    conn: Connection, account_id: int, integration_id: str, source_id: int
) -> SourceRow | None:
    return await fetch_row(conn, _source, ONE, account_id, integration_id, source_id)


# -- writes -------------------------------------------------------------------

OWN_COUNT = sql("SELECT count(*) FROM sources WHERE account_id = $1 AND integration_id = $2")
PIPELINES = sql("SELECT id, is_main FROM pipelines WHERE account_id = $1")
INSERT = sql(
    "INSERT INTO sources (account_id, integration_id, id, name, pipeline_id, external_id, "
    "is_default, origin_code, services, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)"
)
UPDATE = sql(
    "UPDATE sources SET name = $3, pipeline_id = $4, external_id = $5, is_default = $6, "
    "origin_code = $7, services = $8, updated_at = $9 WHERE account_id = $1 AND id = $2"
)
UNSET_DEFAULTS = sql(
    "UPDATE sources SET is_default = $3, updated_at = $4 "
    "WHERE account_id = $1 AND (integration_id = $2 OR integration_id IS NULL) "
    "AND is_default = $5 AND id <> $6"
)
DETACH_LEADS = sql(
    "UPDATE leads SET source_id = NULL, updated_at = $3, updated_by = $4 "
    "WHERE account_id = $1 AND source_id = ANY($2::bigint[])"
)
DELETE = sql("DELETE FROM sources WHERE account_id = $1 AND id = ANY($2::bigint[])")


async def sources_by_ids(
    conn: Connection, account_id: int, integration_id: str, source_ids: Sequence[int]
) -> dict[int, SourceRow]:
    """Those of the ids the integration may see (its own and the account's), by id."""
    ids = int_array(conn.dialect, source_ids)
    rows = await fetch_rows(conn, _source, BY_IDS, account_id, integration_id, ids)
    return {row.id: row for row in rows}


async def own_count(conn: Connection, account_id: int, integration_id: str) -> int:
    return int(await fetch_value(conn, OWN_COUNT, account_id, integration_id) or 0)


async def pipelines(conn: Connection, account_id: int) -> dict[int, bool]:
    """pipeline id -> is_main."""
    return {p.id: p.is_main for p in await fetch_rows(conn, _pipeline, PIPELINES, account_id)}


async def insert_sources(
    conn: Connection, account_id: int, integration_id: str, rows: Sequence[SourceRow], now: int
) -> None:
    """The rows' columns in their order, between the owner and the timestamps."""
    await conn.execute_many(INSERT, [(account_id, integration_id, *s, now) for s in rows])


async def update_sources(
    conn: Connection, account_id: int, rows: Sequence[SourceRow], now: int
) -> None:
    """Every column but the id set from the row (its columns in order), and ``updated_at``."""
    await conn.execute_many(UPDATE, [(account_id, *s, now) for s in rows])


async def unset_defaults(
    conn: Connection, account_id: int, integration_id: str, keep: int, now: int
) -> None:
    """No source the integration may edit stays default but ``keep``."""
    await conn.execute(UNSET_DEFAULTS, account_id, integration_id, False, now, True, keep)


async def delete_sources(
    conn: Connection, account_id: int, source_ids: Sequence[int], now: int, user_id: int
) -> None:
    """The sources; the leads that came from them (deleted ones too) lose their source, as
    the acting user's change, now (``leads.source_id`` is a foreign key)."""
    ids = int_array(conn.dialect, source_ids)
    await conn.execute(DETACH_LEADS, account_id, ids, now, user_id)
    await conn.execute(DELETE, account_id, ids)
