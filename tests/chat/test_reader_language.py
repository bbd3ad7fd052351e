"""The language a person reads: their own choice (/language), else the firm's record of the client or adviser they
are bound to, else their Telegram app's language, else the firm's default; each decides when those before it are
absent."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat, new_user_id
from support.scored_clients import ScoredClients

from bot.config import FirmSettings
from bot.db.models import Adviser, Client, Role
from bot.runtime.dispatcher import create_dispatcher

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

ENGLISH_CARD = "Tier: Ordinary"
CHINESE_CARD = "等级：普通客户"


async def _record(chat: Chat, client_id: str, locale: str | None) -> None:
    async with chat.engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == client_id).values(locale=locale))


async def test_the_record_decides_over_telegram_until_the_client_chooses(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(tier="ordinary")
    await _record(chat, client_id, "zh_Hans")
    user_id = new_user_id()
    # Linked by an invite from an app set to English: the welcome is already in the record's language.
    (welcome,) = await chat.send(user_id, f"/start {await chat.invite(Role.CLIENT, client_id)}", language_code="en")
    assert "您的 Telegram 账户已关联您的客户账户。" in welcome
    (card,) = await chat.send(user_id, "/tier", language_code="en")
    assert CHINESE_CARD in card

    await chat.send(user_id, "/language", language_code="en")
    await chat.press(user_id, chat.buttons()["English"], language_code="en")
    (card,) = await chat.send(user_id, "/tier", language_code="zh-hans")
    assert ENGLISH_CARD in card
    await _record(chat, client_id, "zh_Hans")  # a later import of the same record: the choice still stands
    (card,) = await chat.send(user_id, "/tier", language_code="zh-hans")
    assert ENGLISH_CARD in card


async def test_an_english_record_beats_a_chinese_app(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(tier="ordinary")
    await _record(chat, client_id, "en")
    user_id = await chat.bind(Role.CLIENT, client_id, language_code="zh-hans")
    (card,) = await chat.send(user_id, "/tier", language_code="zh-hans")
    assert ENGLISH_CARD in card


async def test_without_a_record_telegram_s_language_decides(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(tier="ordinary")
    await _record(chat, client_id, None)
    user_id = await chat.bind(Role.CLIENT, client_id, language_code="zh-hans")
    (card,) = await chat.send(user_id, "/tier", language_code="zh-hans")
    assert CHINESE_CARD in card
    (card,) = await chat.send(user_id, "/tier", language_code="en")
    assert ENGLISH_CARD in card


async def test_an_adviser_reads_their_record_s_language(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    async with chat.engine.begin() as connection:
        original = (await connection.execute(
            update(Adviser).where(Adviser.adviser_id == adviser_id).values(locale="zh_Hans")
            .returning(Adviser.locale))).scalar_one()
    try:
        user_id = await chat.bind(Role.ADVISER, adviser_id, language_code="en")
        (card,) = await chat.send(user_id, f"/tier {client_id}", language_code="en")
        assert CHINESE_CARD in card
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(locale=original))


async def test_an_unbound_person_reads_telegram_s_language(chat: Chat) -> None:
    user_id = new_user_id()
    (text,) = await chat.send(user_id, "/help", language_code="zh-hans")
    assert text.startswith("<b>我能为您做什么</b>")
    (text,) = await chat.send(user_id, "/help", language_code="en")
    assert text.startswith("<b>What I can do</b>")


def _chat_with_default(engine: AsyncEngine, locale: str) -> Chat:
    """The chat of a firm whose TIERBOT_DEFAULT_LOCALE is `locale`."""
    chat = Chat(engine, rate_limit=False)
    chat.settings = chat.settings.model_copy(update={"firm": FirmSettings(default_locale=locale)})
    chat.dispatcher = create_dispatcher(engine, chat.settings, rate_limit=False)
    return chat


async def test_with_nothing_else_the_default_decides(scored_engine: AsyncEngine, clients: ScoredClients) -> None:
    chat = _chat_with_default(scored_engine, "zh_Hans")
    client_id = await clients.take(tier="ordinary")
    await _record(chat, client_id, None)
    user_id = await chat.bind(Role.CLIENT, client_id, language_code="de")
    for code in ("de", None):
        (card,) = await chat.send(user_id, "/tier", language_code=code)
        assert CHINESE_CARD in card
    (text,) = await chat.send(new_user_id(), "/help", language_code=None)
    assert text.startswith("<b>我能为您做什么</b>")
    # The default is the last resort only: a record, then Telegram's language, come first.
    (card,) = await chat.send(user_id, "/tier", language_code="en")
    assert ENGLISH_CARD in card
    await _record(chat, client_id, "en")
    (card,) = await chat.send(user_id, "/tier", language_code=None)
    assert ENGLISH_CARD in card
