"""lead search index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 03:25:00

One lower-cased document per lead (name, custom field texts, enum labels) for ``query``:
PostgreSQL keeps it in ``lead_search`` with a pg_trgm GIN index, SQLite in an FTS5 table with
the trigram tokenizer (rowid = lead id, ids being global). Kept out of the SQLAlchemy metadata
because the two are different kinds of object; existing leads are indexed here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE TABLE lead_search ("
            " account_id BIGINT NOT NULL, lead_id BIGINT NOT NULL, text TEXT NOT NULL,"
            " CONSTRAINT pk_lead_search PRIMARY KEY (account_id, lead_id),"
            " CONSTRAINT fk_lead_search_account_id_lead_id_leads FOREIGN KEY (account_id, lead_id)"
            " REFERENCES leads (account_id, id) ON DELETE CASCADE)"
        )
        op.execute("CREATE INDEX ix_lead_search_text ON lead_search USING gin (text gin_trgm_ops)")
    else:
        op.execute("CREATE VIRTUAL TABLE lead_search USING fts5(text, tokenize='trigram')")
    _backfill(bind)


def _backfill(bind: sa.Connection) -> None:
    """Index the leads that exist already (frozen here, not imported from the app)."""
    texts: dict[int, list[str]] = defaultdict(list)
    accounts: dict[int, int] = {}
    for lead_id, account_id, name in bind.execute(
        sa.text("SELECT id, account_id, name FROM leads")
    ):
        texts[lead_id].append(name)
        accounts[lead_id] = account_id
    for lead_id, value_text, label in bind.execute(
        sa.text(
            "SELECT v.lead_id, v.value_text, e.value FROM lead_custom_field_values v "
            "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id "
            "ORDER BY v.lead_id, v.field_id, v.position"
        )
    ):
        texts[lead_id].extend(t for t in (value_text, label) if t)
    rows = [
        {"a": accounts[i], "i": i, "t": "\n".join(parts).lower()}
        for i, parts in texts.items()
        if i in accounts
    ]
    if not rows:
        return
    if bind.dialect.name == "postgresql":
        insert = "INSERT INTO lead_search (account_id, lead_id, text) VALUES (:a, :i, :t)"
    else:
        insert = "INSERT INTO lead_search (rowid, text) VALUES (:i, :t)"
    bind.execute(sa.text(insert), rows)


def downgrade() -> None:
    op.execute("DROP TABLE lead_search")
