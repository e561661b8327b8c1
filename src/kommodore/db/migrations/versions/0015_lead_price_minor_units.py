"""lead prices with minor units

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 01:00:00.000000

Kommo keeps a fractional budget (``price_with_minor_units``, ``100.5``). ``leads.price`` stays
the whole units (what ``price`` answers, what filters and sums read); ``price_minor`` holds the
hundredths beyond it, 0..99. Every existing lead's price was whole, so 0 is right for all of
them: the upgrade rewrites no row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("price_minor", sa.SmallInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("price_minor")
