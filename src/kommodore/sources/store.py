"""Source queries (spec §12.3). A source belongs to the integration that created it
(``integration_id``); NULL marks one the account owns, which every integration may read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kommodore.db.database import Connection, sql


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
BY_EXTERNAL_IDS = sql(
    _SELECT + "AND external_id = ANY($3::text[]) ORDER BY id",
    (_SELECT + "AND external_id IN (SELECT value FROM json_each(?3)) ORDER BY id")
    .replace("$1", "?1")
    .replace("$2", "?2"),
)
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
