"""The delivery outbox (every push of tierbot, sent by the sender), the digest that carries each alert, and an
adviser's time zone for quiet hours.

Revision ID: d5a1f7c2e9b4
Revises: c3e8b2a4d615
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d5a1f7c2e9b4"
down_revision: str | None = "c3e8b2a4d615"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ("pending", "sending", "sent", "unreachable", "failed", "unknown")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("status", sa.Enum(*_STATUSES, name="outbox_status", native_enum=False, create_constraint=True,
                                    length=24), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["telegram_user_id"], ["telegram_accounts.telegram_user_id"],
                                name=op.f("fk_outbox_telegram_user_id_telegram_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_dedupe_key")),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.create_index(batch.f("ix_outbox_status_next_attempt_at"), ["status", "next_attempt_at"])
        batch.create_index(batch.f("ix_outbox_telegram_user_id"), ["telegram_user_id"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
        batch.create_foreign_key(batch.f("fk_alerts_outbox_id_outbox"), "outbox", ["outbox_id"], ["id"])
        batch.create_index(batch.f("ix_alerts_outbox_id"), ["outbox_id"])
    with op.batch_alter_table("advisers") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("advisers") as batch:
        batch.drop_column("timezone")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index(batch.f("ix_alerts_outbox_id"))
        batch.drop_constraint(batch.f("fk_alerts_outbox_id_outbox"), type_="foreignkey")
        batch.drop_column("outbox_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index(batch.f("ix_outbox_telegram_user_id"))
        batch.drop_index(batch.f("ix_outbox_status_next_attempt_at"))
    op.drop_table("outbox")
