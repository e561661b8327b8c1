"""Ids for new rows, drawn inside the writing transaction from each entity's global sequence
(ids are unique across accounts, like Kommo's)."""

from __future__ import annotations

from collections.abc import Sequence

from kommodore.db.database import Connection, fetch_column, fetch_value, sql
from kommodore.db.schema import SEQUENCED_ENTITIES

_NEXTVAL = {
    entity: sql(f"SELECT nextval('{entity}_id_seq') FROM generate_series(1, $1)")  # noqa: S608 (sequence names from the fixed SEQUENCED_ENTITIES)
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
        return await fetch_column(conn, _NEXTVAL[entity], count)
    start = await fetch_value(conn, _SQLITE_RESERVE, count, entity)
    if start is None:
        raise LookupError(f"no id sequence for {entity!r}")
    start = int(start)
    return range(start, start + count)
