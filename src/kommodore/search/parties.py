"""The search index behind ``query`` on contact and company lists and their phone and e-mail
filters.

Each contact and company has one document: its names, the text of every custom field value and,
for a value holding digits, those digits alone (a phone as the list compares it), lower-cased by
Python. PostgreSQL keeps the documents in ``contact_search`` and ``company_search`` with pg_trgm
GIN indexes; SQLite in FTS5 tables with the trigram tokenizer, whose rowid is the party's id
(ids are global per entity, so one table per kind).

The list pages ask the index for candidates and keep only those the scan's own predicate
accepts, so the answer is the scan's to the letter; a document need only hold at least what the
scan could match (a stale extra text costs a recheck, never a wrong row). Writers of parties'
names and values must call :func:`reindex_parties` (or :func:`index_parties` in bulk loads) for
the parties they touched, in the same transaction.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa

from kommodore.db.database import Connection, int_array, sql
from kommodore.db.where import FALSE, Where
from kommodore.http.query import like_pattern
from kommodore.search.index import BATCH, glob_pattern, replace_documents

PartyKind = Literal["contacts", "companies"]


class _Names(NamedTuple):
    search: str
    terms: str
    key: str
    parties: str
    values: str
    names: str


TABLES: dict[PartyKind, _Names] = {
    "contacts": _Names(
        "contact_search",
        "contact_terms",
        "contact_id",
        "contacts",
        "contact_custom_field_values",
        "name, first_name, last_name",
    ),
    "companies": _Names(
        "company_search",
        "company_terms",
        "company_id",
        "companies",
        "company_custom_field_values",
        "name",
    ),
}
SHORTEST_DIGITS = 7
"""Digit runs are kept as terms from this length: a shorter query of digits reads the
trigram documents."""
MOST_DIGITS = 32
SHORTEST_WORD = 3
LONGEST_WORD = 64
_WORD = re.compile(r"[^\W_]+")
LONGEST_VALUE = 256
LONG = "!"
"""The term of a party with a text of more than MOST_DIGITS digits or a value longer than
LONGEST_VALUE characters: such texts have no terms, so every term lookup takes these parties
as candidates too."""


def digits(text: str) -> str:
    """A text's ASCII digits, as the phone comparison takes them (``kommo_digits`` and
    PostgreSQL's ``regexp_replace(x, '[^0-9]', '', 'g')``)."""
    return "".join(c for c in text if c.isascii() and c.isdigit())


def party_document(names: Iterable[str | None], texts: Iterable[str]) -> str:
    """What a party is searched by: its names and its values' texts, each followed by its
    digits alone when it has digits and other characters (a query of digits and phone
    punctuation is then looked up by its digits, whatever it matched)."""
    parts = []
    for text in [*(n for n in names if n), *texts]:
        parts.append(text)
        found = digits(text)
        if found and found != text:
            parts.append(found)
    return "\n".join(parts).lower()


def words(text: str) -> list[tuple[int, int]]:
    """Where the words of ``text`` start and end: its longest runs of letters and digits."""
    return [m.span() for m in _WORD.finditer(text)]


def inner_word(text: str) -> str | None:
    """The longest word of ``text`` (lower-cased) with a character that is not a letter or digit
    on both sides: any text containing ``text`` has that word whole, so it can be looked up as a
    term; None when there is no such word of SHORTEST_WORD characters or more."""
    lowered = text.lower()
    inner = [lowered[a:b] for a, b in words(lowered) if a > 0 and b < len(lowered)]
    inner = [w for w in inner if SHORTEST_WORD <= len(w) <= LONGEST_WORD]
    return max(inner, key=len) if inner else None


def party_terms(names: Iterable[str | None], texts: Iterable[str]) -> set[str]:
    """Exact keys of a party, for B-tree lookups that cost the same at any size: ``#`` and each
    tail of at least SHORTEST_DIGITS of a name's or value's digits (so that digits contained in
    it, or a phone's last 10, are a prefix of one); ``w`` and each word of a name or value,
    lower-cased (so that a query's inner word is one); ``=`` and each value's text lower-cased
    (an e-mail filter's equality)."""
    found: set[str] = set()
    texts = list(texts)
    for text in [*(n for n in names if n), *texts]:
        lowered = text.lower()
        found.update(
            "w" + lowered[a:b] for a, b in words(lowered) if SHORTEST_WORD <= b - a <= LONGEST_WORD
        )
        run = digits(text)
        if len(run) > MOST_DIGITS:
            found.add(LONG)
            continue
        found.update("#" + run[i:] for i in range(len(run) - SHORTEST_DIGITS + 1))
    for lowered in (text.lower() for text in texts):
        found.add(LONG if len(lowered) > LONGEST_VALUE else "=" + lowered)
    return found


# -- building documents --------------------------------------------------------------------------


def _documents(
    ids: Sequence[int], names: Mapping[int, Sequence[str | None]], values: Iterable[Any]
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(party id, document) and (party id, term) of the ``ids`` that exist, from their names
    and their values' (owner id, value_text) rows in order."""
    texts: dict[int, list[str]] = defaultdict(list)
    for owner, text in values:
        if text:
            texts[owner].append(text)
    docs, terms = [], []
    for i in ids:
        if i in names:
            docs.append((i, party_document(names[i], texts.get(i, ()))))
            terms += [(i, term) for term in sorted(party_terms(names[i], texts.get(i, ())))]
    return docs, terms


def index_parties(
    conn: sa.Connection, kind: PartyKind, account_id: int, ids: Sequence[int] | None = None
) -> int:
    """(Re)build the documents of ``ids``, or of every party of ``kind`` of the account;
    returns how many. Synchronous, for bulk loads (demo, benchmarks); batches of ids."""
    t = TABLES[kind]
    if ids is None:
        found = list(
            conn.execute(
                sa.text(f"SELECT id FROM {t.parties} WHERE account_id = :a ORDER BY id"),  # noqa: S608 (names from TABLES)
                {"a": account_id},
            ).scalars()
        )
    else:
        found = sorted(set(ids))
    for start in range(0, len(found), BATCH):
        batch = found[start : start + BATCH]
        params = {"a": account_id, "lo": batch[0], "hi": batch[-1]}
        names = {
            row[0]: row[1:]
            for row in conn.execute(
                sa.text(
                    f"SELECT id, {t.names} FROM {t.parties} "  # noqa: S608 (names from TABLES)
                    "WHERE account_id = :a AND id BETWEEN :lo AND :hi"
                ),
                params,
            )
        }
        values = conn.execute(
            sa.text(
                f"SELECT {t.key}, value_text FROM {t.values} "  # noqa: S608 (names from TABLES)
                f"WHERE account_id = :a AND {t.key} BETWEEN :lo AND :hi "
                f"AND value_text IS NOT NULL ORDER BY {t.key}, field_id, position"
            ),
            params,
        )
        wanted = set(batch)
        docs, terms = _documents(batch, {i: n for i, n in names.items() if i in wanted}, values)
        replace_documents(conn, account_id, batch, docs, t.search, t.key)
        replace_documents(conn, account_id, batch, terms, t.terms, t.key, "term", by_rowid=False)
    return len(found)


def _statements(kind: PartyKind) -> tuple[Any, ...]:
    t = TABLES[kind]
    return (
        sql(
            f"SELECT id, {t.names} FROM {t.parties} "  # noqa: S608 (names from TABLES)
            "WHERE account_id = $1 AND id = ANY($2::bigint[])"
        ),
        sql(
            f"SELECT {t.key}, value_text FROM {t.values} "  # noqa: S608 (names from TABLES)
            f"WHERE account_id = $1 AND {t.key} = ANY($2::bigint[]) AND value_text IS NOT NULL "
            f"ORDER BY {t.key}, field_id, position"
        ),
        sql(f"DELETE FROM {t.search} WHERE account_id = $1 AND {t.key} = ANY($2::bigint[])"),  # noqa: S608 (names from TABLES)
        sql(f"INSERT INTO {t.search} (account_id, {t.key}, text) VALUES ($1, $2, $3)"),  # noqa: S608 (names from TABLES)
        sql(f"DELETE FROM {t.search} WHERE rowid = $1"),  # noqa: S608 (names from TABLES)
        sql(f"INSERT INTO {t.search} (rowid, text) VALUES ($1, $2)"),  # noqa: S608 (names from TABLES)
        sql(f"DELETE FROM {t.terms} WHERE account_id = $1 AND {t.key} = ANY($2::bigint[])"),  # noqa: S608 (names from TABLES)
        sql(f"INSERT INTO {t.terms} (account_id, {t.key}, term) VALUES ($1, $2, $3)"),  # noqa: S608 (names from TABLES)
    )


_STATEMENTS = {kind: _statements(kind) for kind in TABLES}


async def reindex_parties(
    conn: Connection,
    kind: PartyKind,
    account_id: int,
    ids: Sequence[int],
    *,
    fresh: bool = False,
) -> None:
    """Rebuild the documents of ``ids`` on the request's connection (``fresh``: parties just
    inserted, with no document yet)."""
    ids = sorted(set(ids))
    if not ids:
        return
    (names_q, values_q, delete_pg, insert_pg, delete_sqlite, insert_sqlite, delete_terms,
     insert_terms) = _STATEMENTS[kind]  # fmt: skip
    param = int_array(conn.dialect, ids)
    names = {row[0]: row[1:] for row in await conn.fetch_all(names_q, account_id, param)}
    docs, terms = _documents(ids, names, await conn.fetch_all(values_q, account_id, param))
    if not fresh:
        await conn.execute(delete_terms, account_id, param)
    await conn.execute_many(insert_terms, [(account_id, i, term) for i, term in terms])
    if conn.dialect == "postgresql":
        if not fresh:
            await conn.execute(delete_pg, account_id, ids)
        await conn.execute_many(insert_pg, [(account_id, i, d) for i, d in docs])
    else:
        if not fresh:
            await conn.execute_many(delete_sqlite, [(i,) for i in ids])
        await conn.execute_many(insert_sqlite, docs)


# -- asking it ------------------------------------------------------------------------------------


def candidates(
    q: Where,
    kind: PartyKind,
    needles: Sequence[str] = (),
    ids: Sequence[int] = (),
    *,
    digit_runs: Sequence[str] = (),
    values: Sequence[str] = (),
    word: str | None = None,
) -> str:
    """``p.id`` among the parties whose document contains one of ``needles`` (each lower-cased
    by the caller's rules), whose digits hold one of ``digit_runs``, whose value lower-cased is
    one of ``values``, who have the term ``word`` (:func:`inner_word`), or among ``ids``: a
    superset of what a scan predicate over names and
    values would find, for it to check. Digit runs shorter than SHORTEST_DIGITS and values
    longer than LONGEST_VALUE are looked up in the documents instead."""
    t = TABLES[kind]
    runs = [r for r in dict.fromkeys(digit_runs) if r]
    texts = [v.lower() for v in dict.fromkeys(values)]
    needles = [
        *needles,
        *(r for r in runs if len(r) < SHORTEST_DIGITS),
        *(v for v in texts if len(v) > LONGEST_VALUE or not v),  # (empty texts have no term)
    ]
    found: list[str] = []
    for needle in dict.fromkeys(needles):
        if q.dialect == "postgresql":
            pattern = q.arg(like_pattern(needle))
            found.append(
                f"SELECT s.{t.key} FROM {t.search} s WHERE s.account_id = {q.mark(1)} "  # noqa: S608 (names from TABLES, parameter marks)
                f"AND s.text LIKE {pattern} ESCAPE '\\'"
            )
        else:
            pattern = q.arg(glob_pattern(needle))
            found.append(f"SELECT rowid FROM {t.search} WHERE text GLOB {pattern}")  # noqa: S608 (names from TABLES, a parameter mark)
    terms = f"SELECT m.{t.key} FROM {t.terms} m WHERE m.account_id = {q.mark(1)} AND m.term"  # noqa: S608 (names from TABLES, a parameter mark)
    keyed = [r for r in runs if len(r) >= SHORTEST_DIGITS]
    for run in keyed:
        found.append(f"{terms} >= {q.arg('#' + run)} AND m.term < {q.arg('#' + run + ':')}")
    exact = [v for v in texts if 0 < len(v) <= LONGEST_VALUE]
    for text in exact:
        found.append(f"{terms} = {q.arg('=' + text)}")
    if keyed or exact:
        found.append(f"{terms} = {q.arg(LONG)}")
    if word is not None:
        found.append(f"{terms} = {q.arg('w' + word)}")
    cast = "::bigint" if q.dialect == "postgresql" else ""
    found += [f"SELECT {q.arg(int(i))}{cast}" for i in dict.fromkeys(ids)]
    if not found:
        return FALSE
    return f"p.id IN ({' UNION '.join(found)})"
