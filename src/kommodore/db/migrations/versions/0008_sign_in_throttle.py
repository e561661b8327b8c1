"""sign-in throttle

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 17:00:00.000000

Failed sign-ins counted per e-mail, per client address and per both, so that password guessing
is slowed without locking a real user out for long.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(400), nullable=False, comment="kind:value, e.g. email:ann@x"),
        sa.Column(
            "failures", sa.Integer(), nullable=False, comment="failed sign-ins in the window"
        ),
        sa.Column("window_start", BigInt, nullable=False, comment="unix second the window opened"),
        sa.Column(
            "blocked_until", BigInt, nullable=False, comment="unix second; 0 when not blocked"
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttle")),
        comment="failed sign-ins per e-mail, client address and both (a person spans accounts)",
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
