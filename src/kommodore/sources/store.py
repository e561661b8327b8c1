"""Source queries. A source belongs to the integration that created it
(``integration_id``); NULL marks one the account owns, which every integration may read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kommodore.db.database import Connection, int_array, sql


@dataclass(frozen=True, slots=True)
class SourceRow:
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


def _source(r: Any) -> SourceRow:
    return SourceRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6])


async def sources(
    conn: Connection,
    account_id: int,
    integration_id: str,
    external_ids: Sequence[str] | None = None,
) -> list[SourceRow]:
    """The sources the integration may see, in id order; ``external_ids`` narrows them."""
    if external_ids is None:
        rows = await conn.fetch_all(ALL, account_id, integration_id)
    else:
        values: Any = (
            json.dumps(list(external_ids)) if conn.dialect == "sqlite" else list(external_ids)
        )
        rows = await conn.fetch_all(BY_EXTERNAL_IDS, account_id, integration_id, values)
    return [_source(r) for r in rows]


async def get_source(
    conn: Connection, account_id: int, integration_id: str, source_id: int
) -> SourceRow | None:
    row = await conn.fetch_one(ONE, account_id, integration_id, source_id)
    return None if row is None else _source(row)


# -- writes -------------------------------------------------------------------

BY_IDS = sql(
    "SELECT id, name, pipeline_id, external_id, is_default, origin_code, services FROM sources "
    "WHERE account_id = $1 AND (integration_id = $2 OR integration_id IS NULL) "
    "AND id = ANY($3::bigint[])"
)
OWN_COUNT = sql("SELECT count(*) FROM sources WHERE account_id = $1 AND integration_id = $2")
PIPELINES = sql("SELECT id, is_main FROM pipelines WHERE account_id = $1")
INSERT = sql(
    "INSERT INTO sources (account_id, id, name, pipeline_id, external_id, is_default, "
    "origin_code, integration_id, services, created_at, updated_at) "
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
    rows = await conn.fetch_all(
        BY_IDS, account_id, integration_id, int_array(conn.dialect, source_ids)
    )
    return {r[0]: _source(r) for r in rows}


async def own_count(conn: Connection, account_id: int, integration_id: str) -> int:
    row = await conn.fetch_one(OWN_COUNT, account_id, integration_id)
    return 0 if row is None else int(row[0])


async def pipelines(conn: Connection, account_id: int) -> dict[int, bool]:
    """pipeline id -> is_main."""
    return {r[0]: bool(r[1]) for r in await conn.fetch_all(PIPELINES, account_id)}


async def insert_sources(
    conn: Connection, account_id: int, integration_id: str, rows: Sequence[SourceRow], now: int
) -> None:
    await conn.execute_many(
        INSERT,
        [
            (account_id, s.id, s.name, s.pipeline_id, s.external_id, s.is_default,
             s.origin_code, integration_id, s.services, now)
            for s in rows
        ],
    )  # fmt: skip


async def update_sources(
    conn: Connection, account_id: int, rows: Sequence[SourceRow], now: int
) -> None:
    await conn.execute_many(
        UPDATE,
        [
            (account_id, s.id, s.name, s.pipeline_id, s.external_id, s.is_default,
             s.origin_code, s.services, now)
            for s in rows
        ],
    )  # fmt: skip


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
