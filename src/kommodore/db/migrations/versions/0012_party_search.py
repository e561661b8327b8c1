"""contact and company search index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:00:00.000000

One lower-cased document per contact and per company (names, every value's text, and the digits
of a value holding digits) for ``query`` and the phone and e-mail filters, as ``lead_search``
is for leads (0003): PostgreSQL keeps them in ``contact_search`` and ``company_search`` with
pg_trgm GIN indexes, SQLite in FTS5 tables with the trigram tokenizer (rowid = the party's id).
Kept out of the SQLAlchemy metadata; existing parties are indexed here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
    ("contact_search", "contact_id", "contacts", "contact_custom_field_values",
     "name, first_name, last_name"),
    ("company_search", "company_id", "companies", "company_custom_field_values", "name"),
)  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, key, parties, values, names in _KINDS:
        if bind.dialect.name == "postgresql":
            op.execute(
                f"CREATE TABLE {table} ("
                f" account_id BIGINT NOT NULL, {key} BIGINT NOT NULL, text TEXT NOT NULL,"
                f" CONSTRAINT pk_{table} PRIMARY KEY (account_id, {key}),"
                f" CONSTRAINT fk_{table}_account_id_{key}_{parties} FOREIGN KEY (account_id, {key})"
                f" REFERENCES {parties} (account_id, id) ON DELETE CASCADE)"
            )
            op.execute(f"CREATE INDEX ix_{table}_text ON {table} USING gin (text gin_trgm_ops)")
        else:
            op.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(text, tokenize='trigram')")
        _backfill(bind, table, key, parties, values, names)


def _add(parts: list[str], text: str | None) -> None:
    """A name or value's text, and its digits alone when it has digits and more."""
    if not text:
        return
    parts.append(text)
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    if digits and digits != text:
        parts.append(digits)


def _backfill(
    bind: sa.Connection, table: str, key: str, parties: str, values: str, names: str
) -> None:
    """Index the parties that exist already (frozen here, not imported from the app)."""
    parts: dict[int, list[str]] = defaultdict(list)
    accounts: dict[int, int] = {}
    for row in bind.execute(sa.text(f"SELECT id, account_id, {names} FROM {parties}")):  # noqa: S608 (names from _KINDS)
        for name in row[2:]:
            _add(parts[row[0]], name)
        accounts[row[0]] = row[1]
    for owner, text in bind.execute(
        sa.text(
            f"SELECT {key}, value_text FROM {values} WHERE value_text IS NOT NULL "  # noqa: S608 (names from _KINDS)
            f"ORDER BY {key}, field_id, position"
        )
    ):
        _add(parts[owner], text)
    rows = [
        {"a": accounts[i], "i": i, "t": "\n".join(texts).lower()}
        for i, texts in parts.items()
        if i in accounts
    ]
    if not rows:
        return
    if bind.dialect.name == "postgresql":
        insert = f"INSERT INTO {table} (account_id, {key}, text) VALUES (:a, :i, :t)"  # noqa: S608 (names from _KINDS)
    else:
        insert = f"INSERT INTO {table} (rowid, text) VALUES (:i, :t)"  # noqa: S608 (names from _KINDS)
    bind.execute(sa.text(insert), rows)


def downgrade() -> None:
    op.execute("DROP TABLE company_search")
    op.execute("DROP TABLE contact_search")
