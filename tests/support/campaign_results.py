"""A started campaign as its results see it, written straight into a database: advisers and clients bound in Telegram,
the campaign, its recipients as they were at start, their outbox rows in the status a sender left them, the answers
pressed and the refusals of marketing.

    async with engine.begin() as connection:
        await add_firm(connection, ["C01", "C02"], advisers=["A1"])
        campaign_id = await add_campaign(connection, CampaignKind.SURVEY, "relationship_nps",
                                         [Recipient("C01", "mid", "en", "A1"), Recipient("C02", status=None)])
        await add_answers(connection, campaign_id, [Answer("C01", "recommend", SurveyScale.NPS, 9, at=moment)])
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.campaigns import STRATEGY_KIND, SURVEY_KIND
from bot.campaigns.consent import record_consent
from bot.db.models import (
    Adviser,
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
from support.paths import TEST_DATA

__all__ = ["STARTED", "TEST_SURVEYS", "Answer", "Recipient", "account_of", "add_answers", "add_campaign", "add_firm",
           "refuse_marketing"]

STARTED = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
# Survey files of the tests' own, for `bot.campaigns.content.SURVEYS_DIR`: "check" asks NPS (and why), CSAT and CES.
TEST_SURVEYS = TEST_DATA / "surveys"


def account_of(client_id: str) -> int:
    """The Telegram account a client of these firms is bound to: from the digits of their id."""
    return 7_000_000 + int(re.sub(r"\D", "", client_id))


@dataclass(frozen=True)
class Recipient:
    """A recipient as the campaign's start recorded them, and where their message is: `status` None means no
    outbox row yet; `sent_at` defaults to a minute after the start for a message sent."""

    client_id: str
    tier: str | None = "ordinary"
    locale: str | None = "en"
    adviser_id: str | None = "A1"
    segments: Mapping[str, str] | None = None
    status: OutboxStatus | None = OutboxStatus.SENT
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Answer:
    client_id: str
    question: str
    scale: SurveyScale
    rating: int
    at: datetime
    comment: str | None = None


async def add_firm(connection: AsyncConnection, client_ids: Sequence[str], *, advisers: Sequence[str] = ("A1", "A2"),
                   locale: str = "en") -> None:
    """Advisers and clients (named only after their ids), each client bound to `account_of` their id."""
    await connection.execute(insert(Adviser), [{"adviser_id": a, "name": f"Adviser {a}", "locale": "en"}
                                                for a in advisers])
    await connection.execute(insert(Client), [
        {"client_id": c, "name": f"Client {c}", "adviser_id": advisers[0], "onboarded_on": date(2020, 1, 1),
         "locale": locale} for c in client_ids])
    await connection.execute(insert(TelegramAccount), [
        {"telegram_user_id": account_of(c), "chat_id": account_of(c), "role": Role.CLIENT, "client_id": c,
         "locale": locale, "bound_at": STARTED - timedelta(days=30)} for c in client_ids])


async def add_campaign(connection: AsyncConnection, kind: CampaignKind, template: str,
                       recipients: Sequence[Recipient], *, started: datetime = STARTED,
                       status: CampaignStatus = CampaignStatus.RUNNING, audience: str = "tier=mid") -> int:
    """A started campaign with its recipients and their outbox rows; returns its id."""
    campaign_id: int = (await connection.execute(insert(Campaign).values(
        kind=kind, template=template, audience=audience, status=status, created_by="tests",
        created_at=started - timedelta(hours=1), started_at=started,
        closed_at=started + timedelta(days=30) if status is CampaignStatus.CLOSED else None,
    ).returning(Campaign.id))).scalar_one()
    outbox_kind = SURVEY_KIND if kind is CampaignKind.SURVEY else STRATEGY_KIND
    for recipient in recipients:
        outbox_id = None
        if recipient.status is not None:
            sent_at = recipient.sent_at or (started + timedelta(minutes=1)
                                            if recipient.status is OutboxStatus.SENT else None)
            outbox_id = (await connection.execute(insert(OutboxMessage).values(
                kind=outbox_kind, telegram_user_id=account_of(recipient.client_id),
                payload={"campaign_id": campaign_id, "client_id": recipient.client_id},
                dedupe_key=f"campaign:{campaign_id}:{recipient.client_id}", status=recipient.status,
                attempts=0 if recipient.status is OutboxStatus.PENDING else 1, next_attempt_at=started,
                created_at=started, sent_at=sent_at, campaign_id=campaign_id,
                message_id=1 if recipient.status is OutboxStatus.SENT else None,
            ).returning(OutboxMessage.id))).scalar_one()
        await connection.execute(insert(CampaignRecipient).values(
            campaign_id=campaign_id, client_id=recipient.client_id, kind=kind,
            telegram_user_id=account_of(recipient.client_id), outbox_id=outbox_id, queued_at=started,
            tier=recipient.tier, locale=recipient.locale, adviser_id=recipient.adviser_id,
            segments=dict(recipient.segments) if recipient.segments is not None else None))
    return campaign_id


async def add_answers(connection: AsyncConnection, campaign_id: int, answers: Sequence[Answer]) -> None:
    await connection.execute(insert(SurveyAnswer), [
        {"campaign_id": campaign_id, "client_id": a.client_id, "question": a.question, "scale": a.scale,
         "rating": a.rating, "comment": a.comment, "answered_at": a.at} for a in answers])


async def refuse_marketing(connection: AsyncConnection, client_id: str, at: datetime, *, granted: bool = False
                           ) -> None:
    """The client refuses (or, `granted`, allows again) marketing at `at`, by /unsubscribe (or /subscribe)."""
    assert await record_consent(connection, client_id, granted=granted, channel="telegram:command",
                                text_version="consent/tests", now=at, telegram_user_id=account_of(client_id))
