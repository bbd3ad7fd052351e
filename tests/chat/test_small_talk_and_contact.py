"""Small talk gets a friendly reply saying what the bot can do for this reader, not "I am not sure I understood";
"contact my adviser" gives a client their adviser's name and, when the firm's file has them, phone and email, or
whom to contact instead when they have no adviser now."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import pytest
from aiogram.types import ReplyKeyboardMarkup
from markupsafe import escape
from sqlalchemy import select, update
from support.chat import Chat, new_user_id
from support.scored_clients import ADVISER_READS_ENGLISH, READS_ENGLISH, ScoredClients

from bot.db.models import Adviser, Client, Role

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

UNSURE = "I am not sure I understood"
CLIENT_CAN = ("I can show your tier and how to move up (/tier), suggest what suits you, answer common questions "
              "(/faq) and tell you how to reach your adviser. Just write your question, in Chinese or English.")
CLIENT_CAN_ZH = ("我可以为您显示等级及升级方法（/tier）、推荐适合您的产品与服务、解答常见问题（/faq），"
                 "并告诉您如何联系您的客户经理。直接输入您的问题即可，中英文均可。")
ADVISER_CAN = ("I can list your clients (/clients), show a client's summary (/client followed by their id or part of "
               "their name), and answer common questions (/faq). Send /help to see everything.")
UNLINKED_CAN = ("I can answer common questions about client tiers (/faq), or just ask. To see your own tier, ask "
                "your adviser for an invitation link and open it here.")
UNLINKED_CAN_ZH = ("我可以解答关于客户分级的常见问题（/faq），您也可以直接提问。"
                   "如需查看您本人的等级，请向您的客户经理索取邀请链接，并在此处打开。")


async def test_small_talk_from_a_client_in_either_language(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    name, _adviser = await chat.client_row(client_id)
    user_id = await chat.bind(Role.CLIENT, client_id)
    for greeting in ("hello", "Hi there!", "你好", "good morning 🙂"):
        (text,) = await chat.send(user_id, greeting)
        assert text == f"Hello, {escape(name)}!\n\n{CLIENT_CAN}", greeting
    assert isinstance(chat.last_keyboard(), ReplyKeyboardMarkup)  # the menu comes with it
    for thanks in ("thanks", "thank you so much", "谢谢", "ok thx"):
        (text,) = await chat.send(user_id, thanks)
        assert text == f"You are welcome, glad to help.\n\n{CLIENT_CAN}", thanks
    (text,) = await chat.send(user_id, "thanks, bye!")
    assert text == f"Goodbye, and thank you for writing. I am here whenever you need me.\n\n{CLIENT_CAN}"
    # More than small talk is a question.
    (card,) = await chat.send(user_id, "hi, what tier am I?")
    assert "Tier: Ordinary" in card

    chinese = await chat.bind(Role.CLIENT, await clients.take(Client.locale == "zh_Hans", tier="ordinary"))
    (text,) = await chat.send(chinese, "谢谢您！")
    assert text == f"不客气，很高兴能帮到您。\n\n{CLIENT_CAN_ZH}"
    (text,) = await chat.send(chinese, "再见")
    assert text.startswith("再见，感谢您的留言。")


async def test_small_talk_from_staff_and_from_someone_not_linked(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), ADVISER_READS_ENGLISH, tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    adviser = await chat.bind(Role.ADVISER, adviser_id)
    (text,) = await chat.send(adviser, "hello")
    assert text.endswith(f"!\n\n{ADVISER_CAN}")
    (text,) = await chat.send(adviser, "contact my adviser")
    assert text.startswith("This Telegram account is linked as an adviser: advisers are assigned to clients")
    assert "dedicated one-to-one adviser" not in text
    admin = await chat.bind(Role.ADMIN, None)
    (text,) = await chat.send(admin, "thanks")
    assert text == ("You are welcome, glad to help.\n\nI can list the firm's clients (/clients), show any client's "
                    "summary (/client followed by their id or part of their name), the firm at a glance (/stats), who "
                    "viewed a client (/audit) and the campaigns to clients (/campaigns). Send /help to see "
                    "everything.")

    stranger = new_user_id()
    (text,) = await chat.send(stranger, "hello")
    assert text == f"Hello!\n\n{UNLINKED_CAN}"
    (text,) = await chat.send(stranger, "你好", language_code="zh-hans")
    assert text == f"您好！\n\n{UNLINKED_CAN_ZH}"
    (text,) = await chat.send(stranger, "what's the weather in Paris")
    assert text.startswith(UNSURE)  # what is neither small talk nor a question is still unsure


@asynccontextmanager
async def _adviser_file(chat: Chat, adviser_id: str, **values: Any) -> AsyncIterator[None]:
    """The adviser's row with `values` for the test, as it was afterwards (advisers are shared by tests)."""
    columns = [getattr(Adviser, key) for key in values]
    async with chat.engine.begin() as connection:
        before = (await connection.execute(select(*columns).where(Adviser.adviser_id == adviser_id))).one()
        await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(**values))
    try:
        yield
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(
                dict(zip(values, before, strict=True))))


async def _adviser_name(chat: Chat, adviser_id: str) -> str:
    async with chat.engine.connect() as connection:
        name = (await connection.execute(select(Adviser.name).where(Adviser.adviser_id == adviser_id))).scalar_one()
    return str(escape(name))


async def test_contact_my_adviser_gives_their_name_phone_and_email(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    adviser = await _adviser_name(chat, adviser_id)
    user_id = await chat.bind(Role.CLIENT, client_id)

    async with _adviser_file(chat, adviser_id, phone=None, email=None):  # a file without their contact details
        (text,) = await chat.send(user_id, "Contact my adviser")
    assert text.startswith(f"Your adviser is <b>{adviser}</b>. Contact them through your usual channel with us.")
    async with _adviser_file(chat, adviser_id, phone="+86 21 5555 0101", email="adviser@example.com"):
        (text,) = await chat.send(user_id, "how do I reach my adviser?")
        assert text.startswith(f"Your adviser is <b>{adviser}</b>. You can reach them by phone at +86 21 5555 0101 "
                               "or by email at adviser@example.com. They can explain your tier")
        await chat.send(user_id, "/faq")
        (by_button,) = await chat.press(user_id, chat.buttons()["Contact my adviser"])
        assert by_button == text
        await chat.send(user_id, "/language")
        await chat.press(user_id, chat.buttons()["简体中文"])
        (text,) = await chat.send(user_id, "联系我的顾问")
        assert text.startswith(f"您的客户经理是<b>{adviser}</b>。您可以致电 +86 21 5555 0101 或发送邮件至 "
                               "adviser@example.com 与其联系。")
    async with _adviser_file(chat, adviser_id, phone=None, email="adviser@example.com"):
        (text,) = await chat.send(user_id, "联系我的顾问")
        assert "您可以发送邮件至 adviser@example.com 与其联系。" in text
        assert "致电" not in text


async def test_a_client_without_an_adviser_now_is_told_whom_to_contact(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    user_id = await chat.bind(Role.CLIENT, client_id)
    adviser = await _adviser_name(chat, adviser_id)
    async with _adviser_file(chat, adviser_id, left_on=date(2026, 11, 1), phone="+86 21 5555 0101"):
        (text,) = await chat.send(user_id, "Contact my adviser")
        assert text.startswith("Your adviser has left the firm, and a new one has not been assigned to you yet. "
                               "Until then, please contact our client service through your branch or our service "
                               "line")
        assert adviser not in text
        assert "5555" not in text
        assert "dedicated one-to-one adviser" not in text  # beside "your adviser has left", out of place

    async with chat.engine.begin() as connection:  # this client is the test's own
        await connection.execute(update(Client).where(Client.client_id == client_id).values(adviser_id=None))
    (text,) = await chat.send(user_id, "who is my adviser")
    assert text.startswith("No adviser is assigned to you yet. Please contact our client service through your "
                           "branch or our service line to have one assigned")
