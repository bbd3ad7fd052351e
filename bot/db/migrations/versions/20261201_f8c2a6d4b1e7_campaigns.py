"""Campaigns: surveys and strategy messages pushed to an audience through the outbox, their recipients, the answers,
the consent ledger, and a client's time zone and open-complaint flag.

The first schema's survey tables (surveys, survey_questions, campaigns, deliveries, responses) held survey texts in
the database and were never written by any command; survey and strategy texts now live under templates/, so those
tables are replaced (the downgrade brings them back empty).

Revision ID: f8c2a6d4b1e7
Revises: e7b3c9d1f2a6
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f8c2a6d4b1e7"
down_revision: str | None = "e7b3c9d1f2a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def _kind() -> sa.Enum:
    return _enum("campaign_kind", "survey", "strategy")


def upgrade() -> None:
    for table in ("responses", "deliveries", "campaigns", "survey_questions", "surveys"):
        op.drop_table(table)
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _kind(), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("status", _enum("campaign_status", "draft", "running", "paused", "closed"), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_digest", sa.String(length=64), nullable=True),
        sa.Column("exclusions", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_outbox_campaign_id_campaigns"), "campaigns", ["campaign_id"], ["id"])
        batch.create_index(batch.f("ix_outbox_campaign_id_status"), ["campaign_id", "status"])
    op.create_table(
        "campaign_recipients",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("kind", _kind(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("outbox_id", _ID, nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("adviser_id", sa.String(length=32), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"],
                                name=op.f("fk_campaign_recipients_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"],
                                name=op.f("fk_campaign_recipients_client_id_clients")),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], name=op.f("fk_campaign_recipients_outbox_id_outbox")),
        sa.PrimaryKeyConstraint("campaign_id", "client_id", name=op.f("pk_campaign_recipients")),
    )
    with op.batch_alter_table("campaign_recipients") as batch:
        batch.create_index(batch.f("ix_campaign_recipients_client_id_campaign_id"), ["client_id", "campaign_id"])
        batch.create_index(batch.f("ix_campaign_recipients_telegram_user_id"), ["telegram_user_id"])
        batch.create_index(batch.f("ix_campaign_recipients_outbox_id"), ["outbox_id"])
    op.create_table(
        "survey_answers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("question", sa.String(length=32), nullable=False),
        sa.Column("scale", _enum("survey_scale", "nps", "csat", "ces"), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_survey_answers_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], name=op.f("fk_survey_answers_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint("campaign_id", "client_id", "question",
                            name=op.f("uq_survey_answers_campaign_id_client_id_question")),
    )
    with op.batch_alter_table("survey_answers") as batch:
        batch.create_index(batch.f("ix_survey_answers_client_id_answered_at"), ["client_id", "answered_at"])
    op.create_table(
        "consent_records",
        sa.Column("id", _ID, nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", _enum("consent_purpose", "marketing"), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("text_version", sa.String(length=64), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], name=op.f("fk_consent_records_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    with op.batch_alter_table("consent_records") as batch:
        batch.create_index(batch.f("ix_consent_records_client_id_purpose_at"), ["client_id", "purpose", "at"])
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("complaint_open", sa.Boolean(), nullable=True))
    _alert_kinds("tier_change", "churn_risk", "feedback")


def _alert_kinds(*kinds: str) -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint(op.f("ck_alerts_alert_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_alerts_alert_kind"),
                                      sa.text("kind IN ({})".format(", ".join(f"'{kind}'" for kind in kinds))))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM alerts WHERE kind = 'feedback'"))
    _alert_kinds("tier_change", "churn_risk")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("complaint_open")
        batch.drop_column("timezone")
    op.drop_table("consent_records")
    op.drop_table("survey_answers")
    op.drop_table("campaign_recipients")
    op.execute(sa.text("DELETE FROM outbox WHERE campaign_id IS NOT NULL"))
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index(batch.f("ix_outbox_campaign_id_status"))
        batch.drop_constraint(batch.f("fk_outbox_campaign_id_campaigns"), type_="foreignkey")
        batch.drop_column("campaign_id")
    op.drop_table("campaigns")
    _first_survey_tables()


def _first_survey_tables() -> None:
    """The survey tables of the first schema, as it made them (empty)."""
    now = sa.text("(CURRENT_TIMESTAMP)")
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("code", name=op.f("uq_surveys_code")),
    )
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f("fk_campaigns_survey_id_surveys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "survey_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.CheckConstraint("kind IN ('rating', 'choice', 'text')", name=op.f("ck_survey_questions_kind")),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f("fk_survey_questions_survey_id_surveys"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questions")),
        sa.UniqueConstraint("survey_id", "position", name=op.f("uq_survey_questions_survey_id_position")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("status", _enum("delivery_status", "pending", "sent", "failed", "blocked", "answered"),
                  nullable=False),
        sa.Column("attempts", sa.SmallInteger(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_deliveries_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], name=op.f("fk_deliveries_client_id_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("campaign_id", "client_id", name=op.f("uq_deliveries_campaign_id_client_id")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.create_index(batch.f("ix_deliveries_campaign_id_status"), ["campaign_id", "status"])
    op.create_table(
        "responses",
        sa.Column("id", _ID, nullable=False),
        sa.Column("delivery_id", _ID, nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("choice", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], name=op.f("fk_responses_delivery_id_deliveries")),
        sa.ForeignKeyConstraint(["question_id"], ["survey_questions.id"],
                                name=op.f("fk_responses_question_id_survey_questions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("delivery_id", "question_id", name=op.f("uq_responses_delivery_id_question_id")),
    )
