"""A campaign's results, for staff: how its messages went out, and for a survey how clients answered (response rate;
NPS, CSAT and CES per question, overall and by tier, language, adviser and segment, with counts; the comments), for
a strategy message who refused marketing after it; and the CSV of one row per recipient.

Groups are the recipients as they were when the campaign started (`CampaignRecipient`: tier, locale, adviser and
segments), so a report reads the same whatever the clients became since. A group with fewer than `MIN_ANSWERS`
answers is shown with its count and no score: a score of two or three answers says little, and tells who gave it.
Everything is counted as of `now`: answers and refusals after it are left out, so a report can be made again.

Ids only, never names: the report and its CSV leave the system (see docs/campaigns.md, "Results").
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.campaigns.content import ContentError, Question, load_survey, load_template
from bot.db.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    ConsentPurpose,
    ConsentRecord,
    OutboxMessage,
    OutboxStatus,
    SurveyAnswer,
    SurveyScale,
)
from bot.delivery.outbox import delivered as reached_telegram
from bot.i18n import gettext as _
from bot.i18n.vocabulary import SEGMENTS, language_name, segment_name, tier_name
from tiering import Dimension, Segment, TierRules

__all__ = [
    "COMMENTS_SHOWN",
    "CSV_FIXED_COLUMNS",
    "MIN_ANSWERS",
    "UNSUBSCRIBE_DAYS",
    "Breakdown",
    "CampaignNotFound",
    "Comment",
    "Delivery",
    "Group",
    "QuestionResult",
    "Report",
    "Score",
    "SurveyResults",
    "UnsubscribeGroup",
    "Unsubscribes",
    "campaign_report",
    "write_csv",
]

# A group's score is shown from this many answers on; below it only its count.
MIN_ANSWERS: Final = 5
# The comments the report lists, newest first (the CSV has them all).
COMMENTS_SHOWN: Final = 20
# A refusal of marketing this many days after a strategy message was sent counts as an unsubscribe after it.
UNSUBSCRIBE_DAYS: Final = 14
# What a breakdown groups by, besides the dimensions' segments.
BY_TIER, BY_LOCALE, BY_ADVISER = "tier", "locale", "adviser"

# The CSV's first columns, then a survey's per question (`<id>_rating`, and `<id>_comment` where it asks for one) and
# `answered_at` (the last answer), or a strategy message's `unsubscribed_at`.
CSV_FIXED_COLUMNS: Final = ("client_id", "tier", "locale", "adviser_id", *(str(d) for d in Dimension),
                            "delivery_status", "sent_at")
# A cell a spreadsheet would run as a formula (a comment typed as "=HYPERLINK(...)") is written as text.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


class CampaignNotFound(LookupError):
    """No campaign has this id; `latest` is the newest one's id (None: there is none)."""

    def __init__(self, campaign_id: int, latest: int | None) -> None:
        super().__init__(f"no campaign {campaign_id}")
        self.campaign_id, self.latest = campaign_id, latest


@dataclass(frozen=True, slots=True)
class Score:
    """The answers of a group to one question: how many gave each rating of the scale, lowest first. The scores
    are None below `MIN_ANSWERS` answers (too few to show)."""

    scale: SurveyScale
    counts: tuple[int, ...]

    @property
    def answers(self) -> int:
        return sum(self.counts)

    @property
    def enough(self) -> bool:
        return self.answers >= MIN_ANSWERS

    def rated(self, low: int, high: int) -> int:
        """How many rated from `low` to `high`, both included."""
        first = self.scale.bounds[0]
        return sum(self.counts[low - first:high - first + 1])

    def _share(self, count: int) -> float | None:
        return count / self.answers if self.enough else None

    # NPS, on 0-10: promoters 9-10, passives 7-8, detractors 0-6; NPS = % promoters - % detractors (-100..100).
    @property
    def promoters(self) -> int:
        return self.rated(9, 10)

    @property
    def passives(self) -> int:
        return self.rated(7, 8)

    @property
    def detractors(self) -> int:
        return self.rated(0, 6)

    @property
    def nps(self) -> float | None:
        return 100 * (self.promoters - self.detractors) / self.answers if self.enough else None

    # CSAT, on 1-5: the share of answers rated 4 or 5.
    @property
    def satisfied(self) -> int:
        return self.rated(4, 5)

    @property
    def csat(self) -> float | None:
        return self._share(self.satisfied)

    # CES, on 1-7 (7: easiest): the mean rating, and the share rated 5-7 (low effort).
    @property
    def easy(self) -> int:
        return self.rated(5, 7)

    @property
    def easy_share(self) -> float | None:
        return self._share(self.easy)

    @property
    def mean(self) -> float | None:
        first = self.scale.bounds[0]
        total = sum((first + index) * count for index, count in enumerate(self.counts))
        return total / self.answers if self.enough else None


@dataclass(frozen=True, slots=True)
class Group:
    """One group of a breakdown: its key (a tier id, a locale, an adviser id, a segment; None: not known when the
    campaign started) and its answers' score."""

    key: str | None
    score: Score


@dataclass(frozen=True, slots=True)
class Breakdown:
    """A question's answers grouped `by` "tier", "locale", "adviser" or a dimension ("asset_size", ...)."""

    by: str
    groups: tuple[Group, ...]


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question: its texts per locale (None when the survey's file is gone), its answers overall and by group."""

    id: str
    scale: SurveyScale
    texts: Mapping[str, str] | None
    overall: Score
    breakdowns: tuple[Breakdown, ...]

    def by(self, name: str) -> Breakdown | None:
        return next((breakdown for breakdown in self.breakdowns if breakdown.by == name), None)


@dataclass(frozen=True, slots=True)
class Comment:
    client_id: str
    question: str
    scale: SurveyScale
    rating: int
    text: str
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class SurveyResults:
    """`responded`: recipients who answered at least one question. `reached`: those delivered, and those who
    answered although the sender could not confirm the send (their row is unknown, say): an answer proves it
    arrived. The response rate is responded / reached."""

    responded: int
    reached: int
    unconfirmed: int  # recipients who answered although their message is not marked sent
    questions: tuple[QuestionResult, ...]
    comments: tuple[Comment, ...]  # the newest COMMENTS_SHOWN
    comments_total: int

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.reached if self.reached else None


@dataclass(frozen=True, slots=True)
class UnsubscribeGroup:
    key: str | None
    delivered: int
    unsubscribed: int

    @property
    def share(self) -> float | None:
        return self.unsubscribed / self.delivered if self.delivered else None


@dataclass(frozen=True, slots=True)
class Unsubscribes:
    """Recipients of a strategy message who refused marketing within UNSUBSCRIBE_DAYS after it was sent to them."""

    overall: UnsubscribeGroup
    by_tier: tuple[UnsubscribeGroup, ...]
    by_locale: tuple[UnsubscribeGroup, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """The recipients by where their message is: pending counts those waiting, being sent, or not queued yet."""

    recipients: int
    delivered: int  # reached Telegram (`bot.delivery.outbox.delivered`)
    not_sent: int  # ended without a message: the campaign was closed first, or nothing was left to say
    unreachable: int
    failed: int
    unknown: int
    pending: int


@dataclass(frozen=True, slots=True)
class Report:
    campaign_id: int
    kind: CampaignKind
    template: str
    titles: Mapping[str, str] | None  # the template's title per locale; None when its file is gone
    audience: str
    status: CampaignStatus
    created_at: datetime
    started_at: datetime | None
    closed_at: datetime | None
    now: datetime
    delivery: Delivery
    survey: SurveyResults | None  # for a survey
    unsubscribes: Unsubscribes | None  # for a strategy message

    @property
    def min_answers(self) -> int:
        return MIN_ANSWERS

    @property
    def unsubscribe_days(self) -> int:
        return UNSUBSCRIBE_DAYS

    @staticmethod
    def group_name(by: str, key: str | None, rules: TierRules) -> str:
        """A group's name in the reader's language: a tier's (its id when the rules have no such tier), a
        language's, a segment's as staff read it, or an adviser's id."""
        if key is None:
            return _("not known")
        if by == BY_TIER:
            return tier_name(rules, key) if rules.rank(key) is not None else key
        if by == BY_LOCALE:
            return language_name(key)
        if by == BY_ADVISER or key not in SEGMENTS:
            return key
        return segment_name(key, own=False)

    def nps_by_tier(self) -> tuple[Group, ...] | None:
        """The tiers' groups of the survey's first NPS question (the chart's bars); None without one."""
        for question in self.survey.questions if self.survey else ():
            if question.scale is SurveyScale.NPS and (tiers := question.by(BY_TIER)) is not None:
                return tiers.groups
        return None


async def campaign_report(connection: AsyncConnection, campaign_id: int, *, now: datetime,
                          rules: TierRules | None = None) -> Report:
    """The campaign's report as of `now`; tiers in the order of `rules` when given (lowest first), other groups by
    key. CampaignNotFound when there is no such campaign."""
    campaign = await _campaign(connection, campaign_id)
    delivery = await _delivery(connection, campaign_id)
    order = _Order(rules)
    titles = _titles(campaign.kind, campaign.template)
    survey = unsubscribes = None
    if campaign.kind is CampaignKind.SURVEY:
        survey = await _survey(connection, campaign_id, now, delivery.delivered, _questions(campaign.template),
                               order)
    else:
        unsubscribes = await _unsubscribes(connection, campaign_id, now, order)
    return Report(campaign_id=campaign.id, kind=campaign.kind, template=campaign.template, titles=titles,
                  audience=campaign.audience, status=campaign.status, created_at=campaign.created_at,
                  started_at=campaign.started_at, closed_at=campaign.closed_at, now=now, delivery=delivery,
                  survey=survey, unsubscribes=unsubscribes)


async def _campaign(connection: AsyncConnection, campaign_id: int) -> Any:
    campaign = (await connection.execute(select(Campaign).where(Campaign.id == campaign_id))).one_or_none()
    if campaign is None:
        latest = (await connection.execute(select(func.max(Campaign.id)))).scalar_one()
        raise CampaignNotFound(campaign_id, latest)
    return campaign


def _titles(kind: CampaignKind, template: str) -> Mapping[str, str] | None:
    try:
        return load_template(kind, template).titles
    except ContentError:
        return None


def _questions(template: str) -> dict[str, Question]:
    """The survey's questions in order; none when its file is gone or broken (the report then names the questions
    by their ids, in the order first answered)."""
    try:
        return {question.id: question for question in load_survey(template).questions}
    except ContentError:
        return {}


async def _delivery(connection: AsyncConnection, campaign_id: int) -> Delivery:
    went = reached_telegram().label("went")
    rows = await connection.execute(
        select(OutboxMessage.status, went, func.count()).select_from(CampaignRecipient)
        .outerjoin(OutboxMessage, OutboxMessage.id == CampaignRecipient.outbox_id)
        .where(CampaignRecipient.campaign_id == campaign_id).group_by(OutboxMessage.status, went))
    counts: Counter[OutboxStatus | None] = Counter()
    reached = 0
    for status, message_went, count in rows:
        counts[status] += count
        reached += count if message_went else 0
    return Delivery(
        recipients=sum(counts.values()), delivered=reached, not_sent=counts[OutboxStatus.SENT] - reached,
        unreachable=counts[OutboxStatus.UNREACHABLE], failed=counts[OutboxStatus.FAILED],
        unknown=counts[OutboxStatus.UNKNOWN],
        pending=counts[OutboxStatus.PENDING] + counts[OutboxStatus.SENDING] + counts[None])


def _segment_rank(segment: str | None) -> tuple[int, str]:
    keys = [str(s) for s in Segment]
    return (keys.index(segment), "") if segment in keys else (len(keys), segment or "\uffff")


class _Order:
    """The order groups are listed in: tiers as the rules rank them, segments as the method lists them, the others
    by key; a key not known (None) last."""

    def __init__(self, rules: TierRules | None) -> None:
        self.tiers = [tier.id for tier in rules.tiers] if rules else []

    def key(self, by: str) -> Any:
        if by == BY_TIER:
            return lambda key: ((self.tiers.index(key), "") if key in self.tiers
                                else (len(self.tiers), key or "\uffff"))
        if by in (BY_LOCALE, BY_ADVISER):
            return lambda key: (key is None, key or "")
        return _segment_rank

    def sorted(self, by: str, keys: Iterable[str | None]) -> list[str | None]:
        return sorted(keys, key=self.key(by))


def _segments(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _groupings(tier: str | None, locale: str | None, adviser: str | None, segments: Any) -> dict[str, str | None]:
    """The groups a recipient falls in, by what each breakdown groups by."""
    shown = _segments(segments)
    return {BY_TIER: tier, BY_LOCALE: locale, BY_ADVISER: adviser,
            **{str(dimension): shown.get(str(dimension)) for dimension in Dimension if str(dimension) in shown}}


def _score(scale: SurveyScale, ratings: Counter[int]) -> Score:
    low, high = scale.bounds
    return Score(scale, tuple(ratings[rating] for rating in range(low, high + 1)))


async def _answers(connection: AsyncConnection, campaign_id: int, now: datetime) -> Sequence[Any]:
    """The campaign's answers up to `now`, oldest first, each with its recipient's groups and their message's
    status."""
    rows: Sequence[Any] = (await connection.execute(
        select(SurveyAnswer.client_id, SurveyAnswer.question, SurveyAnswer.scale, SurveyAnswer.rating,
               SurveyAnswer.comment, SurveyAnswer.answered_at, OutboxMessage.status, CampaignRecipient.tier,
               CampaignRecipient.locale, CampaignRecipient.adviser_id, CampaignRecipient.segments)
        .select_from(CampaignRecipient)
        .join(SurveyAnswer, and_(SurveyAnswer.campaign_id == CampaignRecipient.campaign_id,
                                 SurveyAnswer.client_id == CampaignRecipient.client_id))
        .outerjoin(OutboxMessage, OutboxMessage.id == CampaignRecipient.outbox_id)
        .where(CampaignRecipient.campaign_id == campaign_id, SurveyAnswer.answered_at <= now)
        .order_by(SurveyAnswer.answered_at, SurveyAnswer.id)
    )).all()
    return rows


async def _survey(connection: AsyncConnection, campaign_id: int, now: datetime, delivered: int,
                  known: Mapping[str, Question], order: _Order) -> SurveyResults:
    rows = await _answers(connection, campaign_id, now)
    scales = {question.id: question.scale for question in known.values()}
    overall: dict[str, Counter[int]] = defaultdict(Counter)
    grouped: dict[tuple[str, str, str | None], Counter[int]] = defaultdict(Counter)
    unconfirmed: set[str] = set()
    for row in rows:
        scales.setdefault(row.question, SurveyScale(row.scale))  # a question the file no longer has: as answered
        overall[row.question][row.rating] += 1
        for by, key in _groupings(row.tier, row.locale, row.adviser_id, row.segments).items():
            grouped[(row.question, by, key)][row.rating] += 1
        if row.status is not OutboxStatus.SENT:
            unconfirmed.add(row.client_id)
    questions = []
    for question, scale in scales.items():
        breakdowns = []
        for by in (BY_TIER, BY_LOCALE, BY_ADVISER, *(str(d) for d in Dimension)):
            keys = {key for (q, b, key) in grouped if q == question and b == by}
            if keys:
                breakdowns.append(Breakdown(by, tuple(Group(key, _score(scale, grouped[(question, by, key)]))
                                                      for key in order.sorted(by, keys))))
        texts = known[question].texts if question in known else None
        questions.append(QuestionResult(question, scale, texts, _score(scale, overall[question]), tuple(breakdowns)))
    comments = [Comment(row.client_id, row.question, SurveyScale(row.scale), row.rating, row.comment,
                        row.answered_at) for row in reversed(rows) if row.comment]
    responded = len({row.client_id for row in rows})
    return SurveyResults(responded=responded, reached=delivered + len(unconfirmed), unconfirmed=len(unconfirmed),
                         questions=tuple(questions), comments=tuple(comments[:COMMENTS_SHOWN]),
                         comments_total=len(comments))


@dataclass(frozen=True, slots=True)
class _Unsubscribed:
    at: datetime
    tier: str | None
    locale: str | None


async def _unsubscribed(connection: AsyncConnection, campaign_id: int, now: datetime) -> dict[str, _Unsubscribed]:
    """The recipients who refused marketing within UNSUBSCRIBE_DAYS after their message was sent (and by `now`),
    with their first such refusal."""
    rows = await connection.execute(
        select(CampaignRecipient.client_id, CampaignRecipient.tier, CampaignRecipient.locale, OutboxMessage.sent_at,
               ConsentRecord.at)
        .join(OutboxMessage, OutboxMessage.id == CampaignRecipient.outbox_id)
        .join(ConsentRecord, and_(ConsentRecord.client_id == CampaignRecipient.client_id,
                                  ConsentRecord.purpose == ConsentPurpose.MARKETING,
                                  ConsentRecord.granted.is_(False), ConsentRecord.at >= OutboxMessage.sent_at,
                                  ConsentRecord.at <= now))
        .where(CampaignRecipient.campaign_id == campaign_id, reached_telegram())
        .order_by(ConsentRecord.at))
    unsubscribed: dict[str, _Unsubscribed] = {}
    for client_id, tier, locale, sent_at, at in rows:
        if sent_at is not None and at - sent_at < timedelta(days=UNSUBSCRIBE_DAYS):
            unsubscribed.setdefault(client_id, _Unsubscribed(at, tier, locale))
    return unsubscribed


async def _unsubscribes(connection: AsyncConnection, campaign_id: int, now: datetime, order: _Order
                        ) -> Unsubscribes:
    delivered = (await connection.execute(
        select(CampaignRecipient.tier, CampaignRecipient.locale, func.count())
        .join(OutboxMessage, OutboxMessage.id == CampaignRecipient.outbox_id)
        .where(CampaignRecipient.campaign_id == campaign_id, reached_telegram())
        .group_by(CampaignRecipient.tier, CampaignRecipient.locale))).all()
    refused = (await _unsubscribed(connection, campaign_id, now)).values()

    def groups(by: str) -> tuple[UnsubscribeGroup, ...]:
        sent: Counter[str | None] = Counter()
        for tier, locale, count in delivered:
            sent[tier if by == BY_TIER else locale] += count
        gone = Counter(who.tier if by == BY_TIER else who.locale for who in refused)
        return tuple(UnsubscribeGroup(key, sent[key], gone[key]) for key in order.sorted(by, set(sent) | set(gone)))

    overall = UnsubscribeGroup(None, sum(count for _tier, _locale, count in delivered), len(refused))
    return Unsubscribes(overall=overall, by_tier=groups(BY_TIER), by_locale=groups(BY_LOCALE))


def _cell(text: str | None) -> str:
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _moment(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).isoformat(timespec="seconds") if at is not None else ""


async def write_csv(connection: AsyncConnection, campaign_id: int, stream: TextIO, *, now: datetime, zone: str
                    ) -> int:
    """Write the campaign's CSV to `stream`, one row per recipient by client id: who they were at start (ids and
    codes, no names), where their message is, and a survey's ratings and comments or a strategy message's
    unsubscribe; moments in ISO 8601 in `zone`, as of `now`. Returns the rows written. CampaignNotFound when there
    is no such campaign."""
    campaign = await _campaign(connection, campaign_id)
    survey = campaign.kind is CampaignKind.SURVEY
    place = ZoneInfo(zone)
    known = _questions(campaign.template) if survey else {}
    questions = list(known)
    answers: dict[str, dict[str, Any]] = defaultdict(dict)
    for answer in await _answers(connection, campaign_id, now) if survey else ():
        answers[answer.client_id][answer.question] = answer
        if answer.question not in questions:
            questions.append(answer.question)
    # A comment column for each question that asks for one (or that the file no longer has, so may have).
    commented = {q for q in questions if q not in known or known[q].comment is not None}
    unsubscribed = {} if survey else await _unsubscribed(connection, campaign_id, now)
    writer = csv.writer(stream)
    writer.writerow([*CSV_FIXED_COLUMNS, *(column for q in questions for column in (
        (f"{q}_rating", f"{q}_comment") if q in commented else (f"{q}_rating",))),
        "answered_at" if survey else "unsubscribed_at"])
    written = 0
    recipients = await connection.stream(
        select(CampaignRecipient.client_id, CampaignRecipient.tier, CampaignRecipient.locale,
               CampaignRecipient.adviser_id, CampaignRecipient.segments, OutboxMessage.status, OutboxMessage.sent_at)
        .outerjoin(OutboxMessage, OutboxMessage.id == CampaignRecipient.outbox_id)
        .where(CampaignRecipient.campaign_id == campaign_id).order_by(CampaignRecipient.client_id))
    async for client_id, tier, locale, adviser_id, segments, status, sent_at in recipients:
        shown = _segments(segments)
        row = [client_id, tier or "", locale or "", adviser_id or "", *(shown.get(str(d), "") for d in Dimension),
               str(status or OutboxStatus.PENDING), _moment(sent_at, place)]
        given = answers.get(client_id, {})
        for question in questions:
            found = given.get(question)
            row.append("" if found is None else str(found.rating))
            if question in commented:
                row.append("" if found is None else _cell(found.comment))
        if survey:
            row.append(_moment(max((a.answered_at for a in given.values()), default=None), place))
        else:
            row.append(_moment(unsubscribed[client_id].at if client_id in unsubscribed else None, place))
        writer.writerow(row)
        written += 1
    return written
