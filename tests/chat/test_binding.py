"""The chat as people use it: updates fed through the real dispatcher, middlewares and handlers, with a Bot
whose session records what would go to Telegram. The database is scored demo data, shared by the module;
each test binds Telegram users of its own.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from aiogram import Dispatcher
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, SetMyCommands
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from mocked_bot import MockedBot, callback_update, message_update, sticker_update
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts import create_invite
from bot.config import Settings
from bot.db import session_factory
from bot.db.models import Adviser, AuditEntry, Client, Invite, Role, TelegramAccount, TierState
from bot.i18n import create_i18n
from bot.runtime.dispatcher import create_dispatcher, set_commands
from bot.telegram.middlewares import DatabaseMiddleware, ThrottlingMiddleware
from bot.telegram.sending import MESSAGE_LIMIT, send, split_html

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="module")]

_user_ids = itertools.count(5_000_001)
HAN = r"[\u4e00-\u9fff]"


@pytest_asyncio.fixture(loop_scope="module")
async def chat(scored_engine: AsyncEngine) -> AsyncIterator[Chat]:
    yield Chat(scored_engine, rate_limit=False)  # tests type faster than people; the flood test has its own


class Chat:
    """A dispatcher on the scored database and a recording bot, with the steps people take."""

    def __init__(self, engine: AsyncEngine, *, settings: dict[str, str] | None = None, **options: object) -> None:
        self.engine = engine
        self.settings = Settings(bot_token="42:TEST", default_locale="en", **(settings or {}))  # type: ignore[arg-type]
        self.dispatcher: Dispatcher = create_dispatcher(engine, self.settings, **options)  # type: ignore[arg-type]
        self.bot = MockedBot()

    async def send(self, user_id: int, text: str, *, language_code: str | None = "en") -> list[str]:
        """The texts the bot sent or edited in answer to a message."""
        self.bot.session.clear()
        await self.dispatcher.feed_update(self.bot, message_update(user_id, text, language_code=language_code))
        return self.bot.session.texts()

    async def press(self, user_id: int, data: str, *, language_code: str | None = "en") -> list[str]:
        self.bot.session.clear()
        await self.dispatcher.feed_update(
            self.bot, callback_update(user_id, data, message_id=77, language_code=language_code))
        return self.bot.session.texts()

    def last_keyboard(self) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
        sent = [r for r in self.bot.session.requests if isinstance(r, SendMessage | EditMessageText)]
        return sent[-1].reply_markup if sent else None  # type: ignore[return-value]

    def buttons(self) -> dict[str, str]:
        """Label -> callback data of the last inline keyboard."""
        markup = self.last_keyboard()
        assert isinstance(markup, InlineKeyboardMarkup)
        return {b.text: b.callback_data or "" for row in markup.inline_keyboard for b in row}

    async def invite(self, role: Role, target: str | None, *, ttl: timedelta = timedelta(days=7)) -> str:
        async with session_factory(self.engine)() as session, session.begin():
            return (await create_invite(session, role, target, created_by="tests", ttl=ttl)).token

    async def bind(self, role: Role, target: str | None, *, language_code: str = "en") -> int:
        user_id = next(_user_ids)
        await self.send(user_id, f"/start {await self.invite(role, target)}", language_code=language_code)
        return user_id

    async def account(self, user_id: int) -> TelegramAccount | None:
        async with session_factory(self.engine)() as session:
            return await session.get(TelegramAccount, user_id)

    async def client_in_tier(self, tier: str, *, skip: int = 0) -> str:
        async with self.engine.connect() as connection:
            return (await connection.execute(
                select(TierState.client_id).where(TierState.tier == tier).order_by(TierState.client_id)
                .offset(skip).limit(1))).scalar_one()

    async def client_row(self, client_id: str) -> tuple[str, str | None]:
        async with self.engine.connect() as connection:
            name, adviser_id = (await connection.execute(
                select(Client.name, Client.adviser_id).where(Client.client_id == client_id))).one()
        return name, adviser_id


# --- binding -------------------------------------------------------------------------------------------------


async def test_an_unbound_person_is_greeted_and_told_how_to_get_linked(chat: Chat) -> None:
    user_id = next(_user_ids)
    (text,) = await chat.send(user_id, "/start")
    assert "invitation link" in text
    menu = chat.last_keyboard()
    assert isinstance(menu, ReplyKeyboardMarkup)
    assert "📊 My tier" not in [b.text for row in menu.keyboard for b in row]
    (text,) = await chat.send(user_id, "/tier")
    assert "not linked" in text
    assert "CN¥" not in text


async def test_an_invite_binds_once_then_refuses(chat: Chat) -> None:
    client_id = await chat.client_in_tier("ordinary", skip=1)
    name, _adviser = await chat.client_row(client_id)
    token = await chat.invite(Role.CLIENT, client_id)
    first, second = next(_user_ids), next(_user_ids)

    (text,) = await chat.send(first, f"/start {token}")
    assert "linked to your client account" in text
    assert name in text
    account = await chat.account(first)
    assert account is not None
    assert (account.role, account.client_id) == (Role.CLIENT, client_id)

    (text,) = await chat.send(second, f"/start {token}")
    assert "already been used" in text
    assert await chat.account(second) is None
    async with chat.engine.connect() as connection:
        actions = (await connection.execute(
            select(AuditEntry.action).where(AuditEntry.client_id == client_id))).scalars().all()
    assert "account.bind" in actions


@pytest.mark.parametrize(("token", "sentence"), [
    ("expired", "has expired"),
    ("forged", "not valid"),
])
async def test_an_expired_or_forged_token_binds_nothing(chat: Chat, token: str, sentence: str) -> None:
    client_id = await chat.client_in_tier("ordinary", skip=2)
    if token == "expired":
        token = await chat.invite(Role.CLIENT, client_id, ttl=timedelta(seconds=-1))
    else:
        token = "A" * 43
    user_id = next(_user_ids)
    (text,) = await chat.send(user_id, f"/start {token}")
    assert sentence in text
    assert await chat.account(user_id) is None
    async with chat.engine.connect() as connection:
        used = (await connection.execute(select(Invite.used_at).where(Invite.client_id == client_id))).scalars()
        assert all(at is None for at in used)


async def test_a_bound_account_cannot_be_rebound_to_someone_else(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("ordinary", skip=3))
    other = await chat.invite(Role.CLIENT, await chat.client_in_tier("ordinary", skip=4))
    (text,) = await chat.send(user_id, f"/start {other}")
    assert "already linked to someone else" in text


# --- my tier -------------------------------------------------------------------------------------------------


async def test_the_tier_card_and_its_views_edit_one_message(chat: Chat) -> None:
    client_id = await chat.client_in_tier("ordinary")
    user_id = await chat.bind(Role.CLIENT, client_id)

    (card,) = await chat.send(user_id, "/tier")
    assert "Tier: Ordinary" in card
    assert "As of Oct 31, 2026" in card
    assert "CN¥" in card
    for dimension in ("Asset size", "Activity", "Lifecycle", "Need complexity", "Loyalty"):
        assert dimension in card
    buttons = chat.buttons()
    assert set(buttons) == {"📈 How to move up", "💡 Recommendations", "🔍 The five dimensions explained"}

    (gap,) = await chat.press(user_id, buttons["📈 How to move up"])
    assert "How to reach Mid-tier" in gap
    assert "CN¥500,000.00" in gap
    assert "short" in gap
    assert isinstance(chat.bot.session.requests[0], EditMessageText)
    assert any(isinstance(r, AnswerCallbackQuery) for r in chat.bot.session.requests)

    (recommendations,) = await chat.press(user_id, chat.buttons()["💡 Recommendations"])
    assert "Recommended for you" in recommendations
    (dimensions,) = await chat.press(user_id, chat.buttons()["🔍 The five dimensions explained"])
    assert "high-net-worth from CN¥6,000,000.00" in dimensions
    (back,) = await chat.press(user_id, chat.buttons()["⬅️ Back to my tier"])
    assert back == card


async def test_the_menu_button_and_free_text_give_the_card(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("mid"))
    (by_button,) = await chat.send(user_id, "📊 My tier")
    assert "Tier: Mid-tier" in by_button
    (by_text,) = await chat.send(user_id, "what tier am I")
    assert by_text == by_button
    (in_chinese,) = await chat.send(user_id, "我是什么等级", language_code="zh-hans")
    assert "中端客户" in in_chinese
    assert "¥" in in_chinese


async def test_telegram_language_codes_map_to_our_catalogs(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("ordinary", skip=5), language_code="zh-hans")
    for code in ("zh-hans", "zh", "zh-TW", "zh-hk"):
        (card,) = await chat.send(user_id, "/tier", language_code=code)
        assert "普通客户" in card, code
    (card,) = await chat.send(user_id, "/tier", language_code="de")
    assert "Tier: Ordinary" in card


async def test_language_choice_is_remembered_over_telegram_s(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("ordinary", skip=6), language_code="zh-hans")
    await chat.send(user_id, "/language", language_code="zh-hans")
    buttons = chat.buttons()
    assert set(buttons) == {"中文", "English"}
    texts = await chat.press(user_id, buttons["English"], language_code="zh-hans")
    assert texts[0].startswith("Language: English")
    account = await chat.account(user_id)
    assert account is not None
    assert account.locale == "en"
    (card,) = await chat.send(user_id, "/tier", language_code="zh-hans")
    assert "Tier: Ordinary" in card


async def test_an_unbound_person_s_language_choice_lasts_too(chat: Chat) -> None:
    user_id = next(_user_ids)
    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()["中文"])
    (text,) = await chat.send(user_id, "/help")
    assert "我" in text


# --- who sees what -----------------------------------------------------------------------------------------


async def test_a_client_cannot_see_another_client(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("ordinary", skip=7))
    other = await chat.client_in_tier("mid", skip=1)
    other_name, _ = await chat.client_row(other)

    (text,) = await chat.send(user_id, f"/tier {other}")
    assert "only show the tier of the client this Telegram account is linked to" in text
    assert other_name not in text
    assert "CN¥" not in text

    for view in ("card", "gap", "recs", "dims"):
        (text,) = await chat.press(user_id, f"tier:{view}:{other}")
        assert "CN¥" not in text
        assert other_name not in text


async def test_an_unbound_person_pressing_a_forged_button_sees_nothing(chat: Chat) -> None:
    other = await chat.client_in_tier("mid")
    (text,) = await chat.press(next(_user_ids), f"tier:card:{other}")
    assert "not linked" in text
    assert "CN¥" not in text


async def test_an_adviser_sees_their_clients_only_and_views_are_audited(chat: Chat) -> None:
    client_id = await chat.client_in_tier("mid")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    (card,) = await chat.send(user_id, f"/tier {client_id}")
    assert client_id in card
    assert "Tier: Mid-tier" in card
    async with chat.engine.connect() as connection:
        viewed = (await connection.execute(select(AuditEntry.actor).where(
            AuditEntry.action == "client.view", AuditEntry.client_id == client_id))).scalars().all()
        someone_else_s = (await connection.execute(
            select(Client.client_id).where(Client.adviser_id != adviser_id).limit(1))).scalar_one()
    assert f"tg:{user_id}" in viewed
    (text,) = await chat.send(user_id, f"/tier {someone_else_s}")
    assert "CN¥" not in text


# --- the FAQ -------------------------------------------------------------------------------------------------


async def test_faq_buttons_edit_in_place_and_forged_entries_show_the_list(chat: Chat) -> None:
    user_id = next(_user_ids)
    (text,) = await chat.send(user_id, "/faq")
    buttons = chat.buttons()
    assert len(buttons) >= 15
    (answer,) = await chat.press(user_id, buttons[next(t for t in buttons if "risk" in t.lower())])
    assert "C1" in answer or "risk" in answer.lower()
    assert isinstance(chat.bot.session.requests[0], EditMessageText)
    (listing,) = await chat.press(user_id, "faq:no_such_entry")
    assert listing == text


async def test_free_text_questions_in_either_language(chat: Chat) -> None:
    user_id = next(_user_ids)
    (answer,) = await chat.send(user_id, "how do i get to a higher tier")
    assert "500,000" in answer or "500" in answer
    (answer,) = await chat.send(user_id, "我是什么等级")  # unbound: the FAQ's answer, no figures
    assert "CN¥" not in answer
    (unsure,) = await chat.send(user_id, "what's the weather in Paris")
    assert "not sure" in unsure
    assert "contact_adviser" in "".join(chat.buttons().values())


async def test_a_client_s_faq_answer_can_use_their_figures(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("ordinary", skip=8))
    await chat.send(user_id, "/faq")
    buttons = chat.buttons()
    (answer,) = await chat.press(user_id, buttons[next(t for t in buttons if "higher" in t.lower()
                                                       or "move up" in t.lower())])
    assert "CN¥" in answer


# --- help, errors, odd input --------------------------------------------------------------------------------


async def test_help_settings_unknown_commands_and_stickers(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("ordinary", skip=9))
    (text,) = await chat.send(user_id, "/help")
    assert "/tier" in text
    assert "/faq" in text
    (text,) = await chat.send(user_id, "/settings")
    assert "Language: English" in text
    assert "Linked to the client account" in text
    (text,) = await chat.send(user_id, "/frobnicate")
    assert "/help" in text
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, sticker_update(user_id))
    assert "only read text" in chat.bot.session.texts()[0]
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, callback_update(user_id, "garbage:data", message_id=1))
    (answered,) = chat.bot.session.sent(AnswerCallbackQuery)
    assert "no longer valid" in (answered.text or "")


async def test_html_in_names_is_escaped(chat: Chat) -> None:
    client_id = await chat.client_in_tier("ordinary", skip=10)
    async with chat.engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == client_id).values(name="<b>Eve</b> & Co"))
    user_id = await chat.bind(Role.CLIENT, client_id)
    (text,) = await chat.send(user_id, "/start")
    assert "&lt;b&gt;Eve&lt;/b&gt; &amp; Co" in text


async def test_a_failing_handler_apologises_and_logs_ids_only(
    chat: Chat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("ordinary", skip=11))

    def broken(_text: str) -> None:
        raise RuntimeError("matcher on fire")

    monkeypatch.setattr(chat.dispatcher["faq"], "match", broken)
    update_ = message_update(user_id, "my secret question 4711")
    chat.bot.session.clear()
    with caplog.at_level(logging.ERROR, logger="tierbot"):
        await chat.dispatcher.feed_update(chat.bot, update_)
    (text,) = chat.bot.session.texts()
    assert text.startswith("Sorry, something went wrong")
    (record,) = [r for r in caplog.records if r.name == "tierbot.handlers"]
    assert str(update_.update_id) in record.getMessage()
    assert "secret-text-4711" not in record.getMessage()


async def test_a_flood_gets_one_notice_and_others_are_still_served(scored_engine: AsyncEngine) -> None:
    chat = Chat(scored_engine, throttling=ThrottlingMiddleware(session_factory(scored_engine), burst=5, rate=0.001))
    flooder = await chat.bind(Role.CLIENT, await chat.client_in_tier("ordinary", skip=12))
    other = next(_user_ids)
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


async def test_the_command_menu_is_set_per_language() -> None:
    bot = MockedBot()
    await set_commands(bot, create_i18n("en"))
    menus = {request.language_code: request.commands for request in bot.session.sent(SetMyCommands)}
    assert set(menus) == {None, "en", "zh"}
    assert [c.command for c in menus["zh"]] == ["tier", "faq", "language", "settings", "help"]
    assert menus["zh"][0].description != menus["en"][0].description


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


async def test_with_redis_an_unbound_person_s_language_survives_a_restart(scored_engine: AsyncEngine) -> None:
    url = "redis://127.0.0.1:6379/15"
    user_id = next(_user_ids)
    first = Chat(scored_engine, settings={"redis_url": url})
    try:
        await first.send(user_id, "/language")
        await first.press(user_id, first.buttons()["中文"])
    finally:
        await first.dispatcher.fsm.storage.close()
    restarted = Chat(scored_engine, settings={"redis_url": url})
    try:
        (text,) = await restarted.send(user_id, "/help")
        assert "我" in text
    finally:
        storage = restarted.dispatcher.fsm.storage
        assert isinstance(storage, RedisStorage)
        await storage.redis.delete(*await storage.redis.keys(f"fsm:*:{user_id}:*"))
        await storage.close()


async def test_every_view_reads_in_chinese(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("mid", skip=2), language_code="zh-hans")
    texts: list[str] = []
    for text in ("/start", "/help", "/settings", "/language", "/faq", "/frobnicate", "天气怎么样", "/tier"):
        texts += await chat.send(user_id, text, language_code="zh-hans")
    for label, data in chat.buttons().items():
        assert re.search(HAN, label), label
        texts += await chat.press(user_id, data, language_code="zh-hans")
    await chat.send(user_id, "/faq", language_code="zh-hans")
    for data in list(chat.buttons().values()):
        texts += await chat.press(user_id, data, language_code="zh-hans")
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, sticker_update(user_id, language_code="zh-hans"))
    texts += chat.bot.session.texts()
    assert len(texts) >= 30
    for text in texts:
        assert re.search(HAN, text), text
        assert "None" not in text, text


async def test_database_errors_carry_no_values_into_logs(scored_engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError) as failure:
        async with scored_engine.begin() as connection:
            await connection.execute(insert(Client).values(
                client_id="C00001", name="Secret Name 4711", onboarded_on=date(2020, 1, 1)))
    assert "Secret Name 4711" not in str(failure.value)


async def test_a_statement_that_writes_is_committed_without_orm_changes(scored_engine: AsyncEngine) -> None:
    """The session middleware skips the commit for updates that only read; a Core UPDATE still counts."""
    middleware = DatabaseMiddleware(session_factory(scored_engine))
    client_id = await Chat(scored_engine).client_in_tier("ordinary", skip=13)

    async def core_write(_event: object, data: dict[str, Any]) -> None:
        await data["session"].execute(update(Client).where(Client.client_id == client_id).values(locale="en"))

    await middleware(core_write, Update(update_id=1), {})
    async with scored_engine.connect() as connection:
        locale = (await connection.execute(select(Client.locale).where(Client.client_id == client_id))).scalar_one()
    assert locale == "en"


async def test_nothing_is_said_in_groups(chat: Chat) -> None:
    user_id = await chat.bind(Role.CLIENT, await chat.client_in_tier("mid", skip=3))
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, message_update(user_id, "/tier", chat_id=-1001234567890))
    await chat.dispatcher.feed_update(chat.bot, message_update(next(_user_ids), "/start", chat_id=-100987654321))
    assert chat.bot.session.requests == []


async def test_an_adviser_who_left_sees_no_client(chat: Chat) -> None:
    client_id = await chat.client_in_tier("ordinary", skip=14)
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    async with chat.engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(
            left_on=date(2026, 11, 1)))
    try:
        (text,) = await chat.send(user_id, f"/tier {client_id}")
        assert "CN¥" not in text
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(left_on=None))


async def test_an_admin_asks_by_id_and_hears_of_unknown_ids(chat: Chat) -> None:
    user_id = await chat.bind(Role.ADMIN, None)
    (text,) = await chat.send(user_id, "/tier")
    assert "followed by a client's id" in text
    (text,) = await chat.send(user_id, "/tier C99999")
    assert text == "There is no client with that id."
    (text,) = await chat.send(user_id, f"/tier {await chat.client_in_tier('mid')}")
    assert "Tier: Mid-tier" in text


async def test_how_to_move_up_at_the_top_tier_shows_the_card(chat: Chat) -> None:
    client_id = await chat.client_in_tier("ordinary", skip=15)
    async with chat.engine.begin() as connection:
        await connection.execute(update(TierState).where(TierState.client_id == client_id).values(
            tier="high_net_worth", qualified_tier="high_net_worth"))
    user_id = await chat.bind(Role.CLIENT, client_id)
    (card,) = await chat.send(user_id, "/tier")
    assert "📈 How to move up" not in chat.buttons()
    (text,) = await chat.press(user_id, f"tier:gap:{client_id}")  # a stale button from before the upgrade
    assert text == card


async def test_a_failing_button_gets_an_apology_too(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    client_id = await chat.client_in_tier("ordinary", skip=16)
    user_id = await chat.bind(Role.CLIENT, client_id)

    async def broken(*_args: object) -> None:
        raise RuntimeError("facts on fire")

    monkeypatch.setattr("handlers.client.tier.client_details", broken)
    texts = await chat.press(user_id, f"tier:dims:{client_id}")
    assert texts == ["Sorry, something went wrong on our side and I could not answer. Please try again in a "
                     "moment; if it keeps happening, contact your adviser."]
    assert len(chat.bot.session.sent(AnswerCallbackQuery)) == 1
