"""The closed loop: a client's low rating (an NPS detractor, a CSAT of 1 or 2) alerts their adviser through the outbox,
on every account of theirs a push reaches, as soon as the client has given or skipped the "why?" (or once
TIERBOT_CAMPAIGN_FEEDBACK_WAIT_MINUTES have passed without), held only through the adviser's quiet hours; the alert
shows the rating and the comment, and is not sent once the client is no longer the adviser's.
A feedback alert is never carried by a digest. On the small firm of the import tests, with the real sender."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from support.alerting import QUIET_OFF, bind_adviser
from support.campaigns import (
    asleep_zone,
    awake_zone,
    buttons,
    send_due,
    small_firm,
    start_campaign,
    survey_folder,
)
from support.chat import Chat

from bot.accounts import AllowedClient, grant_access, load_reader
from bot.alerts import queue_digests
from bot.campaigns.answers import SurveyStep, record_rating
from bot.config import get_settings
from bot.db import session_factory
from bot.db.models import (
    Adviser,
    Alert,
    AlertKind,
    AuditEntry,
    CampaignKind,
    Client,
    OutboxMessage,
    OutboxStatus,
    Role,
    SurveyAnswer,
    TelegramAccount,
)
from bot.delivery.quiet import next_outside_quiet_hours

pytestmark = pytest.mark.db

ADVISER_OF_MARY, ADVISER_OF_ZHANG = "A002", "A001"  # "Smith, John" reads English, 王丽 Chinese
POSTGRES_URL = os.environ.get("TIERBOT_TEST_POSTGRES_URL")  # as tests/conftest.py reads it


@pytest.fixture
async def firm(engine: AsyncEngine, tmp_path: Path) -> Chat:
    chat = await small_firm(engine, tmp_path)
    async with engine.begin() as connection:
        await connection.execute(update(Adviser).values(timezone=awake_zone()))
    return chat


async def _survey(firm: Chat, client_id: str, template: str = "relationship_nps") -> tuple[int, int, dict[str, str]]:
    """The client bound and sent the survey by the real sender: their account, the campaign, its buttons."""
    user_id = await firm.bind(Role.CLIENT, client_id)
    started = await start_campaign(firm.engine, CampaignKind.SURVEY, template, {client_id: user_id})
    (message,) = (await send_due(firm.engine))[user_id]
    return user_id, started.campaign_id, buttons(message.reply_markup)


async def _alerts(engine: AsyncEngine) -> list[tuple[str, str, AlertKind, dict[str, Any] | None, int | None]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(  # type: ignore[misc]
            select(Alert.adviser_id, Alert.client_id, Alert.kind, Alert.details, Alert.outbox_id).order_by(Alert.id))]


async def _feedback_rows(engine: AsyncEngine) -> dict[int, OutboxMessage]:
    async with session_factory(engine)() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "feedback_alert"))).all()
    return {row.telegram_user_id: row for row in rows}


async def test_a_detractor_alerts_the_adviser_with_the_why_on_each_account_they_can_be_reached_on(firm: Chat) -> None:
    now = datetime.now(UTC)
    older = await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_100_001, bound_at=now - timedelta(days=30))
    newer = await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_100_002, bound_at=now - timedelta(days=1))
    blocked = await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_100_003, bound_at=now)
    async with firm.engine.begin() as connection:
        await connection.execute(update(TelegramAccount).where(TelegramAccount.telegram_user_id == blocked)
                                 .values(blocked_at=now))
    user_id, campaign_id, ratings = await _survey(firm, "C00002")
    before = datetime.now(UTC)
    await firm.press(user_id, ratings["3"])

    ((adviser, client, kind, details, outbox_id),) = await _alerts(firm.engine)
    assert (adviser, client, kind) == (ADVISER_OF_MARY, "C00002", AlertKind.FEEDBACK)
    assert details == {"campaign_id": campaign_id, "question": "recommend", "scale": "nps", "rating": 3}
    rows = await _feedback_rows(firm.engine)
    assert set(rows) == {older, newer}  # not the account that blocked the bot
    assert rows[newer].dedupe_key == f"feedback:{campaign_id}:C00002"  # the account in use now carries the alert
    assert rows[older].dedupe_key == f"feedback:{campaign_id}:C00002:{older}"
    assert outbox_id == rows[newer].id
    assert all(row.payload == {"alert_id": row.payload["alert_id"]} for row in rows.values())
    # It waits for the "why?" asked now (up to TIERBOT_CAMPAIGN_FEEDBACK_WAIT_MINUTES), so that both go together.
    wait = timedelta(minutes=get_settings().campaign.feedback_wait_minutes)
    assert all(abs(row.next_attempt_at - (before + wait)) < timedelta(seconds=30) for row in rows.values())
    assert await send_due(firm.engine) == {}

    await firm.send(user_id, "Nobody returns my calls")  # given: the alert goes at once
    rows = await _feedback_rows(firm.engine)
    assert all(row.next_attempt_at <= datetime.now(UTC) for row in rows.values())
    sent = await send_due(firm.engine)
    assert set(sent) == {older, newer}
    (message,) = sent[newer]
    assert message.text == (
        "<b>📣 A client's feedback needs you</b>\n"
        "<b>Brown, Mary</b> · C00002\n"
        "\n"
        "Survey: How are we doing?\n"
        "Question: How likely is it that you would recommend us to a friend or colleague?\n"
        "Rating: <b>3</b> on a scale of 0 to 10\n"
        "Comment: “Nobody returns my calls”\n"
        "\n"
        "A call soon closes the loop. The button opens the client's summary."
    )
    assert buttons(message.reply_markup) == {"📋 Adviser's summary": "sum:C00002"}
    async with firm.engine.connect() as connection:
        assert await connection.scalar(select(Alert.sent_at)) is not None
        views = (await connection.execute(select(AuditEntry.actor, AuditEntry.details).where(
            AuditEntry.action == "client.view", AuditEntry.client_id == "C00002"))).all()
    assert sorted(views) == sorted([(f"tg:{older}", {"role": "adviser", "view": "feedback"}),
                                    (f"tg:{newer}", {"role": "adviser", "view": "feedback"})])
    summary = await firm.press(newer, "sum:C00002")
    assert any("Brown, Mary" in text for text in summary)


async def test_the_answer_window_counts_from_when_the_survey_may_first_be_sent(firm: Chat) -> None:
    # Started 35 days ago (past TIERBOT_CAMPAIGN_ANSWER_DAYS from the start) with --at 10 days after the start: its
    # window runs from then, so it is still sent and still takes answers.
    now = datetime.now(UTC)
    user_id = await firm.bind(Role.CLIENT, "C00003")
    started = await start_campaign(firm.engine, CampaignKind.SURVEY, "relationship_nps", {"C00003": user_id},
                                   started_at=now - timedelta(days=35), not_before=now - timedelta(days=25))
    (message,) = (await send_due(firm.engine))[user_id]
    await firm.press(user_id, buttons(message.reply_markup)["9"])
    async with firm.engine.connect() as connection:
        assert (await connection.execute(select(SurveyAnswer.client_id, SurveyAnswer.rating).where(
            SurveyAnswer.campaign_id == started.campaign_id))).all() == [("C00003", 9)]


async def test_a_chinese_reading_adviser_reads_it_in_chinese_without_a_comment_yet(firm: Chat) -> None:
    adviser = await bind_adviser(firm.engine, ADVISER_OF_ZHANG, user_id=8_200_001)
    user_id, _campaign_id, ratings = await _survey(firm, "C00001")
    await firm.press(user_id, ratings["0"])
    assert await send_due(firm.engine) == {}  # waiting for the "why?"
    await firm.press(user_id, firm.buttons()["跳过"])  # skipped: the alert goes at once
    ((message,),) = (await send_due(firm.engine)).values()
    assert int(message.chat_id) == adviser
    assert message.text.splitlines() == [
        "<b>📣 有客户反馈需要您跟进</b>", "<b>张伟</b> · C00001", "", "调查：我们做得怎么样？",
        "问题：您有多大可能向朋友或同事推荐我们？", "评分：<b>0</b>（0 至 10 分）", "客户尚未留言。", "",
        "尽快联系客户，形成反馈闭环。点击按钮即可查看该客户的概览。"]


async def test_passives_and_promoters_alert_nobody(firm: Chat) -> None:
    await bind_adviser(firm.engine, ADVISER_OF_ZHANG, user_id=8_300_001)
    for client_id, rating in (("C00001", "7"), ("C00003", "10")):
        user_id, _campaign, ratings = await _survey(firm, client_id)
        await firm.press(user_id, ratings[rating])
    assert await _alerts(firm.engine) == []
    assert await _feedback_rows(firm.engine) == {}


async def test_a_csat_of_2_alerts_and_a_second_low_rating_in_the_same_survey_does_not_alert_again(
        firm: Chat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    survey = survey_folder(tmp_path, monkeypatch)
    await bind_adviser(firm.engine, ADVISER_OF_ZHANG, user_id=8_400_001)
    user_id, campaign_id, ratings = await _survey(firm, "C00001", survey)
    await firm.press(user_id, ratings["8"])
    await firm.press(user_id, firm.buttons()["跳过"])
    await firm.press(user_id, firm.buttons()["2"])  # CSAT 2: dissatisfied
    await firm.press(user_id, firm.buttons()["1"])  # CES 1: no alert on that scale
    other, other_campaign, other_ratings = await _survey(firm, "C00003", survey)
    await firm.press(other, other_ratings["5"])  # a detractor
    await firm.press(other, firm.buttons()["Skip"])
    await firm.press(other, firm.buttons()["1"])  # CSAT 1, in the same survey: the adviser knows already
    alerts = [(client, details) for _adviser, client, _kind, details, _outbox in await _alerts(firm.engine)]
    assert alerts == [
        ("C00001", {"campaign_id": campaign_id, "question": "satisfied", "scale": "csat", "rating": 2}),
        ("C00003", {"campaign_id": other_campaign, "question": "recommend", "scale": "nps", "rating": 5})]
    async with firm.engine.connect() as connection:
        keys = set((await connection.execute(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.kind == "feedback_alert"))).scalars())
    assert keys == {f"feedback:{campaign_id}:C00001", f"feedback:{other_campaign}:C00003"}


@pytest.mark.skipif(POSTGRES_URL is None, reason="SQLite takes one writer at a time: ratings cannot race there")
async def test_two_low_ratings_given_at_the_same_moment_alert_once(firm: Chat, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    survey = survey_folder(tmp_path, monkeypatch)  # NPS, then CSAT, then CES
    await bind_adviser(firm.engine, ADVISER_OF_ZHANG, user_id=8_420_001)
    user_id, campaign_id, _ratings = await _survey(firm, "C00001", survey)
    gate = asyncio.Event()

    async def rate(question: int, rating: int) -> SurveyStep:
        async with AsyncSession(firm.engine) as session, session.begin():
            allowed = await grant_access(session, await load_reader(session, user_id), None)
            assert isinstance(allowed, AllowedClient)
            await gate.wait()  # both have begun: each is about to write its answer
            step = await record_rating(session, allowed, campaign_id, question, rating, settings=get_settings(),
                                       now=datetime.now(UTC))
            await asyncio.sleep(0.2)  # holds its lock while the other waits for it
            assert isinstance(step, SurveyStep)
            return step

    racing = [asyncio.create_task(rate(0, 2)), asyncio.create_task(rate(1, 1))]  # a detractor, a CSAT of 1
    await asyncio.sleep(0.1)
    gate.set()
    await asyncio.gather(*racing)
    async with firm.engine.connect() as connection:
        assert (await connection.scalar(select(func.count()).select_from(SurveyAnswer))) == 2
    assert len(await _alerts(firm.engine)) == 1
    assert len(await _feedback_rows(firm.engine)) == 1


async def test_without_a_why_the_alert_goes_when_the_wait_is_over(firm: Chat) -> None:
    adviser = await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_450_001)
    user_id, _campaign_id, ratings = await _survey(firm, "C00002")
    await firm.press(user_id, ratings["6"])
    assert await send_due(firm.engine) == {}
    async with firm.engine.begin() as connection:  # the wait is over: the client wrote nothing
        await connection.execute(update(OutboxMessage).where(OutboxMessage.kind == "feedback_alert").values(
            next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
    ((message,),) = (await send_due(firm.engine)).values()
    assert int(message.chat_id) == adviser
    assert "Rating: <b>6</b> on a scale of 0 to 10\nNo comment given yet.\n" in message.text
    # A comment typed after the alert went is kept for the report; it moves nothing in the outbox.
    await firm.send(user_id, "Too slow")
    async with firm.engine.connect() as connection:
        assert await connection.scalar(select(SurveyAnswer.comment)) == "Too slow"
        assert await connection.scalar(select(OutboxMessage.status).where(
            OutboxMessage.kind == "feedback_alert")) is OutboxStatus.SENT


async def test_leaving_the_why_for_a_command_sends_the_alert_at_once(firm: Chat) -> None:
    adviser = await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_460_001)
    user_id, _campaign_id, ratings = await _survey(firm, "C00002")
    await firm.press(user_id, ratings["2"])
    assert await send_due(firm.engine) == {}
    await firm.send(user_id, "/tier")  # the "why?" left empty, as a skip
    ((message,),) = (await send_due(firm.engine)).values()
    assert int(message.chat_id) == adviser
    assert "No comment given yet." in message.text


async def test_the_alert_waits_for_the_end_of_the_adviser_s_quiet_hours(firm: Chat) -> None:
    zone = asleep_zone()
    async with firm.engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == ADVISER_OF_MARY).values(timezone=zone))
    adviser = await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_500_001)
    user_id, _campaign_id, ratings = await _survey(firm, "C00002")
    before = datetime.now(UTC)
    await firm.press(user_id, ratings["1"])
    row = (await _feedback_rows(firm.engine))[adviser]
    assert row.next_attempt_at == next_outside_quiet_hours(before, get_settings().delivery.quiet, ZoneInfo(zone))
    assert row.next_attempt_at > datetime.now(UTC)
    assert await send_due(firm.engine) == {}
    # The "why?" given meanwhile releases it no earlier than the end of the adviser's night.
    await firm.send(user_id, "Nobody called back")
    released = (await _feedback_rows(firm.engine))[adviser]
    assert released.next_attempt_at == row.next_attempt_at
    assert await send_due(firm.engine) == {}


async def test_a_client_no_longer_the_adviser_s_when_it_goes_is_not_told_of(firm: Chat) -> None:
    adviser = await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_600_001)
    user_id, _campaign_id, ratings = await _survey(firm, "C00002")
    await firm.press(user_id, ratings["2"])
    await firm.press(user_id, firm.buttons()["Skip"])
    async with firm.engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == "C00002").values(
            adviser_id=ADVISER_OF_ZHANG))
    assert await send_due(firm.engine) == {}
    row = (await _feedback_rows(firm.engine))[adviser]
    assert (row.status, row.error) == (OutboxStatus.SENT, "nothing_to_say")
    async with firm.engine.connect() as connection:  # nobody looked: no refused look-up is written either
        assert await connection.scalar(select(AuditEntry.id).where(
            AuditEntry.actor == f"tg:{adviser}", AuditEntry.action.like("client.view%"))) is None


async def test_an_adviser_who_has_left_is_not_alerted(firm: Chat) -> None:
    await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_700_001)
    async with firm.engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == ADVISER_OF_MARY).values(
            left_on=datetime.now(UTC).date() - timedelta(days=1)))
    user_id, _campaign_id, ratings = await _survey(firm, "C00002")
    await firm.press(user_id, ratings["0"])
    assert await _alerts(firm.engine) == []


async def test_a_feedback_alert_is_never_carried_by_a_digest(firm: Chat) -> None:
    user_id, _campaign_id, ratings = await _survey(firm, "C00002")  # the adviser has no Telegram account yet
    await firm.press(user_id, ratings["4"])
    ((*_, outbox_id),) = await _alerts(firm.engine)
    assert outbox_id is None
    assert await _feedback_rows(firm.engine) == {}
    await bind_adviser(firm.engine, ADVISER_OF_MARY, user_id=8_800_001)
    async with firm.engine.begin() as connection:
        queued = await queue_digests(connection, schedule=QUIET_OFF, now=datetime.now(UTC))
    assert (queued.digests, queued.alerts, queued.waiting) == (0, 0, 0)
