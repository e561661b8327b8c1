"""expired token purge, revocation notices in the outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:00:00.000000

Codes, refresh tokens and token records are purged per account once expired (an index on
``(account_id, expires_at)`` each); revocation notices are deliveries of the webhook outbox,
told apart by ``kind``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXPIRING = ("oauth_codes", "refresh_tokens", "api_tokens")


def upgrade() -> None:
    for table in EXPIRING:
        op.create_index(f"ix_{table}_expires", table, ["account_id", "expires_at"])
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(
            sa.Column(
                "kind",
                sa.String(16),
                nullable=False,
                server_default="webhook",
                comment="webhook (a POST of a change batch) or revocation (a GET notice)",
            )
        )


def downgrade() -> None:
    op.execute("DELETE FROM webhook_deliveries WHERE kind <> 'webhook'")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("kind")
    for table in EXPIRING:
        op.drop_index(f"ix_{table}_expires", table_name=table)
