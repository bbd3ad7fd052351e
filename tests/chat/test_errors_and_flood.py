"""When things go wrong or people do odd things: failing handlers and buttons, a flood, markup in names, long
replies, and what reaches the logs and the database."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import Update
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat, new_user_id
from support.mocked_bot import MockedBot, callback_update, message_update
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

    def broken(_text: str) -> None:
        raise RuntimeError("matcher on fire")

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
    await chat.press(flooder, chat.buttons()["中文"])
    answers = [await chat.send(flooder, "/help") for _ in range(30)]
    assert sum(1 for a in answers if a) == 3  # two answers, then one notice, then silence
    assert answers[2] == ["您发送消息的速度过快，我来不及回复。请稍候几秒，之后我会继续为您解答。"]
    (text,) = await chat.send(other, "/help")
    assert "/faq" in text
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, callback_update(flooder, "faq:-", message_id=3))
    (answered,) = chat.bot.session.sent(AnswerCallbackQuery)  # a flooded button still stops spinning
    assert answered.text is None


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
