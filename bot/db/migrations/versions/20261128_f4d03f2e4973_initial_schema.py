"""Initial schema: the firm's data, Telegram accounts and invites, tier history, surveys, audit log.

Revision ID: f4d03f2e4973
Revises:
Create Date: 2026-11-28 18:27:24.974942
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'f4d03f2e4973'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('advisers',
    sa.Column('adviser_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('adviser_id', name=op.f('pk_advisers'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_client_id_at'), ['client_id', 'at'], unique=False)

    op.create_table('products',
    sa.Column('product_id', sa.String(length=32), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('deposit', 'wealth_management', 'fund', 'bond', 'insurance', 'equity', 'private', 'other', name='product_category', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('risk_level', sa.SmallInteger(), nullable=False),
    sa.Column('min_investment', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.CheckConstraint('risk_level BETWEEN 1 AND 5', name=op.f('ck_products_risk_level_range')),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_products'))
    )
    op.create_table('scoring_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rules_version', sa.String(length=64), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clients_scored', sa.Integer(), nullable=False),
    sa.Column('snapshots_written', sa.Integer(), nullable=False),
    sa.Column('churn_model', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scoring_runs'))
    )
    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('code', name=op.f('uq_surveys_code'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_campaigns_survey_id_surveys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_table('clients',
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('adviser_id', sa.String(length=32), nullable=True),
    sa.Column('onboarded_on', sa.Date(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('risk_level', sa.SmallInteger(), nullable=True),
    sa.Column('risk_assessed_on', sa.Date(), nullable=True),
    sa.CheckConstraint('risk_level BETWEEN 1 AND 5', name=op.f('ck_clients_risk_level_range')),
    sa.ForeignKeyConstraint(['adviser_id'], ['advisers.adviser_id'], name=op.f('fk_clients_adviser_id_advisers')),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_clients'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clients_adviser_id'), ['adviser_id'], unique=False)

    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('text_zh', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.CheckConstraint("kind IN ('rating', 'choice', 'text')", name=op.f('ck_survey_questions_kind')),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_questions_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_questions')),
    sa.UniqueConstraint('survey_id', 'position', name=op.f('uq_survey_questions_survey_id_position'))
    )
    op.create_table('balances',
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('product_id', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_balances_amount_not_negative')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_balances_client_id_clients')),
    sa.ForeignKeyConstraint(['product_id'], ['products.product_id'], name=op.f('fk_balances_product_id_products')),
    sa.PrimaryKeyConstraint('client_id', 'as_of', 'product_id', name=op.f('pk_balances'))
    )
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_balances_as_of'), ['as_of'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', 'blocked', 'answered', name='delivery_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('attempts', sa.SmallInteger(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_deliveries_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_deliveries_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('campaign_id', 'client_id', name=op.f('uq_deliveries_campaign_id_client_id'))
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveries_campaign_id_status'), ['campaign_id', 'status'], unique=False)

    op.create_table('interactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_interactions_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interactions')),
    sa.UniqueConstraint('client_id', 'at', 'channel', name=op.f('uq_interactions_client_id_at_channel'))
    )
    op.create_table('invites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.Enum('client', 'adviser', 'admin', name='role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=True),
    sa.Column('adviser_id', sa.String(length=32), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("(role = 'client' AND client_id IS NOT NULL AND adviser_id IS NULL) OR (role = 'adviser' AND adviser_id IS NOT NULL AND client_id IS NULL) OR (role = 'admin' AND client_id IS NULL AND adviser_id IS NULL)", name=op.f('ck_invites_role_target')),
    sa.ForeignKeyConstraint(['adviser_id'], ['advisers.adviser_id'], name=op.f('fk_invites_adviser_id_advisers')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_invites_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invites')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invites_token_hash'))
    )
    op.create_table('telegram_accounts',
    sa.Column('telegram_user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('role', sa.Enum('client', 'adviser', 'admin', name='role', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=True),
    sa.Column('adviser_id', sa.String(length=32), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('bound_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(role = 'client' AND client_id IS NOT NULL AND adviser_id IS NULL) OR (role = 'adviser' AND adviser_id IS NOT NULL AND client_id IS NULL) OR (role = 'admin' AND client_id IS NULL AND adviser_id IS NULL)", name=op.f('ck_telegram_accounts_role_target')),
    sa.ForeignKeyConstraint(['adviser_id'], ['advisers.adviser_id'], name=op.f('fk_telegram_accounts_adviser_id_advisers')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_telegram_accounts_client_id_clients')),
    sa.PrimaryKeyConstraint('telegram_user_id', name=op.f('pk_telegram_accounts'))
    )
    with op.batch_alter_table('telegram_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_accounts_adviser_id'), ['adviser_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_telegram_accounts_client_id'), ['client_id'], unique=False)

    op.create_table('tier_snapshots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('scoring_run_id', sa.Integer(), nullable=True),
    sa.Column('tier', sa.String(length=32), nullable=False),
    sa.Column('previous_tier', sa.String(length=32), nullable=True),
    sa.Column('value_score', sa.Float(), nullable=False),
    sa.Column('monthly_avg_aum', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('asset_score', sa.Float(), nullable=False),
    sa.Column('asset_segment', sa.String(length=32), nullable=False),
    sa.Column('activity_score', sa.Float(), nullable=False),
    sa.Column('activity_segment', sa.String(length=32), nullable=False),
    sa.Column('lifecycle_score', sa.Float(), nullable=False),
    sa.Column('lifecycle_segment', sa.String(length=32), nullable=False),
    sa.Column('complexity_score', sa.Float(), nullable=False),
    sa.Column('complexity_segment', sa.String(length=32), nullable=False),
    sa.Column('loyalty_score', sa.Float(), nullable=False),
    sa.Column('loyalty_segment', sa.String(length=32), nullable=False),
    sa.Column('p_alive', sa.Float(), nullable=True),
    sa.Column('explanation', sa.JSON(), nullable=False),
    sa.Column('rules_version', sa.String(length=64), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_tier_snapshots_client_id_clients')),
    sa.ForeignKeyConstraint(['scoring_run_id'], ['scoring_runs.id'], name=op.f('fk_tier_snapshots_scoring_run_id_scoring_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_snapshots'))
    )
    with op.batch_alter_table('tier_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tier_snapshots_client_id_computed_at'), ['client_id', 'computed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tier_snapshots_tier'), ['tier'], unique=False)

    op.create_table('transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('product_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('buy', 'sell', 'deposit', 'withdraw', 'transfer_in', 'transfer_out', 'dividend', name='transaction_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_transactions_amount_not_negative')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_transactions_client_id_clients')),
    sa.ForeignKeyConstraint(['product_id'], ['products.product_id'], name=op.f('fk_transactions_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transactions')),
    sa.UniqueConstraint('client_id', 'product_id', 'at', 'kind', name=op.f('uq_transactions_client_id_product_id_at_kind'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('adviser_id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('tier_change', 'churn_risk', name='alert_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['adviser_id'], ['advisers.adviser_id'], name=op.f('fk_alerts_adviser_id_advisers')),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_alerts_client_id_clients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_adviser_id_sent_at'), ['adviser_id', 'sent_at'], unique=False)

    op.create_table('responses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('choice', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_responses_delivery_id_deliveries')),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], name=op.f('fk_responses_question_id_survey_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('delivery_id', 'question_id', name=op.f('uq_responses_delivery_id_question_id'))
    )
    op.create_table('tier_states',
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('tier', sa.String(length=32), nullable=False),
    sa.Column('months_below', sa.SmallInteger(), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.client_id'], name=op.f('fk_tier_states_client_id_clients')),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_tier_states'))
    )
    with op.batch_alter_table('tier_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tier_states_tier'), ['tier'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tier_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_states_tier'))

    op.drop_table('tier_states')
    op.drop_table('responses')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_adviser_id_sent_at'))

    op.drop_table('alerts')
    op.drop_table('transactions')
    with op.batch_alter_table('tier_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tier_snapshots_tier'))
        batch_op.drop_index(batch_op.f('ix_tier_snapshots_client_id_computed_at'))

    op.drop_table('tier_snapshots')
    with op.batch_alter_table('telegram_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_accounts_client_id'))
        batch_op.drop_index(batch_op.f('ix_telegram_accounts_adviser_id'))

    op.drop_table('telegram_accounts')
    op.drop_table('invites')
    op.drop_table('interactions')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveries_campaign_id_status'))

    op.drop_table('deliveries')
    with op.batch_alter_table('balances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_balances_as_of'))

    op.drop_table('balances')
    op.drop_table('survey_questions')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_adviser_id'))

    op.drop_table('clients')
    op.drop_table('campaigns')
    op.drop_table('surveys')
    op.drop_table('scoring_runs')
    op.drop_table('products')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_client_id_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('advisers')
