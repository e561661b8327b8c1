"""tasks

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 22:30:00.000000

Tasks on leads, contacts and companies (or on nothing), with their own id sequence; the
entity's open tasks are indexed so that ``closest_task_at`` is recomputed cheaply on every
task write.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
FIRST_ID = 1_000_001


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("account_id", BigInt, nullable=False),
        sa.Column("id", BigInt, nullable=False),
        sa.Column("created_by", BigInt, nullable=False),
        sa.Column("updated_by", BigInt, nullable=False),
        sa.Column("created_at", BigInt, nullable=False),
        sa.Column("updated_at", BigInt, nullable=False),
        sa.Column("responsible_user_id", BigInt, nullable=False),
        sa.Column("group_id", BigInt, nullable=False, comment="the responsible user's group"),
        sa.Column("entity_id", BigInt, nullable=True, comment="NULL: an unlinked task"),
        sa.Column(
            "entity_type",
            sa.String(length=16),
            nullable=True,
            comment="leads, contacts, companies, customers",
        ),
        sa.Column("duration", BigInt, nullable=False, comment="seconds"),
        sa.Column("is_completed", sa.Boolean(), nullable=False),
        sa.Column(
            "task_type_id", BigInt, nullable=False, comment="1 follow-up, 2 meeting, or custom"
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "result_text", sa.Text(), nullable=True, comment="NULL: no result (answered as [])"
        ),
        sa.Column(
            "result_note_id",
            BigInt,
            nullable=True,
            comment="the system note behind task_result_added and the hook's result[id]",
        ),
        sa.Column("complete_till", BigInt, nullable=False, comment="the deadline, unix seconds"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_tasks_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "id", name=op.f("pk_tasks")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_entity", ["account_id", "entity_type", "entity_id", "is_completed"]
        )
        batch_op.create_index("ix_tasks_responsible", ["account_id", "responsible_user_id", "id"])
        batch_op.create_index("ix_tasks_complete_till", ["account_id", "complete_till", "id"])
        batch_op.create_index("ix_tasks_updated_at", ["account_id", "updated_at", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE tasks_id_seq START WITH {FIRST_ID}")
    else:
        table = sa.table("id_sequences", sa.column("name"), sa.column("next_value"))
        op.bulk_insert(table, [{"name": "tasks", "next_value": FIRST_ID}])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS tasks_id_seq")
    else:
        op.execute("DELETE FROM id_sequences WHERE name = 'tasks'")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_updated_at")
        batch_op.drop_index("ix_tasks_complete_till")
        batch_op.drop_index("ix_tasks_responsible")
        batch_op.drop_index("ix_tasks_entity")
    op.drop_table("tasks")
