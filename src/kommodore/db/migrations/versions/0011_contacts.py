"""contact and company tags

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 23:00:00.000000

Contacts and companies carry tags of their own directories (``tags.entity_type`` contacts /
companies), attached through these link tables as leads' are through ``lead_tags``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _link(name: str, column: str, table: str) -> None:
    op.create_table(
        name,
        sa.Column("account_id", BigInt, nullable=False),
        sa.Column(column, BigInt, nullable=False),
        sa.Column("tag_id", BigInt, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", column],
            [f"{table}.account_id", f"{table}.id"],
            name=op.f(f"fk_{name}_account_id_{column}_{table}"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id", "tag_id"],
            ["tags.account_id", "tags.id"],
            name=op.f(f"fk_{name}_account_id_tag_id_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", column, "tag_id", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _link("contact_tags", "contact_id", "contacts")
    _link("company_tags", "company_id", "companies")


def downgrade() -> None:
    op.drop_table("company_tags")
    op.drop_table("contact_tags")
