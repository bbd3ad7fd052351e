"""Several currencies: a balance's and a transaction's currency, the rates to the base currency, and products'
names in Traditional characters.

Revision ID: a3d9e1c7b5f2
Revises: f8c2a6d4b1e7
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3d9e1c7b5f2"
down_revision: str | None = "f8c2a6d4b1e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fx_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.CheckConstraint("rate > 0", name=op.f("ck_fx_rates_rate_positive")),
        sa.PrimaryKeyConstraint("currency", "date", name=op.f("pk_fx_rates")),
    )
    with op.batch_alter_table("balances") as batch:
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("name_zh_hant", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.drop_column("name_zh_hant")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("currency")
    with op.batch_alter_table("balances") as batch:
        batch.drop_column("currency")
    op.drop_table("fx_rates")
