"""contact and company search index

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 01:00:00.000000

One lower-cased document per contact and per company (names, every value's text, and the digits
of a value holding digits) for ``query`` and the phone and e-mail filters, as ``lead_search``
is for leads (0003): PostgreSQL keeps them in ``contact_search`` and ``company_search`` with
pg_trgm GIN indexes, SQLite in FTS5 tables with the trigram tokenizer (rowid = the party's id).
Beside them ``contact_terms`` and ``company_terms``, B-tree keys for lookups whose cost does not
grow with the account: the tails of 7 or more of each text's digits, each word (a run of
letters and digits) of each text, each value lower-cased.
Kept out of the SQLAlchemy metadata; existing parties are indexed here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
    ("contact_search", "contact_terms", "contact_id", "contacts", "contact_custom_field_values",
     "name, first_name, last_name"),
    ("company_search", "company_terms", "company_id", "companies", "company_custom_field_values",
     "name"),
)  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, terms, key, parties, values, names in _KINDS:
        if bind.dialect.name == "postgresql":
            op.execute(
                f"CREATE TABLE {table} ("
                f" account_id BIGINT NOT NULL, {key} BIGINT NOT NULL, text TEXT NOT NULL,"
                f" CONSTRAINT pk_{table} PRIMARY KEY (account_id, {key}),"
                f" CONSTRAINT fk_{table}_account_id_{key}_{parties} FOREIGN KEY (account_id, {key})"
                f" REFERENCES {parties} (account_id, id) ON DELETE CASCADE)"
            )
            op.execute(f"CREATE INDEX ix_{table}_text ON {table} USING gin (text gin_trgm_ops)")
            op.execute(
                f"CREATE TABLE {terms} ("
                f" account_id BIGINT NOT NULL, {key} BIGINT NOT NULL,"
                ' term TEXT COLLATE "C" NOT NULL,'
                f" CONSTRAINT pk_{terms} PRIMARY KEY (account_id, term, {key}),"
                f" CONSTRAINT fk_{terms}_account_id_{key}_{parties} FOREIGN KEY (account_id, {key})"
                f" REFERENCES {parties} (account_id, id) ON DELETE CASCADE)"
            )
        else:
            op.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(text, tokenize='trigram')")
            op.execute(
                f"CREATE TABLE {terms} ("
                f" account_id INTEGER NOT NULL, {key} INTEGER NOT NULL, term TEXT NOT NULL,"
                f" CONSTRAINT pk_{terms} PRIMARY KEY (account_id, term, {key}),"
                f" CONSTRAINT fk_{terms}_account_id_{key}_{parties} FOREIGN KEY (account_id, {key})"
                f" REFERENCES {parties} (account_id, id) ON DELETE CASCADE) WITHOUT ROWID"
            )
        op.execute(f"CREATE INDEX ix_{terms}_{key} ON {terms} (account_id, {key})")
        _backfill(bind, table, terms, key, parties, values, names)


_WORD = re.compile(r"[^\W_]+")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isdigit())


def _add(parts: list[str], text: str | None) -> None:
    """A name or value's text, and its digits alone when it has digits and more."""
    if not text:
        return
    parts.append(text)
    digits = _digits(text)
    if digits and digits != text:
        parts.append(digits)


def _terms(names: list[str], values: list[str]) -> set[str]:
    """As ``kommodore.search.parties.party_terms`` at this revision."""
    found: set[str] = set()
    for text in [*names, *values]:
        found.update("w" + w for w in _WORD.findall(text.lower()) if 3 <= len(w) <= 64)
        run = _digits(text)
        if len(run) > 32:
            found.add("!")
            continue
        found.update("#" + run[i:] for i in range(len(run) - 6))
    for lowered in (text.lower() for text in values):
        found.add("!" if len(lowered) > 256 else "=" + lowered)
    return found


def _backfill(
    bind: sa.Connection,
    table: str,
    terms: str,
    key: str,
    parties: str,
    values: str,
    names: str,
) -> None:
    """Index the parties that exist already (frozen here, not imported from the app)."""
    named: dict[int, list[str]] = defaultdict(list)
    valued: dict[int, list[str]] = defaultdict(list)
    accounts: dict[int, int] = {}
    for row in bind.execute(sa.text(f"SELECT id, account_id, {names} FROM {parties}")):  # noqa: S608 (names from _KINDS)
        named[row[0]].extend(n for n in row[2:] if n)
        accounts[row[0]] = row[1]
    for owner, text in bind.execute(
        sa.text(
            f"SELECT {key}, value_text FROM {values} WHERE value_text IS NOT NULL "  # noqa: S608 (names from _KINDS)
            f"ORDER BY {key}, field_id, position"
        )
    ):
        if text:
            valued[owner].append(text)
    docs, keys = [], []
    for i, account in accounts.items():
        parts: list[str] = []
        for text in [*named[i], *valued[i]]:
            _add(parts, text)
        docs.append({"a": account, "i": i, "t": "\n".join(parts).lower()})
        keys += [{"a": account, "i": i, "t": t} for t in sorted(_terms(named[i], valued[i]))]
    if not docs:
        return
    if bind.dialect.name == "postgresql":
        insert = f"INSERT INTO {table} (account_id, {key}, text) VALUES (:a, :i, :t)"  # noqa: S608 (names from _KINDS)
    else:
        insert = f"INSERT INTO {table} (rowid, text) VALUES (:i, :t)"  # noqa: S608 (names from _KINDS)
    bind.execute(sa.text(insert), docs)
    if keys:
        bind.execute(
            sa.text(f"INSERT INTO {terms} (account_id, {key}, term) VALUES (:a, :i, :t)"),  # noqa: S608 (names from _KINDS)
            keys,
        )


def downgrade() -> None:
    for table in ("company_terms", "contact_terms", "company_search", "contact_search"):
        op.execute(f"DROP TABLE {table}")
