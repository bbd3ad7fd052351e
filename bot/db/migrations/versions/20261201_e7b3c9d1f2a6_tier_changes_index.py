"""The tier changes alone, by scoring run: a partial index, so that "whose tier changed lately" (the adviser's book)
and a run's changes read a few rows, not every snapshot.

Revision ID: e7b3c9d1f2a6
Revises: d5a1f7c2e9b4
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7b3c9d1f2a6"
down_revision: str | None = "d5a1f7c2e9b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANGED = sa.text("previous_tier IS NOT NULL AND previous_tier != tier")


def upgrade() -> None:
    op.create_index("ix_tier_snapshots_tier_changes", "tier_snapshots", ["scoring_run_id", "client_id"],
                    sqlite_where=_CHANGED, postgresql_where=_CHANGED)


def downgrade() -> None:
    op.drop_index("ix_tier_snapshots_tier_changes", table_name="tier_snapshots")
