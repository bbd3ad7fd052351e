"""When things go wrong or people do odd things: failing handlers and buttons, a flood, markup in names, long
replies, and what reaches the logs and the database."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import Update
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat, new_user_id
from support.mocked_bot import BOT_ID, MockedBot, callback_update, message_update
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.db import session_factory
from bot.db.models import Client, Role
from bot.telegram import ThrottlingMiddleware, UnitOfWorkMiddleware
from bot.telegram.sending import MESSAGE_LIMIT, send, split_html

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]


async def test_html_in_names_is_escaped(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(tier="ordinary")
    async with chat.engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == client_id).values(name="<b>Eve</b> & Co"))
    user_id = await chat.bind(Role.CLIENT, client_id)
    (text,) = await chat.send(user_id, "/start")
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; Co" in text


async def test_a_failing_handler_apologises_and_logs_ids_only(
    chat: Chat, clients: ScoredClients, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    user_id = await chat.bind(Role.CLIENT, await clients.take(READS_ENGLISH, tier="ordinary"))

    def broken(text: str) -> None:  # an exception quoting what it could not handle, as drivers' and templates' do
        raise RuntimeError(f"no entry matches {text!r}")

    monkeypatch.setattr(chat.dispatcher["faq"], "match", broken)
    update_ = message_update(user_id, "my secret question 4711", first_name="Zebulon")
    chat.bot.session.clear()
    with caplog.at_level(logging.DEBUG):
        await chat.dispatcher.feed_update(chat.bot, update_)
    (text,) = chat.bot.session.texts()
    assert text.startswith("Sorry, something went wrong")
    (record,) = [r for r in caplog.records if r.name == "tierbot.handlers"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"update {update_.update_id} failed: RuntimeError"
    assert record.exc_info is not None  # the traceback is kept for the developers
    logged = caplog.text  # every record of every logger at any level, with its traceback
    for personal in ("my secret question 4711", "secret question", "Zebulon"):
        assert personal not in logged


async def test_a_failing_button_gets_an_apology_too(
    chat: Chat, clients: ScoredClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    user_id = await chat.bind(Role.CLIENT, client_id)

    async def broken(*_args: object) -> None:
        raise RuntimeError("facts on fire")

    monkeypatch.setattr("handlers.client.tier.client_details", broken)
    texts = await chat.press(user_id, f"tier:dims:{client_id}")
    assert texts == ["Sorry, something went wrong on our side and I could not answer. Please try again in a "
                     "moment; if it keeps happening, contact your adviser."]
    assert len(chat.bot.session.sent(AnswerCallbackQuery)) == 1


async def test_a_flood_gets_one_notice_and_others_are_still_served(
    scored_engine: AsyncEngine, clients: ScoredClients
) -> None:
    chat = Chat(scored_engine, throttling=ThrottlingMiddleware(burst=5, rate=0.001))
    flooder = await chat.bind(Role.CLIENT, await clients.take(tier="ordinary"))
    other = new_user_id()
    await chat.send(flooder, "/language")  # with the /start before and the press after: three of the five
    await chat.press(flooder, chat.buttons()["简体中文"])
    answers = [await chat.send(flooder, "/help") for _ in range(30)]
    assert sum(1 for a in answers if a) == 3  # two answers, then one notice, then silence
    assert answers[2] == ["您发送消息的速度过快，我来不及回复。请稍候几秒，之后我会继续为您解答。"]
    (text,) = await chat.send(other, "/help")
    assert "/faq" in text
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, callback_update(flooder, "faq:-", message_id=3))
    (answered,) = chat.bot.session.sent(AnswerCallbackQuery)  # a flooded button still stops spinning
    assert answered.text is None


class Clock:
    """The throttle's time, moved by the test: seconds, as time.monotonic() gives them."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_sustained_flood_gets_one_notice_until_the_person_has_been_quiet(
    scored_engine: AsyncEngine, clients: ScoredClients
) -> None:
    clock = Clock()
    chat = Chat(scored_engine, throttling=ThrottlingMiddleware(burst=8, rate=1.0, quiet=20.0, clock=clock))
    # The /start takes one of the eight.
    flooder = await chat.bind(Role.CLIENT, await clients.take(READS_ENGLISH, tier="ordinary"))
    slow_down = ("You are sending messages faster than I can answer. Please wait a few seconds; I will answer again "
                 "then.")

    async def flood(start: float) -> list[list[str]]:
        """500 messages in 10 seconds, one every 20 ms."""
        answers = []
        for i in range(500):
            clock.now = start + 0.01 + i * 0.02
            answers.append(await chat.send(flooder, "/help"))
        return answers

    first = await flood(clock.now)
    assert [answer for answer in first if answer == [slow_down]] == [[slow_down]]
    # The seven tokens left, then one a second as the bucket refills: the flood is still answered at the rate.
    assert sum(1 for answer in first if answer and answer[0].startswith("<b>What I can do</b>")) == 7 + 9

    clock.now += 15.0  # a pause shorter than the quiet interval: the same flood goes on
    again = await flood(clock.now)
    assert [slow_down] not in again

    clock.now += 21.0  # quiet for longer than the interval: the flood is over, the next one is told again
    second = await flood(clock.now)
    assert [answer for answer in second if answer == [slow_down]] == [[slow_down]]


def _bot_status_changed(user_id: int, status: str, when: datetime, chat: dict[str, Any] | None = None) -> Update:
    """Telegram's my_chat_member: the bot's status in a chat changed from "member" by `user_id`'s doing (in their
    private chat unless `chat` is given)."""
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "tierbot"}
    return Update.model_validate({"update_id": 99_000_000 + user_id % 1_000_000, "my_chat_member": {
        "chat": chat or {"id": user_id, "type": "private", "first_name": "Test"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
        "date": int(when.timestamp()),
        "old_chat_member": {"status": "member", "user": bot},
        "new_chat_member": {"status": status, "user": bot, **({"until_date": 0} if status == "kicked" else {})},
    }})


async def test_blocking_the_bot_in_a_flood_is_still_recorded(
    scored_engine: AsyncEngine, clients: ScoredClients
) -> None:
    chat = Chat(scored_engine, throttling=ThrottlingMiddleware(burst=3, rate=0.001))
    flooder = await chat.bind(Role.CLIENT, await clients.take(tier="ordinary"))
    answers = [await chat.send(flooder, "/help") for _ in range(5)]
    assert answers[3:] == [[], []]  # past the limit
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    # Telegram telling, not the person typing: not throttled
    await chat.dispatcher.feed_update(chat.bot, _bot_status_changed(flooder, "kicked", when))
    account = await chat.account(flooder)
    assert account is not None
    assert account.blocked_at == when


async def test_a_block_and_an_unblock_arriving_out_of_order_leave_the_latest(
    chat: Chat, clients: ScoredClients
) -> None:
    """Updates are handled concurrently: what Telegram told last wins, whichever is handled last."""
    t1, t2, t3 = (datetime(2026, 12, 1, 9, minute, tzinfo=UTC) for minute in (0, 1, 2))
    blocked_again = await chat.bind(Role.CLIENT, await clients.take(tier="ordinary"))
    for status, when in (("kicked", t1), ("kicked", t3), ("member", t2)):  # blocked, unblocked, blocked again
        await chat.dispatcher.feed_update(chat.bot, _bot_status_changed(blocked_again, status, when))
    back = await chat.bind(Role.CLIENT, await clients.take(tier="ordinary"))
    for status, when in (("member", t2), ("kicked", t1)):  # blocked, then unblocked
        await chat.dispatcher.feed_update(chat.bot, _bot_status_changed(back, status, when))
    first, second = await chat.account(blocked_again), await chat.account(back)
    assert first is not None
    assert second is not None
    assert first.blocked_at is not None
    assert second.blocked_at is None


async def test_removing_the_bot_from_a_group_is_no_block(chat: Chat, clients: ScoredClients) -> None:
    user_id = await chat.bind(Role.CLIENT, await clients.take(tier="ordinary"))
    group = {"id": -1_001_234_567_890, "type": "supergroup", "title": "Family office"}
    chat.bot.session.clear()
    for status in ("kicked", "left"):
        await chat.dispatcher.feed_update(
            chat.bot, _bot_status_changed(user_id, status, datetime(2026, 12, 1, tzinfo=UTC), group))
    account = await chat.account(user_id)
    assert account is not None
    assert account.blocked_at is None
    assert chat.bot.session.requests == []


async def test_database_errors_carry_no_values_into_logs(scored_engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError) as failure:
        async with scored_engine.begin() as connection:
            await connection.execute(insert(Client).values(
                client_id="C00001", name="Secret Name 4711", onboarded_on=date(2020, 1, 1)))
    assert "Secret Name 4711" not in str(failure.value)


async def test_a_statement_that_writes_is_committed_without_orm_changes(
    scored_engine: AsyncEngine, clients: ScoredClients
) -> None:
    """The unit of work skips the commit for updates that only read; a Core UPDATE still counts."""
    middleware = UnitOfWorkMiddleware(session_factory(scored_engine))
    client_id = await clients.take(Client.locale.is_distinct_from("en"), tier="ordinary")

    async def core_write(_event: object, data: dict[str, Any]) -> None:
        await data["session"].execute(update(Client).where(Client.client_id == client_id).values(locale="en"))

    await middleware(core_write, Update(update_id=1), {})
    async with scored_engine.connect() as connection:
        locale = (await connection.execute(select(Client.locale).where(Client.client_id == client_id))).scalar_one()
    assert locale == "en"


async def test_long_replies_are_split_between_paragraphs() -> None:
    paragraph = "word " * 150
    text = "\n\n".join(f"<b>{i}</b> {paragraph.strip()}" for i in range(12))
    pieces = split_html(text)
    assert len(pieces) > 1
    assert all(len(p) <= MESSAGE_LIMIT for p in pieces)
    assert all(p.startswith("<b>") for p in pieces)
    assert " ".join(pieces).split() == text.split()
    bot = MockedBot()
    await send(bot, 1, text)
    assert len(bot.session.sent(SendMessage)) == len(pieces)
