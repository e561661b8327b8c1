"""Lead tag queries (spec §12.1): one statement per page, every filter a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kommodore.db.database import Connection, dual, int_array, text_array


@dataclass(frozen=True, slots=True)
class TagRow:
    id: int
    name: str
    color: str | None


LIST = dual(
    "SELECT id, name, color FROM tags WHERE account_id = $1 AND entity_type = 'leads' "
    "AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[])) "
    "AND ($3::text[] IS NULL OR name = ANY($3::text[])) "
    "AND ($4::text IS NULL OR lower(name) LIKE $4::text ESCAPE '\\') "
    "ORDER BY id LIMIT $5 OFFSET $6"
)


async def list_tags(
    conn: Connection,
    account_id: int,
    *,
    ids: Sequence[int] | None,
    names: Sequence[str] | None,
    pattern: str | None,
    offset: int,
    limit: int,
) -> list[TagRow]:
    """Lead tags by id; ``pattern`` is a LIKE pattern, already lower-cased and escaped."""
    rows = await conn.fetch_all(
        LIST,
        account_id,
        None if ids is None else int_array(conn.dialect, ids),
        text_array(conn, names),
        pattern,
        limit,
        offset,
    )
    return [TagRow(r[0], r[1], r[2]) for r in rows]
