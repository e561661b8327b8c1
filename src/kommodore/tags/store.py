"""Lead tag queries: one statement per page, every filter a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from kommodore.db.database import Connection, fetch_rows, int_array, sql, text_array


class TagRow(NamedTuple):
    id: int
    name: str
    color: str | None


LIST = sql(
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
    return await fetch_rows(
        conn,
        TagRow,
        LIST,
        account_id,
        None if ids is None else int_array(conn.dialect, ids),
        text_array(conn, names),
        pattern,
        limit,
        offset,
    )


BY_NAMES = sql(
    "SELECT id, name, color FROM tags WHERE account_id = $1 AND entity_type = 'leads' "
    "AND name = ANY($2::text[])"
)
BY_IDS = sql(
    "SELECT id, name, color FROM tags WHERE account_id = $1 AND entity_type = 'leads' "
    "AND id = ANY($2::bigint[])"
)
INSERT = sql(
    "INSERT INTO tags (account_id, id, entity_type, name, color) VALUES ($1, $2, 'leads', $3, $4) "
    "ON CONFLICT (account_id, entity_type, name) DO NOTHING"
)


async def lead_tags_by_names(
    conn: Connection, account_id: int, names: Sequence[str]
) -> list[TagRow]:
    """The account's lead tags named exactly (case-sensitively) one of ``names``."""
    return await fetch_rows(conn, TagRow, BY_NAMES, account_id, text_array(conn, names))


async def lead_tags_by_ids(conn: Connection, account_id: int, ids: Sequence[int]) -> list[TagRow]:
    """The account's lead tags among ``ids`` (each within 1..2**63-1)."""
    return await fetch_rows(conn, TagRow, BY_IDS, account_id, int_array(conn.dialect, ids))


async def insert_lead_tags(conn: Connection, account_id: int, tags: Sequence[TagRow]) -> None:
    """Insert lead tags; a name that exists already (perhaps committed meanwhile by another
    request, which the unique key waits for) is left as it is and its row's id wasted."""
    await conn.execute_many(INSERT, [(account_id, *t) for t in tags])
