"""A client's yes or no to marketing in the chat: /unsubscribe and /subscribe, the refusal words, the button under
every strategy message; each a consent record with its channel and the version of the confirmation shown. Staff and
people not linked are told these are not theirs; /settings and /help show them to clients."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from aiogram.methods import AnswerCallbackQuery, SetMyCommands
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from support.campaigns import awake_zone, buttons, render_as_sender, set_timezone, start_campaign
from support.chat import Chat, new_user_id
from support.paths import REPOSITORY
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.accounts import AllowedClient, Reader, Refusal, grant_access
from bot.campaigns.content import load_strategy
from bot.db.models import Campaign, CampaignKind, Client, ConsentRecord, OutboxMessage, OutboxStatus, Role
from bot.delivery.sender import Rendered
from handlers.campaigns import consent as consent_handlers

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

SOURCE_DIGEST = hashlib.sha256(
    (REPOSITORY / "templates" / "campaigns" / "consent.html.j2").read_bytes()).hexdigest()[:12]
MENU_DIGEST = hashlib.sha256((REPOSITORY / "templates" / "commands.html.j2").read_bytes()).hexdigest()[:12]
SERVICE = ("Service messages are not marketing and still reach you: alerts about your account and our feedback "
           "surveys.")
STOPPED = (
    "Done: you will no longer receive our strategy messages, which are marketing.\n"
    "\n"
    f"{SERVICE}\n"
    "To receive them again, send /subscribe or press the button below."
)
ALLOWED_AGAIN = (
    "Done: you will receive our strategy messages, which are marketing, again.\n"
    "\n"
    f"{SERVICE}\n"
    "To stop strategy messages, send /unsubscribe, reply 退订, or press the button below."
)


async def _records(engine: AsyncEngine, client_id: str) -> list[tuple[bool, str, str, int | None]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(  # type: ignore[misc]
            select(ConsentRecord.granted, ConsentRecord.channel, ConsentRecord.text_version,
                   ConsentRecord.telegram_user_id)
            .where(ConsentRecord.client_id == client_id).order_by(ConsentRecord.id))]


async def _client(chat: Chat, clients: ScoredClients, *where: object, language_code: str = "en") -> tuple[str, int]:
    client_id = await clients.take(*(where or (READS_ENGLISH,)))  # type: ignore[arg-type]
    return client_id, await chat.bind(Role.CLIENT, client_id, language_code=language_code)


async def test_unsubscribe_and_subscribe_record_what_changed_with_the_wording_shown(
        chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id = await _client(chat, clients)
    assert await chat.send(user_id, "/unsubscribe") == [STOPPED]
    assert chat.buttons() == {"🔔 Receive them again": "cons:on"}
    # The command was offered by the command menu; the button that undid it, by the confirmation.
    menu = f"commands.html.j2@{MENU_DIGEST}:en"
    version = f"campaigns/consent.html.j2@{SOURCE_DIGEST}:en"
    assert await _records(chat.engine, client_id) == [(False, "telegram:command", menu, user_id)]

    (again,) = await chat.send(user_id, "/unsubscribe")
    assert again.startswith("You had already stopped our strategy messages, which are marketing; nothing has changed.")
    assert len(await _records(chat.engine, client_id)) == 1  # nothing changed, nothing recorded

    assert await chat.press(user_id, chat.buttons()["🔔 Receive them again"]) == [ALLOWED_AGAIN]
    assert chat.buttons() == {"🔕 Stop these messages": "cons:off"}
    (already,) = await chat.send(user_id, "/subscribe")
    assert already.startswith("You already receive our strategy messages, which are marketing; nothing has changed.")
    assert await _records(chat.engine, client_id) == [(False, "telegram:command", menu, user_id),
                                                     (True, "telegram:button", version, user_id)]


@pytest.mark.parametrize("word", ["退订", "STOP", "Stop!", " unsubscribe. ", "Unsubscribe"])
async def test_a_refusal_word_alone_unsubscribes(chat: Chat, clients: ScoredClients, word: str) -> None:
    client_id, user_id = await _client(chat, clients)
    assert await chat.send(user_id, word) == [STOPPED]
    ((granted, channel, *_),) = await _records(chat.engine, client_id)
    assert (granted, channel) == (False, "telegram:word")


async def test_a_message_that_says_more_is_no_refusal(chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id = await _client(chat, clients)
    for text in ("stop sending me the tier card", "退订了吗", "how do I unsubscribe?"):
        (reply,) = await chat.send(user_id, text)
        assert not reply.startswith("Done:"), text
    assert await _records(chat.engine, client_id) == []


async def test_in_chinese_the_confirmation_and_its_version_are_chinese(chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id = await _client(chat, clients, Client.locale == "zh_Hans", language_code="zh-hans")
    (text,) = await chat.send(user_id, "退订", language_code="zh-hans")
    assert text.splitlines() == [
        "已办理：您将不再收到我们的策略推荐消息（属于营销信息）。", "",
        "服务类消息不属于营销信息，仍会照常发送给您：包括与您账户相关的提醒和我们的调查问卷。",
        "如需重新接收，请发送 /subscribe 或点击下方按钮。"]
    assert chat.buttons() == {"🔔 重新接收": "cons:on"}
    ((_granted, _channel, version, _user),) = await _records(chat.engine, client_id)
    assert version == f"commands.html.j2@{MENU_DIGEST}:zh_Hans"


async def test_in_traditional_chinese_the_traditional_word_refuses_and_the_confirmation_is_traditional(
        chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id = await _client(chat, clients, Client.locale == "zh_Hant", language_code="zh-TW")
    (text,) = await chat.send(user_id, "取消訂閱", language_code="zh-TW")
    assert text.splitlines() == [
        "已辦理：您將不再收到我們的策略推薦訊息（屬於推廣資訊）。", "",
        "服務類訊息不屬於推廣資訊，仍會照常發送給您：包括與您帳戶相關的提醒和我們的意見問卷。",
        "如需重新接收，請發送 /subscribe 或點擊下方按鈕。"]
    assert chat.buttons() == {"🔔 重新接收": "cons:on"}
    ((granted, channel, version, _user),) = await _records(chat.engine, client_id)
    assert (granted, channel) == (False, "telegram:word")
    assert version == f"commands.html.j2@{MENU_DIGEST}:zh_Hant"
    # Allowed again, the client is told the Traditional word that refuses.
    (again,) = await chat.press(user_id, "cons:on")
    assert again.endswith("如需取消訂閱策略推薦訊息，請發送 /unsubscribe、回覆「取消訂閱」或點擊下方按鈕。")
    assert [granted for granted, *_ in await _records(chat.engine, client_id)] == [False, True]


async def test_the_button_under_a_strategy_message_refuses_further_ones(chat: Chat, clients: ScoredClients) -> None:
    client_id, user_id = await _client(chat, clients, READS_ENGLISH, Client.adviser_id.is_not(None))
    await set_timezone(chat.engine, client_id, awake_zone())
    first = await start_campaign(chat.engine, CampaignKind.STRATEGY, "seminars", {client_id: user_id})
    message = await render_as_sender(chat.engine, first.outbox[client_id])
    assert isinstance(message, Rendered)
    assert message.text.endswith("\n\n<i>Reply 退订 or /unsubscribe to stop these messages.</i>")
    assert buttons(message.reply_markup) == {"🔕 Stop these messages": "cons:off"}

    async with chat.engine.begin() as connection:  # as the sender records it: the message it sent
        await connection.execute(update(OutboxMessage).where(OutboxMessage.id == first.outbox[client_id])
                                 .values(message_id=77, status=OutboxStatus.SENT))
        digest = load_strategy("seminars").digest  # what a start records
        await connection.execute(update(Campaign).where(Campaign.id == first.campaign_id)
                                 .values(content_digest=digest))

    assert await chat.press(user_id, "cons:off") == [STOPPED]  # pressed under message 77
    assert not chat.bot.session.sent(AnswerCallbackQuery)[0].text  # said in a message, not an alert
    # The record names the strategy message the button was under, as its campaign sent it.
    assert await _records(chat.engine, client_id) == [
        (False, "telegram:button", f"strategies/seminars.toml@{digest[:12]}:en", user_id)]
    # The next strategy message is not sent: nothing to say to a client who refused marketing.
    second = await start_campaign(chat.engine, CampaignKind.STRATEGY, "seminars", {client_id: user_id})
    assert await render_as_sender(chat.engine, second.outbox[client_id]) is None
    # A survey is a service message: it still goes.
    survey = await start_campaign(chat.engine, CampaignKind.SURVEY, "relationship_nps", {client_id: user_id})
    assert isinstance(await render_as_sender(chat.engine, survey.outbox[client_id]), Rendered)


async def test_settings_show_a_client_whether_strategy_messages_reach_them(chat: Chat, clients: ScoredClients
                                                                          ) -> None:
    _client_id, user_id = await _client(chat, clients)
    (text,) = await chat.send(user_id, "/settings")
    assert "Strategy messages (marketing): on. Send /unsubscribe to stop them." in text
    await chat.send(user_id, "/unsubscribe")
    (text,) = await chat.send(user_id, "/settings")
    assert "Strategy messages (marketing): off. Send /subscribe to receive them again." in text
    (text,) = await chat.send(await chat.bind(Role.ADMIN, None), "/settings")
    assert "Strategy messages" not in text


async def test_help_and_the_command_menu_offer_them_to_clients(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH)
    user_id = new_user_id()
    chat.bot.session.clear()
    await chat.send(user_id, f"/start {await chat.invite(Role.CLIENT, client_id)}")
    (menu,) = chat.bot.session.sent(SetMyCommands)
    assert [(c.command, c.description) for c in menu.commands][4:6] == [
        ("unsubscribe", "Stop strategy messages (marketing)"), ("subscribe", "Receive strategy messages again")]
    (text,) = await chat.send(user_id, "/help")
    assert ("/unsubscribe — no more strategy messages (marketing); surveys and alerts about your account still come"
            in text)
    assert "/subscribe — strategy messages again" in text
    (text,) = await chat.send(new_user_id(), "/help")
    assert "/unsubscribe" not in text


async def test_staff_and_people_not_linked_are_told_these_are_for_clients(chat: Chat, clients: ScoredClients
                                                                         ) -> None:
    for_clients = ("/unsubscribe and /subscribe are for the firm's clients: they stop or allow again our strategy "
                   "messages.")
    admin = await chat.bind(Role.ADMIN, None)
    for text in ("/unsubscribe", "/subscribe", "stop", "退订"):
        assert await chat.send(admin, text) == [for_clients], text
    await chat.press(admin, "cons:off")
    assert chat.bot.session.sent(AnswerCallbackQuery)[0].text == for_clients
    stranger = new_user_id()
    for text in ("/unsubscribe", "STOP"):
        (reply,) = await chat.send(stranger, text)
        assert reply.startswith("Your Telegram account is not linked to a client account yet"), text
    async with chat.engine.connect() as connection:
        assert await connection.scalar(select(ConsentRecord.id).where(
            ConsentRecord.telegram_user_id.in_((admin, stranger)))) is None


async def test_a_client_whose_access_is_refused_is_told_so_and_nothing_is_recorded(
        chat: Chat, clients: ScoredClients, monkeypatch: pytest.MonkeyPatch) -> None:
    client_id, user_id = await _client(chat, clients)

    async def without_record(session: AsyncSession, reader: Reader, asked: str | None) -> AllowedClient | Refusal:
        # The account's client record gone between loading the reader and the check (the schema forbids storing
        # it so): the real check refuses it.
        return await grant_access(session, dataclasses.replace(reader, client_id=None), asked)

    monkeypatch.setattr(consent_handlers, "grant_access", without_record)
    not_linked = "Your Telegram account is not linked to a client account yet"
    for text in ("/unsubscribe", "/subscribe", "退订"):
        (reply,) = await chat.send(user_id, text)
        assert reply.startswith(not_linked), text
    (reply,) = await chat.press(user_id, "cons:off")
    assert reply.startswith(not_linked)
    assert await _records(chat.engine, client_id) == []
