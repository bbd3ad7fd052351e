"""A survey in the client's chat: the message the sender pushes, the rating pressed under it, the "why?" taken as the
next text (or skipped), and every press that must record nothing: a second press (even at the same moment), a
press after the survey closed, forged data, and staff or strangers pressing."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.campaigns import (
    awake_zone,
    buttons,
    render_as_sender,
    set_status,
    set_timezone,
    start_campaign,
    survey_folder,
)
from support.chat import Chat
from support.mocked_bot import callback_update
from support.scored_clients import ADVISER_READS_ENGLISH, READS_ENGLISH, ScoredClients

from bot.db.models import CampaignKind, CampaignStatus, Client, Role, SurveyAnswer, SurveyScale
from bot.delivery.sender import Rendered

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

NPS_IN_ENGLISH = (
    "<b>How are we doing?</b>\n"
    "We would like to hear how our service is working for you. It takes less than a minute.\n"
    "\n"
    "<b>How likely is it that you would recommend us to a friend or colleague?</b>\n"
    "0 = Not at all likely · 10 = Extremely likely"
)
WHY_IN_ENGLISH = "<i>What is the main reason for your score? Reply with a few words, or skip.</i>"
THANKS = "That was the last question. Thank you for your time: your answers help us serve you better."
FORGED = "This button is not from a survey sent to you, so nothing was recorded."



async def _client(chat: Chat, clients: ScoredClients, *where: object, language_code: str = "en") -> tuple[str, int]:
    client_id = await clients.take(*where)  # type: ignore[arg-type]
    user_id = await chat.bind(Role.CLIENT, client_id, language_code=language_code)
    await set_timezone(chat.engine, client_id, awake_zone())
    return client_id, user_id


async def _surveyed(chat: Chat, clients: ScoredClients, template: str = "relationship_nps", *where: object,
                    language_code: str = "en", **started: datetime) -> tuple[str, int, int, Rendered]:
    """A client reading English (unless `where` says otherwise), bound, sent survey `template`: their id, account,
    the campaign, and the survey message as the sender renders it."""
    client_id, user_id = await _client(chat, clients, *(where or (READS_ENGLISH,)), language_code=language_code)
    campaign = await start_campaign(chat.engine, CampaignKind.SURVEY, template, {client_id: user_id}, **started)
    rendered = await render_as_sender(chat.engine, campaign.outbox[client_id])
    assert isinstance(rendered, Rendered)
    return client_id, user_id, campaign.campaign_id, rendered


async def _answers(engine: AsyncEngine, campaign_id: int) -> list[tuple[str, str, int, str | None]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(  # type: ignore[misc]
            select(SurveyAnswer.client_id, SurveyAnswer.question, SurveyAnswer.rating, SurveyAnswer.comment)
            .where(SurveyAnswer.campaign_id == campaign_id).order_by(SurveyAnswer.id))]


def _alert(chat: Chat) -> AnswerCallbackQuery:
    (answered,) = chat.bot.session.sent(AnswerCallbackQuery)
    return answered


@pytest.fixture
def three_scales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return survey_folder(tmp_path, monkeypatch)


async def test_the_survey_arrives_with_its_intro_and_nps_in_two_rows_with_both_ends_written(
        chat: Chat, clients: ScoredClients) -> None:
    _client_id, _user_id, campaign_id, rendered = await _surveyed(chat, clients)
    assert rendered.text == NPS_IN_ENGLISH
    assert rendered.reply_markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in rendered.reply_markup.inline_keyboard]
    assert rows == [[(str(r), f"sv:{campaign_id}:0:{r}") for r in range(6)],
                    [(str(r), f"sv:{campaign_id}:0:{r}") for r in range(6, 11)]]


async def test_a_client_reading_chinese_gets_it_in_chinese(chat: Chat, clients: ScoredClients) -> None:
    *_, rendered = await _surveyed(chat, clients, "relationship_nps", Client.locale == "zh_Hans",
                                   language_code="zh-hans")
    assert rendered.text.splitlines() == [
        "<b>我们做得怎么样？</b>", "我们希望了解您对我们服务的感受，只需不到一分钟。", "",
        "<b>您有多大可能向朋友或同事推荐我们？</b>", "0 = 完全不可能 · 10 = 非常可能"]


async def test_a_client_reading_traditional_chinese_gets_it_in_traditional_chinese(
        chat: Chat, clients: ScoredClients) -> None:
    *_, rendered = await _surveyed(chat, clients, "relationship_nps", Client.locale == "zh_Hant",
                                   language_code="zh-HK")
    assert rendered.text.splitlines() == [
        "<b>我們做得怎麼樣？</b>", "我們希望了解您對我們服務的感受，只需不到一分鐘。", "",
        "<b>您向親友或同事推薦我們的可能性有多高？</b>", "0 = 完全不可能 · 10 = 非常可能"]


async def test_a_rating_is_recorded_then_the_next_text_is_its_comment_and_the_survey_thanks(
        chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    (asked,) = await chat.press(user_id, buttons(rendered.reply_markup)["9"])
    assert asked == ("<b>How likely is it that you would recommend us to a friend or colleague?</b>\n"
                     f"Your answer: 9. Thank you.\n\n{WHY_IN_ENGLISH}")
    assert chat.buttons() == {"Skip": f"svs:{campaign_id}:0"}
    assert chat.bot.session.sent(EditMessageText)  # the question's message itself, in place
    assert await _answers(chat.engine, campaign_id) == [(client_id, "recommend", 9, None)]

    (thanks,) = await chat.send(user_id, "Quick answers, and my adviser <b>knows</b> me")
    assert thanks == f"Thank you for your comment.\n\n{THANKS}"
    assert await _answers(chat.engine, campaign_id) == [
        (client_id, "recommend", 9, "Quick answers, and my adviser <b>knows</b> me")]
    # The "why?" is answered: the next text is what it says, a question for the FAQ.
    (reply,) = await chat.send(user_id, "What does my tier mean?")
    assert "Thank you for your comment" not in reply
    assert (await _answers(chat.engine, campaign_id))[0][3] == "Quick answers, and my adviser <b>knows</b> me"


async def test_a_long_comment_is_kept_up_to_its_cap(chat: Chat, clients: ScoredClients) -> None:
    _client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    await chat.press(user_id, buttons(rendered.reply_markup)["4"])
    await chat.send(user_id, "slow " * 400)
    ((*_, comment),) = await _answers(chat.engine, campaign_id)
    assert comment is not None
    assert len(comment) == 1000
    assert comment.startswith("slow slow")


async def test_skip_leaves_the_comment_empty_and_the_next_text_is_no_comment(chat: Chat, clients: ScoredClients
                                                                            ) -> None:
    client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    await chat.press(user_id, buttons(rendered.reply_markup)["10"])
    (thanks,) = await chat.press(user_id, chat.buttons()["Skip"])
    assert thanks == THANKS
    assert chat.last_keyboard() is None
    await chat.send(user_id, "hello")
    assert await _answers(chat.engine, campaign_id) == [(client_id, "recommend", 10, None)]
    # A second Skip, from the old message: nothing changes, the thanks again.
    assert await chat.press(user_id, f"svs:{campaign_id}:0") == [THANKS]


async def test_a_command_or_a_refusal_word_while_the_why_waits_leaves_it_empty_and_is_answered(
        chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    await chat.press(user_id, buttons(rendered.reply_markup)["8"])
    card, thanks = await chat.send(user_id, "/tier")
    assert "Tier:" in card
    assert thanks == THANKS  # after the card: the survey goes on below it
    assert await _answers(chat.engine, campaign_id) == [(client_id, "recommend", 8, None)]

    client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    await chat.press(user_id, buttons(rendered.reply_markup)["8"])
    card, thanks = await chat.send(user_id, "📊 My tier")  # the menu's button
    assert ("Tier:" in card, thanks) == (True, THANKS)
    assert await _answers(chat.engine, campaign_id) == [(client_id, "recommend", 8, None)]

    client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    await chat.press(user_id, buttons(rendered.reply_markup)["8"])
    thanks, stopped = await chat.send(user_id, "STOP")  # both confirmed once committed, the survey's first
    assert stopped.startswith("Done: you will no longer receive our strategy messages")
    assert thanks == THANKS
    assert await _answers(chat.engine, campaign_id) == [(client_id, "recommend", 8, None)]


async def test_a_why_asked_long_ago_takes_no_comment(chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    await chat.press(user_id, buttons(rendered.reply_markup)["6"])
    key = chat.dispatcher.fsm.get_context(chat.bot, user_id, user_id)
    waiting = (await key.get_data())["survey_comment"]
    waiting["asked_at"] = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    await key.update_data(survey_comment=waiting)
    texts = await chat.send(user_id, "hello")
    assert texts[-1] == THANKS
    assert not any("Thank you for your comment" in text for text in texts)
    assert await _answers(chat.engine, campaign_id) == [(client_id, "recommend", 6, None)]


async def test_each_question_on_its_own_scale_in_order_then_the_thanks(
        chat: Chat, clients: ScoredClients, three_scales: str) -> None:
    client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients, three_scales)
    assert rendered.text.splitlines()[3:] == [
        "Question 1 of 3", "<b>Would you recommend us?</b>", "0 = Not at all likely · 10 = Extremely likely"]
    await chat.press(user_id, buttons(rendered.reply_markup)["7"])
    (second,) = await chat.press(user_id, chat.buttons()["Skip"])
    assert second.splitlines() == ["Question 2 of 3", "<b>How satisfied are you with your review?</b>",
                                   "1 = Very dissatisfied · 5 = Very satisfied"]
    keyboard = chat.last_keyboard()
    assert keyboard is not None
    assert [[b.callback_data for b in row] for row in keyboard.inline_keyboard] == [  # type: ignore[union-attr]
        [f"sv:{campaign_id}:1:{r}" for r in range(1, 6)]]
    (third,) = await chat.press(user_id, chat.buttons()["4"])
    assert third.splitlines() == [
        "<b>How satisfied are you with your review?</b>", "Your answer: 4. Thank you.", "", "Question 3 of 3",
        "<b>We made it easy to get what I needed.</b>", "1 = Strongly disagree · 7 = Strongly agree"]
    assert list(chat.buttons().values()) == [f"sv:{campaign_id}:2:{r}" for r in range(1, 8)]
    (done,) = await chat.press(user_id, chat.buttons()["6"])
    assert done.splitlines()[-1] == THANKS
    assert await _answers(chat.engine, campaign_id) == [
        (client_id, "recommend", 7, None), (client_id, "satisfied", 4, None), (client_id, "easy", 6, None)]
    async with chat.engine.connect() as connection:
        scales = list(await connection.scalars(select(SurveyAnswer.scale).where(
            SurveyAnswer.campaign_id == campaign_id).order_by(SurveyAnswer.id)))
    assert scales == [SurveyScale.NPS, SurveyScale.CSAT, SurveyScale.CES]


async def test_a_rating_in_another_survey_ends_the_why_that_waits(
        chat: Chat, clients: ScoredClients, three_scales: str) -> None:
    client_id, user_id, other_id, rendered = await _surveyed(chat, clients, three_scales)
    await chat.press(user_id, buttons(rendered.reply_markup)["7"])
    await chat.press(user_id, chat.buttons()["Skip"])  # the other survey now waits on its question 2, no "why?"
    nps = await start_campaign(chat.engine, CampaignKind.SURVEY, "relationship_nps", {client_id: user_id})
    nps_message = await render_as_sender(chat.engine, nps.outbox[client_id])
    assert isinstance(nps_message, Rendered)
    (asked,) = await chat.press(user_id, buttons(nps_message.reply_markup)["9"])
    assert asked.endswith(WHY_IN_ENGLISH)
    (second,) = await chat.press(user_id, f"sv:{other_id}:1:4")  # a rating that asks no "why?"
    assert "Question 3 of 3" in second

    (reply,) = await chat.send(user_id, "What does my tier mean?")
    assert "Thank you for your comment" not in reply
    assert await _answers(chat.engine, nps.campaign_id) == [(client_id, "recommend", 9, None)]
    assert await _answers(chat.engine, other_id) == [
        (client_id, "recommend", 7, None), (client_id, "satisfied", 4, None)]


async def test_a_second_press_keeps_the_first_answer(chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    await chat.press(user_id, buttons(rendered.reply_markup)["9"])
    assert await chat.press(user_id, buttons(rendered.reply_markup)["2"]) == []
    alert = _alert(chat)
    assert (alert.text, alert.show_alert) == ("You have answered this already: your first answer is kept.", True)
    assert await _answers(chat.engine, campaign_id) == [(client_id, "recommend", 9, None)]


async def test_two_presses_at_the_same_moment_record_one_answer(chat: Chat, clients: ScoredClients) -> None:
    _client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    labels = buttons(rendered.reply_markup)
    chat.bot.session.clear()
    await asyncio.gather(*(chat.dispatcher.feed_update(chat.bot, callback_update(user_id, labels[r], message_id=77))
                           for r in ("5", "10")))
    answers = await _answers(chat.engine, campaign_id)
    assert len(answers) == 1
    assert answers[0][2] in (5, 10)
    alerts = [request.text for request in chat.bot.session.sent(AnswerCallbackQuery)]
    assert sorted(alerts, key=str) == [None, "You have answered this already: your first answer is kept."]
    assert len(chat.bot.session.sent(EditMessageText)) == 1


async def test_a_press_after_the_survey_closed_or_its_answer_window_records_nothing(
        chat: Chat, clients: ScoredClients) -> None:
    closed = "This survey has closed and takes no more answers. Thank you all the same."
    _client_id, user_id, campaign_id, rendered = await _surveyed(chat, clients)
    await set_status(chat.engine, campaign_id, CampaignStatus.CLOSED)
    assert await chat.press(user_id, buttons(rendered.reply_markup)["9"]) == []
    assert _alert(chat).text == closed
    assert await _answers(chat.engine, campaign_id) == []

    # Started over 30 days ago (TIERBOT_CAMPAIGN_ANSWER_DAYS): not sent any more, and its buttons, pressed from an
    # earlier message, take no more answers.
    client_id, user_id = await _client(chat, clients, READS_ENGLISH)
    late = await start_campaign(chat.engine, CampaignKind.SURVEY, "relationship_nps", {client_id: user_id},
                                started_at=datetime.now(UTC) - timedelta(days=30, seconds=1))
    assert await render_as_sender(chat.engine, late.outbox[client_id]) is None
    assert await chat.press(user_id, f"sv:{late.campaign_id}:0:9") == []
    assert _alert(chat).text == closed
    assert await _answers(chat.engine, late.campaign_id) == []


async def test_forged_presses_get_one_sentence_and_record_nothing(chat: Chat, clients: ScoredClients) -> None:
    _client_id, user_id, campaign_id, _rendered = await _surveyed(chat, clients)
    _other_id, _other_user, others, _other_rendered = await _surveyed(chat, clients)
    for data in (f"sv:{others}:0:9",  # another client's survey
                 f"sv:{campaign_id}:1:9", f"sv:{campaign_id}:-1:9",  # no such question
                 f"sv:{campaign_id}:0:11", f"sv:{campaign_id}:0:-1",  # off the scale
                 f"sv:{10**30}:0:9", "sv:0:0:9",  # no such campaign
                 f"svs:{campaign_id}:0"):  # a skip before any rating
        assert await chat.press(user_id, data) == [], data
        assert _alert(chat).text == FORGED, data
    assert await chat.press(user_id, "sv:seven:0:9") == []  # garbage: no survey's button at all
    assert _alert(chat).text == "This button is no longer valid. Send /help to start again."
    assert await _answers(chat.engine, campaign_id) == []
    assert await _answers(chat.engine, others) == []


async def test_staff_and_strangers_pressing_a_survey_button_are_told_it_is_not_theirs(
        chat: Chat, clients: ScoredClients) -> None:
    client_id, _user_id, campaign_id, rendered = await _surveyed(chat, clients, "relationship_nps",
                                                                 ADVISER_READS_ENGLISH, READS_ENGLISH)
    _name, adviser_id = await chat.client_row(client_id)
    adviser = await chat.bind(Role.ADVISER, adviser_id)
    await chat.press(adviser, buttons(rendered.reply_markup)["1"])
    assert _alert(chat).text == "Surveys are for the firm's clients; this button is not for your account."
    stranger = 5_999_001 + random.randrange(10**6)
    await chat.press(stranger, buttons(rendered.reply_markup)["1"])
    assert (_alert(chat).text or "").startswith("Your Telegram account is not linked to a client account yet")
    assert await _answers(chat.engine, campaign_id) == []


async def test_with_redis_the_why_survives_a_restart(scored_engine: AsyncEngine, clients: ScoredClients) -> None:
    url = "redis://127.0.0.1:6379/15"
    first = Chat(scored_engine, redis_url=url, rate_limit=False)
    client_id = await clients.take(READS_ENGLISH)
    # An account of its own, far from other runs' ids: its state's keys are its own.
    user_id = (1 << 40) + random.randrange(1 << 40)
    await first.send(user_id, f"/start {await first.invite(Role.CLIENT, client_id)}")
    await set_timezone(scored_engine, client_id, awake_zone())
    campaign = await start_campaign(scored_engine, CampaignKind.SURVEY, "relationship_nps", {client_id: user_id})
    rendered = await render_as_sender(scored_engine, campaign.outbox[client_id])
    assert isinstance(rendered, Rendered)
    try:
        await first.press(user_id, buttons(rendered.reply_markup)["3"])
    finally:
        await first.dispatcher.fsm.storage.close()
    restarted = Chat(scored_engine, redis_url=url, rate_limit=False)
    storage = restarted.dispatcher.fsm.storage
    assert isinstance(storage, RedisStorage)
    try:
        assert await storage.redis.keys(f"fsm:{user_id}:{user_id}:*")
        (thanks,) = await restarted.send(user_id, "Nobody called me back")
        assert thanks == f"Thank you for your comment.\n\n{THANKS}"
        assert await _answers(scored_engine, campaign.campaign_id) == [
            (client_id, "recommend", 3, "Nobody called me back")]
    finally:
        keys = await storage.redis.keys(f"fsm:*{user_id}:*")
        if keys:
            await storage.redis.delete(*keys)
        await storage.close()
    assert restarted.bot.session.sent(SendMessage)
