"""Tag queries (leads', contacts' and companies' directories, by ``entity_type``): one
statement per page, every filter a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from kommodore.db.database import Connection, fetch_rows, int_array, sql, text_array


class TagRow(NamedTuple):
    id: int
    name: str
    color: str | None


LIST = sql(
    "SELECT id, name, color FROM tags WHERE account_id = $1 AND entity_type = $7 "
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
    entity: str = "leads",
) -> list[TagRow]:
    """Tags of ``entity`` by id; ``pattern`` is a LIKE pattern, already lower-cased and
    escaped."""
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
        entity,
    )


BY_NAMES = sql(
    "SELECT id, name, color FROM tags WHERE account_id = $1 AND entity_type = $3 "
    "AND name = ANY($2::text[])"
)
BY_IDS = sql(
    "SELECT id, name, color FROM tags WHERE account_id = $1 AND entity_type = $3 "
    "AND id = ANY($2::bigint[])"
)
INSERT = sql(
    "INSERT INTO tags (account_id, id, entity_type, name, color) VALUES ($1, $2, $5, $3, $4) "
    "ON CONFLICT (account_id, entity_type, name) DO NOTHING"
)


async def lead_tags_by_names(
    conn: Connection, account_id: int, names: Sequence[str], entity: str = "leads"
) -> list[TagRow]:
    """The account's tags of ``entity`` named exactly (case-sensitively) one of ``names``."""
    return await fetch_rows(conn, TagRow, BY_NAMES, account_id, text_array(conn, names), entity)


async def lead_tags_by_ids(
    conn: Connection, account_id: int, ids: Sequence[int], entity: str = "leads"
) -> list[TagRow]:
    """The account's tags of ``entity`` among ``ids`` (each within 1..2**63-1)."""
    return await fetch_rows(conn, TagRow, BY_IDS, account_id, int_array(conn.dialect, ids), entity)


async def insert_lead_tags(
    conn: Connection, account_id: int, tags: Sequence[TagRow], entity: str = "leads"
) -> None:
    """Insert tags of ``entity``; a name that exists already (perhaps committed meanwhile by
    another request, which the unique key waits for) is left as it is and its row's id
    wasted."""
    await conn.execute_many(INSERT, [(account_id, *t, entity) for t in tags])
