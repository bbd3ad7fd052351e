"""/stats for an admin: the tier distribution as the database holds it, the last run's changes as a from → to matrix,
churn risk, and who the bot cannot reach, in English and Chinese, in tables that fit a phone."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from aiogram.types import Update
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat
from support.mocked_bot import BOT_ID
from support.scored_clients import ScoredClients

from bot.db.models import Client, OutboxMessage, OutboxStatus, Role, ScoringRun, TierSnapshot, TierState
from bot.delivery import Outgoing, enqueue
from bot.demo import generate_demo_data
from bot.i18n.tables import PHONE_COLUMNS, columns
from bot.importer import import_path
from bot.scoring import load_rules, score_clients

pytestmark = pytest.mark.db

AS_OF = date(2026, 10, 31)
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)


def _tables(text: str) -> list[list[str]]:
    """The lines of each monospace table of a reply."""
    return [block.splitlines() for block in _PRE.findall(text)]


def _row(table: list[str], label: str) -> list[str]:
    """The cells after `label` of the table's row that starts with it."""
    (line,) = [line for line in table if line.startswith(label + " ")]
    return line[len(label):].split()


def _fits_a_phone(text: str) -> None:
    for table in _tables(text):
        for line in table:
            assert columns(line) <= PHONE_COLUMNS, line


async def _distribution(engine: AsyncEngine) -> tuple[dict[str, int], int]:
    async with engine.connect() as connection:
        tiers: dict[str, int] = dict((await connection.execute(
            select(TierState.tier, func.count()).group_by(TierState.tier))).all())
        at_risk = (await connection.execute(select(func.count()).select_from(TierState).where(
            TierState.loyalty_segment == "potential_churn"))).scalar_one()
    return tiers, at_risk


async def _to_chinese(chat: Chat, user_id: int) -> None:
    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()["简体中文"])


@pytest.mark.asyncio(loop_scope="session")
async def test_the_distribution_is_the_database_s_in_both_languages(chat: Chat, clients: ScoredClients) -> None:
    admin = await chat.bind(Role.ADMIN, None)
    tiers, at_risk = await _distribution(chat.engine)
    total = sum(tiers.values())
    (text,) = await chat.send(admin, "/stats")
    assert text.startswith("<b>The firm's clients by tier</b>")
    distribution = _tables(text)[0]
    assert distribution[0].split() == ["Tier", "Clients", "Share"]
    for number, (tier, name) in enumerate((("ordinary", "Ordinary"), ("mid", "Mid-tier"),
                                           ("high_net_worth", "High-net-worth")), 1):
        count, share = _row(distribution, f"{number} {name}")
        assert count == f"{tiers[tier]:,}"
        assert share == f"{tiers[tier] / total:.1%}"
    assert _row(distribution, "All") == [f"{total:,}", "100.0%"]
    assert f"At risk of leaving now: {at_risk:,} clients ({at_risk / total:.1%})." in text
    async with chat.engine.connect() as connection:
        run = (await connection.execute(select(ScoringRun).order_by(ScoringRun.id.desc()).limit(1))).one()
    assert f"Run {run.id}, on the data as of Oct 31, 2026, under rules {run.rules_version}; finished " in text
    assert f"• Clients scored: {run.clients_scored:,}" in text
    _fits_a_phone(text)

    await _to_chinese(chat, admin)
    (text,) = await chat.send(admin, "/stats")
    assert text.startswith("<b>本机构客户等级分布</b>")
    distribution = _tables(text)[0]
    assert distribution[0].split() == ["等级", "客户数", "占比"]
    assert _row(distribution, "3 高净值客户")[0] == f"{tiers['high_net_worth']:,}"
    assert _row(distribution, "合计") == [f"{total:,}", "100.0%"]
    assert f"当前有流失风险的客户：{at_risk:,} 位（{at_risk / total:.1%}）。" in text
    assert f"第 {run.id} 次评分，数据截至 2026年10月31日，规则版本 {run.rules_version}；完成于 " in text
    assert "<b>最近一次评分</b>" in text
    assert "<b>无法联系到的用户</b>" in text
    _fits_a_phone(text)


def _bot_status_changed(user_id: int, status: str) -> Update:
    """Telegram telling that the person blocked ("kicked") the bot in their private chat."""
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "tierbot"}
    return Update.model_validate({"update_id": 98_000_000 + user_id % 1_000_000, "my_chat_member": {
        "chat": {"id": user_id, "type": "private", "first_name": "Test"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
        "date": int(datetime.now(UTC).timestamp()),
        "old_chat_member": {"status": "member", "user": bot},
        "new_chat_member": {"status": status, "user": bot, "until_date": 0},
    }})


async def _changes_of(engine: AsyncEngine, run_id: int) -> tuple[Counter[tuple[str | None, str]], int]:
    """The run's tier changes (before, after), first placements included, and the clients it moved into potential
    churn from another loyalty segment: counted here from the whole history, not as /stats counts them."""
    async with engine.connect() as connection:
        history = (await connection.execute(
            select(TierSnapshot.client_id, TierSnapshot.scoring_run_id, TierSnapshot.previous_tier, TierSnapshot.tier,
                   TierSnapshot.loyalty_segment).order_by(TierSnapshot.client_id, TierSnapshot.computed_at))).all()
    changes: Counter[tuple[str | None, str]] = Counter()
    crossed, loyalty_before = 0, {}
    for client_id, snapshot_run, before, after, loyalty in history:
        if snapshot_run == run_id:
            if before != after:
                changes[(before, after)] += 1
            if loyalty == "potential_churn" and loyalty_before.get(client_id, "potential_churn") != loyalty:
                crossed += 1
        loyalty_before[client_id] = loyalty
    return changes, crossed


async def _undelivered(engine: AsyncEngine, user_id: int, statuses: dict[OutboxStatus, int]) -> None:
    """Outbox messages to `user_id` that ended in each status, as the sender leaves them."""
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        for status, count in statuses.items():
            queued = await enqueue(connection, [
                Outgoing("alert_digest", user_id, f"test:{status}:{n}", now, {"alerts": []}) for n in range(count)
            ], now=now)
            await connection.execute(update(OutboxMessage).where(OutboxMessage.id.in_(queued.values()))
                                     .values(status=status, attempts=1))


async def test_the_last_run_s_changes_and_who_cannot_be_reached(engine: AsyncEngine, tmp_path: Path) -> None:
    generate_demo_data(tmp_path / "demo", clients=240, seed=5, as_of=AS_OF)
    await import_path(engine, tmp_path / "demo", actor="test")
    rules = load_rules(None)
    await score_clients(engine, rules, as_of=date(2026, 6, 30))
    report = await score_clients(engine, rules, as_of=AS_OF)
    chat = Chat(engine, rate_limit=False)
    async with engine.connect() as connection:
        run_id = (await connection.execute(select(func.max(ScoringRun.id)))).scalar_one()
        client_id, adviser_id = (await connection.execute(
            select(Client.client_id, Client.adviser_id).where(Client.adviser_id.is_not(None))
            .order_by(Client.client_id).limit(1))).one()
    blocking_client = await chat.bind(Role.CLIENT, client_id)
    blocking_adviser = await chat.bind(Role.ADVISER, adviser_id)
    for user_id in (blocking_client, blocking_adviser):
        await chat.dispatcher.feed_update(chat.bot, _bot_status_changed(user_id, "kicked"))
    admin = await chat.bind(Role.ADMIN, None)
    await _undelivered(engine, admin, {OutboxStatus.UNREACHABLE: 2, OutboxStatus.UNKNOWN: 1, OutboxStatus.SENT: 4})

    (text,) = await chat.send(admin, "/stats")
    changes, crossed = await _changes_of(engine, run_id)
    assert sum(n for (before, _after), n in changes.items() if before is not None) == report.tier_changes > 0
    assert f"• Tier changes: {report.tier_changes:,}" in text
    placed = sum(n for (before, _after), n in changes.items() if before is None)
    assert (f"• Placed in a tier for the first time: {placed:,}" in text) == (placed > 0)
    assert f"• Newly at risk of leaving: {crossed:,}" in text
    _distribution_table, matrix = _tables(text)
    tiers = ("ordinary", "mid", "high_net_worth")
    assert matrix[0].split() == ["from\\to", "1", "2", "3"]
    for number, before in enumerate(tiers, 1):
        assert _row(matrix, str(number)) == [
            "-" if before == after else f"{changes[(before, after)]:,}" for after in tiers]
    if placed:
        assert _row(matrix, "unscored") == [f"{changes[(None, after)]:,}" for after in tiers]
    assert "• Clients who blocked the bot: 1" in text
    assert "• Advisers who blocked the bot: 1" in text
    assert "Admins who blocked the bot" not in text
    assert "• Unreachable (the bot is blocked, or the chat is gone): 2" in text
    assert "• Unknown (the sender stopped during the send; never sent again): 1" in text
    assert "Failed (" not in text  # none failed; sent messages are no one's concern
    _fits_a_phone(text)

    await _to_chinese(chat, admin)
    (text,) = await chat.send(admin, "/stats")
    matrix = _tables(text)[1]
    assert matrix[0].split() == ["从\\到", "1", "2", "3"]
    assert "评分前（行）与评分后（列）的客户等级变化，等级按上表编号表示：" in text
    assert "• 已屏蔽本机器人的客户：1" in text
    assert "• 已屏蔽本机器人的客户经理：1" in text
    assert "• 无法送达（机器人已被屏蔽，或聊天已不存在）：2" in text
    _fits_a_phone(text)


async def test_a_firm_not_scored_yet(engine: AsyncEngine) -> None:
    chat = Chat(engine, rate_limit=False)
    admin = await chat.bind(Role.ADMIN, None)
    (text,) = await chat.send(admin, "/stats")
    distribution = _tables(text)[0]
    assert _row(distribution, "1 Ordinary") == ["0", "-"]
    assert _row(distribution, "All") == ["0", "-"]
    assert "No client has been placed in a tier yet." in text
    assert "No scoring run has finished yet." in text
    assert "No one has blocked the bot." in text
    assert "did not arrive" not in text
