"""Ids for new rows, drawn inside the writing transaction from each entity's global sequence
(ids are unique across accounts, like Kommo's)."""

from __future__ import annotations

from collections.abc import Sequence

from kommodore.db.database import Connection, sql
from kommodore.db.schema import SEQUENCED_ENTITIES

_NEXTVAL = {
    entity: sql(f"SELECT nextval('{entity}_id_seq') FROM generate_series(1, $1)")
    for entity in SEQUENCED_ENTITIES
}
_SQLITE_RESERVE = sql(
    "UPDATE id_sequences SET next_value = next_value + $1 WHERE name = $2 RETURNING next_value - $1"
)


async def allocate(conn: Connection, entity: str, count: int) -> Sequence[int]:
    """Reserve ``count`` ids. On PostgreSQL they come from ``<entity>_id_seq`` (not always
    contiguous, and never handed out twice even if the transaction rolls back); on SQLite from
    the ``id_sequences`` row, which the single writer holds for the transaction."""
    if count <= 0:
        return []
    if conn.dialect == "postgresql":
        return [row[0] for row in await conn.fetch_all(_NEXTVAL[entity], count)]
    row = await conn.fetch_one(_SQLITE_RESERVE, count, entity)
    if row is None:
        raise LookupError(f"no id sequence for {entity!r}")
    start = int(row[0])
    return range(start, start + count)
