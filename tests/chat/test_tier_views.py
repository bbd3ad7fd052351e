"""A client's tier card and its views (how to move up, recommendations, the five dimensions), by command, menu
button and free text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText
from markupsafe import escape
from sqlalchemy import select, update
from support.chat import Chat
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.db.models import Client, Product, Role, TierState
from bot.i18n import format_money, use_locale

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]


def _money(amount: Decimal, locale: str = "en") -> str:
    """An amount in the base currency as a reader in `locale` reads it (whole amounts from 1,000 without cents)."""
    with use_locale(locale):
        return format_money(amount)


async def test_the_tier_card_and_its_views_edit_one_message(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    assets = await chat.average_assets(client_id)
    user_id = await chat.bind(Role.CLIENT, client_id)

    (card,) = await chat.send(user_id, "/tier")
    assert "Tier: Ordinary" in card
    assert "As of Oct 31, 2026" in card
    assert f"Monthly average assets over the last 3 months: {_money(assets)}" in card
    for dimension in ("Asset size", "Activity", "Lifecycle", "Need complexity", "Loyalty"):
        assert dimension in card
    buttons = chat.buttons()
    assert set(buttons) == {"📈 How to move up", "💡 Recommendations", "🔍 The five dimensions explained"}

    (gap,) = await chat.press(user_id, buttons["📈 How to move up"])
    assert "How to reach Mid-tier" in gap
    have, short = _money(assets), _money(Decimal(500_000) - assets)
    assert f"Your monthly average assets are {have}. Mid-tier starts at CN¥500,000, so you are {short} short." in gap
    assert isinstance(chat.bot.session.requests[0], EditMessageText)
    assert any(isinstance(r, AnswerCallbackQuery) for r in chat.bot.session.requests)

    (recommendations,) = await chat.press(user_id, chat.buttons()["💡 Recommendations"])
    assert "Recommended for you" in recommendations
    (dimensions,) = await chat.press(user_id, chat.buttons()["🔍 The five dimensions explained"])
    assert "high-net-worth from CN¥6,000,000" in dimensions
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
    assert f"Monthly average assets over the last 3 months: {_money(assets)}" in by_button
    (by_text,) = await chat.send(user_id, "what tier am I")
    assert by_text == by_button
    (in_chinese,) = await chat.send(user_id, "我是什么等级", language_code="zh-hans")
    assert in_chinese.startswith("<b>等级：中端客户</b>\n")
    assert f"近 3 个月的月日均资产：{_money(assets, 'zh_Hans')}" in in_chinese


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


# The analytic names a client must never read of themselves, in each language, and the service words instead.
ANALYTIC = {"en": ("at risk of leaving", "decline", "low-frequency"), "zh-hans": ("有流失风险", "衰退期", "低频"),
            "zh-hant": ("有流失風險", "衰退期", "低頻")}
SERVICE = {
    "en": ("Lifecycle: let's review your plans", "Loyalty: we'd like to hear from you", "Activity: at your own pace"),
    "zh-hans": ("生命周期：一起梳理您的规划", "忠诚度：期待听到您的声音", "活跃度：按您的节奏"),
    "zh-hant": ("生命週期：一起檢視您的規劃", "忠誠度：期待聽到您的聲音", "活躍度：按您的節奏"),
}
LANGUAGE_BUTTONS = {"en": "English", "zh-hans": "简体中文", "zh-hant": "繁體中文"}


async def _choose_language(chat: Chat, user_id: int, language: str) -> None:
    """The person picks their language with /language, whatever the firm's record says."""
    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()[LANGUAGE_BUTTONS[language]])


async def _declining_client_at_risk(clients: ScoredClients) -> str:
    return await clients.take(TierState.lifecycle_segment == "decline", TierState.loyalty_segment == "potential_churn",
                              TierState.activity_segment == "low_frequency", Client.adviser_id.is_not(None))


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
async def test_a_client_in_decline_and_at_risk_reads_the_firm_s_service_words(
    chat: Chat, clients: ScoredClients, language: str
) -> None:
    client_id = await _declining_client_at_risk(clients)
    user_id = await chat.bind(Role.CLIENT, client_id)
    await _choose_language(chat, user_id, language)
    (card,) = await chat.send(user_id, "/tier", language_code=language)
    (dimensions,) = await chat.press(user_id, f"tier:dims:{client_id}", language_code=language)
    for text in map(unescape, (card, dimensions)):  # as Telegram shows the HTML
        for words in SERVICE[language]:
            assert words in text
        for word in ANALYTIC[language]:
            assert word not in text
        assert "/100" not in text  # scores are the firm's measures, not the client's


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
async def test_their_adviser_reads_the_analytic_terms_and_the_scores(
    chat: Chat, clients: ScoredClients, language: str
) -> None:
    client_id = await _declining_client_at_risk(clients)
    _name, adviser_id = await chat.client_row(client_id)
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    await _choose_language(chat, user_id, language)
    (card,) = await chat.send(user_id, f"/tier {client_id}", language_code=language)
    (dimensions,) = await chat.press(user_id, f"tier:dims:{client_id}", language_code=language)
    for text in map(unescape, (card, dimensions)):
        for word in ANALYTIC[language]:
            assert word in text
        for words in SERVICE[language]:
            assert words not in text
        assert "/100" in text


async def test_the_loyalty_line_agrees_with_itself(chat: Chat, clients: ScoredClients) -> None:
    # Loyal (no warning sign) with a loyalty score below the middle: "loyal (34/100)" read as a contradiction.
    client_id = await clients.take(TierState.loyalty_segment == "loyal", TierState.loyalty_score < 50,
                                   Client.adviser_id.is_not(None))
    async with chat.engine.connect() as connection:
        score = (await connection.execute(
            select(TierState.loyalty_score).where(TierState.client_id == client_id))).scalar_one()
    user_id = await chat.bind(Role.CLIENT, client_id)
    await _choose_language(chat, user_id, "en")
    (card,) = await chat.send(user_id, "/tier")
    assert "• Loyalty: loyal\n" in card  # the segment alone: no score beside it to contradict it
    _name, adviser_id = await chat.client_row(client_id)
    adviser = await chat.bind(Role.ADVISER, adviser_id)
    await _choose_language(chat, adviser, "en")
    (staff_card,) = await chat.send(adviser, f"/tier {client_id}")
    assert f"• Loyalty: loyal ({score:.0f}/100)\n" in staff_card
    assert ("segments follow the rules' own lines, not the scores. Loyal, for one, means no warning sign, whatever "
            "the loyalty score.") in staff_card
    (staff_dimensions,) = await chat.press(adviser, f"tier:dims:{client_id}")
    assert ("At risk of leaving on any one warning sign, whatever the score: P(alive) below 0.5, net outflows over "
            "the last 12 months above 30% of the average assets, or a survey score below 0.4.") in staff_dimensions


async def test_one_trade_a_month_is_one_trade(chat: Chat, clients: ScoredClients) -> None:
    # An activity score of 20 is one trade or contact a month (100 * r / (r + 4)).
    client_id = await clients.take(TierState.activity_score.between(19.9, 20.1))
    user_id = await chat.bind(Role.CLIENT, client_id)
    await _choose_language(chat, user_id, "en")
    (dimensions,) = await chat.press(user_id, f"tier:dims:{client_id}")
    assert "\n1 trade or contact with us a month; high-frequency from 4.\n" in dimensions


async def test_the_suitability_line_comes_only_with_products(chat: Chat, clients: ScoredClients) -> None:
    """"Products shown match your risk assessment" under a list with no product, for a client whose assessment is
    missing, would claim what is not there."""
    never_assessed = await clients.take(Client.risk_level.is_(None), tier="mid")
    assessed = await clients.take(Client.risk_assessed_on > date(2025, 10, 31), tier="mid")  # valid: 24 months
    line = "Products shown match your risk assessment."
    texts = {}
    for client_id in (never_assessed, assessed):
        user_id = await chat.bind(Role.CLIENT, client_id)
        await _choose_language(chat, user_id, "en")
        (texts[client_id],) = await chat.press(user_id, f"tier:recs:{client_id}")
    assert "Take the risk assessment" in texts[never_assessed]
    assert "(risk R" not in texts[never_assessed]
    assert "Standard products selected for your profile." not in texts[never_assessed]  # the mid tier's, unsuitable
    assert "Standard products selected for your profile." in texts[assessed]
    assert line not in texts[never_assessed]
    assert "(risk R" in texts[assessed]
    assert line in texts[assessed]


async def test_staff_read_headings_about_the_client_not_about_themselves(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), Client.risk_assessed_on > date(2025, 10, 31),
                                   tier="mid")  # assessed within the 24 months: products are shown
    _name, adviser_id = await chat.client_row(client_id)
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    await _choose_language(chat, user_id, "en")
    (card,) = await chat.send(user_id, f"/tier {client_id}")
    (recommendations,) = await chat.press(user_id, f"tier:recs:{client_id}")
    assert "<b>The five dimensions</b>" in card
    assert "<b>What the tier brings</b>" in card
    assert "<b>Recommended for this client</b>" in recommendations
    assert "Products shown match the client's risk assessment." in recommendations
    for text in (card, recommendations):
        assert "Your five dimensions" not in text
        assert "What your tier brings" not in text
        assert "Recommended for you" not in text


async def test_an_assessment_lapsed_since_the_run_withdraws_the_products_today(chat: Chat, clients: ScoredClients
                                                                              ) -> None:
    client_id = await clients.take(READS_ENGLISH, Client.risk_level.is_not(None), tier="ordinary")
    async with chat.engine.begin() as connection:  # valid on the scored day 2026-10-31, expired from 2026-12-01 on
        await connection.execute(update(Client).where(Client.client_id == client_id)
                                 .values(risk_assessed_on=date(2024, 11, 15)))
    user_id = await chat.bind(Role.CLIENT, client_id)
    (recommendations,) = await chat.press(user_id, f"tier:recs:{client_id}")
    assert "Renew your risk assessment: the last one has expired." in recommendations
    async with chat.engine.connect() as connection:
        names = (await connection.execute(select(Product.name_en))).scalars().all()
    assert not [name for name in names if str(escape(name)) in recommendations]
