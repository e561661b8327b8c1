"""custom field groups

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07 01:00:00.000000

The field groups (card tabs) an admin adds to leads, contacts and companies, with their id
sequence. A field names its group in ``custom_fields.group_id`` (the group's API id, a string);
the predefined group of each entity type is not stored (its id is derived from the account's).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FIRST_ID = 1_001


def upgrade() -> None:
    op.create_table(
        "custom_field_groups",
        sa.Column("account_id", BigInt, nullable=False),
        sa.Column("id", BigInt, nullable=False),
        sa.Column(
            "entity_type", sa.String(16), nullable=False, comment="leads, contacts, companies"
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("created_at", BigInt, nullable=False),
        sa.Column("updated_at", BigInt, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_custom_field_groups_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_custom_field_groups")),
        comment="field groups (card tabs) an admin made; the API names one {entity_type}_"
        "{account_id}{id}, the predefined group of each entity type {entity_type}_{account_id}",
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE custom_field_groups_id_seq START WITH {FIRST_ID}")
    else:
        table = sa.table("id_sequences", sa.column("name"), sa.column("next_value"))
        op.bulk_insert(table, [{"name": "custom_field_groups", "next_value": FIRST_ID}])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS custom_field_groups_id_seq")
    else:
        op.execute("DELETE FROM id_sequences WHERE name = 'custom_field_groups'")
    op.drop_table("custom_field_groups")
