"""Survey answers taken in the chat: a rating pressed under a question, the optional "why?" after it, and the
closed loop: a low rating (an NPS detractor, 0-6, or a CSAT of 1-2) alerts the client's adviser, with the "why?"
when the question asks one.

Every press is checked again here, for callback data can be forged: the presser is the campaign's recipient (the
client it went to, on the Telegram account it went to), the campaign a survey that still takes answers (not closed,
within `answer_days` of when it may first be sent: `service.survey_open`), the question one of the survey's and the
rating on its scale. A question is answered once: the answer's row is unique (campaign, client, question) and
written with ON CONFLICT DO NOTHING, so that a second press, even one handled at the same moment by another process,
records nothing and is told so.

The feedback alert is an `Alert` of kind feedback, written in the answer's unit of work, and queued through the
outbox (kind `FEEDBACK_KIND`) to every Telegram account of the adviser's that a push reaches, due now or when
quiet hours end on the adviser's clock. A question that asks "why?" holds its alert for the comment up to
`feedback_wait_minutes`, and the comment or its skip releases it at once: the adviser reads the rating and the
client's words in one message (the renderer reads the comment at send time). One alert per client and campaign:
the answer's recipient row is locked first (FOR UPDATE on PostgreSQL; SQLite writes one transaction at a time), so
that of two low ratings pressed at the same moment the second sees the first once it has the lock (PostgreSQL's
READ COMMITTED, the engine's isolation: each statement reads what is committed when it starts). Imports nothing of
aiogram.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import AllowedClient, Reader, Refusal, grant_access
from bot.alerts import DigestSchedule, reachable_advisers
from bot.campaigns import CAMPAIGN_IDS, FEEDBACK_KIND
from bot.campaigns.content import ContentError, Question, Survey, load_survey
from bot.campaigns.service import survey_open
from bot.config import Settings, firm_day
from bot.db.models import (
    Adviser,
    Alert,
    AlertKind,
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    Client,
    OutboxMessage,
    OutboxStatus,
    Role,
    SurveyAnswer,
    SurveyScale,
    TelegramAccount,
)
from bot.delivery import Outgoing, enqueue

__all__ = ["COMMENT_MAX_CHARS", "LOW_RATINGS", "AnswerRefusal", "Feedback", "SurveyStep", "feedback_dedupe_key",
           "is_low", "load_feedback", "record_comment", "record_rating", "skip_comment"]

# A comment is kept up to this many characters (a Telegram message holds 4,096).
COMMENT_MAX_CHARS: Final = 1000
# The ratings that call the adviser, by scale: at most this. CES has none (its low end is effort, not anger).
LOW_RATINGS: Final = {SurveyScale.NPS: 6, SurveyScale.CSAT: 2}


class AnswerRefusal(enum.StrEnum):
    """Why a press or a comment records nothing."""

    FORGED = "forged"  # not a survey sent to this client on this account, no such question, a rating off its scale
    CLOSED = "closed"  # the survey takes no more answers: closed, or past its answer window
    ANSWERED = "answered"  # that question has its answer already (or its comment, or it was skipped)


@dataclass(frozen=True, slots=True)
class SurveyStep:
    """Where a client's survey stands after an answer: the question just answered and its rating (None after a
    comment or a skip), whether its "why?" is asked now, and the next question to ask (None: all are answered)."""

    campaign_id: int
    survey: Survey
    answered: int | None  # the index of the question just rated
    rating: int | None
    ask_comment: bool
    next_question: int | None

    @property
    def question(self) -> Question | None:
        return None if self.answered is None else self.survey.question(self.answered)


def is_low(scale: SurveyScale, rating: int) -> bool:
    """A rating the adviser hears about at once: an NPS detractor (0-6), a CSAT of 1 or 2."""
    line = LOW_RATINGS.get(scale)
    return line is not None and rating <= line


def feedback_dedupe_key(campaign_id: int, client_id: str) -> str:
    """The outbox key of a client's feedback alert in a campaign: one alert per client and campaign."""
    return f"feedback:{campaign_id}:{client_id}"


@dataclass(frozen=True, slots=True)
class _Open:
    campaign: Campaign
    survey: Survey


async def _open_survey(session: AsyncSession, allowed: AllowedClient, campaign_id: int, *, settings: Settings,
                       now: datetime) -> _Open | AnswerRefusal:
    """The survey of `campaign_id` when it went to the allowed client on the account they press from, and still
    takes answers."""
    if campaign_id not in CAMPAIGN_IDS:
        return AnswerRefusal.FORGED
    row = (await session.execute(
        select(Campaign)
        .join(CampaignRecipient, CampaignRecipient.campaign_id == Campaign.id)
        .where(Campaign.id == campaign_id, Campaign.kind == CampaignKind.SURVEY,
               CampaignRecipient.client_id == allowed.client_id,
               CampaignRecipient.telegram_user_id == allowed.reader.user_id))).scalar_one_or_none()
    if row is None:
        return AnswerRefusal.FORGED
    if row.status is CampaignStatus.CLOSED or not survey_open(row.started_at, row.not_before, row.closed_at,
                                                              settings, now):
        return AnswerRefusal.CLOSED
    return _Open(row, load_survey(row.template))


async def _answered(session: AsyncSession, campaign_id: int, client_id: str) -> set[str]:
    return set((await session.execute(select(SurveyAnswer.question).where(
        SurveyAnswer.campaign_id == campaign_id, SurveyAnswer.client_id == client_id))).scalars())


async def _step(session: AsyncSession, opened: _Open, client_id: str, *, answered: int | None = None,
                rating: int | None = None, ask_comment: bool = False) -> SurveyStep:
    done = await _answered(session, opened.campaign.id, client_id)
    upcoming = next((index for index, question in enumerate(opened.survey.questions) if question.id not in done),
                    None)
    return SurveyStep(opened.campaign.id, opened.survey, answered, rating, ask_comment, upcoming)


async def _insert_answer(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Write the answer unless the question has one; whether it was written. The first write of the unit of work,
    through the session, which then commits it."""
    connection = await session.connection()
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (dialect_insert(SurveyAnswer).values(**values)
                 .on_conflict_do_nothing(index_elements=["campaign_id", "client_id", "question"])
                 .returning(SurveyAnswer.id))
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def record_rating(session: AsyncSession, allowed: AllowedClient, campaign_id: int, index: int, rating: int, *,
                        settings: Settings, now: datetime) -> SurveyStep | AnswerRefusal:
    """Record the allowed client's `rating` of question `index` of campaign `campaign_id`, once, and alert their
    adviser if it is low; in the caller's unit of work."""
    opened = await _open_survey(session, allowed, campaign_id, settings=settings, now=now)
    if isinstance(opened, AnswerRefusal):
        return opened
    question = opened.survey.question(index)
    if question is None:
        return AnswerRefusal.FORGED
    low, high = question.bounds
    if not low <= rating <= high:
        return AnswerRefusal.FORGED
    written = await _insert_answer(session, {
        "campaign_id": campaign_id, "client_id": allowed.client_id, "question": question.id,
        "scale": question.scale, "rating": rating, "answered_at": now})
    if not written:
        return AnswerRefusal.ANSWERED
    if is_low(question.scale, rating):
        await _raise_feedback(session, opened.campaign, question, rating, allowed.client_id, settings=settings,
                              now=now)
    return await _step(session, opened, allowed.client_id, answered=index, rating=rating,
                       ask_comment=question.comment is not None)


async def _asking_why(session: AsyncSession, allowed: AllowedClient, campaign_id: int, index: int, *,
                      settings: Settings, now: datetime) -> tuple[_Open, Question] | AnswerRefusal:
    """The open survey and its question `index`, which asks "why?"; FORGED when there is no such question, or it
    asks none."""
    opened = await _open_survey(session, allowed, campaign_id, settings=settings, now=now)
    if isinstance(opened, AnswerRefusal):
        return opened
    question = opened.survey.question(index)
    if question is None or question.comment is None:
        return AnswerRefusal.FORGED
    return opened, question


async def record_comment(session: AsyncSession, allowed: AllowedClient, campaign_id: int, index: int, text: str, *,
                         settings: Settings, now: datetime) -> SurveyStep | AnswerRefusal:
    """Keep `text` (up to COMMENT_MAX_CHARS) as the "why?" of the allowed client's answer to question `index`;
    ANSWERED when that answer has a comment already, or has no rating."""
    asking = await _asking_why(session, allowed, campaign_id, index, settings=settings, now=now)
    if isinstance(asking, AnswerRefusal):
        return asking
    opened, question = asking
    kept = (await session.execute(
        update(SurveyAnswer)
        .where(SurveyAnswer.campaign_id == campaign_id, SurveyAnswer.client_id == allowed.client_id,
               SurveyAnswer.question == question.id, SurveyAnswer.comment.is_(None))
        .values(comment=text.strip()[:COMMENT_MAX_CHARS])
        .returning(SurveyAnswer.rating))).scalar_one_or_none()
    if kept is None:
        return AnswerRefusal.ANSWERED
    if is_low(question.scale, kept):
        await _release_feedback(session, campaign_id, allowed.client_id, settings=settings, now=now)
    return await _step(session, opened, allowed.client_id)


async def skip_comment(session: AsyncSession, allowed: AllowedClient, campaign_id: int, index: int, *,
                       settings: Settings, now: datetime) -> SurveyStep | AnswerRefusal:
    """The allowed client skips the "why?" of question `index`: nothing is written; the next step. FORGED when the
    question asks none or has no rating yet (a skip comes after a rating)."""
    asking = await _asking_why(session, allowed, campaign_id, index, settings=settings, now=now)
    if isinstance(asking, AnswerRefusal):
        return asking
    opened, question = asking
    rating = await session.scalar(select(SurveyAnswer.rating).where(
        SurveyAnswer.campaign_id == campaign_id, SurveyAnswer.client_id == allowed.client_id,
        SurveyAnswer.question == question.id))
    if rating is None:
        return AnswerRefusal.FORGED
    if is_low(question.scale, rating):
        await _release_feedback(session, campaign_id, allowed.client_id, settings=settings, now=now)
    return await _step(session, opened, allowed.client_id)


# --- the feedback alert --------------------------------------------------------------------------------


def _low_answer() -> Any:
    return or_(*(and_(SurveyAnswer.scale == scale, SurveyAnswer.rating <= line) for scale, line in LOW_RATINGS.items()))


async def _raise_feedback(session: AsyncSession, campaign: Campaign, question: Question, rating: int,
                          client_id: str, *, settings: Settings, now: datetime) -> int | None:
    """Alert the client's adviser, while with the firm, of a low rating, and queue it to each of their accounts a
    push reaches; the alert's id (None: no adviser to tell, or this client's alert in this campaign is raised
    already, by an earlier low rating)."""
    adviser = (await session.execute(
        select(Adviser.adviser_id, Adviser.timezone)
        .join(Client, Client.adviser_id == Adviser.adviser_id)
        .where(Client.client_id == client_id, Adviser.with_the_firm_on(firm_day(now))))).one_or_none()
    if adviser is None:
        return None
    # Waits for a concurrent low rating of the same client's, in another question, to commit: then sees it below.
    await session.execute(select(CampaignRecipient.client_id).where(
        CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.client_id == client_id).with_for_update())
    earlier = await session.scalar(select(SurveyAnswer.id).where(
        SurveyAnswer.campaign_id == campaign.id, SurveyAnswer.client_id == client_id,
        SurveyAnswer.question != question.id, _low_answer()).limit(1))
    if earlier is not None:
        return None
    alert_id = (await session.execute(insert(Alert).values(
        adviser_id=adviser.adviser_id, client_id=client_id, kind=AlertKind.FEEDBACK, created_at=now,
        details={"campaign_id": campaign.id, "question": question.id, "scale": str(question.scale),
                 "rating": rating}).returning(Alert.id))).scalar_one()
    accounts = list((await session.execute(
        reachable_advisers().where(TelegramAccount.adviser_id == adviser.adviser_id)
        .order_by(TelegramAccount.bound_at.desc(), TelegramAccount.telegram_user_id.desc()))).scalars())
    if not accounts:
        return alert_id  # kept for the record; no digest carries it
    key = feedback_dedupe_key(campaign.id, client_id)
    not_before = DigestSchedule.from_settings(settings).not_before(now, adviser.timezone)
    if question.comment is not None:  # waits for the "why?": `_release_feedback` sends it once given or skipped
        not_before = max(not_before, now + timedelta(minutes=settings.campaign.feedback_wait_minutes))
    # The account bound last carries the alert (its row is the alert's `outbox_id`, sent marks the alert sent); the
    # others get a copy each.
    messages = [Outgoing(FEEDBACK_KIND, user_id, key if number == 0 else f"{key}:{user_id}", not_before,
                         payload={"alert_id": alert_id})
                for number, user_id in enumerate(accounts)]
    queued = await enqueue(await session.connection(), messages, now=now)
    if (outbox_id := queued.get(key)) is not None:
        await session.execute(update(Alert).where(Alert.id == alert_id).values(outbox_id=outbox_id))
    return alert_id


async def _release_feedback(session: AsyncSession, campaign_id: int, client_id: str, *, settings: Settings,
                            now: datetime) -> None:
    """The client's "why?" is given or skipped: their feedback alert in the campaign, if one waits for it, goes now
    (or when quiet hours end on the adviser's clock)."""
    zone = await session.scalar(select(Adviser.timezone).join(Client, Client.adviser_id == Adviser.adviser_id)
                                .where(Client.client_id == client_id))
    due = DigestSchedule.from_settings(settings).not_before(now, zone)
    key = feedback_dedupe_key(campaign_id, client_id)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == FEEDBACK_KIND, OutboxMessage.status == OutboxStatus.PENDING,
               or_(OutboxMessage.dedupe_key == key, OutboxMessage.dedupe_key.startswith(f"{key}:", autoescape=True)),
               OutboxMessage.attempts == 0,
               OutboxMessage.next_attempt_at > due)
        .values(next_attempt_at=due))


@dataclass(frozen=True, slots=True)
class Feedback:
    """A feedback alert as its adviser reads it: the client, the survey and question (None when the survey's file
    can no longer be read: its id and the question's id then), the rating, and the comment given by now."""

    client_id: str
    name: str
    template: str
    survey: Survey | None
    question_id: str
    question: Question | None
    scale: SurveyScale
    rating: int
    comment: str | None


async def load_feedback(session: AsyncSession, reader: Reader, alert_id: int) -> Feedback | None:
    """Feedback alert `alert_id` as `reader` may read it now: an adviser with the firm, the alert theirs and the
    client still theirs (the view is audited as any view of a client is); None otherwise."""
    if reader.role is not Role.ADVISER or reader.departed or not 0 < alert_id < 1 << 63:
        return None
    alert = await session.get(Alert, alert_id)
    if alert is None or alert.kind is not AlertKind.FEEDBACK or alert.adviser_id != reader.adviser_id:
        return None
    client = await session.get(Client, alert.client_id)
    # Asked first, so that a client reassigned since is no refused look-up in the audit log: nobody looked.
    if client is None or client.adviser_id != reader.adviser_id:
        return None
    allowed = await grant_access(session, reader, client.client_id, view="feedback")
    if isinstance(allowed, Refusal):
        return None
    details = alert.details or {}
    campaign_id, question_id, rating = details.get("campaign_id"), details.get("question"), details.get("rating")
    if not isinstance(campaign_id, int) or not isinstance(question_id, str) or not isinstance(rating, int):
        return None
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or details.get("scale") not in set(SurveyScale):
        return None
    try:
        survey: Survey | None = load_survey(campaign.template)
    except ContentError:
        survey = None
    question = next((q for q in survey.questions if q.id == question_id), None) if survey is not None else None
    comment = await session.scalar(select(SurveyAnswer.comment).where(
        SurveyAnswer.campaign_id == campaign.id, SurveyAnswer.client_id == allowed.client_id,
        SurveyAnswer.question == question_id))
    return Feedback(allowed.client_id, client.name, campaign.template, survey, question_id, question,
                    SurveyScale(details["scale"]), rating, comment)
