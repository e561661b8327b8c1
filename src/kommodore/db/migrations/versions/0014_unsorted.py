"""unsorted

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:00:00.000000

Kommo's Unsorted (incoming leads): what a complex add's ``_embedded.metadata`` made, one row
per incoming lead, keyed by its ``uid`` and served by ``GET /api/v4/leads/unsorted``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "unsorted",
        sa.Column("account_id", BigInt, nullable=False),
        sa.Column(
            "uid", sa.String(length=64), nullable=False, comment="60 hex characters, as Kommo's"
        ),
        sa.Column("source_uid", sa.String(length=255), nullable=True),
        sa.Column("source_name", sa.String(length=255), nullable=True),
        sa.Column(
            "category", sa.String(length=16), nullable=False, comment="forms or sip (mail, chats)"
        ),
        sa.Column("pipeline_id", BigInt, nullable=False),
        sa.Column("created_at", BigInt, nullable=False),
        sa.Column(
            "metadata", sa.Text(), nullable=False, comment="JSON object: the category's keys"
        ),
        sa.Column("lead_id", BigInt, nullable=False, comment="the incoming lead it made"),
        sa.Column("contact_id", BigInt, nullable=True),
        sa.Column("company_id", BigInt, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_unsorted_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["account_id", "lead_id"],
            ["leads.account_id", "leads.id"],
            name=op.f("fk_unsorted_account_id_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "uid", name=op.f("pk_unsorted")),
        sa.UniqueConstraint("account_id", "lead_id", name=op.f("uq_unsorted_account_id_lead_id")),
        comment="What a complex add's _embedded.metadata made: Kommo's Unsorted (incoming leads)",
    )
    with op.batch_alter_table("unsorted", schema=None) as batch_op:
        batch_op.create_index("ix_unsorted_created_at", ["account_id", "created_at", "lead_id"])


def downgrade() -> None:
    with op.batch_alter_table("unsorted", schema=None) as batch_op:
        batch_op.drop_index("ix_unsorted_created_at")
    op.drop_table("unsorted")
