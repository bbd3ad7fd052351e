"""The digest as an adviser reads it, sent by the real sender (to a Bot that records what would go to Telegram):
in their language, grouped, with a button per client, from what is true when it is sent."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.alerting import QUIET_OFF, RULES, bind_adviser
from support.chat import Chat
from support.mocked_bot import MockedBot
from support.paths import GOOD_IMPORT

from bot.alerts import queue_digests
from bot.config import DeliverySettings
from bot.db.models import Adviser, Alert, AlertKind, Client, OutboxMessage, OutboxStatus
from bot.delivery.sender import Sender
from bot.importer import import_path
from bot.scoring import score_clients
from handlers import renderers

pytestmark = pytest.mark.db

CHINESE_ADVISER, ENGLISH_ADVISER = "A001", "A002"  # 王丽 reads Chinese, John Smith English (advisers.csv)
CHINESE_USER, ENGLISH_USER = 7_100_001, 7_100_002


@dataclass
class Firm:
    engine: AsyncEngine

    async def add_client(self, client_id: str, name: str, adviser_id: str) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(insert(Client).values(client_id=client_id, name=name, adviser_id=adviser_id,
                                                           onboarded_on=date(2020, 1, 1)))

    async def alert(self, adviser_id: str, client_id: str, kind: AlertKind, **details: Any) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(insert(Alert).values(adviser_id=adviser_id, client_id=client_id, kind=kind,
                                                          details=details, created_at=datetime.now(UTC)))

    async def tier_change(self, adviser_id: str, client_id: str, before: str, after: str) -> None:
        await self.alert(adviser_id, client_id, AlertKind.TIER_CHANGE, **{"from": before, "to": after})

    async def churn_risk(self, adviser_id: str, client_id: str, p_alive: float | None) -> None:
        await self.alert(adviser_id, client_id, AlertKind.CHURN_RISK, p_alive=p_alive,
                         **{"from": "loyal", "to": "potential_churn"})

    async def queue(self) -> None:
        async with self.engine.begin() as connection:
            await queue_digests(connection, schedule=QUIET_OFF, now=datetime.now(UTC))

    async def send(self) -> dict[int, list[SendMessage]]:
        """Run the sender until nothing is due; what it sent, by chat."""
        bot = MockedBot()
        sender = Sender(self.engine, bot, renderers(), settings=DeliverySettings(quiet_hours="off",
                                                                                 per_chat_interval=0),
                        default_locale="en")
        await sender.run(once=True)
        sent: dict[int, list[SendMessage]] = {}
        for request in bot.session.sent(SendMessage):
            sent.setdefault(int(request.chat_id), []).append(request)
        return sent


@pytest.fixture
async def firm(engine: AsyncEngine, tmp_path: Path) -> Firm:
    """The small firm of the import tests, scored once (on 31 October 2026), both advisers bound."""
    shutil.copytree(GOOD_IMPORT, tmp_path / "data")
    await import_path(engine, tmp_path / "data", actor="tests")
    await score_clients(engine, RULES, schedule=QUIET_OFF)
    await bind_adviser(engine, CHINESE_ADVISER, user_id=CHINESE_USER)
    await bind_adviser(engine, ENGLISH_ADVISER, user_id=ENGLISH_USER)
    return Firm(engine)


def _buttons(message: SendMessage) -> list[tuple[str, str | None]]:
    markup = message.reply_markup
    assert markup is not None
    return [(button.text, button.callback_data) for row in markup.inline_keyboard for button in row]  # type: ignore[union-attr]


async def _english_book(firm: Firm) -> None:
    await firm.add_client("C00004", "O'Neil, Sam", ENGLISH_ADVISER)
    await firm.add_client("C00005", "Lee <Kim>", ENGLISH_ADVISER)
    await firm.tier_change(ENGLISH_ADVISER, "C00002", "ordinary", "mid")
    await firm.tier_change(ENGLISH_ADVISER, "C00004", "high_net_worth", "mid")
    await firm.churn_risk(ENGLISH_ADVISER, "C00002", None)
    await firm.churn_risk(ENGLISH_ADVISER, "C00004", 0.93)  # P(alive) above the line: another warning sign
    await firm.churn_risk(ENGLISH_ADVISER, "C00005", 0.234)


async def test_each_adviser_reads_one_digest_in_their_language_with_a_button_per_client(firm: Firm) -> None:
    await _english_book(firm)
    await firm.tier_change(CHINESE_ADVISER, "C00001", "ordinary", "mid")
    await firm.tier_change(CHINESE_ADVISER, "C00003", "mid", "high_net_worth")
    await firm.churn_risk(CHINESE_ADVISER, "C00001", 0.31)
    await firm.queue()
    sent = await firm.send()
    assert set(sent) == {CHINESE_USER, ENGLISH_USER}

    (english,) = sent[ENGLISH_USER]
    assert english.text == (
        "<b>Changes in your book: scoring of Oct 31, 2026</b>\n"
        "\n"
        "<b>⬆️ Moved up a tier (1)</b>\n"
        "• <b>Brown, Mary</b> · C00002: Ordinary → Mid-tier\n"
        "\n"
        "<b>⬇️ Moved down a tier (1)</b>\n"
        "• <b>O&#39;Neil, Sam</b> · C00004: High-net-worth → Mid-tier\n"
        "\n"
        "<b>⚠️ Churn risk rose (3)</b>\n"
        "• <b>Lee &lt;Kim&gt;</b> · C00005: P(alive) 23%, below the line of 50%\n"
        "• <b>O&#39;Neil, Sam</b> · C00004: net outflows or a low survey score (P(alive) 93%)\n"
        "• <b>Brown, Mary</b> · C00002: at risk of leaving\n"
        "\n"
        "Each button opens the client's summary."
    )
    assert _buttons(english) == [("Brown, Mary · C00002", "sum:C00002"), ("O'Neil, Sam · C00004", "sum:C00004"),
                                 ("Lee <Kim> · C00005", "sum:C00005")]

    (chinese,) = sent[CHINESE_USER]
    lines = chinese.text.splitlines()
    assert lines[0] == "<b>您名下客户的变动：2026年10月31日评分</b>"
    # The higher tier first: 李秀英 moved up to high-net-worth, 张伟 to mid.
    assert lines[2:5] == ["<b>⬆️ 升级（2 位）</b>", "• <b>李秀英</b> · C00003：中端客户 → 高净值客户",
                          "• <b>张伟</b> · C00001：普通客户 → 中端客户"]
    assert "<b>⚠️ 流失风险上升（1 位）</b>" in lines
    assert "• <b>张伟</b> · C00001：存活概率 P(alive) 31%，低于 50% 的预警线" in lines
    assert "降级" not in chinese.text
    assert lines[-1] == "点击按钮即可查看该客户的概览。"
    assert _buttons(chinese) == [("李秀英 · C00003", "sum:C00003"), ("张伟 · C00001", "sum:C00001")]

    async with firm.engine.connect() as connection:
        rows = (await connection.execute(select(OutboxMessage.status, OutboxMessage.message_id))).all()
        unsent = (await connection.execute(select(Alert.id).where(Alert.sent_at.is_(None)))).all()
    assert [status for status, _ in rows] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert unsent == []

    # A button opens the client's summary, as the adviser's own look-up would.
    chat = Chat(firm.engine, rate_limit=False)
    summary = await chat.press(ENGLISH_USER, _buttons(english)[0][1] or "")
    assert any("Brown, Mary" in text and "C00002" in text for text in summary)


async def test_a_client_reassigned_after_queueing_is_left_out(firm: Firm) -> None:
    await _english_book(firm)
    await firm.queue()
    async with firm.engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == "C00004")
                                 .values(adviser_id=CHINESE_ADVISER))
    sent = await firm.send()
    assert set(sent) == {ENGLISH_USER}  # the alert was John Smith's: 王丽 is not told of it
    (english,) = sent[ENGLISH_USER]
    assert "C00004" not in english.text
    assert "Moved down" not in english.text
    assert [client for _, client in _buttons(english)] == ["sum:C00002", "sum:C00005"]


async def test_nothing_is_sent_when_nothing_is_left_to_say(firm: Firm) -> None:
    await firm.tier_change(ENGLISH_ADVISER, "C00002", "ordinary", "mid")
    await firm.tier_change(CHINESE_ADVISER, "C00001", "ordinary", "mid")
    await firm.queue()
    async with firm.engine.begin() as connection:
        # Brown, Mary moved to another adviser; 王丽 left the firm today.
        await connection.execute(update(Client).where(Client.client_id == "C00002")
                                 .values(adviser_id=CHINESE_ADVISER))
        await connection.execute(update(Adviser).where(Adviser.adviser_id == CHINESE_ADVISER)
                                 .values(left_on=datetime.now(UTC).date()))
    assert await firm.send() == {}
    async with firm.engine.connect() as connection:
        rows = (await connection.execute(select(OutboxMessage.status, OutboxMessage.message_id))).all()
    assert rows == [(OutboxStatus.SENT, None), (OutboxStatus.SENT, None)]  # ended: nothing to say


async def test_a_long_digest_stays_one_message_and_says_how_to_see_the_rest(firm: Firm) -> None:
    for number in range(10, 30):
        client_id = f"C{number:05d}"
        await firm.add_client(client_id, f"Client {number}", ENGLISH_ADVISER)
        await firm.tier_change(ENGLISH_ADVISER, client_id, "ordinary", "mid")
    await firm.churn_risk(ENGLISH_ADVISER, "C00002", 0.4)
    await firm.queue()
    (english,) = (await firm.send())[ENGLISH_USER]
    lines = english.text.splitlines()
    assert "<b>⬆️ Moved up a tier (20)</b>" in lines
    listed = [line for line in lines if line.startswith("• ")]
    assert listed[:15] == [f"• <b>Client {n}</b> · C{n:05d}: Ordinary → Mid-tier" for n in range(10, 25)]
    assert listed[15:] == ["• <b>Brown, Mary</b> · C00002: P(alive) 40%, below the line of 50%"]
    assert "…and 5 more clients." in lines
    assert lines[-1] == (
        "The buttons open the summaries of the first 10 clients. For the others, send /client with the client's "
        "id, or /clients and filter by “Tier changed in the last 30 days” or “At risk of leaving”.")
    assert [data for _, data in _buttons(english)] == [f"sum:C{n:05d}" for n in range(10, 20)]
