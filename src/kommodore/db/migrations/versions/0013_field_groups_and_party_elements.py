"""custom field groups, contacts' and companies' catalog elements

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 01:00:00.000000

The field groups (card tabs) an admin adds to leads, contacts and companies, with their id
sequence. A field names its group in ``custom_fields.group_id`` (the group's API id, a string);
the predefined group of each entity type is not stored (its id is derived from the account's).
Contacts and companies link catalog elements as leads do, with the same metadata columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
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
    _element_links("contact", "contacts")
    _element_links("company", "companies")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE custom_field_groups_id_seq START WITH {FIRST_ID}")
    else:
        table = sa.table("id_sequences", sa.column("name"), sa.column("next_value"))
        op.bulk_insert(table, [{"name": "custom_field_groups", "next_value": FIRST_ID}])


def _element_links(owner: str, table: str) -> None:
    name = f"{owner}_catalog_elements"
    column = f"{owner}_id"
    op.create_table(
        name,
        sa.Column("account_id", BigInt, nullable=False),
        sa.Column(column, BigInt, nullable=False),
        sa.Column("element_id", BigInt, nullable=False),
        sa.Column("catalog_id", BigInt, nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("price_id", BigInt, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id", column],
            [f"{table}.account_id", f"{table}.id"],
            name=op.f(f"fk_{name}_account_id_{column}_{table}"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id", "element_id"],
            ["catalog_elements.account_id", "catalog_elements.id"],
            name=op.f(f"fk_{name}_account_id_element_id_catalog_elements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", column, "element_id", name=op.f(f"pk_{name}")),
    )


def downgrade() -> None:
    op.drop_table("company_catalog_elements")
    op.drop_table("contact_catalog_elements")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS custom_field_groups_id_seq")
    else:
        op.execute("DELETE FROM id_sequences WHERE name = 'custom_field_groups'")
    op.drop_table("custom_field_groups")
