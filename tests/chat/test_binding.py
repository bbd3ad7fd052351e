"""Binding a Telegram account through an invite: once, never with a bad token, never to a second person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.types import ReplyKeyboardMarkup
from markupsafe import escape
from sqlalchemy import select
from support.chat import Chat, new_user_id
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.db.models import AuditEntry, Invite, Role

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]


async def test_an_unbound_person_is_greeted_and_told_how_to_get_linked(chat: Chat) -> None:
    user_id = new_user_id()
    (text,) = await chat.send(user_id, "/start")
    assert "invitation link" in text
    menu = chat.last_keyboard()
    assert isinstance(menu, ReplyKeyboardMarkup)
    assert "📊 My tier" not in [b.text for row in menu.keyboard for b in row]
    (text,) = await chat.send(user_id, "/tier")
    assert "not linked" in text
    assert "CN¥" not in text


async def test_an_invite_binds_once_then_refuses(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    name, _adviser = await chat.client_row(client_id)
    token = await chat.invite(Role.CLIENT, client_id)
    first, second = new_user_id(), new_user_id()

    (text,) = await chat.send(first, f"/start {token}")
    assert "linked to your client account" in text
    assert escape(name) in text
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
async def test_an_expired_or_forged_token_binds_nothing(
    chat: Chat, clients: ScoredClients, token: str, sentence: str
) -> None:
    client_id = await clients.take(tier="ordinary")
    # The client's one invite: the expired one is sent; a forged token must not use up a valid one either.
    invite = await chat.invite(Role.CLIENT, client_id, ttl=timedelta(seconds=-1 if token == "expired" else 3600))
    user_id = new_user_id()
    (text,) = await chat.send(user_id, f"/start {invite if token == 'expired' else 'A' * 43}")
    assert sentence in text
    assert await chat.account(user_id) is None
    async with chat.engine.connect() as connection:
        used = (await connection.execute(select(Invite.used_at).where(Invite.client_id == client_id))).scalars()
        assert used.all() == [None]


async def test_a_bound_account_cannot_be_rebound_to_someone_else(chat: Chat, clients: ScoredClients) -> None:
    user_id = await chat.bind(Role.CLIENT, await clients.take(READS_ENGLISH, tier="ordinary"))
    other_client = await clients.take(tier="ordinary")
    other = await chat.invite(Role.CLIENT, other_client)
    (text,) = await chat.send(user_id, f"/start {other}")
    assert "already linked to someone else" in text
    async with chat.engine.connect() as connection:
        used = (await connection.execute(select(Invite.used_at).where(Invite.client_id == other_client))).scalars()
        assert used.all() == [None]
