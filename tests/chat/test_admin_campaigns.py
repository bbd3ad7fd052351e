"""/campaigns for admins in chat: what `tierbot campaign` offers, through the same service, in English and Chinese.

A draft is created with /campaigns new, previewed, started after a confirmation that says how many clients it
messages, paused, resumed, reported on (with the NPS-by-tier chart for a survey) and closed, each button editing the
card in place. Every press is checked again: a stale Start (pressed twice) or Pause is one sentence of the service
and changes nothing, a forged press by an adviser or a client is the stale button's answer, and bad input to
/campaigns new is one sentence that creates nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, SendPhoto, SetMyCommands
from babel.dates import format_date, format_time
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.campaign_results import Answer, add_answers
from support.campaign_world import World
from support.chat import Chat, new_user_id

from bot.db.models import (
    AuditEntry,
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    OutboxMessage,
    OutboxStatus,
    Role,
    SurveyScale,
)
from bot.i18n.tables import PHONE_COLUMNS, columns
from handlers.callbacks import CampaignAction, CampaignCb, CampaignListCb

pytestmark = pytest.mark.db

FIRM_ZONE = ZoneInfo("Asia/Shanghai")  # TIERBOT_TIMEZONE's default, the admins' zone
STALE = "This button is no longer valid. Send /help to start again."
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)


async def _firm(engine: AsyncEngine) -> tuple[Chat, World, int]:
    """A small firm's mid tier (two clients reachable, one never bound, one with an open complaint), a client of
    another tier, and an admin reading English."""
    world = World(engine)
    await world.adviser("A001")
    await world.client("C01", tier="mid", locale="zh_Hans")
    await world.client("C02", tier="mid", locale="en")
    await world.client("C03", tier="high_net_worth", locale="en", asset_size="high_net_worth")
    await world.client("C04", tier="mid", bound=False)
    await world.client("C05", tier="mid", complaint_open=True)
    chat = Chat(engine, rate_limit=False)
    return chat, world, await chat.bind(Role.ADMIN, None)


async def _campaigns(engine: AsyncEngine) -> list[tuple[CampaignKind, str, str, CampaignStatus, str]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in (await connection.execute(  # type: ignore[misc]
            select(Campaign.kind, Campaign.template, Campaign.audience, Campaign.status, Campaign.created_by)
            .order_by(Campaign.id))).all()]


async def _queued(engine: AsyncEngine) -> tuple[int, int]:
    """Campaign recipients and outbox rows."""
    async with engine.connect() as connection:
        return ((await connection.execute(select(func.count()).select_from(CampaignRecipient))).scalar_one(),
                (await connection.execute(select(func.count()).select_from(OutboxMessage))).scalar_one())


def _edited(chat: Chat) -> bool:
    """The press edited the message it came from, and sent nothing new."""
    return bool(chat.bot.session.sent(EditMessageText)) and not chat.bot.session.sent(SendMessage)


def _labels(chat: Chat) -> list[str]:
    return list(chat.buttons())


def _fits_a_phone(text: str) -> None:
    for block in _PRE.findall(text):
        for line in block.splitlines():
            assert columns(line) <= PHONE_COLUMNS, line


def _in_english(at: datetime) -> str:
    local = at.astimezone(FIRM_ZONE)
    return f"{format_date(local, 'medium', locale='en')}, {format_time(local, 'short', locale='en')}"


async def test_a_survey_from_draft_to_close(engine: AsyncEngine) -> None:
    chat, world, admin = await _firm(engine)
    (text,) = await chat.send(admin, "/campaigns")
    assert "No campaign yet." in text
    assert "<code>/campaigns new survey annual_review tier=mid locale=zh_Hans</code>" in text

    (card,) = await chat.send(admin, "/campaigns new survey relationship_nps tier=mid")
    assert card.startswith("<b>Created, a draft: see who it reaches with Preview, then start it.</b>")
    assert "<b>Campaign 1 · survey “relationship_nps”</b>\nAudience: tier=mid\nA draft, created " in card
    assert "Times in the firm's time zone, Asia/Shanghai." in card
    assert _labels(chat) == ["👁 Preview", "▶️ Start", "⏹ Close", "📋 All campaigns"]
    assert await _campaigns(engine) == [
        (CampaignKind.SURVEY, "relationship_nps", "tier=mid", CampaignStatus.DRAFT, f"telegram:{admin}")]
    buttons = chat.buttons()

    (preview,) = await chat.press(admin, buttons["👁 Preview"])
    assert _edited(chat)
    assert "A start now reaches 2 clients." in preview
    (table,) = _PRE.findall(preview)
    assert table.splitlines() == ["Tier     English 简体中文 All", "Mid-tier       1        1   2",
                                  "All            1        1   2"]
    assert "Left out: 2 clients of the audience." in preview
    assert "• 1 never bound: no Telegram account is linked to them yet" in preview
    assert "• 1 complaint open: a client with an open complaint is not surveyed." in preview
    assert "What each language's readers would read: press Samples." in preview
    assert "Preview: nothing was written or sent." in preview
    assert _labels(chat) == ["📨 Samples", "▶️ Start", "⬅️ Back"]
    assert await _queued(engine) == (0, 0)

    # The samples come in messages of their own, one per language, each as its client would read it, buttons too.
    english, chinese = await chat.press(admin, chat.buttons()["📨 Samples"])
    assert not chat.bot.session.sent(EditMessageText)  # the preview stays
    assert english.startswith("<i>What C")
    assert ", in English:</i>\n\n<b>How are we doing?</b>" in english
    assert chinese.startswith("<i>What C")
    assert ", in 简体中文:</i>\n\n<b>我们做得怎么样？</b>" in chinese  # the client's language, under the admin's
    assert {"0", "10"} <= set(_labels(chat))  # the last sample's rating buttons
    assert await _queued(engine) == (0, 0)
    async with engine.connect() as connection:  # each sample is a look at its client, as a summary is
        views = (await connection.execute(select(AuditEntry.actor, AuditEntry.details).where(
            AuditEntry.action == "client.view"))).all()
    assert views == [(f"tg:{admin}", {"role": "admin", "view": "campaign_sample"})] * 2
    async with engine.connect() as connection:
        looked_at = await connection.scalar(select(AuditEntry.client_id).where(AuditEntry.action == "client.view"))
    (audit,) = await chat.send(admin, f"/audit {looked_at}")
    assert "saw a campaign's sample message" in audit

    (question,) = await chat.press(admin, buttons["▶️ Start"])
    assert question.startswith("<b>Start campaign 1?</b>")
    assert "It will message 2 clients: one survey each, queued now" in question
    assert _labels(chat) == ["✅ Yes, start it", "✖️ Cancel"]
    assert await _queued(engine) == (0, 0)  # asking starts nothing
    start = chat.buttons()["✅ Yes, start it"]

    (started,) = await chat.press(admin, start)
    assert _edited(chat)
    assert started.startswith("<b>Started: 2 messages queued, one per recipient.</b>")
    assert "Running since " in started
    figures = [line.split() for line in _PRE.findall(started)[0].splitlines()]
    assert figures[:3] == [["Recipients", "2"], ["Delivered", "0", "0%"], ["Waiting", "2"]]
    assert "Left out at the start: 2 clients of the audience." in started
    assert _labels(chat) == ["🔄 Refresh", "⏸ Pause", "📊 Report", "⏹ Close", "📋 All campaigns"]
    assert await _queued(engine) == (2, 2)
    running = chat.buttons()

    # The confirmation pressed a second time (a double tap, or a second admin): one sentence, nothing added.
    assert await chat.press(admin, start) == ["Campaign 1 has started already: starting it again adds nothing."]
    assert _labels(chat) == ["⬅️ Back", "📋 All campaigns"]
    assert await _queued(engine) == (2, 2)
    # So is a Start from the draft's card, pressed after the start, and its preview's Samples.
    assert await chat.press(admin, buttons["▶️ Start"]) == [
        "Campaign 1 has started already: its status tells how it is going."]
    assert await chat.press(admin, CampaignCb(action=CampaignAction.SAMPLES, campaign=1).pack()) == [
        "Campaign 1 has started already: its status tells how it is going."]

    (paused,) = await chat.press(admin, running["⏸ Pause"])
    assert paused.startswith("<b>Paused.</b>")
    assert "Paused: the sender sends none of its messages until it is resumed." in paused
    assert _labels(chat) == ["🔄 Refresh", "▶️ Resume", "📊 Report", "⏹ Close", "📋 All campaigns"]
    assert (await _campaigns(engine))[0][3] is CampaignStatus.PAUSED
    assert await chat.press(admin, running["⏸ Pause"]) == ["Campaign 1 is paused already."]
    (resumed,) = await chat.press(admin, chat.buttons()["⬅️ Back"])
    assert "Paused (started " in resumed
    (resumed,) = await chat.press(admin, chat.buttons()["▶️ Resume"])
    assert resumed.startswith("<b>Running again")
    assert (await _campaigns(engine))[0][3] is CampaignStatus.RUNNING

    # One message delivered and answered, one still waiting.
    sent_at = datetime.now(UTC) - timedelta(minutes=5)
    await world.end_message(1, "C02", OutboxStatus.SENT, message_id=501, sent_at=sent_at)
    async with engine.begin() as connection:
        await add_answers(connection, 1, [Answer("C02", "recommend", SurveyScale.NPS, 9, at=sent_at)])
    (refreshed,) = await chat.press(admin, chat.buttons()["🔄 Refresh"])
    figures = [line.split() for line in _PRE.findall(refreshed)[0].splitlines()]
    assert figures[1] == ["Delivered", "1", "50%"]
    assert figures[-1] == ["Answered", "1", "100%"]
    assert f"Last sent {_in_english(sent_at)}." in refreshed

    (report,) = await chat.press(admin, chat.buttons()["📊 Report"])
    assert not chat.bot.session.sent(EditMessageText)  # in a message of its own: the card stays as it was
    (photo,) = chat.bot.session.sent(SendPhoto)  # NPS by tier, above the report
    (message,) = chat.bot.session.sent(SendMessage)
    assert chat.bot.session.requests.index(photo) < chat.bot.session.requests.index(message)
    assert report.startswith("<b>Campaign 1: survey “How are we doing?”</b>")
    assert "Response rate: 100.0% (1 of 1 clients reached answered at least one question)." in report

    (question,) = await chat.press(admin, running["⏹ Close"])
    assert question.startswith("<b>Close campaign 1?</b>")
    assert "The survey will take no more answers." in question
    (closed,) = await chat.press(admin, chat.buttons()["✅ Yes, close it"])
    assert closed.startswith("<b>Closed: 1 message not sent yet will not be.</b>\nThe survey takes no more answers.")
    assert "\nClosed " in closed
    assert _labels(chat) == ["📊 Report", "📋 All campaigns"]
    assert (await _campaigns(engine))[0][3] is CampaignStatus.CLOSED
    assert await chat.press(admin, running["⏸ Pause"]) == [
        "Campaign 1 is closed: it sends nothing more, so there is nothing to pause."]
    (again,) = await chat.press(admin, running["⏹ Close"])
    assert again.startswith("<b>Campaign 1 is closed already.</b>")

    (listed,) = await chat.press(admin, CampaignListCb(page=0).pack())
    assert "Newest first; page 1 of 1, 1 campaign in all." in listed
    assert _labels(chat) == ["1 · survey · relationship_nps · closed"]


async def test_a_strategy_message_in_chinese(engine: AsyncEngine) -> None:
    chat, _world, admin = await _firm(engine)
    await chat.send(admin, "/language")
    await chat.press(admin, chat.buttons()["简体中文"])
    (card,) = await chat.send(admin, "/campaigns new strategy seminars tier=mid,high_net_worth")
    assert "<b>活动 1 · 策略消息“seminars”</b>" in card, card
    assert "受众：tier=mid,high_net_worth" in card
    assert "时间均为本机构所在时区（Asia/Shanghai）" in card
    labels = _labels(chat)
    assert labels == ["👁 预览", "▶️ 启动", "⏹ 关闭", "📋 全部活动"]

    (preview,) = await chat.press(admin, chat.buttons()[labels[0]])
    assert "现在启动将送达 4 位客户。" in preview, preview  # an open complaint holds back surveys only
    _fits_a_phone(preview)
    (table,) = _PRE.findall(preview)
    assert table.splitlines()[0].split() == ["等级", "English", "简体中文", "合计"]
    assert "预览：未写入、未发送任何内容。" in preview

    (question,) = await chat.press(admin, chat.buttons()["▶️ 启动"])
    assert question.startswith("<b>启动活动 1？</b>")
    assert "将向 4 位客户发送消息：每人一条策略消息" in question, question
    assert _labels(chat) == ["✅ 确认启动", "✖️ 取消"]
    start = chat.buttons()["✅ 确认启动"]
    (started,) = await chat.press(admin, start)
    assert started.startswith("<b>已启动：已排入 4 条消息，每位接收人一条。</b>"), started
    assert "启动时未纳入：受众中的 1 位客户。\n• 1 从未绑定：" in started
    _fits_a_phone(started)
    assert await _queued(engine) == (4, 4)
    assert await chat.press(admin, start) == ["活动 1 已经开始：再次启动不会新增任何消息。"]
    assert _labels(chat) == ["⬅️ 返回", "📋 全部活动"]
    assert await _queued(engine) == (4, 4)

    (card,) = await chat.press(admin, chat.buttons()["⬅️ 返回"])
    assert _labels(chat) == ["🔄 刷新", "⏸ 暂停", "📊 报告", "⏹ 关闭", "📋 全部活动"]
    (paused,) = await chat.press(admin, chat.buttons()["⏸ 暂停"])
    assert paused.startswith("<b>已暂停。</b>")
    assert "已暂停：恢复之前，发送程序不会发送其任何消息。" in paused
    (question,) = await chat.press(admin, chat.buttons()["⏹ 关闭"])  # a paused campaign closes too
    assert question.startswith("<b>关闭活动 1？</b>")
    assert "该调查问卷将不再接受作答。" not in question  # a strategy message takes no answers
    (closed,) = await chat.press(admin, chat.buttons()["✅ 确认关闭"])
    assert closed.startswith("<b>已关闭：尚未发送的 4 条消息将不再发送。</b>"), closed
    assert _labels(chat) == ["📊 报告", "📋 全部活动"]
    (report,) = await chat.press(admin, chat.buttons()["📊 报告"])
    assert report.startswith("<b>活动 1：策略消息“")
    assert not chat.bot.session.sent(SendPhoto)  # a strategy message has no NPS to chart
    assert (await _campaigns(engine))[0][:4] == (CampaignKind.STRATEGY, "seminars", "tier=mid,high_net_worth",
                                                 CampaignStatus.CLOSED)
    async with engine.connect() as connection:
        ended = (await connection.execute(select(OutboxMessage.status, OutboxMessage.error))).all()
    assert ended == [(OutboxStatus.SENT, "campaign_closed")] * 4


async def test_bad_input_to_campaigns_new_is_one_sentence_and_creates_nothing(engine: AsyncEngine) -> None:
    chat, _world, admin = await _firm(engine)
    for command, sentence in [
        ("/campaigns new survey relationship_nps tier=mid lifecyle=growth",
         "“lifecyle=growth”: there is no key “lifecyle” (did you mean “lifecycle”?); the keys are tier, asset_size, "
         "activity, lifecycle, complexity, loyalty, locale, risk, adviser, changed_since."),
        ("/campaigns new survey relationship_nsp tier=mid",
         "There is no survey “relationship_nsp” (did you mean “relationship_nps”?); there are: annual_review, "
         "effort_ces, relationship_nps, service_csat."),
        ("/campaigns new strategy relationship_nps tier=mid",
         "There is no strategy message “relationship_nps”; there are: dedicated_adviser, integrated_planning, "
         "introduction, periodic_reports, plans_conversation, portfolio_advice, premium_service, "
         "realtime_market_news, retention_outreach, self_service, seminars, value_added_service."),
        ("/campaigns new poll relationship_nps tier=mid", "“poll” is not a kind of campaign: give survey or strategy."),
        ("/campaigns new survey relationship_nps adviser=A010",
         "“adviser=A010”: there is no adviser “A010” (did you mean “A001”?)."),
        ("/campaigns new survey relationship_nps",
         "The audience is empty: write terms such as “tier=mid lifecycle=growth”, or “all” for every scored client."),
        ("/campaigns new survey relationship_nps tier=mid at=tomorrow",
         "“at=tomorrow” is not a time: write at=YYYY-MM-DDTHH:MM, read in your time zone (Asia/Shanghai), or with an "
         "offset, such as at=2026-12-07T10:00+08:00."),
        ("/campaigns new survey relationship_nps tier=mid at=2020-01-01T09:00",
         "The time to send from has passed: give a later one, or none to send as soon as the campaign starts."),
        ("/campaigns new survey relationship_nps at=2030-01-01T09:00 tier=mid at=2030-01-02T09:00",
         "The start time is given twice: give one at= term."),
    ]:
        assert await chat.send(admin, command) == [sentence], command
        assert chat.last_keyboard() is None
    (usage,) = await chat.send(admin, "/campaigns new survey")
    assert usage.startswith("Create a draft with /campaigns new, the kind (survey or strategy), the template and ")
    (usage,) = await chat.send(admin, "/campaigns open 1")
    assert usage.startswith("/campaigns lists the campaigns, and /campaigns ID opens one.")
    assert await chat.send(admin, "/campaigns 42") == ["There is no campaign 42."]
    assert await _campaigns(engine) == []

    # A time without an offset is read in the admin's time zone, the firm's.
    at = (datetime.now(FIRM_ZONE) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    (card,) = await chat.send(admin, f"/campaigns new survey relationship_nps tier=mid at={at:%Y-%m-%dT%H:%M}")
    assert f"Nothing is sent before {_in_english(at)}." in card
    async with engine.connect() as connection:
        stored = (await connection.execute(select(Campaign.not_before))).scalar_one()
    assert stored == at.astimezone(UTC)
    (question,) = await chat.press(admin, chat.buttons()["▶️ Start"])
    assert f"Nothing is sent before {_in_english(at)}." in question


async def test_presses_from_anyone_but_an_admin_change_nothing(engine: AsyncEngine) -> None:
    chat, world, admin = await _firm(engine)
    await chat.send(admin, "/campaigns new survey relationship_nps tier=mid")
    adviser = await chat.bind(Role.ADVISER, "A001")
    client = world.accounts["C02"]
    for user_id in (adviser, client):
        for action in (CampaignAction.START_CONFIRMED, CampaignAction.CLOSE_CONFIRMED, CampaignAction.PREVIEW,
                       CampaignAction.SAMPLES, CampaignAction.REPORT):
            assert await chat.press(user_id, CampaignCb(action=action, campaign=1).pack()) == []
            assert chat.bot.session.sent(EditMessageText) == []
            assert [answer.text for answer in chat.bot.session.sent(AnswerCallbackQuery)] == [STALE]
        assert await chat.press(user_id, CampaignListCb(page=0).pack()) == []
        assert await chat.send(user_id, "/campaigns") == ["/campaigns is for the firm's admins."]
        assert await chat.send(user_id, "/campaigns new survey relationship_nps tier=mid") == [
            "/campaigns is for the firm's admins."]
    (not_linked,) = await chat.send(new_user_id(), "/campaigns")  # an unbound account, as for /stats
    assert not_linked.startswith("Your Telegram account is not linked to a client account yet")
    assert await _campaigns(engine) == [
        (CampaignKind.SURVEY, "relationship_nps", "tier=mid", CampaignStatus.DRAFT, f"telegram:{admin}")]
    assert await _queued(engine) == (0, 0)

    # An admin's forged press on a campaign that does not exist: the service's sentence.
    assert await chat.press(admin, CampaignCb(action=CampaignAction.START_CONFIRMED, campaign=99).pack()) == [
        "There is no campaign 99."]
    assert await chat.press(admin, CampaignCb(action=CampaignAction.REPORT, campaign=99).pack()) == [
        "There is no campaign 99."]
    assert await chat.press(admin, CampaignCb(action=CampaignAction.SAMPLES, campaign=99).pack()) == [
        "There is no campaign 99."]
    for action in (CampaignAction.START_CONFIRMED, CampaignAction.REPORT, CampaignAction.SAMPLES):  # past any id
        assert await chat.press(admin, CampaignCb(action=action, campaign=2**40).pack()) == []
        assert [answer.text for answer in chat.bot.session.sent(AnswerCallbackQuery)] == [STALE]


async def test_drafts_are_dropped_and_the_list_is_paged(engine: AsyncEngine) -> None:
    chat, _world, admin = await _firm(engine)
    for _ in range(9):
        await chat.send(admin, "/campaigns new survey relationship_nps tier=mid")
    (first,) = await chat.send(admin, "/campaigns")
    assert "Newest first; page 1 of 2, 9 campaigns in all." in first
    labels = _labels(chat)
    assert labels == [f"{n} · survey · relationship_nps · draft" for n in range(9, 1, -1)] + ["Older ➡️"]
    (second,) = await chat.press(admin, chat.buttons()["Older ➡️"])
    assert "page 2 of 2" in second
    assert _labels(chat) == ["1 · survey · relationship_nps · draft", "⬅️ Newer"]
    (card,) = await chat.press(admin, chat.buttons()["1 · survey · relationship_nps · draft"])
    assert "<b>Campaign 1 · survey “relationship_nps”</b>" in card
    (question,) = await chat.press(admin, chat.buttons()["⏹ Close"])
    assert question.startswith("<b>Drop draft campaign 1?</b>")
    (dropped,) = await chat.press(admin, chat.buttons()["✅ Yes, close it"])
    assert dropped.startswith("<b>Dropped: the draft was closed without being started.</b>")
    assert re.search(r"\nDropped [^\n]+, never started\.\n", dropped), dropped
    (back,) = await chat.press(admin, chat.buttons()["📋 All campaigns"])
    assert "page 2 of 2" in back  # the page the card was opened from
    assert _labels(chat) == ["1 · survey · relationship_nps · closed", "⬅️ Newer"]
    assert [status for *_rest, status, _by in await _campaigns(engine)] == [CampaignStatus.CLOSED] + [
        CampaignStatus.DRAFT] * 8
    (far,) = await chat.press(admin, CampaignListCb(page=50).pack())  # a forged page: the last there is
    assert "page 2 of 2" in far


async def test_help_and_the_command_menu_offer_campaigns_to_admins_only(engine: AsyncEngine) -> None:
    chat, _world, _admin = await _firm(engine)
    user_id = new_user_id()
    chat.bot.session.clear()
    await chat.send(user_id, f"/start {await chat.invite(Role.ADMIN, None)}")
    (menu,) = [r for r in chat.bot.session.requests if isinstance(r, SetMyCommands)]
    assert "campaigns" in [c.command for c in menu.commands]
    (text,) = await chat.send(user_id, "/help")
    assert "/campaigns — surveys and strategy messages pushed to clients" in text
    (text,) = await chat.send(await chat.bind(Role.ADVISER, "A001"), "/help")
    assert "/campaigns" not in text
