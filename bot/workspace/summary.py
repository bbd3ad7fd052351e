"""A client's summary for their adviser: the tier and its history, the five dimensions and why, assets, flows and
holdings, suitability, the last contacts and survey answers, and what the adviser should do next.

Read from what the latest scoring run stored (the tier state, the snapshots) and from the client's standing as of
that run (`bot.standing.client_details`: the same facts and engine as the batch), so the figures agree with the
card and the recommendations. Next actions are the engine's recommendations, suitability included: a product
above the client's risk level is never among them, and without a valid risk assessment (as of today) there are no
products at all, only the renewal.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.accounts import AllowedClient, Reader, Refusal, grant_access
from bot.campaigns.content import ContentError, load_survey
from bot.config import firm_today
from bot.db.models import Balance, Campaign, Interaction, Product, ScoringRun, TierSnapshot
from bot.db.models import SurveyAnswer as SurveyAnswerRow
from bot.scoring.calendar import month_number, month_start
from bot.standing import ClientStanding, ShelfEntry, TierCard, client_details, tier_card
from bot.workspace.book import ASSESSMENT_WARNING_DAYS, assessment_expiry
from tiering import Assessment, Dimension, Recommendation, Rejection, Segment, TierRules, risk_assessment_status

__all__ = [
    "HISTORY_CHANGES",
    "RECENT_CONTACTS",
    "ClientSummary",
    "Contact",
    "HeldAbove",
    "Holding",
    "SurveyAnswer",
    "TierChange",
    "client_summary",
    "open_summary",
]

HISTORY_CHANGES: Final = 5  # the latest tier changes shown
RECENT_CONTACTS: Final = 5
TREND_MONTHS: Final = 12
SHORT_FLOW_MONTHS: Final = 3
SUMMARY_VIEW: Final = "summary"  # the audit entry's "view": /audit tells a summary from a card by it


@dataclass(frozen=True, slots=True)
class TierChange:
    """A line of the tier history, from the snapshot the run wrote and the explanation it kept."""

    on: date  # the scoring run's day
    tier: str
    previous_tier: str | None
    direction: str  # "first", "up", "down", or "moved" (a tier the rules no longer rank)
    avg_aum: Decimal
    line: Decimal | None  # the line of the tier reached (its aum_from then)
    rules_version: str


@dataclass(frozen=True, slots=True)
class HeldAbove:
    """A product the client holds whose risk is above their level (possible after the level was lowered)."""

    product_id: str
    name_en: str
    name_zh: str
    name_zh_hant: str | None
    risk_level: int
    amount: Decimal
    currency: str | None  # None: the base currency


@dataclass(frozen=True, slots=True)
class Holding:
    category: str
    amount: Decimal  # the latest month's average balance
    share: float  # of the client's holdings


@dataclass(frozen=True, slots=True)
class Contact:
    at: datetime  # shown as a day on the reader's clock
    channel: str
    kind: str | None


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """One answer of the client's latest survey: the survey's title and the question per locale (from its file
    under templates/surveys/), the rating on its scale, and the comment the client gave, if any."""

    survey_titles: Mapping[str, str]
    question_texts: Mapping[str, str]
    answered_at: datetime  # shown as a day on the reader's clock
    rating: int
    scale_max: int
    comment: str | None


@dataclass(frozen=True, slots=True)
class ClientSummary:
    card: TierCard  # name, id, tier, figures as the latest run stored them
    tier_since: date | None
    history: tuple[TierChange, ...]  # newest first
    assessment: Assessment  # as of the latest run: the dimensions' reasons
    p_alive: float | None
    # "high" when the loyalty segment is potential churn (the book's filter, the alerts and /stats say so too), else
    # "low"; None when neither the segment nor a churn model says anything.
    churn_risk: str | None
    aum_now: Decimal  # the latest month's average
    aum_change: float | None  # the trend's last month against its first, as a ratio; None from zero
    holdings: tuple[Holding, ...]  # largest first
    net_flow_short: Decimal  # over short_flow_months
    net_flow_year: Decimal  # over flow_months
    short_flow_months: int  # SHORT_FLOW_MONTHS, fewer for a client with the firm for less
    flow_months: int  # the months with the firm within TREND_MONTHS
    risk_level: int | None  # C1..C5 as 1..5
    risk_assessed_on: date | None
    risk_expires_on: date | None
    risk_status: str | None  # "missing", "expired", "expiring" (within ASSESSMENT_WARNING_DAYS), None when valid
    held_above: tuple[HeldAbove, ...]
    contacts: tuple[Contact, ...]  # newest first
    survey: tuple[SurveyAnswer, ...]  # the latest survey answered, in question order
    actions: tuple[Recommendation, ...]  # next actions for the adviser, most urgent first
    products: Mapping[str, ShelfEntry]  # the products the actions name
    # For the chart: the five scores in display order, the monthly total assets of the last 12 month-ends
    # (oldest first, from the client's first month on), and a key that changes whenever those figures change.
    dimension_scores: tuple[tuple[Dimension, float], ...]
    aum_trend: tuple[tuple[date, Decimal], ...]
    chart_key: tuple[str, str]


async def open_summary(session: AsyncSession, reader: Reader, rules: TierRules, client_id: str
                       ) -> ClientSummary | Refusal:
    """The summary of `client_id` if the reader, staff, may see it (the view audited as a summary) and it is
    scored; a client reads their card, not the firm's notes on them."""
    if not reader.staff:
        return Refusal.NOT_ALLOWED
    allowed = await grant_access(session, reader, client_id, view=SUMMARY_VIEW)
    if isinstance(allowed, Refusal):
        return allowed
    return await client_summary(session, allowed, rules)


async def client_summary(session: AsyncSession, allowed: AllowedClient, rules: TierRules
                         ) -> ClientSummary | Refusal:
    """The allowed client's summary; NOT_SCORED before a scoring run has placed them, NOT_ASSESSED when their data
    cannot be assessed now."""
    card = await tier_card(session, allowed, rules)
    standing = None if card is None else await client_details(session, allowed, rules)
    if card is None or standing is None:
        return Refusal.NOT_SCORED
    assessment = standing.assessment
    if isinstance(assessment, Rejection):
        return Refusal.NOT_ASSESSED
    client_id = allowed.client_id
    facts = standing.facts
    today = firm_today()
    risk_status = _risk_status(facts.risk_level, facts.risk_assessed_on, today, rules)
    connection = await session.connection()  # the reads below are Core statements: no ORM work on their rows
    run_id, history, latest_snapshot = await _history(connection, client_id, rules)
    trend = _trend(facts.as_of, facts.onboarded_on, facts.monthly_aum)
    # The months the client was with the firm, as the trend counts them: none before they onboarded.
    flows = facts.monthly_net_flow[-TREND_MONTHS:][-len(trend):] if trend else ()
    return ClientSummary(
        card=card,
        tier_since=next((change.on for change in history if change.tier == card.tier), None),
        history=history,
        assessment=assessment,
        p_alive=facts.p_alive,
        churn_risk=_churn_risk(assessment, facts.p_alive),
        aum_now=facts.monthly_aum[-1],
        aum_change=_change(trend),
        holdings=_holdings(facts.category_aum),
        net_flow_short=sum(flows[-SHORT_FLOW_MONTHS:], Decimal(0)),
        net_flow_year=sum(flows, Decimal(0)),
        short_flow_months=min(SHORT_FLOW_MONTHS, len(flows)),
        flow_months=len(flows),
        risk_level=facts.risk_level,
        risk_assessed_on=facts.risk_assessed_on,
        risk_expires_on=None if facts.risk_assessed_on is None else assessment_expiry(
            facts.risk_assessed_on, rules.suitability.assessment_valid_months),
        risk_status=risk_status,
        held_above=await _held_above(connection, client_id, facts.risk_level, facts.as_of),
        contacts=await _contacts(connection, client_id),
        survey=await _survey(connection, client_id),
        actions=_actions(standing, risk_status),
        products=standing.products,
        dimension_scores=tuple((dimension, score) for dimension, _segment, score in card.dimensions),
        aum_trend=trend,
        chart_key=(client_id, f"{card.as_of.isoformat()}:{latest_snapshot}:{run_id}"),
    )


def _risk_status(level: int | None, assessed_on: date | None, today: date, rules: TierRules) -> str | None:
    """The assessment as of today, the rule recommendations follow; "expiring" when it lapses within the warning."""
    months = rules.suitability.assessment_valid_months
    status = risk_assessment_status(level, assessed_on, today, months)
    if status is None and risk_assessment_status(
            level, assessed_on, today + timedelta(days=ASSESSMENT_WARNING_DAYS), months) is not None:
        return "expiring"
    return status


def _churn_risk(assessment: Assessment, p_alive: float | None) -> str | None:
    """The churn-risk band by the engine's loyalty segment: any of its warning signs (P(alive) below the line, net
    outflows, a low survey score) makes it high."""
    if assessment.dimensions[Dimension.LOYALTY].segment == Segment.POTENTIAL_CHURN:
        return "high"
    return None if p_alive is None else "low"


def _actions(standing: ClientStanding, risk_status: str | None) -> tuple[Recommendation, ...]:
    """The engine's recommendations as the adviser's next actions (`client_details` has withdrawn the products of an
    assessment lapsed since the run); one about to lapse puts its renewal first."""
    if risk_status == "expiring":
        return (Recommendation("take_risk_assessment", {"status": risk_status}), *standing.recommendations)
    return standing.recommendations


def _holdings(category_aum: Mapping[str, Decimal]) -> tuple[Holding, ...]:
    total = sum(category_aum.values(), Decimal(0))
    ranked = sorted(category_aum.items(), key=lambda item: (-item[1], item[0]))
    return tuple(Holding(category, amount, float(amount / total) if total else 0.0) for category, amount in ranked)


def _month_end(month: int) -> date:
    start = month_start(month)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _trend(as_of: date, onboarded_on: date, monthly_aum: Sequence[Decimal]) -> tuple[tuple[date, Decimal], ...]:
    last = month_number(as_of)
    first_held = month_number(onboarded_on)
    months = monthly_aum[-TREND_MONTHS:]
    start = last - len(months) + 1
    return tuple((_month_end(start + index), amount) for index, amount in enumerate(months)
                 if start + index >= first_held)


def _change(trend: Sequence[tuple[date, Decimal]]) -> float | None:
    if len(trend) < 2 or trend[0][1] <= 0:
        return None
    return float(trend[-1][1] / trend[0][1] - 1)


def _history_statement() -> Select[*tuple[Any, ...]]:
    run_id = select(func.max(ScoringRun.id)).where(ScoringRun.finished_at.is_not(None)).scalar_subquery()
    latest = select(func.max(TierSnapshot.id)).where(TierSnapshot.client_id == bindparam("client_id")).scalar_subquery()
    return (
        select(TierSnapshot.tier, TierSnapshot.previous_tier, TierSnapshot.rules_version, TierSnapshot.explanation,
               TierSnapshot.monthly_avg_aum, TierSnapshot.computed_at, ScoringRun.as_of,
               run_id.label("run_id"), latest.label("latest"))
        .outerjoin(ScoringRun, ScoringRun.id == TierSnapshot.scoring_run_id)
        .where(TierSnapshot.client_id == bindparam("client_id"),
               or_(TierSnapshot.previous_tier.is_(None), TierSnapshot.previous_tier != TierSnapshot.tier))
        .order_by(TierSnapshot.id.desc()).limit(HISTORY_CHANGES)
    )


def _held_above_statement() -> Select[*tuple[Any, ...]]:
    latest = (select(func.max(Balance.as_of))
              .where(Balance.client_id == bindparam("client_id"), Balance.as_of <= bindparam("as_of"))
              .scalar_subquery())
    return (
        select(Product.product_id, Product.name_en, Product.name_zh, Product.name_zh_hant, Product.risk_level,
               Balance.amount, Balance.currency)
        .join(Product, Product.product_id == Balance.product_id)
        .where(Balance.client_id == bindparam("client_id"), Balance.as_of == latest, Balance.amount > 0,
               Product.risk_level > bindparam("level"))
        .order_by(Product.risk_level.desc(), Balance.amount.desc(), Product.product_id)
    )


def _survey_statement() -> Select[*tuple[Any, ...]]:
    latest = (
        select(SurveyAnswerRow.campaign_id)
        .where(SurveyAnswerRow.client_id == bindparam("client_id"))
        .order_by(SurveyAnswerRow.answered_at.desc(), SurveyAnswerRow.id.desc()).limit(1).scalar_subquery()
    )
    return (
        select(Campaign.template, SurveyAnswerRow.question, SurveyAnswerRow.rating, SurveyAnswerRow.comment,
               SurveyAnswerRow.answered_at)
        .join(Campaign, Campaign.id == SurveyAnswerRow.campaign_id)
        .where(SurveyAnswerRow.campaign_id == latest, SurveyAnswerRow.client_id == bindparam("client_id"))
    )


# Built once, as the card's read is: a summary is read on every view, and building these again each time would
# cost more than running them.
_HISTORY: Final = _history_statement()
_HELD_ABOVE: Final = _held_above_statement()
_CONTACTS: Final = (
    select(Interaction.at, Interaction.channel, Interaction.kind)
    .where(Interaction.client_id == bindparam("client_id")).order_by(Interaction.at.desc()).limit(RECENT_CONTACTS)
)
_SURVEY: Final = _survey_statement()


async def _history(connection: AsyncConnection, client_id: str, rules: TierRules
                   ) -> tuple[int | None, tuple[TierChange, ...], int | None]:
    """The latest finished run's id, the latest tier changes, and the id of the client's latest snapshot: one
    query, the two ids riding on each row (a scored client has a first snapshot at least)."""
    rows = (await connection.execute(_HISTORY, {"client_id": client_id})).all()
    if not rows:
        return None, (), None
    return rows[0].run_id, tuple(_tier_change(row, rules) for row in rows), rows[0].latest


def _tier_change(row: Any, rules: TierRules) -> TierChange:
    explanation: Mapping[str, Any] = row.explanation or {}
    line = next((Decimal(str(condition["threshold"])) for condition in explanation.get("conditions", ())
                 if condition.get("fact") == "avg_aum" and condition.get("threshold") is not None), None)
    previous, tier = row.previous_tier, row.tier
    before, after = (None if previous is None else rules.rank(previous)), rules.rank(tier)
    if previous is None:
        direction = "first"
    elif before is None or after is None:
        direction = "moved"
    else:
        direction = "up" if after > before else "down"
    return TierChange(
        on=row.as_of or row.computed_at.date(),
        tier=tier,
        previous_tier=previous,
        direction=direction,
        avg_aum=row.monthly_avg_aum,
        line=line,
        rules_version=row.rules_version,
    )


async def _held_above(connection: AsyncConnection, client_id: str, level: int | None, as_of: date
                      ) -> tuple[HeldAbove, ...]:
    """What the client held at their latest statement (up to the run's day) rated above their risk level."""
    if level is None:
        return ()
    rows = await connection.execute(_HELD_ABOVE, {"client_id": client_id, "as_of": as_of, "level": level})
    return tuple(HeldAbove(*row) for row in rows)


async def _contacts(connection: AsyncConnection, client_id: str) -> tuple[Contact, ...]:
    rows = await connection.execute(_CONTACTS, {"client_id": client_id})
    return tuple(Contact(at, channel, kind or None) for at, channel, kind in rows)


async def _survey(connection: AsyncConnection, client_id: str) -> tuple[SurveyAnswer, ...]:
    """The answers of the survey the client answered last, in the survey's order; none when its file is gone."""
    rows = (await connection.execute(_SURVEY, {"client_id": client_id})).all()
    if not rows:
        return ()
    try:
        survey = load_survey(rows[0].template)
    except ContentError:
        return ()
    answers = {row.question: row for row in rows}
    return tuple(
        SurveyAnswer(survey.titles, question.texts, answers[question.id].answered_at,
                     answers[question.id].rating, question.bounds[1], answers[question.id].comment)
        for question in survey.questions if question.id in answers)
