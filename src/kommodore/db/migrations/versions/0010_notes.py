"""notes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 22:30:00.000000

Notes on leads, contacts and companies (one table, the parent named by entity type and id),
their id sequence, and the webhook body sections of the ``note_*`` hooks.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FIRST_ID = 1_000_001
NOTE_SECTIONS = (("lead", "leads"), ("contact", "contacts"), ("company", "contacts"))


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("account_id", BigInt, nullable=False),
        sa.Column("id", BigInt, nullable=False),
        sa.Column(
            "entity_type", sa.String(16), nullable=False, comment="leads, contacts, companies"
        ),
        sa.Column("entity_id", BigInt, nullable=False, comment="the parent, of entity_type"),
        sa.Column("note_type", sa.String(32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False, comment="JSON object, as the API reads it"),
        sa.Column("responsible_user_id", BigInt, nullable=False),
        sa.Column("group_id", BigInt, nullable=False, comment="the responsible user's group"),
        sa.Column("created_by", BigInt, nullable=False),
        sa.Column("updated_by", BigInt, nullable=False),
        sa.Column("created_at", BigInt, nullable=False),
        sa.Column("updated_at", BigInt, nullable=False),
        sa.Column("is_pinned", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_notes_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_notes")),
        comment="notes on leads, contacts and companies; the parent is (entity_type, entity_id)",
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notes_entity", ["account_id", "entity_type", "entity_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_notes_updated_at", ["account_id", "entity_type", "updated_at", "id"], unique=False
        )
    with op.batch_alter_table("webhook_bodies", schema=None) as batch_op:
        for kind, key in NOTE_SECTIONS:
            batch_op.add_column(
                sa.Column(
                    f"note_{kind}_items", sa.Text(), nullable=True, comment=f"encoded {key}[note]"
                )
            )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE notes_id_seq START WITH {FIRST_ID}")
    else:
        table = sa.table("id_sequences", sa.column("name"), sa.column("next_value"))
        op.bulk_insert(table, [{"name": "notes", "next_value": FIRST_ID}])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS notes_id_seq")
    else:
        op.execute("DELETE FROM id_sequences WHERE name = 'notes'")
    with op.batch_alter_table("webhook_bodies", schema=None) as batch_op:
        for kind, _ in reversed(NOTE_SECTIONS):
            batch_op.drop_column(f"note_{kind}_items")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index("ix_notes_updated_at")
        batch_op.drop_index("ix_notes_entity")
    op.drop_table("notes")
