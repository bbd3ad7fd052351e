"""Languages (Telegram's, the one chosen, kept across restarts with Redis), the FAQ by button and free text, and
help, settings and the command menu."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SetMyCommands
from markupsafe import escape
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat, new_user_id
from support.hant import simplified_only
from support.mocked_bot import MockedBot, callback_update, sticker_update
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.db.models import Client, Role
from bot.faq import default_faq
from bot.i18n import format_money, use_locale
from bot.runtime.dispatcher import set_commands
from bot.telegram import create_i18n

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

HAN = r"[\u4e00-\u9fff]"
# /help in Chinese to someone not linked yet (locales/zh_Hans/LC_MESSAGES/messages.po).
HELP_IN_CHINESE_UNLINKED = (
    "<b>我能为您做什么</b>",
    "/faq — 关于等级的常见问题",
    "/settings — 您的语言和关联账户",
    "如需查看您本人的等级，请向您的客户经理索取邀请链接，并在此处打开。",
)
# The same in Traditional Chinese (locales/zh_Hant/LC_MESSAGES/messages.po).
HELP_IN_TRADITIONAL_UNLINKED = (
    "<b>我能為您做什麼</b>",
    "/faq — 關於等級的常見問題",
    "/settings — 您的語言和關聯帳戶",
    "如需查看您本人的等級，請向您的客戶經理索取邀請連結，並在此處開啟。",
)


async def test_telegram_language_codes_map_to_our_catalogs(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(tier="ordinary")
    async with chat.engine.begin() as connection:  # no language in the firm's record: Telegram's decides
        await connection.execute(update(Client).where(Client.client_id == client_id).values(locale=None))
    user_id = await chat.bind(Role.CLIENT, client_id, language_code="zh-hans")
    for code in ("zh-hans", "zh", "zh-CN", "zh-SG", "zh-Hans-HK"):  # Simplified, wherever it is read
        (card,) = await chat.send(user_id, "/tier", language_code=code)
        assert "普通客户" in card, code
    for code in ("zh-TW", "zh-hk", "zh-MO", "zh-Hant"):  # Traditional: its script, or a region that writes it
        (card,) = await chat.send(user_id, "/tier", language_code=code)
        assert "普通客戶" in card, code
        assert simplified_only(card) == [], code
    (card,) = await chat.send(user_id, "/tier", language_code="de")
    assert "Tier: Ordinary" in card


async def test_language_choice_is_remembered_over_telegram_s(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.locale == "zh_Hans", tier="ordinary")  # their record agrees with Telegram
    user_id = await chat.bind(Role.CLIENT, client_id, language_code="zh-hans")
    (picker,) = await chat.send(user_id, "/language", language_code="zh-hans")
    assert picker == "选择语言 / Choose your language："
    buttons = chat.buttons()
    assert list(buttons) == ["简体中文", "繁體中文", "English"]
    texts = await chat.press(user_id, buttons["English"], language_code="zh-hans")
    assert texts[0].startswith("Language: English")
    account = await chat.account(user_id)
    assert account is not None
    assert account.locale == "en"
    (card,) = await chat.send(user_id, "/tier", language_code="zh-hans")
    assert "Tier: Ordinary" in card


@pytest.mark.parametrize(("button", "help_lines"), [("简体中文", HELP_IN_CHINESE_UNLINKED),
                                                   ("繁體中文", HELP_IN_TRADITIONAL_UNLINKED)])
async def test_an_unbound_person_s_language_choice_lasts_too(
    chat: Chat, button: str, help_lines: tuple[str, ...]
) -> None:
    user_id = new_user_id()
    assert await chat.send(user_id, "/language") == ["Choose your language / 选择语言 / 選擇語言:"]
    await chat.press(user_id, chat.buttons()[button])
    (text,) = await chat.send(user_id, "/help")
    for line in help_lines:
        assert line in text


async def test_with_redis_an_unbound_person_s_language_survives_a_restart(scored_engine: AsyncEngine) -> None:
    url = "redis://127.0.0.1:6379/15"
    user_id = new_user_id()
    first = Chat(scored_engine, redis_url=url)
    try:
        await first.send(user_id, "/language")
        await first.press(user_id, first.buttons()["简体中文"])
    finally:
        await first.dispatcher.fsm.storage.close()
    restarted = Chat(scored_engine, redis_url=url)
    try:
        (text,) = await restarted.send(user_id, "/help")
        for line in HELP_IN_CHINESE_UNLINKED:
            assert line in text
    finally:
        storage = restarted.dispatcher.fsm.storage
        assert isinstance(storage, RedisStorage)
        await storage.redis.delete(*await storage.redis.keys(f"fsm:*:{user_id}:*"))
        await storage.close()


async def test_every_view_reads_in_chinese(chat: Chat, clients: ScoredClients) -> None:
    user_id = await chat.bind(Role.CLIENT, await clients.take(Client.locale == "zh_Hans", tier="mid"),
                             language_code="zh-hans")
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


async def test_faq_buttons_edit_in_place_and_forged_entries_show_the_list(chat: Chat) -> None:
    user_id = new_user_id()
    (text,) = await chat.send(user_id, "/faq")
    buttons = chat.buttons()
    faq = default_faq()
    assert buttons == {faq.title(entry_id, "en"): f"faq:{entry_id}" for entry_id in faq.entries}
    assert list(buttons.values()) == [f"faq:{entry_id}" for entry_id in faq.entries]
    (answer,) = await chat.press(user_id, buttons["Risk assessment"])
    assert answer.startswith("The <b>risk assessment</b> is a questionnaire that sets your risk tolerance, from "
                             "<b>C1</b> (most conservative) to <b>C5</b> (most aggressive).")
    assert "An assessment is valid for <b>24 months</b>." in answer
    assert isinstance(chat.bot.session.requests[0], EditMessageText)
    (listing,) = await chat.press(user_id, "faq:no_such_entry")
    assert listing == text


async def test_free_text_questions_in_either_language(chat: Chat) -> None:
    user_id = new_user_id()
    (answer,) = await chat.send(user_id, "how do i get to a higher tier")
    assert answer.startswith("Your tier follows your monthly average assets over the last 3 months.")
    assert "reaches CN¥500,000 you become <b>Mid-tier</b>, and from CN¥6,000,000 <b>High-net-worth</b>" in answer
    assert "You are <b>" not in answer  # unbound: the rules' figures, none of a client's
    (answer,) = await chat.send(user_id, "我是什么等级")  # unbound: the FAQ's answer, no figures
    assert answer.startswith("Your Telegram account is not linked to a client account yet, so I cannot see your tier.")
    assert "CN¥" not in answer
    (unsure,) = await chat.send(user_id, "what's the weather in Paris")
    assert unsure == "I am not sure I understood. Try /faq for the common questions, or reach your adviser."
    assert chat.buttons()["Contact my adviser"] == "faq:contact_adviser"


async def test_staff_not_understood_are_not_sent_to_an_adviser(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()["English"])
    (unsure,) = await chat.send(user_id, "what's the weather in Paris")
    assert unsure == "I am not sure I understood. Try /faq for the common questions, or /help for what I can do."
    assert "Contact my adviser" not in chat.buttons()


async def test_a_client_s_faq_answer_can_use_their_figures(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    assets = await chat.average_assets(client_id)
    user_id = await chat.bind(Role.CLIENT, client_id)
    await chat.send(user_id, "/faq")
    (answer,) = await chat.press(user_id, chat.buttons()["How can I move up a tier?"])
    with use_locale("en"):  # whole amounts from 1,000 are written without cents
        have, short = format_money(assets), format_money(Decimal(500_000) - assets)
    assert f"You are <b>Ordinary</b> with {have}; <b>Mid-tier</b> needs {short} more." in answer


async def test_help_settings_unknown_commands_and_stickers(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    name, _adviser = await chat.client_row(client_id)
    user_id = await chat.bind(Role.CLIENT, client_id)
    (text,) = await chat.send(user_id, "/help")
    assert "/tier — your tier, how to move up, recommendations" in text
    assert "/faq — common questions about tiers" in text
    assert "invitation link" not in text  # that is for people not linked yet
    (text,) = await chat.send(user_id, "/settings")
    assert "Language: English" in text
    assert f"Linked to the client account of {escape(name)} ({client_id})." in text
    (text,) = await chat.send(user_id, "/frobnicate")
    assert text == "I don't know that command. Send /help to see what I can do, or just ask your question."
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, sticker_update(user_id))
    assert "only read text" in chat.bot.session.texts()[0]
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, callback_update(user_id, "garbage:data", message_id=1))
    (answered,) = chat.bot.session.sent(AnswerCallbackQuery)
    assert answered.text == "This button is no longer valid. Send /help to start again."


async def test_the_command_menu_is_set_per_language() -> None:
    bot = MockedBot()
    await set_commands(bot, create_i18n("en"))
    codes = [request.language_code for request in bot.session.sent(SetMyCommands)]
    # Telegram takes a two-letter code and keeps the last menu set for it: a second "zh" would replace the first.
    assert sorted(codes, key=str) == [None, "en", "zh"], codes
    menus = {request.language_code: request.commands for request in bot.session.sent(SetMyCommands)}
    assert [(c.command, c.description) for c in menus["en"]] == [
        ("tier", "My tier and how to move up"), ("faq", "Common questions"), ("language", "中文 / English"),
        ("settings", "Language and linked account"), ("help", "What I can do")]
    assert [(c.command, c.description) for c in menus["zh"]] == [
        ("tier", "我的等级及升级方法"), ("faq", "常见问题"), ("language", "中文 / English"),
        ("settings", "语言和关联账户"), ("help", "我能为您做什么")]
    assert menus[None] == menus["en"]
