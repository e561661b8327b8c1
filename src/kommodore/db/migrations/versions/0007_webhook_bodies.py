"""webhook bodies stored once per batch

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 16:20:00.000000

A change batch's body was stored in full once per subscribed webhook (22 webhooks made 22
copies of a 97 KB body). Now the batch's encoded sections are stored once in
``webhook_bodies`` and each delivery names the sections its webhook gets. Queued deliveries
are kept: each old body becomes a body row of its own (its whole text as the head, no
sections), under the delivery's id, so the bytes sent do not change.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ACTIONS = ("add", "update", "status", "responsible", "delete", "restore")
ACTIONS_COMMENT = "comma-separated: the body's sections this webhook gets, in order"
BODY_FK = "fk_webhook_deliveries_account_id_body_id_webhook_bodies"


def upgrade() -> None:
    op.create_table(
        "webhook_bodies",
        sa.Column("account_id", BigInt, nullable=False),
        sa.Column("id", BigInt, nullable=False, comment="from the webhook_deliveries sequence"),
        sa.Column("created_at", BigInt, nullable=False),
        sa.Column("size", BigInt, nullable=False, comment="characters stored, for the byte budget"),
        sa.Column("head", sa.Text(), nullable=False, comment="the encoded account block"),
        *(
            sa.Column(f"{a}_items", sa.Text(), nullable=True, comment=f"encoded leads[{a}]")
            for a in ACTIONS
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_webhook_bodies_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_webhook_bodies")),
        comment="a change batch's body, once for every webhook it goes to",
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_id", BigInt, nullable=True))
        batch_op.add_column(
            sa.Column("actions", sa.String(length=64), nullable=True, comment=ACTIONS_COMMENT)
        )
    op.execute(
        "INSERT INTO webhook_bodies (account_id, id, created_at, size, head) "
        "SELECT account_id, id, created_at, LENGTH(body), body FROM webhook_deliveries"
    )
    op.execute("UPDATE webhook_deliveries SET body_id = id, actions = ''")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.alter_column("body_id", existing_type=BigInt, nullable=False)
        batch_op.alter_column(
            "actions",
            existing_type=sa.String(length=64),
            nullable=False,
            existing_comment=ACTIONS_COMMENT,
        )
        batch_op.drop_column("body")
        batch_op.create_foreign_key(
            BODY_FK, "webhook_bodies", ["account_id", "body_id"], ["account_id", "id"]
        )
        batch_op.create_index("ix_webhook_deliveries_body", ["account_id", "body_id"])


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("body", sa.Text(), nullable=True, comment="the form-encoded request body")
        )
    sections = " || ".join(
        f"CASE WHEN (',' || webhook_deliveries.actions || ',') LIKE '%,{a},%' "
        f"AND b.{a}_items IS NOT NULL AND b.{a}_items <> '' THEN '&' || b.{a}_items ELSE '' END"
        for a in ACTIONS
    )
    op.execute(
        f"UPDATE webhook_deliveries SET body = (SELECT b.head || {sections} "  # noqa: S608 (frozen history: fragments from the fixed ACTIONS)
        "FROM webhook_bodies b WHERE b.account_id = webhook_deliveries.account_id "
        "AND b.id = webhook_deliveries.body_id)"
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.alter_column(
            "body",
            existing_type=sa.Text(),
            nullable=False,
            existing_comment="the form-encoded request body",
        )
        batch_op.drop_index("ix_webhook_deliveries_body")
        batch_op.drop_constraint(BODY_FK, type_="foreignkey")
        batch_op.drop_column("actions")
        batch_op.drop_column("body_id")
    op.drop_table("webhook_bodies")
