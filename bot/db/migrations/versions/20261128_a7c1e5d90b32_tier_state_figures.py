"""Tier states keep the latest evaluation's figures, for the chat's tier card.

Revision ID: a7c1e5d90b32
Revises: f4d03f2e4973
Create Date: 2026-11-28 21:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c1e5d90b32"
down_revision: str | None = "f4d03f2e4973"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORES = ("asset", "activity", "lifecycle", "complexity", "loyalty")


def upgrade() -> None:
    with op.batch_alter_table("tier_states") as batch:
        batch.add_column(sa.Column("qualified_tier", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("value_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("monthly_avg_aum", sa.Numeric(precision=18, scale=2), nullable=True))
        for name in SCORES:
            batch.add_column(sa.Column(f"{name}_score", sa.Float(), nullable=True))
            batch.add_column(sa.Column(f"{name}_segment", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tier_states") as batch:
        for name in reversed(SCORES):
            batch.drop_column(f"{name}_segment")
            batch.drop_column(f"{name}_score")
        batch.drop_column("monthly_avg_aum")
        batch.drop_column("value_score")
        batch.drop_column("qualified_tier")
