"""Advisers' contact details (optional phone and email), the digest of the rules file each scoring run applied, and
when Telegram last told of a person blocking or unblocking the bot.

Revision ID: c3e8b2a4d615
Revises: a7c1e5d90b32
Create Date: 2026-12-01 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e8b2a4d615"
down_revision: str | None = "a7c1e5d90b32"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("advisers") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    with op.batch_alter_table("scoring_runs") as batch:
        batch.add_column(sa.Column("rules_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("telegram_accounts") as batch:
        batch.add_column(sa.Column("membership_changed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("telegram_accounts") as batch:
        batch.drop_column("membership_changed_at")
    with op.batch_alter_table("scoring_runs") as batch:
        batch.drop_column("rules_digest")
    with op.batch_alter_table("advisers") as batch:
        batch.drop_column("email")
        batch.drop_column("phone")
