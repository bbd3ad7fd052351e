"""A client's tier card and its views (how to move up, recommendations, the five dimensions), by command, menu
button and free text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText
from babel.numbers import format_currency
from sqlalchemy import update
from support.chat import Chat
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.db.models import Client, Role, TierState

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]


async def test_the_tier_card_and_its_views_edit_one_message(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    assets = await chat.average_assets(client_id)
    user_id = await chat.bind(Role.CLIENT, client_id)

    (card,) = await chat.send(user_id, "/tier")
    assert "Tier: Ordinary" in card
    assert "As of Oct 31, 2026" in card
    assert f"Monthly average assets over the last 3 months: {format_currency(assets, 'CNY', locale='en')}" in card
    for dimension in ("Asset size", "Activity", "Lifecycle", "Need complexity", "Loyalty"):
        assert dimension in card
    buttons = chat.buttons()
    assert set(buttons) == {"📈 How to move up", "💡 Recommendations", "🔍 The five dimensions explained"}

    (gap,) = await chat.press(user_id, buttons["📈 How to move up"])
    assert "How to reach Mid-tier" in gap
    have, short = (format_currency(amount, "CNY", locale="en") for amount in (assets, Decimal(500_000) - assets))
    assert f"Your monthly average assets are {have}. Mid-tier starts at CN¥500,000.00, so you are {short} short." in gap
    assert isinstance(chat.bot.session.requests[0], EditMessageText)
    assert any(isinstance(r, AnswerCallbackQuery) for r in chat.bot.session.requests)

    (recommendations,) = await chat.press(user_id, chat.buttons()["💡 Recommendations"])
    assert "Recommended for you" in recommendations
    (dimensions,) = await chat.press(user_id, chat.buttons()["🔍 The five dimensions explained"])
    assert "high-net-worth from CN¥6,000,000.00" in dimensions
    (back,) = await chat.press(user_id, chat.buttons()["⬅️ Back to my tier"])
    assert back == card


async def test_the_menu_button_and_free_text_give_the_card(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(tier="mid")
    async with chat.engine.begin() as connection:  # no language in the firm's record: Telegram's decides
        await connection.execute(update(Client).where(Client.client_id == client_id).values(locale=None))
    assets = await chat.average_assets(client_id)
    user_id = await chat.bind(Role.CLIENT, client_id)
    (by_button,) = await chat.send(user_id, "📊 My tier")
    assert "Tier: Mid-tier" in by_button
    assert f"Monthly average assets over the last 3 months: {format_currency(assets, 'CNY', locale='en')}" in by_button
    (by_text,) = await chat.send(user_id, "what tier am I")
    assert by_text == by_button
    (in_chinese,) = await chat.send(user_id, "我是什么等级", language_code="zh-hans")
    assert in_chinese.startswith("<b>等级：中端客户</b>\n")
    assert f"近 3 个月的月日均资产：{format_currency(assets, 'CNY', locale='zh_Hans')}" in in_chinese


async def test_how_to_move_up_at_the_top_tier_shows_the_card(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    async with chat.engine.begin() as connection:
        await connection.execute(update(TierState).where(TierState.client_id == client_id).values(
            tier="high_net_worth", qualified_tier="high_net_worth"))
    user_id = await chat.bind(Role.CLIENT, client_id)
    (card,) = await chat.send(user_id, "/tier")
    assert "Tier: High-net-worth" in card
    assert "📈 How to move up" not in chat.buttons()
    (text,) = await chat.press(user_id, f"tier:gap:{client_id}")  # a stale button from before the upgrade
    assert text == card
