"""A campaign from draft to close: create it, preview its audience, start it (one outbox row per recipient, in one
transaction), pause, resume and close it, and follow its progress.

Every function works in the caller's unit of work (its session) and raises CampaignError, one sentence in the
current locale, for what a person asked that cannot be done: nothing is written then (the unit of work rolls back).
The states move one way, draft -> running <-> paused -> closed (a draft may be closed unstarted, to drop it), each
move a compare-and-set of the status: of two starts (or pauses, resumes, closes) racing, one moves it and the other
is told why it cannot.

A survey takes answers for `settings.campaign.answer_days` from when it may first be sent (its start, or its
`not_before` when later). The answer check and the sender refuse past that moment (`survey_open`, the one rule);
`close_ended_surveys` then writes such surveys closed, as of that moment, and ends their messages not sent yet:
every `tierbot campaign` command runs it first, in its unit of work.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, case, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.campaigns import STRATEGY_KIND, SURVEY_KIND
from bot.campaigns.audience import (
    Audience,
    AudienceError,
    Exclusion,
    Recipient,
    UnknownProducts,
    named_products_risk,
    parse_audience,
    reader_locale_sql,
    resolve_audience,
)
from bot.campaigns.content import ContentError, StrategyMessage, Survey, load_template
from bot.config import Settings, get_settings, zone_or
from bot.db.models import (
    Adviser,
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    Client,
    OutboxMessage,
    OutboxStatus,
    SurveyAnswer,
    TelegramAccount,
    TierState,
)
from bot.db.tier_columns import DIMENSION_COLUMNS
from bot.delivery.outbox import Outgoing, enqueue_many
from bot.delivery.outbox import delivered as reached_telegram
from bot.delivery.quiet import QuietHours, next_outside_quiet_hours
from bot.i18n import LOCALES
from bot.i18n import gettext as _
from bot.scoring import load_rules
from tiering import TierRules

__all__ = ["CLOSED_ERROR", "CampaignError", "CampaignView", "Closed", "Preview", "Progress", "Started",
           "campaign_status", "close_campaign", "close_ended_surveys", "create_campaign", "dedupe_key",
           "get_campaign", "list_campaigns", "pause_campaign", "preview_campaign", "resume_campaign",
           "start_campaign", "start_time", "survey_ends_at", "survey_open"]

# How a campaign's message not sent when it closed ends: sent with no message, as a message with nothing left to
# say ends (the sender's convention), so that no sender takes it and fatigue does not count it.
CLOSED_ERROR = "campaign_closed"


class CampaignError(Exception):
    """What was asked of a campaign cannot be done; the message is one sentence for a person."""


def start_time(text: str, zone: str) -> datetime | None:
    """A campaign's start time as an operator types it (`--at`, `at=`): ISO 8601, with an offset or read in `zone`
    (a date alone is its midnight there); None when it is no time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(zone))


def _fail(sentence: str) -> NoReturn:
    raise CampaignError(sentence)


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A campaign as it stands: what it sends (`template` of `kind`), to whom (`audience`, as written), where it is,
    and, once started, the file's SHA-256 and how many clients each reason kept out."""

    id: int
    kind: CampaignKind
    template: str
    audience: str
    status: CampaignStatus
    not_before: datetime | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    closed_at: datetime | None
    content_digest: str | None
    exclusions: Mapping[Exclusion, int] | None


@dataclass(frozen=True, slots=True)
class Preview:
    """Who a start now would reach: how many, by tier and locale, how many each reason keeps out, and one recipient
    per locale (the first by client id) for a sample of what they would read."""

    campaign: CampaignView
    recipients: int
    by_tier_locale: Mapping[tuple[str, str], int]
    exclusions: Mapping[Exclusion, int]
    samples: tuple[Recipient, ...]

    def tiers(self, rules: TierRules) -> list[str]:
        """The tiers counted, in the rules' order (lowest first), then any the rules no longer have."""
        present = {tier for tier, _locale in self.by_tier_locale}
        known = [tier.id for tier in rules.tiers if tier.id in present]
        return known + sorted(present - set(known))

    def locales(self) -> list[str]:
        """The locales counted, the catalogs' first, then any other a client's record names."""
        present = {locale for _tier, locale in self.by_tier_locale}
        return [locale for locale in LOCALES if locale in present] + sorted(present - set(LOCALES))


@dataclass(frozen=True, slots=True)
class Started:
    """A start: one message queued per recipient; `first_send` the earliest any may go, `held` how many wait past
    the start (for `--at`, or the quiet hours on their clock)."""

    campaign: CampaignView
    recipients: int
    exclusions: Mapping[Exclusion, int]
    first_send: datetime | None
    held: int


@dataclass(frozen=True, slots=True)
class Closed:
    """A close: `stopped` messages not sent yet that now will not be."""

    campaign: CampaignView
    stopped: int


@dataclass(frozen=True, slots=True)
class Progress:
    """How a started campaign is going: its messages by outbox status; `delivered` those that reached Telegram,
    `not_sent` those that ended without a message (nothing left to say, or the campaign closed first); `held` those
    pending that are not due yet; for a survey, how many recipients answered at least one question."""

    campaign: CampaignView
    recipients: int
    by_status: Mapping[OutboxStatus, int]
    delivered: int
    not_sent: int
    held: int
    answered: int | None
    last_sent_at: datetime | None

    @property
    def paused(self) -> bool:
        return self.campaign.status is CampaignStatus.PAUSED

    @property
    def delivered_rate(self) -> float | None:
        return self.delivered / self.recipients if self.recipients else None

    @property
    def response_rate(self) -> float | None:
        """Answered among the delivered (None for a strategy message, or when none was delivered)."""
        return None if self.answered is None or not self.delivered else self.answered / self.delivered


def dedupe_key(campaign_id: int, client_id: str) -> str:
    return f"campaign:{campaign_id}:{client_id}"


def survey_ends_at(started_at: datetime, not_before: datetime | None, settings: Settings) -> datetime:
    """When a survey started at `started_at`, not sent before `not_before`, stops taking answers: its
    `answer_days` counted from when it may first be sent."""
    return max(started_at, not_before or started_at) + timedelta(days=settings.campaign.answer_days)


def survey_open(started_at: datetime | None, not_before: datetime | None, closed_at: datetime | None,
                settings: Settings, now: datetime) -> bool:
    """A survey started at `started_at`, not sent before `not_before`, takes answers at `now`: it has started, is
    not closed, and its `answer_days` (from when it may first be sent) have not run out."""
    return (started_at is not None and closed_at is None
            and now < survey_ends_at(started_at, not_before, settings))


# --- reading -------------------------------------------------------------------------------------------


def _view(campaign: Campaign) -> CampaignView:
    exclusions = None if campaign.exclusions is None else {
        Exclusion(reason): int(count) for reason, count in campaign.exclusions.items()}
    return CampaignView(campaign.id, campaign.kind, campaign.template, campaign.audience, campaign.status,
                        campaign.not_before, campaign.created_by, campaign.created_at, campaign.started_at,
                        campaign.closed_at, campaign.content_digest, exclusions)


async def _campaign(session: AsyncSession, campaign_id: int) -> Campaign:
    campaign = await session.get(Campaign, campaign_id, populate_existing=True)
    if campaign is None:
        _fail(_("There is no campaign {id}.").format(id=campaign_id))
    return campaign


async def get_campaign(session: AsyncSession, campaign_id: int) -> CampaignView:
    return _view(await _campaign(session, campaign_id))


async def list_campaigns(session: AsyncSession) -> list[CampaignView]:
    """Every campaign, the newest first."""
    return [_view(c) for c in (await session.scalars(select(Campaign).order_by(Campaign.id.desc()))).all()]


def _content(kind: CampaignKind, template: str, directory: Path | None) -> Survey | StrategyMessage:
    try:
        return load_template(kind, template, directory)
    except ContentError as error:
        _fail(str(error))


def _audience(text: str, rules: TierRules | None, settings: Settings | None) -> Audience:
    try:
        return parse_audience(text, rules or _rules(settings))
    except AudienceError as error:
        _fail(str(error))


def _rules(settings: Settings | None) -> TierRules:
    """The firm's rules (TIERBOT_RULES_FILE, else the default rules)."""
    return load_rules((settings or get_settings()).firm.rules_file)


def _message(content: Survey | StrategyMessage) -> StrategyMessage | None:
    return content if isinstance(content, StrategyMessage) else None


# --- creating and previewing ---------------------------------------------------------------------------


async def _check_advisers(session: AsyncSession, advisers: Sequence[str]) -> None:
    if not advisers:
        return
    known = list((await session.scalars(select(Adviser.adviser_id).order_by(Adviser.adviser_id))).all())
    for adviser_id in advisers:
        if adviser_id not in known:
            close = difflib.get_close_matches(adviser_id, known, n=1)
            hint = _(" (did you mean “{close}”?)").format(close=close[0]) if close else ""
            _fail(_("“adviser={id}”: there is no adviser “{id}”{hint}.").format(id=adviser_id, hint=hint))


async def _check_products(session: AsyncSession, message: StrategyMessage | None) -> None:
    if message is not None:
        try:
            await named_products_risk(await session.connection(), message)
        except UnknownProducts as error:
            _fail(str(error))


async def create_campaign(session: AsyncSession, *, kind: CampaignKind, template: str, audience: str,
                          not_before: datetime | None, created_by: str, now: datetime,
                          rules: TierRules | None = None, directory: Path | None = None) -> CampaignView:
    """A draft campaign sending `template` (of `directory`, default the shipped templates of `kind`) to `audience`,
    not before `not_before` (None: as soon as it starts). The template, the audience (under `rules`, default the
    firm's), the advisers it names and the products the message names are checked before anything is written."""
    kind = CampaignKind(kind)  # the enum, given its value ("survey") too
    content = _content(kind, template, directory)
    parsed = _audience(audience, rules, None)
    await _check_advisers(session, parsed.advisers)
    await _check_products(session, _message(content))
    if not_before is not None and not_before < now:
        _fail(_("The time to send from has passed: give a later one, or none to send as soon as the campaign "
                "starts."))
    campaign = Campaign(kind=kind, template=content.id, audience=parsed.text, status=CampaignStatus.DRAFT,
                        not_before=not_before, created_by=created_by[:64], created_at=now)
    session.add(campaign)
    await session.flush()
    return _view(campaign)


async def preview_campaign(session: AsyncSession, campaign_id: int, *, settings: Settings, now: datetime,
                           rules: TierRules | None = None, directory: Path | None = None) -> Preview:
    """Who a start now would reach, writing nothing: for a draft only (a started campaign's recipients are fixed:
    its status tells how it goes)."""
    campaign = await _campaign(session, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT:
        _fail(_("Campaign {id} has started already: its status tells how it is going.").format(id=campaign_id))
    content = _content(campaign.kind, campaign.template, directory)
    try:
        resolution = await resolve_audience(
            await session.connection(), _audience(campaign.audience, rules, settings), kind=campaign.kind,
            message=_message(content), settings=settings, now=now, not_before=campaign.not_before, rules=rules)
    except UnknownProducts as error:
        _fail(str(error))
    by_tier_locale = Counter((r.tier, r.locale) for r in resolution.recipients)
    samples: dict[str, Recipient] = {}
    for recipient in resolution.recipients:
        samples.setdefault(recipient.locale, recipient)
    return Preview(_view(campaign), len(resolution.recipients), dict(by_tier_locale), resolution.exclusions,
                   tuple(samples[locale] for locale in sorted(samples)))


# --- starting ------------------------------------------------------------------------------------------


async def _why_not(session: AsyncSession, campaign_id: int, sentences: Mapping[CampaignStatus, str]) -> NoReturn:
    """The sentence for the campaign's status, when a compare-and-set found it in another."""
    campaign = await _campaign(session, campaign_id)
    _fail(sentences[campaign.status].format(id=campaign_id))


async def _move(session: AsyncSession, campaign_id: int, before: Sequence[CampaignStatus], after: CampaignStatus,
                refusals: Mapping[CampaignStatus, str], **values: Any) -> None:
    """Compare and set: the campaign's status from one of `before` to `after` (with `values`); else the sentence
    of `refusals` for the status it has."""
    moved = (await session.execute(
        update(Campaign).where(Campaign.id == campaign_id, Campaign.status.in_(before))
        .values(status=after, **values).returning(Campaign.id))).first()
    if moved is None:
        await _why_not(session, campaign_id, refusals)


def _send_times(recipients: Sequence[Recipient], start: datetime, quiet: QuietHours | None, firm_zone: str
                ) -> list[datetime]:
    """When each recipient's message may go: `start`, moved out of the quiet hours on their clock (their own time
    zone, else the firm's); worked out once per time zone."""
    by_zone: dict[str | None, datetime] = {}
    times = []
    for recipient in recipients:
        zone = recipient.timezone
        if zone not in by_zone:
            by_zone[zone] = next_outside_quiet_hours(start, quiet, zone_or(zone, firm_zone))
        times.append(by_zone[zone])
    return times


async def _record_recipients(connection: AsyncConnection, campaign_id: int, kind: CampaignKind, now: datetime,
                             default_locale: str) -> None:
    """A recipient for each message the campaign queued, with their outbox id and what they are now (the tier, the
    locale they read, their adviser and the dimensions' segments), in one statement over its outbox rows."""
    as_json = func.json_object if connection.dialect.name == "sqlite" else func.json_build_object
    segments = as_json(*(part for dimension, columns in DIMENSION_COLUMNS.items()
                         for part in (literal(dimension.value), TierState.__table__.c[columns.segment])), type_=JSON)
    recipients = (
        select(literal(campaign_id), Client.client_id, literal(kind, CampaignRecipient.kind.type),
               OutboxMessage.telegram_user_id, OutboxMessage.id, literal(now, CampaignRecipient.queued_at.type),
               TierState.tier, reader_locale_sql(TelegramAccount.locale, Client.locale, default_locale),
               Client.adviser_id, segments)
        .select_from(OutboxMessage)
        # A campaign queues one row per recipient's account, and an account is one client's.
        .join(TelegramAccount, TelegramAccount.telegram_user_id == OutboxMessage.telegram_user_id)
        .join(Client, Client.client_id == TelegramAccount.client_id)
        .join(TierState, TierState.client_id == Client.client_id)
        .where(OutboxMessage.campaign_id == campaign_id)
    )
    await connection.execute(insert(CampaignRecipient).from_select(
        ["campaign_id", "client_id", "kind", "telegram_user_id", "outbox_id", "queued_at", "tier", "locale",
         "adviser_id", "segments"], recipients))


async def start_campaign(session: AsyncSession, campaign_id: int, *, settings: Settings, now: datetime,
                         rules: TierRules | None = None, directory: Path | None = None) -> Started:
    """Start a draft, in the caller's transaction: its status moves to running (compare-and-set: a second start, or
    one racing this one, adds nothing and is told so), its audience is resolved now, and each recipient gets a
    `CampaignRecipient` and one outbox row, due at the campaign's `not_before` (or now) moved out of quiet hours on
    the recipient's clock. A client who refused marketing since the preview is left out here (opted out); one who
    refuses after the start is skipped when their message is rendered."""
    refusals = {CampaignStatus.RUNNING: _("Campaign {id} has started already: starting it again adds nothing."),
                CampaignStatus.PAUSED: _("Campaign {id} has started already (it is paused): starting it again adds "
                                         "nothing."),
                CampaignStatus.CLOSED: _("Campaign {id} is closed: it cannot be started.")}
    await _move(session, campaign_id, (CampaignStatus.DRAFT,), CampaignStatus.RUNNING, refusals, started_at=now)
    campaign = await _campaign(session, campaign_id)
    content = _content(campaign.kind, campaign.template, directory)
    connection = await session.connection()
    try:
        resolution = await resolve_audience(
            connection, _audience(campaign.audience, rules, settings), kind=campaign.kind, message=_message(content),
            settings=settings, now=now, not_before=campaign.not_before, rules=rules)
    except UnknownProducts as error:
        _fail(str(error))
    recipients = resolution.recipients
    start = max(now, campaign.not_before or now)
    times = _send_times(recipients, start, settings.delivery.quiet, settings.firm.timezone)
    kind = SURVEY_KIND if campaign.kind is CampaignKind.SURVEY else STRATEGY_KIND
    await enqueue_many(connection, [
        Outgoing(kind, r.telegram_user_id, dedupe_key(campaign_id, r.client_id), at,
                 {"campaign_id": campaign_id, "client_id": r.client_id}, campaign_id)
        for r, at in zip(recipients, times, strict=True)], now=now)
    await _record_recipients(connection, campaign_id, campaign.kind, now, settings.firm.default_locale)
    await session.execute(update(Campaign).where(Campaign.id == campaign_id).values(
        content_digest=content.digest, exclusions={reason.value: n for reason, n in resolution.exclusions.items()}))
    return Started(_view(await _campaign(session, campaign_id)), len(recipients), resolution.exclusions,
                   min(times, default=None), sum(1 for at in times if at > now))


# --- pausing, resuming, closing ------------------------------------------------------------------------


async def pause_campaign(session: AsyncSession, campaign_id: int) -> CampaignView:
    """Hold a running campaign's messages: the sender claims none of them until it is resumed (one it claimed
    already is put back by its renderer)."""
    await _move(session, campaign_id, (CampaignStatus.RUNNING,), CampaignStatus.PAUSED, {
        CampaignStatus.DRAFT: _("Campaign {id} has not started: there is nothing to pause."),
        CampaignStatus.PAUSED: _("Campaign {id} is paused already."),
        CampaignStatus.CLOSED: _("Campaign {id} is closed: it sends nothing more, so there is nothing to pause.")})
    return _view(await _campaign(session, campaign_id))


async def resume_campaign(session: AsyncSession, campaign_id: int) -> CampaignView:
    """Send a paused campaign's messages again, from the sender's next claim."""
    await _move(session, campaign_id, (CampaignStatus.PAUSED,), CampaignStatus.RUNNING, {
        CampaignStatus.DRAFT: _("Campaign {id} has not started: start it rather than resume it."),
        CampaignStatus.RUNNING: _("Campaign {id} is running: there is nothing to resume."),
        CampaignStatus.CLOSED: _("Campaign {id} is closed: it cannot be resumed.")})
    return _view(await _campaign(session, campaign_id))


async def _stop_pending(session: AsyncSession, campaign_id: int, at: datetime) -> int:
    """End the campaign's messages still pending, unsent; one a sender holds now is ended by its renderer."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENT, sent_at=at, message_id=None, error=CLOSED_ERROR)
        .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def close_campaign(session: AsyncSession, campaign_id: int, *, now: datetime) -> Closed:
    """No more sends (its messages not sent yet end unsent) and, for a survey, no more answers; a draft closed is
    dropped unstarted."""
    await _move(session, campaign_id, (CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED),
                CampaignStatus.CLOSED, {CampaignStatus.CLOSED: _("Campaign {id} is closed already.")}, closed_at=now)
    stopped = await _stop_pending(session, campaign_id, now)
    return Closed(_view(await _campaign(session, campaign_id)), stopped)


async def close_ended_surveys(session: AsyncSession, *, settings: Settings, now: datetime) -> list[int]:
    """Close the surveys whose `answer_days` have run out, as of the moment they did, their messages not sent yet
    ended unsent; returns their ids."""
    ended = now - timedelta(days=settings.campaign.answer_days)
    due = (await session.execute(  # those started that long ago; survey_open tells which have run out
        select(Campaign.id, Campaign.started_at, Campaign.not_before)
        .where(Campaign.kind == CampaignKind.SURVEY,
               Campaign.status.in_((CampaignStatus.RUNNING, CampaignStatus.PAUSED)), Campaign.started_at <= ended)
        .order_by(Campaign.id))).all()
    closing = []
    for campaign_id, started_at, not_before in due:
        assert started_at is not None  # a running or paused campaign has started
        if survey_open(started_at, not_before, None, settings, now):
            continue
        closed_at = survey_ends_at(started_at, not_before, settings)
        closed = await session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id, Campaign.status.in_((CampaignStatus.RUNNING, CampaignStatus.PAUSED)))
            .values(status=CampaignStatus.CLOSED, closed_at=closed_at).returning(Campaign.id))
        if closed.first() is not None:  # else closed meanwhile, by a close that raced this one
            await _stop_pending(session, campaign_id, closed_at)
            closing.append(campaign_id)
    return closing


# --- progress ------------------------------------------------------------------------------------------


async def campaign_status(session: AsyncSession, campaign_id: int, *, now: datetime) -> Progress:
    """How the campaign is going at `now`: a few counts over its own rows (by the outbox's campaign index)."""
    campaign = _view(await _campaign(session, campaign_id))
    recipients = await session.scalar(select(func.count()).select_from(CampaignRecipient).where(
        CampaignRecipient.campaign_id == campaign_id)) or 0
    with_message = reached_telegram()
    rows = (await session.execute(
        select(OutboxMessage.status, func.count(), func.sum(case((with_message, 1), else_=0)),
               func.sum(case((OutboxMessage.next_attempt_at > now, 1), else_=0)),
               func.max(case((with_message, OutboxMessage.sent_at))))
        .where(OutboxMessage.campaign_id == campaign_id).group_by(OutboxMessage.status))).all()
    by_status = {status: count for status, count, *_rest in rows}
    sent = next((row for row in rows if row[0] is OutboxStatus.SENT), None)
    delivered = 0 if sent is None else int(sent[2])
    not_sent = by_status.get(OutboxStatus.SENT, 0) - delivered
    held = next((int(row[3]) for row in rows if row[0] is OutboxStatus.PENDING), 0)
    last_sent_at = None if sent is None else sent[4]
    answered = None
    if campaign.kind is CampaignKind.SURVEY:
        answered = await session.scalar(select(func.count(func.distinct(SurveyAnswer.client_id))).where(
            SurveyAnswer.campaign_id == campaign_id)) or 0
    return Progress(campaign, recipients, by_status, delivered, not_sent, held, answered, last_sent_at)
