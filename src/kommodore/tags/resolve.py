"""Lead tags by name or id for the writers that attach them to leads (tags are
created on write by name).

Kept apart from :mod:`kommodore.tags.service` so that the lead writer can import it without
pulling in the tag list's HTTP-facing helpers.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from kommodore.auth.service import MAX_ID
from kommodore.db.database import Connection
from kommodore.db.ids import allocate
from kommodore.tags import store
from kommodore.tags.store import TagRow

TagTuple = tuple[int, str, str | None]
"""(id, name, color) of a lead tag: what the lead writer's lookups hold (a TagRow is one)."""


async def ensure_lead_tags(
    conn: Connection, account_id: int, wanted: Mapping[str, str | None], entity: str = "leads"
) -> dict[str, TagRow]:
    """Every name of ``wanted`` (name -> colour for a tag still to be made) as its lead tag,
    creating the missing ones. Names match exactly and case-sensitively, as ``filter[name]``
    does; an existing tag is answered as stored and never changed.

    Names must already be valid (1..255 characters, no NUL, UTF-8). Safe under concurrency
    on PostgreSQL at READ COMMITTED (the default): the insert skips names another transaction
    holds or committed (``ON CONFLICT DO NOTHING`` waits for it), and the read-back then sees
    that transaction's row. New ids follow the order of ``wanted``; the rows are inserted in
    name order so that two requests adding the same names in another order take the unique
    key's locks in the same order and cannot deadlock.
    """
    if not wanted:
        return {}
    names = list(wanted)
    found = {
        row.name: row for row in await store.lead_tags_by_names(conn, account_id, names, entity)
    }
    missing = [name for name in names if name not in found]
    if missing:
        ids = await allocate(conn, "tags", len(missing))
        rows = [TagRow(i, name, wanted[name]) for i, name in zip(ids, missing, strict=True)]
        ordered = sorted(rows, key=lambda row: row.name)
        await store.insert_lead_tags(conn, account_id, ordered, entity)
        for row in await store.lead_tags_by_names(conn, account_id, missing, entity):
            found[row.name] = row
    return {name: found[name] for name in names}


async def resolve_lead_tags(
    conn: Connection, account_id: int, names: Collection[str], entity: str = "leads"
) -> dict[str, TagRow]:
    """name -> (id, name, color) for every name, creating the missing tags (of ``entity``)
    without a colour. Call it on the write transaction's connection; see
    :func:`ensure_lead_tags`."""
    return await ensure_lead_tags(conn, account_id, dict.fromkeys(names), entity)


async def lead_tags_by_id(
    conn: Connection, account_id: int, ids: Collection[int], entity: str = "leads"
) -> dict[int, TagTuple]:
    """id -> (id, name, color) for the ids that are lead tags of the account; other ids
    (unknown, another account's, a contact tag, out of range) are simply absent."""
    wanted = sorted({i for i in ids if 1 <= i <= MAX_ID})
    if not wanted:
        return {}
    rows = await store.lead_tags_by_ids(conn, account_id, wanted, entity)
    return {row.id: row for row in rows}
