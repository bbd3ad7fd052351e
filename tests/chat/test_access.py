"""Who sees what: a client their own tier only, an adviser the clients they look after while they are with the
firm, an admin any client by id, and nobody anything in a group."""

from __future__ import annotations

from datetime import date

import pytest
from markupsafe import escape
from sqlalchemy import select, update
from support.chat import Chat, new_user_id
from support.mocked_bot import message_update
from support.scored_clients import ADVISER_READS_ENGLISH, READS_ENGLISH, ScoredClients

from bot.db.models import Adviser, AuditEntry, Client, Role

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]


async def test_a_client_cannot_see_another_client(chat: Chat, clients: ScoredClients) -> None:
    user_id = await chat.bind(Role.CLIENT, await clients.take(READS_ENGLISH, tier="ordinary"))
    other = await clients.take(tier="mid")
    other_name = escape((await chat.client_row(other))[0])  # as it would be shown

    (text,) = await chat.send(user_id, f"/tier {other}")
    assert "only show the tier of the client this Telegram account is linked to" in text
    assert other_name not in text
    assert "CN¥" not in text

    for view in ("card", "gap", "recs", "dims"):
        (text,) = await chat.press(user_id, f"tier:{view}:{other}")
        assert "CN¥" not in text
        assert other_name not in text


async def test_an_unbound_person_pressing_a_forged_button_sees_nothing(chat: Chat, clients: ScoredClients) -> None:
    other = await clients.take(tier="mid")
    (text,) = await chat.press(new_user_id(), f"tier:card:{other}")
    assert "not linked" in text
    assert "CN¥" not in text


async def test_an_adviser_sees_their_clients_only_and_views_are_audited(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), tier="mid")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    someone_else_s = await clients.take(Client.adviser_id != adviser_id)
    someone_else_s_name = escape((await chat.client_row(someone_else_s))[0])
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    await chat.send(user_id, "/language")  # whatever language the firm's record gives the adviser
    await chat.press(user_id, chat.buttons()["English"])
    (card,) = await chat.send(user_id, f"/tier {client_id}")
    assert client_id in card
    assert "Tier: Mid-tier" in card
    async with chat.engine.connect() as connection:
        viewed = (await connection.execute(select(AuditEntry.actor).where(
            AuditEntry.action == "client.view", AuditEntry.client_id == client_id))).scalars().all()
    assert f"tg:{user_id}" in viewed
    (text,) = await chat.send(user_id, f"/tier {someone_else_s}")
    assert text.startswith("I can only show the clients assigned to you.")
    assert someone_else_s_name not in text
    assert "CN¥" not in text


async def test_an_adviser_who_left_sees_no_client(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), ADVISER_READS_ENGLISH, tier="ordinary")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    (card,) = await chat.send(user_id, f"/tier {client_id}")
    assert "Tier: Ordinary" in card  # while with the firm
    async with chat.engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(
            left_on=date(2026, 11, 1)))
    try:
        (text,) = await chat.send(user_id, f"/tier {client_id}")
        assert text == ("Your access to the firm's clients ended when you left the firm on Nov 1, 2026. If you still "
                        "need it, please ask the firm's tierbot administrator.")
        assert "CN¥" not in text
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(left_on=None))


async def test_an_admin_asks_by_id_and_hears_of_unknown_ids(chat: Chat, clients: ScoredClients) -> None:
    user_id = await chat.bind(Role.ADMIN, None)
    (text,) = await chat.send(user_id, "/tier")
    assert "followed by a client's id" in text
    (text,) = await chat.send(user_id, "/tier C99999")
    assert text == "There is no client with that id."
    (text,) = await chat.send(user_id, f"/tier {await clients.take(tier='mid')}")
    assert "Tier: Mid-tier" in text


async def test_nothing_is_said_in_groups(chat: Chat, clients: ScoredClients) -> None:
    user_id = await chat.bind(Role.CLIENT, await clients.take(tier="mid"))
    chat.bot.session.clear()
    await chat.dispatcher.feed_update(chat.bot, message_update(user_id, "/tier", chat_id=-1001234567890))
    await chat.dispatcher.feed_update(chat.bot, message_update(new_user_id(), "/start", chat_id=-100987654321))
    assert chat.bot.session.requests == []
