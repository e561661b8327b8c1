"""The search index behind ``query`` on lead lists.

Each lead has one document: its name, its custom field values' text and its enum labels, lower
cased by Python (Unicode-aware, unlike SQLite's ``lower``). PostgreSQL keeps the documents in
``lead_search`` with a pg_trgm GIN index; SQLite in an FTS5 table with the trigram tokenizer,
whose rowid is the lead id. Both answer a substring ``LIKE``/``GLOB`` from the index instead of
scanning every lead and value. Writers of leads and their values must call
:func:`index_leads` for the leads they touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from kommodore.db.database import Connection, int_array, sql

BATCH = 20_000


def document(name: str, texts: Iterable[str]) -> str:
    """What a lead is searched by; the query is lower-cased the same way."""
    return "\n".join([name, *texts]).lower()


def glob_pattern(text: str) -> str:
    """A substring as an FTS5 GLOB pattern over lower-cased text; ``*``, ``?`` and ``[`` are
    literal. GLOB rather than LIKE: FTS5 does not use its index for LIKE with ESCAPE."""
    escaped = "".join(f"[{c}]" if c in "*?[" else c for c in text.lower())
    return f"*{escaped}*"


def index_leads(conn: sa.Connection, account_id: int, lead_ids: Sequence[int] | None = None) -> int:
    """(Re)build the documents of ``lead_ids``, or of every lead of the account; returns how many.

    Synchronous, for bulk loads and tests; one statement per table per batch.
    """
    if lead_ids is None:
        ids = list(
            conn.execute(
                sa.text("SELECT id FROM leads WHERE account_id = :a ORDER BY id"), {"a": account_id}
            ).scalars()
        )
    else:
        ids = sorted(set(lead_ids))
    for start in range(0, len(ids), BATCH):
        _index_batch(conn, account_id, ids[start : start + BATCH])
    return len(ids)


def _index_batch(conn: sa.Connection, account_id: int, ids: list[int]) -> None:
    low, high = ids[0], ids[-1]
    params = {"a": account_id, "lo": low, "hi": high}
    names = {
        lead_id: name
        for lead_id, name in conn.execute(
            sa.text("SELECT id, name FROM leads WHERE account_id = :a AND id BETWEEN :lo AND :hi"),
            params,
        )
    }
    values = conn.execute(
        sa.text(
            "SELECT v.lead_id, v.value_text, e.value FROM lead_custom_field_values v "
            "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id "
            "WHERE v.account_id = :a AND v.lead_id BETWEEN :lo AND :hi "
            "ORDER BY v.lead_id, v.field_id, v.position"
        ),
        params,
    )
    replace_documents(conn, account_id, ids, _documents(ids, names, values))


def _documents(
    ids: Sequence[int], names: Mapping[int, str], values: Iterable[Any]
) -> list[tuple[int, str]]:
    """(lead id, document) of the ``ids`` that are leads, from their names and their values'
    (lead_id, value_text, enum label) rows in order."""
    texts: dict[int, list[str]] = defaultdict(list)
    for lead_id, value_text, label in values:
        if value_text:
            texts[lead_id].append(value_text)
        if label:
            texts[lead_id].append(label)
    return [(i, document(names[i], texts.get(i, ()))) for i in ids if i in names]


def replace_documents(
    conn: sa.Connection,
    account_id: int,
    ids: list[int],
    rows: list[Any],
    table: str = "lead_search",
    key: str = "lead_id",
    column: str = "text",
    *,
    by_rowid: bool = True,
) -> None:
    """Replace the rows of ``ids`` in ``table`` with ``rows``, (id, ``column``) pairs: COPY on
    PostgreSQL (keyed by ``account_id`` and ``key``), ``executemany`` on SQLite (keyed by rowid
    in an FTS5 table, else as on PostgreSQL)."""
    raw: Any = conn.connection.dbapi_connection
    cur = raw.cursor()
    try:
        if conn.dialect.name == "postgresql":
            cur.execute(
                f"DELETE FROM {table} WHERE account_id = %s AND {key} = ANY(%s)",  # noqa: S608 (names from code)
                (account_id, ids),
            )
            with cur.copy(f"COPY {table} (account_id, {key}, {column}) FROM STDIN") as copy:
                for owner, value in rows:
                    copy.write_row((account_id, owner, value))
        elif by_rowid:
            cur.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(i,) for i in ids])  # noqa: S608 (a name from code)
            cur.executemany(f"INSERT INTO {table} (rowid, {column}) VALUES (?, ?)", rows)  # noqa: S608 (names from code)
        else:
            cur.executemany(
                f"DELETE FROM {table} WHERE account_id = ? AND {key} = ?",  # noqa: S608 (names from code)
                [(account_id, i) for i in ids],
            )
            cur.executemany(
                f"INSERT INTO {table} (account_id, {key}, {column}) VALUES (?, ?, ?)",  # noqa: S608 (names from code)
                [(account_id, owner, value) for owner, value in rows],
            )
    finally:
        cur.close()


# -- the same, asynchronously, inside a request's write transaction ---------------------------

_NAMES = sql("SELECT id, name FROM leads WHERE account_id = $1 AND id = ANY($2::bigint[])")
_TEXTS = sql(
    "SELECT v.lead_id, v.value_text, e.value FROM lead_custom_field_values v "
    "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id "
    "WHERE v.account_id = $1 AND v.lead_id = ANY($2::bigint[]) "
    "ORDER BY v.lead_id, v.field_id, v.position"
)
_DELETE_PG = sql("DELETE FROM lead_search WHERE account_id = $1 AND lead_id = ANY($2::bigint[])")
_INSERT_PG = sql("INSERT INTO lead_search (account_id, lead_id, text) VALUES ($1, $2, $3)")
_DELETE_SQLITE = sql("DELETE FROM lead_search WHERE rowid = $1")
_INSERT_SQLITE = sql("INSERT INTO lead_search (rowid, text) VALUES ($1, $2)")


async def reindex(
    conn: Connection, account_id: int, ids: Sequence[int], *, fresh: bool = False
) -> None:
    """Rebuild the documents of ``ids`` (sorted, distinct) on the request's connection."""
    if not ids:
        return
    param = int_array(conn.dialect, ids)
    names = {i: name for i, name in await conn.fetch_all(_NAMES, account_id, param)}
    docs = _documents(ids, names, await conn.fetch_all(_TEXTS, account_id, param))
    if conn.dialect == "postgresql":
        if not fresh:
            await conn.execute(_DELETE_PG, account_id, list(ids))
        await conn.execute_many(_INSERT_PG, [(account_id, i, d) for i, d in docs])
    else:
        if not fresh:
            await conn.execute_many(_DELETE_SQLITE, [(i,) for i in ids])
        await conn.execute_many(_INSERT_SQLITE, docs)
