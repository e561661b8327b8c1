"""webhook claims per account

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 02:00:00.000000

The webhook worker claims one account's due deliveries per statement (one shard on Citus):
an index on ``(account_id, status, next_attempt_ms)`` finds them without reading the account's
delivered history or the other accounts' due rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_webhook_deliveries_account_due",
        "webhook_deliveries",
        ["account_id", "status", "next_attempt_ms"],
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_account_due", table_name="webhook_deliveries")
