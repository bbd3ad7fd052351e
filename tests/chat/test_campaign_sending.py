"""Campaign messages as the real sender sends them (to a Bot that records), judged again at send time: in the
client's language then, held through quiet hours on the client's clock or while the campaign is paused, and not sent
at all once there is nothing to say (the campaign closed, the account no longer the client's, marketing refused
since, a product now above the client's risk level or their assessment lapsed). And the operator's preview of the
same messages, without those checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.campaigns import (
    asleep_zone,
    buttons,
    send_due,
    set_status,
    set_timezone,
    small_firm,
    start_campaign,
)
from support.chat import Chat

import handlers
from bot.accounts import Reader, load_reader
from bot.campaigns import content
from bot.config import get_settings
from bot.db import session_factory
from bot.db.models import CampaignKind, CampaignStatus, Client, OutboxMessage, OutboxStatus, Role, TelegramAccount
from bot.delivery.outbox import Queued
from bot.delivery.quiet import next_outside_quiet_hours
from bot.delivery.sender import Rendered
from bot.telegram import create_i18n

pytestmark = pytest.mark.db

SEMINARS_TO_MARY = (
    "Dear Brown, Mary,\n"
    "\n"
    "You are invited to our next investment seminar, where our analysts discuss the market outlook and answer "
    "clients' questions. The seminar is for information only: it is not advice to buy or sell any product.\n"
    "\n"
    "If you would like to attend, Smith, John can reserve a seat for you.\n"
    "\n"
    "<i>Reply 退订 or /unsubscribe to stop these messages.</i>"
)


def _strategy(products: list[str], strategy: str = "targeted_products") -> str:
    return f'''strategy = "{strategy}"
products = {products!r}

[en]
title = "A product for you"
body = "{{{{ client_name }}}}: {{% for p in products %}}{{{{ p.name }}}} (R{{{{ p.risk_level }}}}){{% endfor %}}"

[zh_Hans]
title = "为您推荐"
body = "{{{{ client_name }}}}：{{% for p in products %}}{{{{ p.name }}}}（R{{{{ p.risk_level }}}}）{{% endfor %}}"

[zh_Hant]
title = "為您推薦"
body = "{{{{ client_name }}}}：{{% for p in products %}}{{{{ p.name }}}}（R{{{{ p.risk_level }}}}）{{% endfor %}}"
'''


@pytest.fixture
async def firm(engine: AsyncEngine, tmp_path: Path) -> Chat:
    return await small_firm(engine, tmp_path)


@pytest.fixture
def shelf_strategies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's strategy folder with messages naming the shelf's P02 (a bond fund, R2) and P03 (an equity
    fund, R4), and one serving a strategy that recommends products without naming any."""
    folder = tmp_path / "strategies"
    folder.mkdir()
    for message in content.STRATEGIES_DIR.glob("*.toml"):
        (folder / message.name).write_bytes(message.read_bytes())
    (folder / "bond_fund.toml").write_text(_strategy(["P02"]), encoding="utf-8")
    (folder / "equity_fund.toml").write_text(_strategy(["P03"]), encoding="utf-8")
    (folder / "planning.toml").write_text(_strategy([], "integrated_planning"), encoding="utf-8")
    monkeypatch.setattr(content, "STRATEGIES_DIR", folder)


async def _row(engine: AsyncEngine, outbox_id: int) -> OutboxMessage:
    async with session_factory(engine)() as session:
        row = await session.get(OutboxMessage, outbox_id)
    assert row is not None
    return row


async def _bind(firm: Chat, *client_ids: str) -> dict[str, int]:
    return {client_id: await firm.bind(Role.CLIENT, client_id) for client_id in client_ids}


async def test_a_survey_goes_at_once_to_each_client_in_their_language(firm: Chat) -> None:
    accounts = await _bind(firm, "C00001", "C00002")
    started = await start_campaign(firm.engine, CampaignKind.SURVEY, "relationship_nps", accounts)
    sent = await send_due(firm.engine)
    assert set(sent) == set(accounts.values())
    (chinese,) = sent[accounts["C00001"]]
    assert chinese.text.startswith("<b>我们做得怎么样？</b>")
    (english,) = sent[accounts["C00002"]]
    assert english.text.startswith("<b>How are we doing?</b>")
    assert list(buttons(english.reply_markup)) == [str(rating) for rating in range(11)]
    for outbox_id in started.outbox.values():
        row = await _row(firm.engine, outbox_id)
        assert (row.status, row.error) == (OutboxStatus.SENT, None)
        assert row.message_id is not None


async def test_within_quiet_hours_on_the_client_s_clock_it_waits_until_they_end(firm: Chat) -> None:
    accounts = await _bind(firm, "C00002")
    zone = asleep_zone()
    await set_timezone(firm.engine, "C00002", zone)
    started = await start_campaign(firm.engine, CampaignKind.SURVEY, "relationship_nps", accounts)
    before = datetime.now(UTC)
    assert await send_due(firm.engine) == {}
    row = await _row(firm.engine, started.outbox["C00002"])
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert row.next_attempt_at == next_outside_quiet_hours(before, get_settings().delivery.quiet, ZoneInfo(zone))
    assert row.next_attempt_at > before


async def test_a_client_without_a_zone_is_read_on_the_firm_s_clock(firm: Chat, monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:
    accounts = await _bind(firm, "C00002")
    await set_timezone(firm.engine, "C00002", None)
    monkeypatch.setenv("TIERBOT_TIMEZONE", asleep_zone())
    get_settings.cache_clear()
    try:
        started = await start_campaign(firm.engine, CampaignKind.STRATEGY, "seminars", accounts)
        assert await send_due(firm.engine) == {}
        row = await _row(firm.engine, started.outbox["C00002"])
        assert row.status is OutboxStatus.PENDING
        assert row.next_attempt_at > datetime.now(UTC)
    finally:
        monkeypatch.delenv("TIERBOT_TIMEZONE")
        get_settings.cache_clear()


async def test_a_campaign_paused_after_its_row_was_claimed_holds_it_unsent(firm: Chat) -> None:
    accounts = await _bind(firm, "C00002")
    started = await start_campaign(firm.engine, CampaignKind.SURVEY, "relationship_nps", accounts)
    survey = handlers.renderers()["survey"]

    async def paused_meanwhile(session: object, queued: Queued, reader: Reader) -> object:
        await set_status(firm.engine, started.campaign_id, CampaignStatus.PAUSED)  # an operator's `pause`
        return await survey(session, queued, reader)  # type: ignore[arg-type]

    before = datetime.now(UTC)
    assert await send_due(firm.engine, renderers_={"survey": paused_meanwhile}) == {}  # type: ignore[dict-item]
    row = await _row(firm.engine, started.outbox["C00002"])
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert before < row.next_attempt_at <= datetime.now(UTC) + timedelta(seconds=5)
    # While it stays paused, no sender takes it, even once it is due again.
    async with firm.engine.begin() as connection:
        await connection.execute(update(OutboxMessage).values(next_attempt_at=datetime.now(UTC)))
    assert await send_due(firm.engine) == {}
    await set_status(firm.engine, started.campaign_id, CampaignStatus.RUNNING)
    assert list(await send_due(firm.engine)) == [accounts["C00002"]]


async def test_nothing_is_sent_for_a_closed_campaign_an_account_now_someone_else_s_or_an_open_complaint(
        firm: Chat) -> None:
    accounts = await _bind(firm, "C00001", "C00002", "C00003")
    closed = await start_campaign(firm.engine, CampaignKind.SURVEY, "relationship_nps", {"C00001": accounts["C00001"]})
    await set_status(firm.engine, closed.campaign_id, CampaignStatus.CLOSED)
    moved = await start_campaign(firm.engine, CampaignKind.SURVEY, "relationship_nps", {"C00002": accounts["C00002"]})
    complaint = await start_campaign(firm.engine, CampaignKind.SURVEY, "relationship_nps",
                                     {"C00003": accounts["C00003"]})
    async with firm.engine.begin() as connection:
        # The account is bound to another client since (the firm re-linked it).
        await connection.execute(update(TelegramAccount).where(
            TelegramAccount.telegram_user_id == accounts["C00002"]).values(client_id="C00001"))
        await connection.execute(update(Client).where(Client.client_id == "C00003").values(complaint_open=True))
    assert await send_due(firm.engine) == {}
    for outbox_id in (closed.outbox["C00001"], moved.outbox["C00002"], complaint.outbox["C00003"]):
        row = await _row(firm.engine, outbox_id)
        assert (row.status, row.error, row.message_id) == (OutboxStatus.SENT, "nothing_to_say", None)


async def test_a_strategy_message_names_the_client_and_their_adviser_and_always_the_way_to_refuse(firm: Chat
                                                                                                   ) -> None:
    accounts = await _bind(firm, "C00002")
    await start_campaign(firm.engine, CampaignKind.STRATEGY, "seminars", accounts)
    ((message,),) = (await send_due(firm.engine)).values()
    assert message.text == SEMINARS_TO_MARY
    assert buttons(message.reply_markup) == {"🔕 Stop these messages": "cons:off"}


async def test_a_client_who_unsubscribed_between_start_and_send_is_sent_nothing(firm: Chat) -> None:
    accounts = await _bind(firm, "C00002")
    started = await start_campaign(firm.engine, CampaignKind.STRATEGY, "seminars", accounts)
    await firm.send(accounts["C00002"], "/unsubscribe")
    assert await send_due(firm.engine) == {}
    row = await _row(firm.engine, started.outbox["C00002"])
    assert (row.status, row.error) == (OutboxStatus.SENT, "nothing_to_say")


async def test_the_suitability_guard_applies_at_send_time(firm: Chat, shelf_strategies: None) -> None:
    accounts = await _bind(firm, "C00001", "C00002", "C00003")
    # 张伟 (C3, assessed 2025) may be offered the R2 bond fund, not the R4 equity fund; 李秀英's assessment (2023)
    # has lapsed and Mary Brown never took one: neither is offered a product, nor planning that recommends some.
    await start_campaign(firm.engine, CampaignKind.STRATEGY, "bond_fund", accounts)
    await start_campaign(firm.engine, CampaignKind.STRATEGY, "equity_fund", accounts)
    await start_campaign(firm.engine, CampaignKind.STRATEGY, "planning", {"C00002": accounts["C00002"]})
    sent = await send_due(firm.engine)
    assert list(sent) == [accounts["C00001"]]
    ((message,),) = sent.values()
    assert message.text.startswith("张伟：稳健债券基金（R2）")

    # Once 张伟's assessment lapses (24 whole months in the default rules), the same message is not sent either.
    async with firm.engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == "C00001").values(
            risk_assessed_on=datetime.now(UTC).date() - timedelta(days=2 * 366)))
    lapsed = await start_campaign(firm.engine, CampaignKind.STRATEGY, "bond_fund", {"C00001": accounts["C00001"]})
    assert await send_due(firm.engine) == {}
    row = await _row(firm.engine, lapsed.outbox["C00001"])
    assert (row.status, row.error) == (OutboxStatus.SENT, "nothing_to_say")


async def test_the_preview_renders_the_message_without_the_send_time_checks(firm: Chat) -> None:
    accounts = await _bind(firm, "C00002")
    started = await start_campaign(firm.engine, CampaignKind.STRATEGY, "seminars", accounts)
    await firm.send(accounts["C00002"], "/unsubscribe")
    await set_status(firm.engine, started.campaign_id, CampaignStatus.CLOSED)
    i18n = create_i18n("en")  # as a command's preview has the catalogs in force
    async with session_factory(firm.engine)() as session:
        reader = await load_reader(session, accounts["C00002"])
        with i18n.context(), i18n.use_locale("en"):
            strategy = await handlers.campaign_sample(session, started.campaign_id, "strategy", "seminars", reader)
            survey = await handlers.campaign_sample(session, started.campaign_id, "survey", "relationship_nps",
                                                    reader)
        # A client of the audience with no Telegram account, as an operator's preview takes one.
        with i18n.context(), i18n.use_locale("zh_Hans"):
            chinese = await handlers.campaign_sample(session, started.campaign_id, "strategy", "seminars",
                                                     Reader(0, Role.CLIENT, client_id="C00001"))
        with i18n.context(), i18n.use_locale("zh_Hant"):
            traditional = await handlers.campaign_sample(session, started.campaign_id, "strategy", "seminars",
                                                         Reader(0, Role.CLIENT, client_id="C00001"))
    assert isinstance(strategy, Rendered)
    assert strategy.text == SEMINARS_TO_MARY
    assert survey.text.startswith("<b>How are we doing?</b>")
    assert buttons(survey.reply_markup)["7"] == f"sv:{started.campaign_id}:0:7"
    assert chinese.text.startswith("尊敬的张伟：")
    assert "您的客户经理王丽可为您预留席位" in chinese.text
    # Traditional text around the names as the firm wrote them, and the Traditional word that refuses.
    assert traditional.text.startswith("张伟您好：")
    assert "您的客戶經理王丽可為您預留座位" in traditional.text
    assert traditional.text.endswith("\n\n<i>回覆「取消訂閱」或發送 /unsubscribe，即可取消訂閱此類訊息。</i>")
    async with firm.engine.connect() as connection:
        assert (await connection.execute(select(OutboxMessage.status))).scalars().all() == [OutboxStatus.PENDING]
