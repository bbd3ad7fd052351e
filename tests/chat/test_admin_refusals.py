"""The admin views refuse everyone else: a client or an adviser is told /stats and /audit are for admins, an unbound
account that it is not linked yet, and a forged admin button from any of them changes nothing and tells nothing."""

from __future__ import annotations

from datetime import date

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SetMyCommands
from aiogram.types import BotCommandScopeChat
from markupsafe import escape
from sqlalchemy import func, select, update
from support.chat import Chat, new_user_id
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.db.models import Adviser, AuditEntry, Client, Role
from handlers.callbacks import AuditCb

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

FOR_ADMINS = "/stats and /audit are for the firm's admins."
NOT_LINKED = ("Your Telegram account is not linked to a client account yet, so I cannot show a tier. Ask your adviser "
              "for an invitation link; opening it links this account.")
STALE = "This button is no longer valid. Send /help to start again."
DEPARTED = ("Your access to the firm's clients ended when you left the firm on Nov 1, 2026. If you still need it, "
            "please ask the firm's tierbot administrator.")


async def _audit_entries(chat: Chat) -> int:
    async with chat.engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(AuditEntry))).scalar_one()


async def _forged_press_tells_nothing(chat: Chat, user_id: int, client_id: str) -> None:
    before = await _audit_entries(chat)
    assert await chat.press(user_id, AuditCb(client_id=client_id, page=0, upto=10**9).pack()) == []
    assert not chat.bot.session.sent(EditMessageText)
    (answer,) = chat.bot.session.sent(AnswerCallbackQuery)
    assert answer.text == STALE  # what any button no handler takes gets
    assert await _audit_entries(chat) == before


async def _adviser_in_english(chat: Chat, adviser_id: str) -> int:
    """A Telegram account bound to the adviser, reading English whatever their record says."""
    adviser = await chat.bind(Role.ADVISER, adviser_id)
    await chat.send(adviser, "/language")
    await chat.press(adviser, chat.buttons()["English"])
    return adviser


async def test_a_client_and_an_adviser_are_told_the_views_are_for_admins(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, Client.adviser_id.is_not(None), tier="ordinary")
    name = escape((await chat.client_row(client_id))[0])
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    client = await chat.bind(Role.CLIENT, client_id)
    adviser = await _adviser_in_english(chat, adviser_id)
    for user_id in (client, adviser):
        for command in ("/stats", f"/audit {client_id}", "/audit"):
            assert await chat.send(user_id, command) == [FOR_ADMINS]
        await _forged_press_tells_nothing(chat, user_id, client_id)
    assert await chat.send(client, "/stats") == [FOR_ADMINS]
    assert name not in "".join(await chat.send(adviser, f"/audit {client_id}"))

    await chat.send(adviser, "/language")
    await chat.press(adviser, chat.buttons()["简体中文"])
    assert await chat.send(adviser, "/stats") == ["/stats 和 /audit 仅供本机构的管理员使用。"]


async def test_an_adviser_who_left_is_told_their_access_ended(chat: Chat, clients: ScoredClients) -> None:
    """Not an admin either, but the sentence that answers everything else they ask is the one that tells them why."""
    client_id = await clients.take(Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    adviser = await _adviser_in_english(chat, adviser_id)
    async with chat.engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(
            left_on=date(2026, 11, 1)))
    try:
        before = await _audit_entries(chat)
        for command in ("/stats", f"/audit {client_id}", "/audit"):
            assert await chat.send(adviser, command) == [DEPARTED], command
        assert await chat.press(adviser, AuditCb(client_id=client_id, page=0, upto=10**9).pack()) == [DEPARTED]
        assert await _audit_entries(chat) == before
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(left_on=None))


async def test_an_unbound_account_is_told_it_is_not_linked(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(tier="ordinary")
    stranger = new_user_id()
    for command in ("/stats", f"/audit {client_id}"):
        assert await chat.send(stranger, command) == [NOT_LINKED]
    await _forged_press_tells_nothing(chat, stranger, client_id)
    assert await chat.send(stranger, "/stats", language_code="zh-hans") == [
        "您的 Telegram 账户尚未关联客户账户，因此暂时无法显示等级。"
        "请向您的客户经理索取邀请链接，打开链接即可完成关联。"]


async def test_help_lists_the_admin_views_for_admins_only(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    admin = await chat.bind(Role.ADMIN, None)
    (text,) = await chat.send(admin, "/help")
    async with chat.engine.connect() as connection:
        example = (await connection.execute(select(Client.client_id).order_by(Client.client_id))).scalar()
    assert "/stats — the firm at a glance: tiers, the last scoring run, churn risk, who cannot be reached" in text
    assert f"/audit {example} — who viewed or changed what for a client" in text
    (text,) = await chat.send(await chat.bind(Role.ADVISER, adviser_id), "/help")
    assert "/stats" not in text
    assert "/audit" not in text


async def test_help_lists_the_workspace_for_staff_only(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), READS_ENGLISH, tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    adviser = await chat.bind(Role.ADVISER, adviser_id)
    await chat.send(adviser, "/language")
    await chat.press(adviser, chat.buttons()["English"])
    (text,) = await chat.send(adviser, "/help")
    assert "/clients — your book of clients, paged, sorted and filtered\n/client " in text
    assert "a client's summary: standing, assets, suitability, next actions, with a chart" in text
    (text,) = await chat.send(await chat.bind(Role.ADMIN, None), "/help")
    assert "/clients — the firm's clients, paged, sorted and filtered; /clients ADVISER for one adviser's book" in text
    (text,) = await chat.send(await chat.bind(Role.CLIENT, client_id), "/help")
    assert "/clients" not in text
    assert "/client " not in text


async def test_staff_get_their_command_menu_in_their_chat_and_language(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    user_id = new_user_id()
    chat.bot.session.clear()
    await chat.send(user_id, f"/start {await chat.invite(Role.ADVISER, adviser_id)}")
    (menu,) = [r for r in chat.bot.session.requests if isinstance(r, SetMyCommands)]
    assert isinstance(menu.scope, BotCommandScopeChat)
    assert menu.scope.chat_id == user_id
    assert [c.command for c in menu.commands] == ["clients", "client", "tier", "faq", "language", "settings", "help"]
    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()["简体中文"])
    (menu,) = [r for r in chat.bot.session.requests if isinstance(r, SetMyCommands)]
    assert menu.commands[0].description == "我名下的客户"
    client = new_user_id()
    chat.bot.session.clear()
    await chat.send(client, f"/start {await chat.invite(Role.CLIENT, client_id)}")
    # A client gets theirs too, in their language: /unsubscribe and /subscribe among the commands anyone has.
    (menu,) = [r for r in chat.bot.session.requests if isinstance(r, SetMyCommands)]
    assert [c.command for c in menu.commands] == ["tier", "faq", "language", "settings", "unsubscribe", "subscribe",
                                                  "help"]
