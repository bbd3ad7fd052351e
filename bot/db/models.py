"""The database model: the firm's data, bound Telegram accounts, tier history, surveys and the audit log.

Natural keys from the firm's files (client_id "C00042", product_id, adviser_id) are the primary keys, so an
import upserts by them directly and every row can be traced back to the file it came from.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# What a natural key of the firm's files looks like (the importer refuses any other): up to 32 characters, so that
# it fits the id columns.
RECORD_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}")

# Money: 18 digits with 2 decimals (up to 10^16, beyond any single client's AUM), in the base currency unless a
# row's `currency` says otherwise.
Money = Numeric(18, 2)
# An ISO 4217 code ("USD"); None in a balance or a transaction: the base currency (TIERBOT_BASE_CURRENCY).
Currency = String(3)
# A rate to the base currency: what one unit of a currency is worth in it (USD at 7.1 for a base of CNY).
Rate = Numeric(18, 8)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every backend (SQLite keeps no offset, so it stores UTC naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON}


def _str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK, so adding a member is a migration of a constraint, not a type.
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _role_target() -> CheckConstraint:
    """A client is bound to a client record, an adviser to an adviser record, an admin to neither."""
    return CheckConstraint(
        "(role = 'client' AND client_id IS NOT NULL AND adviser_id IS NULL)"
        " OR (role = 'adviser' AND adviser_id IS NOT NULL AND client_id IS NULL)"
        " OR (role = 'admin' AND client_id IS NULL AND adviser_id IS NULL)",
        name="role_target",
    )


class ProductCategory(enum.StrEnum):
    DEPOSIT = "deposit"
    WEALTH_MANAGEMENT = "wealth_management"
    FUND = "fund"
    BOND = "bond"
    INSURANCE = "insurance"
    EQUITY = "equity"
    PRIVATE = "private"
    OTHER = "other"


class TransactionKind(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"
    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    DIVIDEND = "dividend"


class Role(enum.StrEnum):
    CLIENT = "client"
    ADVISER = "adviser"
    ADMIN = "admin"


class AlertKind(enum.StrEnum):
    TIER_CHANGE = "tier_change"
    CHURN_RISK = "churn_risk"
    FEEDBACK = "feedback"  # a survey answer that needs the adviser (NPS 0-6, CSAT 1-2): sent at once, not in a digest


class OutboxStatus(enum.StrEnum):
    """Where a message of the outbox is: see docs/delivery.md for what each guarantees."""

    PENDING = "pending"  # to send at next_attempt_at
    SENDING = "sending"  # claimed by a sender until lease_until; a send may be under way
    SENT = "sent"
    UNREACHABLE = "unreachable"  # the person blocked the bot, or Telegram knows no such chat: not retried
    FAILED = "failed"  # every attempt failed before reaching Telegram, or Telegram refused the message
    UNKNOWN = "unknown"  # a send may have happened (the sender died, or the request timed out): never resent


# --- the firm's data -----------------------------------------------------------------------------------


def with_the_firm(left_on: date | None, day: date) -> bool:
    """An adviser who left on `left_on` (None: has not left) is still with the firm on `day`."""
    return left_on is None or left_on > day


class Adviser(Base):
    __tablename__ = "advisers"

    adviser_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(16))
    left_on: Mapped[date | None] = mapped_column(Date)
    # How a client reaches their adviser, when the firm's file gives it.
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    # IANA time zone (e.g. "Asia/Shanghai"), for quiet hours; None: the firm's (TIERBOT_TIMEZONE).
    timezone: Mapped[str | None] = mapped_column(String(64))

    @classmethod
    def with_the_firm_on(cls, day: date) -> ColumnElement[bool]:
        """The SQL form of `with_the_firm`."""
        return or_(cls.left_on.is_(None), cls.left_on > day)


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (
        CheckConstraint("risk_level BETWEEN 1 AND 5", name="risk_level_range"),
        Index(None, "adviser_id"),
    )

    client_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    adviser_id: Mapped[str | None] = mapped_column(ForeignKey("advisers.adviser_id"))
    onboarded_on: Mapped[date] = mapped_column(Date)
    locale: Mapped[str | None] = mapped_column(String(16))
    # C1..C5 stored as 1..5, so suitability is a plain comparison with a product's R1..R5.
    risk_level: Mapped[int | None] = mapped_column(SmallInteger)
    risk_assessed_on: Mapped[date | None] = mapped_column(Date)
    # IANA time zone, for quiet hours; None: the firm's (TIERBOT_TIMEZONE).
    timezone: Mapped[str | None] = mapped_column(String(64))
    # An open complaint (the firm's file says so): the client is not surveyed until it is closed. None: none known.
    complaint_open: Mapped[bool | None]


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("risk_level BETWEEN 1 AND 5", name="risk_level_range"),)

    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    # In Traditional characters, when the firm names it so; else zh_Hant readers read name_zh converted.
    name_zh_hant: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[ProductCategory] = mapped_column(_str_enum(ProductCategory, "product_category"))
    risk_level: Mapped[int] = mapped_column(SmallInteger)
    min_investment: Mapped[Decimal | None] = mapped_column(Money)


class Balance(Base):
    """A holding's balance on a date (monthly statements in practice)."""

    __tablename__ = "balances"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index(None, "as_of"),
    )

    # Key in this order so a client's statements lie together by date: scoring totals them per day.
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.product_id"), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(Currency)


class Transaction(Base):
    """A movement; the kind carries the direction, so the amount is never negative."""

    __tablename__ = "transactions"
    __table_args__ = (
        UniqueConstraint("client_id", "product_id", "at", "kind"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.product_id"))
    at: Mapped[datetime]
    kind: Mapped[TransactionKind] = mapped_column(_str_enum(TransactionKind, "transaction_kind"))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(Currency)


class FxRate(Base):
    """A currency's rate to the base currency on a date (fx_rates.csv). A month's amounts in that currency are
    converted at the average of the rates dated in that month (`bot.scoring.fx`)."""

    __tablename__ = "fx_rates"
    __table_args__ = (CheckConstraint("rate > 0", name="rate_positive"),)

    currency: Mapped[str] = mapped_column(Currency, primary_key=True)
    on: Mapped[date] = mapped_column("date", Date, primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Rate)


class Interaction(Base):
    """A contact with the firm: an app session, a branch visit, a call."""

    __tablename__ = "interactions"
    __table_args__ = (UniqueConstraint("client_id", "at", "channel"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str | None] = mapped_column(String(32))


# --- people in Telegram --------------------------------------------------------------------------------

# Telegram's user ids stay below 2**52; the console's accounts (bot.runtime.console) lie above: nobody to push to.
TELEGRAM_IDS_BELOW = 1 << 52


class TelegramAccount(Base):
    """A Telegram user bound, by an invite, to exactly one client, adviser or admin."""

    __tablename__ = "telegram_accounts"
    __table_args__ = (
        _role_target(),
        Index(None, "client_id"),
        Index(None, "adviser_id"),
    )

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[Role] = mapped_column(_str_enum(Role, "role"))
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.client_id"))
    adviser_id: Mapped[str | None] = mapped_column(ForeignKey("advisers.adviser_id"))
    locale: Mapped[str | None] = mapped_column(String(16))
    bound_at: Mapped[datetime] = mapped_column(server_default=func.now())
    blocked_at: Mapped[datetime | None]
    # When Telegram last told of a block or an unblock: updates run concurrently, so an older one arriving late
    # must not undo a newer one.
    membership_changed_at: Mapped[datetime | None]


class Invite(Base):
    """A single-use, expiring invitation; only the SHA-256 of its token is stored."""

    __tablename__ = "invites"
    __table_args__ = (
        _role_target(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_str_enum(Role, "role"))
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.client_id"))
    adviser_id: Mapped[str | None] = mapped_column(ForeignKey("advisers.adviser_id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(BigInteger)


# --- tiers ---------------------------------------------------------------------------------------------


class ScoringRun(Base):
    """One run of `tierbot score`: the rules applied and the churn model fitted on that day's data."""

    __tablename__ = "scoring_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    rules_version: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the rules as applied: a later file under the same version but other content is told apart.
    rules_digest: Mapped[str | None] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    clients_scored: Mapped[int] = mapped_column(default=0)
    snapshots_written: Mapped[int] = mapped_column(default=0)
    churn_model: Mapped[dict[str, Any] | None]


# A snapshot that moved the client to another tier (not a first tier, nor a change of segments alone).
TIER_CHANGED = text("previous_tier IS NOT NULL AND previous_tier != tier")


class TierSnapshot(Base):
    """A client's tier and five dimensions, written when any of them changes: the tier history."""

    __tablename__ = "tier_snapshots"
    __table_args__ = (
        Index(None, "client_id", "computed_at"),
        Index(None, "tier"),
        # The tier changes alone, by run: "whose tier changed lately" and a run's changes read a few rows.
        Index("ix_tier_snapshots_tier_changes", "scoring_run_id", "client_id",
              sqlite_where=TIER_CHANGED, postgresql_where=TIER_CHANGED),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    scoring_run_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_runs.id"))
    tier: Mapped[str] = mapped_column(String(32))
    previous_tier: Mapped[str | None] = mapped_column(String(32))
    value_score: Mapped[float] = mapped_column(Float)
    monthly_avg_aum: Mapped[Decimal] = mapped_column(Money)
    asset_score: Mapped[float] = mapped_column(Float)
    asset_segment: Mapped[str] = mapped_column(String(32))
    activity_score: Mapped[float] = mapped_column(Float)
    activity_segment: Mapped[str] = mapped_column(String(32))
    lifecycle_score: Mapped[float] = mapped_column(Float)
    lifecycle_segment: Mapped[str] = mapped_column(String(32))
    complexity_score: Mapped[float] = mapped_column(Float)
    complexity_segment: Mapped[str] = mapped_column(String(32))
    loyalty_score: Mapped[float] = mapped_column(Float)
    loyalty_segment: Mapped[str] = mapped_column(String(32))
    p_alive: Mapped[float | None] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]]
    rules_version: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime]


class TierState(Base):
    """Where each client stands now, including the months spent below their tier's line (downgrade grace).

    Kept apart from the snapshots because the months below change without the tier changing."""

    __tablename__ = "tier_states"
    __table_args__ = (Index(None, "tier"),)

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(32))
    months_below: Mapped[int] = mapped_column(SmallInteger, default=0)
    evaluated_on: Mapped[date] = mapped_column(Date)
    # The latest evaluation's figures, so that the chat shows a tier card with one read. Empty for states
    # written before they existed, until the next scoring run.
    qualified_tier: Mapped[str | None] = mapped_column(String(32))
    value_score: Mapped[float | None] = mapped_column(Float)
    monthly_avg_aum: Mapped[Decimal | None] = mapped_column(Money)
    asset_score: Mapped[float | None] = mapped_column(Float)
    asset_segment: Mapped[str | None] = mapped_column(String(32))
    activity_score: Mapped[float | None] = mapped_column(Float)
    activity_segment: Mapped[str | None] = mapped_column(String(32))
    lifecycle_score: Mapped[float | None] = mapped_column(Float)
    lifecycle_segment: Mapped[str | None] = mapped_column(String(32))
    complexity_score: Mapped[float | None] = mapped_column(Float)
    complexity_segment: Mapped[str | None] = mapped_column(String(32))
    loyalty_score: Mapped[float | None] = mapped_column(Float)
    loyalty_segment: Mapped[str | None] = mapped_column(String(32))


class Alert(Base):
    """Something an adviser should hear about: a client's tier changed or their churn risk rose.

    `outbox_id` is the digest that carries it: an alert goes into one digest only, and one raised while the adviser
    has no Telegram account waits for the first digest after they bind."""

    __tablename__ = "alerts"
    __table_args__ = (Index(None, "adviser_id", "sent_at"), Index(None, "outbox_id"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    adviser_id: Mapped[str] = mapped_column(ForeignKey("advisers.adviser_id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    kind: Mapped[AlertKind] = mapped_column(_str_enum(AlertKind, "alert_kind"))
    # What changed, e.g. {"from": "mid", "to": "high_net_worth"}: ids and codes only, never names.
    details: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))


# --- pushes --------------------------------------------------------------------------------------------


class OutboxMessage(Base):
    """A message to push to one Telegram account, written in the transaction of the change that calls for it and
    sent by the sender (`tierbot send`). The payload holds ids only: the text is rendered at send time, in the
    recipient's language then. `dedupe_key` is unique, so the same news is never queued twice."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "status", "next_attempt_at"), Index(None, "telegram_user_id"),
                      Index(None, "campaign_id", "status"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # what renders it, e.g. "alert_digest"
    telegram_user_id: Mapped[int] = mapped_column(ForeignKey("telegram_accounts.telegram_user_id"))
    payload: Mapped[dict[str, Any]]
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(_str_enum(OutboxStatus, "outbox_status"),
                                                 default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # Telegram's id of the (last) message sent
    error: Mapped[str | None] = mapped_column(String(64))  # the kind of the last failure, never its text
    # The campaign it belongs to, if any: a paused campaign's rows are not claimed.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))


# --- campaigns -----------------------------------------------------------------------------------------


class CampaignKind(enum.StrEnum):
    SURVEY = "survey"  # a feedback survey of templates/surveys/: a service message
    STRATEGY = "strategy"  # a strategy message of templates/strategies/: marketing, sent only with consent


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"  # created: its audience can be previewed, nothing is queued
    RUNNING = "running"  # started: one outbox row per recipient, sent from `not_before` on
    PAUSED = "paused"  # started, its rows held (the sender claims none of them) until resumed
    CLOSED = "closed"  # no more sends, and a survey takes no more answers


class SurveyScale(enum.StrEnum):
    """The scales of the survey standards: NPS 0-10, CSAT 1-5, CES 1-7 (higher is better on each)."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"

    @property
    def bounds(self) -> tuple[int, int]:
        return _SCALE_BOUNDS[self]


_SCALE_BOUNDS = {SurveyScale.NPS: (0, 10), SurveyScale.CSAT: (1, 5), SurveyScale.CES: (1, 7)}


class ConsentPurpose(enum.StrEnum):
    MARKETING = "marketing"  # strategy messages


class Campaign(Base):
    """A survey or a strategy message pushed to an audience: the template it sends, the audience expression as the
    operator wrote it, and where it stands. Starting it writes one `CampaignRecipient` and one outbox row per
    recipient in one transaction; `exclusions` keeps, by reason, how many the audience lost then."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CampaignKind] = mapped_column(_str_enum(CampaignKind, "campaign_kind"))
    template: Mapped[str] = mapped_column(String(64))  # the id of its file under templates/surveys|strategies
    audience: Mapped[str] = mapped_column(Text)  # e.g. "tier=mid lifecycle=growth locale=zh_Hans"
    status: Mapped[CampaignStatus] = mapped_column(_str_enum(CampaignStatus, "campaign_status"),
                                                   default=CampaignStatus.DRAFT)
    not_before: Mapped[datetime | None]  # `--at`: nothing is sent before it (and then outside quiet hours)
    created_by: Mapped[str] = mapped_column(String(64))  # "cli", "telegram:<user id>"
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The SHA-256 of the template file when the campaign started: what its recipients were shown.
    content_digest: Mapped[str | None] = mapped_column(String(64))
    exclusions: Mapped[dict[str, Any] | None]  # {"never_bound": 12, "opted_out": 3, ...} at start


class CampaignRecipient(Base):
    """One client a started campaign goes to, with what they were when it started (for the report by tier, locale,
    adviser and segment), and the outbox row that carries it."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        Index(None, "client_id", "campaign_id"),
        Index(None, "telegram_user_id"),
        Index(None, "outbox_id"),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), primary_key=True)
    kind: Mapped[CampaignKind] = mapped_column(_str_enum(CampaignKind, "campaign_kind"))  # for fatigue, by client
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    queued_at: Mapped[datetime]
    tier: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str | None] = mapped_column(String(16))
    adviser_id: Mapped[str | None] = mapped_column(String(32))
    # The dimensions' segments at start: {"asset_size": "mid", "lifecycle": "growth", ...}
    segments: Mapped[dict[str, Any] | None]


class SurveyAnswer(Base):
    """One answer to one question of a survey campaign: recorded once (a second press changes nothing)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("campaign_id", "client_id", "question"),
        Index(None, "client_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    question: Mapped[str] = mapped_column(String(32))  # the question's id in the survey's file
    scale: Mapped[SurveyScale] = mapped_column(_str_enum(SurveyScale, "survey_scale"))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)  # the optional "why?", in the client's own words
    answered_at: Mapped[datetime]


class ConsentRecord(Base):
    """A client's yes or no to a purpose (marketing): the latest record is in force, none means yes (the firm's
    onboarding consent). Kept for good, with when, by which channel and the version of the text acted on."""

    __tablename__ = "consent_records"
    __table_args__ = (Index(None, "client_id", "purpose", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"))
    purpose: Mapped[ConsentPurpose] = mapped_column(_str_enum(ConsentPurpose, "consent_purpose"))
    granted: Mapped[bool]
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(32))  # "telegram:command", "telegram:button", "telegram:word", "cli"
    # The wording the client acted on, as name@first 12 hex of its SHA-256:locale: the strategy message the button
    # was under ("strategies/seminars.toml@3f2a9c1d4e5b:en", its campaign's content_digest), the command menu for a
    # command or a word ("commands.html.j2@...:zh_Hans"), the confirmation whose button undid a change.
    text_version: Mapped[str] = mapped_column(String(64))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)


# --- audit ---------------------------------------------------------------------------------------------


class AuditEntry(Base):
    """Who did what to whom: summary views, tier changes, invites, imports. Ids only, never names."""

    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "at"), Index(None, "client_id", "at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any] | None]
