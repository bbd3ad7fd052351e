"""/client: a client's summary for their adviser, by id, by name, from a row of the book; what it says checked against
the database, in English and Chinese, suitability included; every view audited as a summary."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import EditMessageText, SendMessage
from markupsafe import escape
from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import aliased
from support.campaign_results import TEST_SURVEYS
from support.chat import Chat
from support.scored_clients import ADVISER_READS_ENGLISH, ScoredClients

from bot.campaigns import content
from bot.db.models import (
    AuditEntry,
    Balance,
    Campaign,
    CampaignKind,
    CampaignStatus,
    Client,
    Interaction,
    Product,
    Role,
    SurveyAnswer,
    SurveyScale,
    TierSnapshot,
    TierState,
)
from bot.i18n import format_money, use_locale

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

VALID = Client.risk_assessed_on > date(2025, 10, 31)  # within the 24 months of the rules at the scored day
FIRM_ZONE = ZoneInfo("Asia/Shanghai")  # TIERBOT_TIMEZONE's default: its calendar judges an assessment's expiry


async def _their_adviser(chat: Chat, client_id: str, language: str = "en") -> int:
    """The client's adviser, bound to a new account and reading `language` by their choice."""
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()["English" if language == "en" else "简体中文"])
    return user_id


async def test_the_summary_tells_the_adviser_the_client_s_standing(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(ADVISER_READS_ENGLISH, VALID, Client.risk_level.is_not(None), tier="mid")
    name, _adviser = await chat.client_row(client_id)
    user_id = await _their_adviser(chat, client_id)
    (text,) = await chat.send(user_id, f"/client {client_id}")
    assert text.startswith(f"<b>{escape(name)}</b> · {client_id}\n<b>Tier: Mid-tier</b> since Oct 31, 2026 "
                           "(as of Oct 31, 2026)\n")
    assert "<b>Tier history</b>\n• Oct 31, 2026: first placed in Mid-tier, with monthly average assets of CN¥" in text
    assert "(rules 2026.1)" in text
    for heading in ("The five dimensions · value score", "Assets", "Suitability", "Last contacts", "Last survey",
                    "Next actions"):
        assert f"<b>{heading}" in text
    for dimension in ("Asset size", "Activity", "Lifecycle", "Need complexity", "Loyalty"):
        assert f"• <b>{dimension}</b>: " in text
    assert "mid from CN¥500,000, high-net-worth from CN¥6,000,000" in text
    assert re.search(r"Churn risk: (low|high)\. P\(alive\) [\d.]+", text)
    assert "Net flows (money in less money out): " in text
    async with chat.engine.connect() as connection:
        level = (await connection.execute(select(Client.risk_level).where(Client.client_id == client_id))).scalar_one()
        channels = (await connection.execute(
            select(Interaction.channel).where(Interaction.client_id == client_id)
            .order_by(Interaction.at.desc()).limit(5))).scalars().all()
    assert f"Risk level C{level}, assessed on " in text
    assert "Your " not in text
    assert " you " not in text
    contacts = text.split("<b>Last contacts</b>\n")[1].split("\n\n")[0].splitlines()
    assert len(contacts) == len(channels) <= 5
    assert chat.buttons() == {"🪪 Tier card and its views": f"tier:card:{client_id}"}

    (card,) = await chat.press(user_id, f"tier:card:{client_id}")  # the client's card, the staff's way
    assert "Tier: Mid-tier" in card
    assert "the staff view" in card
    assert chat.buttons()["📋 Adviser's summary"] == f"sum:{client_id}"  # and back
    (again,) = await chat.press(user_id, f"sum:{client_id}")
    assert again == text

    async with chat.engine.connect() as connection:
        details = (await connection.execute(
            select(AuditEntry.details).where(AuditEntry.action == "client.view", AuditEntry.client_id == client_id,
                                             AuditEntry.actor == f"tg:{user_id}").order_by(AuditEntry.id)
        )).scalars().all()
    summary = {"role": "adviser", "view": "summary"}
    assert details == [summary, {"role": "adviser"}, summary]


async def test_the_summary_in_chinese(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(VALID, Client.adviser_id.is_not(None), tier="high_net_worth")
    name, _adviser = await chat.client_row(client_id)
    user_id = await _their_adviser(chat, client_id, "zh")
    (text,) = await chat.send(user_id, f"/client {client_id}", language_code="zh-hans")
    assert text.startswith(f"<b>{escape(name)}</b> · {client_id}\n<b>等级：高净值客户</b>，自 2026年10月31日 起")
    for heading in ("等级变动记录", "五个维度 · 价值评分", "资产", "适当性", "最近互动", "最近一次问卷", "下一步行动"):
        assert f"<b>{heading}" in text
    assert "首次评定为高净值客户" in text
    assert "• <b>资产规模</b>：高净值（" in text
    assert "¥500,000 起为中端，¥6,000,000 起为高净值" in text
    assert "预约一对一资产检视。" in text  # the high-net-worth strategy, for the adviser
    assert "暂无问卷回答。" in text
    assert "Tier" not in text
    assert "Next actions" not in text
    assert chat.buttons() == {"🪪 等级卡片及详情": f"tier:card:{client_id}"}


async def test_next_actions_obey_suitability(chat: Chat, clients: ScoredClients) -> None:
    assessed = await clients.take(ADVISER_READS_ENGLISH, VALID, Client.risk_level.is_not(None), tier="mid")
    never = await clients.take(ADVISER_READS_ENGLISH, Client.risk_level.is_(None), tier="mid")
    user_id = await _their_adviser(chat, assessed)
    (text,) = await chat.send(user_id, f"/client {assessed}")
    actions = text.split("<b>Next actions</b>\n")[1]
    async with chat.engine.connect() as connection:
        level = (await connection.execute(select(Client.risk_level).where(Client.client_id == assessed))).scalar_one()
        names = dict((await connection.execute(select(Product.name_en, Product.risk_level))).all())
    listed = re.findall(r"   – (.+) \(risk R(\d)\)", actions)
    assert listed, "a mid-tier client with a valid assessment is offered products"
    for product, product_level in listed:
        assert names[unescape(product)] == int(product_level) <= level
    assert "Invite the client to the quarterly seminar." in actions  # the mid tier's strategy, for the adviser
    assert f"Every product listed is rated within the client's level C{level}" in actions

    other = await _their_adviser(chat, never)
    (text,) = await chat.send(other, f"/client {never}")
    actions = text.split("<b>Next actions</b>\n")[1]
    assert actions.startswith("1. Ask the client to take the risk assessment: no product can be suggested until it "
                              "is done.\n")
    assert "(risk R" not in actions
    assert "Offer standard products" not in actions  # the mid tier's strategy offers products: not without one
    assert "Invite the client to the quarterly seminar." in actions
    assert "No risk assessment on record: no product may be suggested until the client takes one." in text


async def test_an_assessment_expiring_soon_is_flagged_and_its_renewal_comes_first(
    chat: Chat, clients: ScoredClients
) -> None:
    client_id = await clients.take(ADVISER_READS_ENGLISH, VALID, Client.risk_level.is_not(None), tier="mid")
    # Assessed 24 months less 30 days ago: valid today, expiring within the 60 days.
    today = datetime.now(FIRM_ZONE).date()
    assessed_on = today.replace(year=today.year - 2) + timedelta(days=30)
    async with chat.engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == client_id).values(
            risk_assessed_on=assessed_on))
    user_id = await _their_adviser(chat, client_id)
    (text,) = await chat.send(user_id, f"/client {client_id}")
    assert "⚠ The assessment expires on " in text
    actions = text.split("<b>Next actions</b>\n")[1]
    assert actions.startswith("1. Renew the risk assessment before it expires on ")


async def test_products_held_above_the_client_s_level_are_flagged(chat: Chat, clients: ScoredClients) -> None:
    statement = aliased(Balance)
    latest = (select(func.max(statement.as_of)).where(statement.client_id == Client.client_id)
              .correlate(Client).scalar_subquery())
    above = exists(select(Balance.product_id).join(Product, Product.product_id == Balance.product_id).where(
        Balance.client_id == Client.client_id, Balance.as_of == latest, Balance.amount > 0,
        Product.risk_level > Client.risk_level).correlate(Client))
    client_id = await clients.take(above, Client.adviser_id.is_not(None))
    async with chat.engine.connect() as connection:
        level = (await connection.execute(select(Client.risk_level).where(Client.client_id == client_id))).scalar_one()
        held = (await connection.execute(
            select(Product.name_en, Product.risk_level, Balance.amount, Balance.currency)
            .join(Balance, Balance.product_id == Product.product_id)
            .where(Balance.client_id == client_id, Balance.amount > 0, Product.risk_level > level,
                   Balance.as_of == select(func.max(Balance.as_of)).where(Balance.client_id == client_id)
                   .scalar_subquery()))).all()
    user_id = await _their_adviser(chat, client_id)
    (text,) = await chat.send(user_id, f"/client {client_id}")
    assert f"⚠ Held above the client's level C{level}:" in text
    assert held
    for product, product_level, amount, currency in held:  # each in the currency held, cents and all
        with use_locale("en"):
            money = format_money(amount, currency, cents=True)
        assert f"• ⚠ {escape(product)} (risk R{product_level}): {money}\n" in text


async def test_the_last_survey_s_answers(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(ADVISER_READS_ENGLISH, Client.adviser_id.is_not(None), tier="ordinary")
    answered = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
    async with chat.engine.begin() as connection:
        campaign = (await connection.execute(insert(Campaign).values(
            kind=CampaignKind.SURVEY, template="relationship_nps", audience="tier=ordinary",
            status=CampaignStatus.CLOSED, created_by="tests", created_at=answered).returning(Campaign.id))
        ).scalar_one()
        await connection.execute(insert(SurveyAnswer).values(
            campaign_id=campaign, client_id=client_id, question="recommend", scale=SurveyScale.NPS, rating=6,
            comment="Fees <too> high", answered_at=answered))
    try:
        user_id = await _their_adviser(chat, client_id)
        (text,) = await chat.send(user_id, f"/client {client_id}")
        assert ("<b>Last survey</b>\nHow are we doing?, answered on Oct 20, 2026:\n"
                "• How likely is it that you would recommend us to a friend or colleague? 6/10 "
                "“Fees &lt;too&gt; high”\n") in text
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(delete(SurveyAnswer).where(SurveyAnswer.campaign_id == campaign))
            await connection.execute(delete(Campaign).where(Campaign.id == campaign))


async def test_the_last_survey_of_several_questions_with_a_comment(chat: Chat, clients: ScoredClients,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The latest survey the client answered, each answered question in the survey's order with its rating out of
    its scale and the comment given; an older survey's answers are not shown."""
    monkeypatch.setattr(content, "SURVEYS_DIR", TEST_SURVEYS)
    client_id = await clients.take(ADVISER_READS_ENGLISH, Client.adviser_id.is_not(None), tier="mid")
    older, latest = datetime(2026, 8, 3, 9, 0, tzinfo=UTC), datetime(2026, 10, 27, 15, 30, tzinfo=UTC)
    async with chat.engine.begin() as connection:
        campaigns = (await connection.execute(insert(Campaign).returning(Campaign.id), [
            {"kind": CampaignKind.SURVEY, "template": template, "audience": "tier=mid",
             "status": CampaignStatus.CLOSED, "created_by": "tests", "created_at": at}
            for template, at in (("relationship_nps", older), ("check", latest))])).scalars().all()
        await connection.execute(insert(SurveyAnswer), [
            {"campaign_id": campaigns[0], "client_id": client_id, "question": "recommend", "scale": SurveyScale.NPS,
             "rating": 2, "comment": "Slow", "answered_at": older},
            # Answered in another order than asked, and the CSAT question skipped.
            {"campaign_id": campaigns[1], "client_id": client_id, "question": "effort", "scale": SurveyScale.CES,
             "rating": 6, "comment": None, "answered_at": latest + timedelta(minutes=2)},
            {"campaign_id": campaigns[1], "client_id": client_id, "question": "recommend", "scale": SurveyScale.NPS,
             "rating": 9, "comment": "顾问很专业 & <快>", "answered_at": latest},
        ])
    try:
        (text,) = await chat.send(await _their_adviser(chat, client_id), f"/client {client_id}")
        assert ("<b>Last survey</b>\nService check, answered on Oct 27, 2026:\n"
                "• Would you recommend us? 9/10 “顾问很专业 &amp; &lt;快&gt;”\n"
                "• Was it easy? 6/7\n\n") in text
        assert "Slow" not in text
        (chinese,) = await chat.send(await _their_adviser(chat, client_id, "zh_Hans"), f"/client {client_id}")
        assert ("<b>最近一次问卷</b>\n服务回访，2026年10月27日作答：\n"
                "• 您会推荐我们吗？ 9/10 “顾问很专业 &amp; &lt;快&gt;”\n"
                "• 办理容易吗？ 6/7\n\n") in chinese
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(delete(SurveyAnswer).where(SurveyAnswer.campaign_id.in_(campaigns)))
            await connection.execute(delete(Campaign).where(Campaign.id.in_(campaigns)))


async def test_search_by_part_of_a_name(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(ADVISER_READS_ENGLISH, Client.adviser_id.is_not(None), Client.locale == "en",
                                   Client.name.like("% %"))
    name, adviser_id = await chat.client_row(client_id)
    surname = name.split()[-1].rstrip(".,")
    user_id = await _their_adviser(chat, client_id)
    async with chat.engine.connect() as connection:
        same = (await connection.execute(select(Client.client_id).where(
            Client.adviser_id == adviser_id, func.lower(Client.name).like(f"%{surname.lower()}%")))).scalars().all()
    shown = await chat.send(user_id, f"/client {surname.lower()}")  # any case
    if len(same) == 1:
        assert shown[0].startswith(f"<b>{escape(name)}</b> · {client_id}\n")
    else:
        (listed,) = shown
        assert listed.startswith(f"<b>Clients whose name holds “{surname.lower()}”</b>\n")
        assert sorted(chat.buttons().values()) == sorted(f"sum:{i}" for i in same)
        (opened,) = await chat.press(user_id, f"sum:{client_id}")
        assert opened.startswith(f"<b>{escape(name)}</b> · {client_id}\n")
        assert chat.bot.session.sent(SendMessage)  # a message of its own: the list stays
        assert not any(isinstance(r, EditMessageText) for r in chat.bot.session.requests)


async def test_a_chinese_name_part_opens_the_one_match(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(ADVISER_READS_ENGLISH, Client.adviser_id.is_not(None), Client.locale == "zh_Hans")
    name, adviser_id = await chat.client_row(client_id)
    async with chat.engine.connect() as connection:
        book = (await connection.execute(select(Client.name).where(Client.adviser_id == adviser_id))).scalars().all()
    unique = next((name[i:i + 2] for i in range(len(name) - 1) if sum(name[i:i + 2] in other for other in book) == 1),
                  name)
    user_id = await _their_adviser(chat, client_id)
    (text,) = await chat.send(user_id, f"/client {unique}")
    assert text.startswith(f"<b>{escape(name)}</b> · {client_id}\n")
    (nothing,) = await chat.send(user_id, "/client 龘")
    assert nothing == "No client of yours matches “龘”."


async def test_an_admin_reads_any_client_s_summary_with_their_adviser(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.adviser_id.is_not(None), tier="mid")
    admin = await chat.bind(Role.ADMIN, None)
    await chat.send(admin, "/language")
    await chat.press(admin, chat.buttons()["English"])
    (text,) = await chat.send(admin, f"/client {client_id}")
    assert "\nAdviser: " in text.split("\n\n")[0]
    (unknown,) = await chat.send(admin, "/client C99999")
    assert unknown == "No client matches “C99999”."
    (usage,) = await chat.send(admin, "/client")
    assert usage.startswith("Send /client followed by a client's id or part of their name, for example /client C")


async def test_the_churn_band_follows_the_loyalty_segment_as_the_book_and_alerts_do(chat: Chat,
                                                                                   clients: ScoredClients) -> None:
    # At risk by a warning sign other than P(alive): net outflows or a low survey score.
    at_risk = TierState.loyalty_segment == "potential_churn"
    client_id = await clients.take(at_risk, Client.client_id.in_(
        select(TierSnapshot.client_id).where(TierSnapshot.p_alive >= 0.5)))
    user_id = await _their_adviser(chat, client_id)
    (text,) = await chat.send(user_id, f"/client {client_id}")
    assert "Churn risk: high" in text
    assert "Churn risk: low" not in text


async def test_net_flows_count_only_the_months_with_the_firm(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(Client.onboarded_on > date(2026, 1, 15))  # 9 month-ends or fewer by Oct 31
    user_id = await _their_adviser(chat, client_id)
    (text,) = await chat.send(user_id, f"/client {client_id}")
    found = re.search(r"Net flows \(money in less money out\): .*over (\d+) months?( with the firm)?\n", text)
    assert found, text
    assert int(found.group(1)) <= 9  # not the 12 months of the trend, of which the first were before they joined
