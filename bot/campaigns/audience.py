"""Audiences: the clients a campaign is for, and those of them it may not reach, counted by reason.

An audience is a segment expression over the latest tier states (what the last scoring run stored in
`tier_states`): terms separated by spaces, every one of which must hold, each `key=value`, where a value may be a
comma list of alternatives (`tier=mid,high_net_worth lifecycle=growth locale=zh_Hans`). The keys: `tier` (the
rules' tier ids), one per dimension (`asset_size`, `activity`, `lifecycle`, `complexity`, `loyalty`, whose values
are that dimension's segments), `locale` (the language the client reads), `risk` (C1 to C5; `C3+` is C3 and
above), `adviser` (adviser ids) and `changed_since=YYYY-MM-DD` (the tier changed in a scoring run of that day or
later). `all`, alone, is every scored client. A client not scored yet has no tier state and is in no audience.

Resolving an audience is one query, whatever its size: every client it holds, with the account a push would reach,
the locale the chat would use, and the first reason (`Exclusion`, in order) that keeps the campaign from them.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, NoReturn

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, not_, null, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute

from bot.campaigns.consent import refused
from bot.campaigns.content import StrategyMessage, needs_valid_assessment
from bot.config import Settings, firm_day
from bot.db.models import (
    RECORD_ID,
    TELEGRAM_IDS_BELOW,
    Adviser,
    CampaignKind,
    CampaignRecipient,
    Client,
    OutboxMessage,
    OutboxStatus,
    Product,
    Role,
    TelegramAccount,
    TierState,
)
from bot.db.tier_columns import DIMENSION_COLUMNS
from bot.delivery.outbox import delivered as reached_telegram
from bot.i18n import LOCALES
from bot.i18n import gettext as _
from bot.i18n.vocabulary import N_
from bot.scoring import load_rules
from bot.workspace.book import assessment_lapsed_on, tier_changed_since
from tiering import DIMENSION_SEGMENTS, Dimension, TierRules

__all__ = ["EVERYONE", "KEYS", "Audience", "AudienceError", "Exclusion", "Recipient", "Resolution", "UnknownProducts",
           "exclusions_for", "named_products_risk", "parse_audience", "reader_locale_sql", "resolve_audience"]

EVERYONE: Final = "all"
KEYS: Final = ("tier", *(dimension.value for dimension in Dimension), "locale", "risk", "adviser", "changed_since")
_RISK: Final = re.compile(r"[Cc]([1-5])(\+?)")
_DAY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOWN: Final = 40  # characters of a person's term quoted back to them at most
_Column = ColumnElement[str | None] | InstrumentedAttribute[str | None]


class AudienceError(ValueError):
    """An audience expression that cannot be used; the message is one sentence naming the bad term."""


class UnknownProducts(ValueError):
    """A strategy message names products the database does not hold; the message is one sentence naming them."""


class Exclusion(enum.StrEnum):
    """Why a client of the audience is not sent the campaign; a client is counted under the first that holds, in
    this order."""

    NEVER_BOUND = "never_bound"  # no Telegram account bound to the client
    UNREACHABLE = "unreachable"  # the account blocked the bot
    OPTED_OUT = "opted_out"  # refused marketing (strategy messages only)
    SURVEYED_RECENTLY = "surveyed_recently"  # a survey goes to them within the survey interval (surveys only)
    CAPPED = "capped"  # the marketing cap of the window around it is reached (strategy messages only)
    ADVISER_DEPARTED = "adviser_departed"  # their adviser has left the firm
    COMPLAINT_OPEN = "complaint_open"  # not surveyed while a complaint is open (surveys only)
    ABOVE_RISK_LEVEL = "above_risk_level"  # a product the message names is above their risk level
    NO_RISK_ASSESSMENT = "no_risk_assessment"  # no level, or it lapsed (for a message that recommends products)


@dataclass(frozen=True, slots=True)
class Audience:
    """A parsed audience: the alternatives of each key given (an empty tuple: the key was not given)."""

    text: str  # as written, the terms one space apart
    tiers: tuple[str, ...] = ()
    segments: tuple[tuple[Dimension, tuple[str, ...]], ...] = ()
    locales: tuple[str, ...] = ()
    risk_levels: tuple[int, ...] = ()  # C1..C5 as 1..5
    advisers: tuple[str, ...] = ()
    changed_since: date | None = None

    @property
    def everyone(self) -> bool:
        return not (self.tiers or self.segments or self.locales or self.risk_levels or self.advisers
                    or self.changed_since)


@dataclass(frozen=True, slots=True)
class Recipient:
    """A client the campaign goes to, as they are now: the account it reaches, their tier and segments (by
    dimension id), the locale they read, their adviser, and their own time zone (None: the firm's)."""

    client_id: str
    telegram_user_id: int
    tier: str
    locale: str
    adviser_id: str | None
    segments: Mapping[str, str | None]
    timezone: str | None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The audience's recipients, by client id, and how many clients of it each reason kept out (every reason that
    applies to the campaign, in order, zeros included)."""

    recipients: tuple[Recipient, ...]
    exclusions: Mapping[Exclusion, int]

    @property
    def excluded(self) -> int:
        return sum(self.exclusions.values())


# --- parsing -------------------------------------------------------------------------------------------


def _fail(sentence: str) -> NoReturn:
    raise AudienceError(sentence)


def _folded(value: str) -> str:
    """A value as it is compared: any case, "-" for "_" (zh-hans is zh_Hans)."""
    return value.casefold().replace("-", "_")


def _hint(value: str, known: Sequence[str]) -> str:
    by_folded = {_folded(name): name for name in known}
    starting = [name for folded, name in by_folded.items() if value and folded.startswith(_folded(value))]
    close = starting[:1] or [by_folded[match] for match in difflib.get_close_matches(_folded(value), by_folded, n=1)]
    return _(" (did you mean “{close}”?)").format(close=close[0]) if close else ""


def _choose(term: str, values: list[str], known: Sequence[str], sentence: str, **names: str) -> tuple[str, ...]:
    """`values`, each one of `known` in any case (as `known` spells it); else the sentence of the message id
    `sentence` (with {term}, {value}, {hint}, {known}) for the first that is not."""
    by_folded = {_folded(name): name for name in known}
    chosen = []
    for value in values:
        if (name := by_folded.get(_folded(value))) is None:
            _fail(_(sentence).format(term=term[:_SHOWN], value=value[:_SHOWN], hint=_hint(value, known),
                                  known=", ".join(known), **names))
        chosen.append(name)
    return tuple(dict.fromkeys(chosen))


def _risk_levels(term: str, values: list[str]) -> tuple[int, ...]:
    levels: set[int] = set()
    for value in values:
        match = _RISK.fullmatch(value)
        if match is None:
            _fail(_("“{term}”: “{value}” is not a risk level: write C1 to C5, or C3+ for C3 and above.").format(
                term=term[:_SHOWN], value=value[:_SHOWN]))
        level = int(match[1])
        levels.update(range(level, 6) if match[2] else (level,))
    return tuple(sorted(levels))


def _advisers(term: str, values: list[str]) -> tuple[str, ...]:
    for value in values:
        if not RECORD_ID.fullmatch(value):
            _fail(_("“{term}”: “{value}” is not an adviser id, such as A007.").format(
                term=term[:_SHOWN], value=value[:_SHOWN]))
    return tuple(dict.fromkeys(values))


def _day(term: str, values: list[str]) -> date:
    if len(values) > 1:
        _fail(_("“{term}”: changed_since takes one date.").format(term=term[:_SHOWN]))
    try:
        if not _DAY.fullmatch(values[0]):
            raise ValueError
        return date.fromisoformat(values[0])
    except ValueError:
        _fail(_("“{term}”: write the date as YYYY-MM-DD, e.g. changed_since=2026-10-01.").format(term=term[:_SHOWN]))


def parse_audience(text: str, rules: TierRules) -> Audience:
    """The audience `text` describes under `rules` (whose tiers `tier` names); AudienceError, one sentence naming
    the first bad term, when it cannot be used."""
    terms = text.split()
    if not terms:
        _fail(_("The audience is empty: write terms such as “tier=mid lifecycle=growth”, or “all” for every scored "
                "client."))
    if [term.casefold() for term in terms] == [EVERYONE]:
        return Audience(EVERYONE)
    given: dict[str, Any] = {}
    for term in terms:
        if term.casefold() == EVERYONE:
            _fail(_("“all” stands alone: it is every scored client, and takes no other term."))
        key, equals, value = term.partition("=")
        key = key.casefold()
        if not equals:
            _fail(_("“{term}” is not a term: write key=value, such as tier=mid, or “all” alone.").format(
                term=term[:_SHOWN]))
        if key not in KEYS:
            _fail(_("“{term}”: there is no key “{key}”{hint}; the keys are {known}.").format(
                term=term[:_SHOWN], key=key[:_SHOWN], hint=_hint(key, KEYS), known=", ".join(KEYS)))
        if key == "changed_since" and key in given:
            _fail(_("“changed_since” is given twice: it takes one date."))
        if key in given:
            _fail(_("“{key}” is given twice: give its values once, as a comma list such as {example}.").format(
                key=key, example=_comma_list(key, rules)))
        values = value.split(",")
        if not all(values):
            _fail(_("“{term}”: give a value after “=”, or several separated by commas.").format(term=term[:_SHOWN]))
        given[key] = _values(key, term, values, rules)
    segments = tuple((dimension, given[dimension.value]) for dimension in Dimension if dimension.value in given)
    return Audience(" ".join(terms), tiers=given.get("tier", ()), segments=segments, locales=given.get("locale", ()),
                    risk_levels=given.get("risk", ()), advisers=given.get("adviser", ()),
                    changed_since=given.get("changed_since"))


def _comma_list(key: str, rules: TierRules) -> str:
    """Two values of `key`, as a term giving both: tier=ordinary,mid."""
    match key:
        case "tier":
            values = [tier.id for tier in rules.tiers]
        case "locale":
            values = list(LOCALES)
        case "risk":
            values = ["C3", "C4"]
        case "adviser":
            values = ["A001", "A002"]
        case _:
            values = [segment.value for segment in DIMENSION_SEGMENTS[Dimension(key)]]
    return f"{key}={','.join(values[:2])}"


def _values(key: str, term: str, values: list[str], rules: TierRules) -> tuple[str, ...] | tuple[int, ...] | date:
    match key:
        case "tier":
            return _choose(term, values, [tier.id for tier in rules.tiers],
                           N_("“{term}”: there is no tier “{value}”{hint}; the tiers are {known}."))
        case "locale":
            return _choose(term, values, LOCALES, N_("“{term}”: there is no locale “{value}”{hint}; the locales are "
                                                     "{known}."))
        case "risk":
            return _risk_levels(term, values)
        case "adviser":
            return _advisers(term, values)
        case "changed_since":
            return _day(term, values)
    dimension = Dimension(key)
    return _choose(term, values, [segment.value for segment in DIMENSION_SEGMENTS[dimension]],
                   N_("“{term}”: “{value}” is not a segment of {dimension}{hint}; its segments are {known}."),
                   dimension=key)


# --- resolution ----------------------------------------------------------------------------------------


def exclusions_for(kind: CampaignKind, message: StrategyMessage | None) -> tuple[Exclusion, ...]:
    """The reasons that may keep a campaign of `kind` (sending `message`, for a strategy message) from a client,
    in order."""
    if kind is CampaignKind.SURVEY:
        return (Exclusion.NEVER_BOUND, Exclusion.UNREACHABLE, Exclusion.SURVEYED_RECENTLY, Exclusion.ADVISER_DEPARTED,
                Exclusion.COMPLAINT_OPEN)
    reasons = [Exclusion.NEVER_BOUND, Exclusion.UNREACHABLE, Exclusion.OPTED_OUT, Exclusion.CAPPED,
               Exclusion.ADVISER_DEPARTED]
    if message is not None and message.products:
        reasons.append(Exclusion.ABOVE_RISK_LEVEL)
    if message is not None and needs_valid_assessment(message):
        reasons.append(Exclusion.NO_RISK_ASSESSMENT)
    return tuple(reasons)


async def named_products_risk(connection: AsyncConnection, message: StrategyMessage) -> int | None:
    """The highest risk level (R1..R5 as 1..5) of the products `message` names; None when it names none.
    UnknownProducts when the database holds some of them not."""
    if not message.products:
        return None
    levels = dict((await connection.execute(
        select(Product.product_id, Product.risk_level).where(Product.product_id.in_(message.products)))).all())
    missing = [product for product in message.products if product not in levels]
    if missing:
        raise UnknownProducts(_("The strategy message “{id}” names products the database does not hold: {products}; "
                                "import them with the firm's products.csv first.").format(
            id=message.id, products=", ".join(missing)))
    return max(levels.values())


def reader_locale_sql(account_locale: _Column, record_locale: _Column, default: str) -> ColumnElement[str]:
    """SQL: the locale a bound person reads, in the order of `bot.telegram.reader_locale` for a push (which has no
    Telegram app to ask): the account's own choice (/language), else the firm's record of the client, else the
    firm's default."""
    return case((account_locale.in_(LOCALES), account_locale), (record_locale.in_(LOCALES), record_locale),
                else_=literal(default))


def _accounts() -> Select[tuple[str | None, int, str | None, datetime | None, int]]:
    """Each client's accounts, the one a push reaches first (`pick` 1): one that has not blocked the bot, the one
    bound last."""
    order = (TelegramAccount.blocked_at.is_not(None), TelegramAccount.bound_at.desc(),
             TelegramAccount.telegram_user_id.desc())
    return select(TelegramAccount.client_id, TelegramAccount.telegram_user_id, TelegramAccount.locale,
                  TelegramAccount.blocked_at,
                  func.row_number().over(partition_by=TelegramAccount.client_id, order_by=order).label("pick")
                  ).where(TelegramAccount.role == Role.CLIENT,
                          TelegramAccount.telegram_user_id < TELEGRAM_IDS_BELOW)  # not the console's accounts


def _pushed(kind: CampaignKind, sends_from: datetime, window: timedelta) -> Select[int]:
    """The client's (`Client`) messages of campaigns of `kind` that go within `window` of `sends_from` (before or
    after it: a message due after it counts too), that reached them or still may: not ended unreachable or failed,
    nor ended without a message (nothing left to say, the campaign closed). A message goes when it was sent, else
    when it is due (its row's `coalesce(sent_at, next_attempt_at)`; when the row is gone, when it was queued)."""
    goes = func.coalesce(OutboxMessage.sent_at, OutboxMessage.next_attempt_at, CampaignRecipient.queued_at)
    return (
        select(literal(1))
        .select_from(CampaignRecipient)
        .outerjoin(OutboxMessage, OutboxMessage.id == CampaignRecipient.outbox_id)
        .where(CampaignRecipient.client_id == Client.client_id, CampaignRecipient.kind == kind,
               goes > sends_from - window, goes < sends_from + window,
               or_(OutboxMessage.id.is_(None),
                   and_(OutboxMessage.status.not_in((OutboxStatus.UNREACHABLE, OutboxStatus.FAILED)),
                        or_(OutboxMessage.status != OutboxStatus.SENT, reached_telegram()))))
    )


def _reasons(kind: CampaignKind, message: StrategyMessage | None, account: ColumnElement[int | None],
             blocked: ColumnElement[datetime | None], *, settings: Settings, rules: TierRules, now: datetime,
             sends_from: datetime, product_risk: int | None) -> list[tuple[ColumnElement[bool], str]]:
    today = firm_day(now)
    fatigue = settings.campaign
    conditions: dict[Exclusion, ColumnElement[bool]] = {
        Exclusion.NEVER_BOUND: account.is_(None),
        Exclusion.UNREACHABLE: blocked.is_not(None),
        Exclusion.OPTED_OUT: refused(),
        Exclusion.SURVEYED_RECENTLY: exists(_pushed(CampaignKind.SURVEY, sends_from, timedelta(
            days=fatigue.survey_interval_days))),
        Exclusion.CAPPED: _pushed(CampaignKind.STRATEGY, sends_from, timedelta(days=fatigue.marketing_window_days))
        .with_only_columns(func.count()).scalar_subquery() >= fatigue.marketing_cap,
        Exclusion.ADVISER_DEPARTED: not_(Adviser.with_the_firm_on(today)),
        Exclusion.COMPLAINT_OPEN: Client.complaint_open.is_(True),
        Exclusion.ABOVE_RISK_LEVEL: Client.risk_level < (product_risk or 0),
        Exclusion.NO_RISK_ASSESSMENT: assessment_lapsed_on(rules, today),
    }
    return [(conditions[reason], reason.value) for reason in exclusions_for(kind, message)]


def _filters(audience: Audience, locale: ColumnElement[str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if audience.tiers:
        conditions.append(TierState.tier.in_(audience.tiers))
    for dimension, segments in audience.segments:
        conditions.append(TierState.__table__.c[DIMENSION_COLUMNS[dimension].segment].in_(segments))
    if audience.locales:
        conditions.append(locale.in_(audience.locales))
    if audience.risk_levels:
        conditions.append(Client.risk_level.in_(audience.risk_levels))
    if audience.advisers:
        conditions.append(Client.adviser_id.in_(audience.advisers))
    if audience.changed_since is not None:
        conditions.append(tier_changed_since(audience.changed_since - timedelta(days=1)))
    return conditions


async def resolve_audience(connection: AsyncConnection, audience: Audience, *, kind: CampaignKind,
                           message: StrategyMessage | None, settings: Settings, now: datetime,
                           not_before: datetime | None = None, rules: TierRules | None = None) -> Resolution:
    """Who of `audience` a campaign of `kind` (sending `message`, for a strategy message), sent from `not_before`
    (None: now), would reach, and how many each reason keeps out; `rules` (default: the firm's) say how long a
    risk assessment stays valid. Fatigue counts the client's other messages that go within its window of when
    this one may first go (`max(now, not_before)`), before or after. One query. UnknownProducts when `message`
    names products the database does not hold."""
    rules = rules or load_rules(settings.firm.rules_file)
    if kind is CampaignKind.STRATEGY and message is None:
        raise ValueError("a strategy campaign is resolved with its message")
    if kind is CampaignKind.SURVEY:
        message = None
    product_risk = None if message is None else await named_products_risk(connection, message)
    account = _accounts().subquery("account")
    locale = reader_locale_sql(account.c.locale, Client.locale, settings.firm.default_locale)
    reasons = _reasons(kind, message, account.c.telegram_user_id, account.c.blocked_at, settings=settings,
                       rules=rules, now=now, sends_from=max(now, not_before or now), product_risk=product_risk)
    segment_columns = [TierState.__table__.c[columns.segment] for columns in DIMENSION_COLUMNS.values()]
    query = (
        select(Client.client_id, account.c.telegram_user_id, TierState.tier, locale, Client.adviser_id,
               Client.timezone, case(*reasons, else_=null()), *segment_columns)
        .select_from(Client)
        .join(TierState, TierState.client_id == Client.client_id)
        .outerjoin(account, and_(account.c.client_id == Client.client_id, account.c.pick == 1))
        .outerjoin(Adviser, Adviser.adviser_id == Client.adviser_id)
        .where(*_filters(audience, locale))
        .order_by(Client.client_id)
    )
    applying = exclusions_for(kind, message)
    counts = dict.fromkeys(applying, 0)
    recipients = []
    dimensions = [dimension.value for dimension in DIMENSION_COLUMNS]
    for client_id, user_id, tier, reads, adviser_id, zone, reason, *segments in await connection.execute(query):
        if reason is not None:
            counts[Exclusion(reason)] += 1
        else:
            recipients.append(Recipient(client_id, user_id, tier, reads, adviser_id,
                                        dict(zip(dimensions, segments, strict=True)), zone))
    return Resolution(tuple(recipients), counts)
