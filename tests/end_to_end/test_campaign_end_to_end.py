"""End to end, over HTTP: an operator starts a strategy message naming products to several hundred clients and a
survey to others (`tierbot campaign create` and `start`), and the real bot process (`tierbot run`: polling and the
outbox sender) delivers them to a Bot API stand-in that answers 429 for a burst, 403 for clients who blocked the bot
and 400 for chats Telegram does not know. The bot is killed with SIGKILL mid-run and started again. At the end every
reachable recipient received exactly one message, or its row is reported unknown (then none or one), never two; no
one whose risk level the products exceed, or whose assessment lapsed, received them; the unreachable are marked so;
and the survey answers pressed in the stand-in are in `tierbot campaign report`.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.telegram_standin import BotApiStandIn, eventually

from bot.campaigns.content import load_strategy
from bot.db.models import (
    CampaignRecipient,
    Client,
    OutboxMessage,
    OutboxStatus,
    Product,
    Role,
    SurveyAnswer,
    TelegramAccount,
)
from bot.demo import generate_demo_data
from bot.importer import import_path
from bot.scoring import load_rules, score_clients

pytestmark = pytest.mark.db

AS_OF = date(2026, 10, 31)
CLIENTS = 900
FIRST_USER = 8_300_001
STRATEGY = "self_service"  # names FD01 (R1) and WM01 (R2): clients at C1, or without a valid assessment, are left out
ASSESSMENT_VALID_FROM = date(2024, 11, 1)  # the default rules keep an assessment 24 months: valid on the run's day


def _environment(database_url: str, standin: BotApiStandIn) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")},
        "TIERBOT_DATABASE_URL": database_url,
        "TIERBOT_BOT_TOKEN": standin.token,
        "TIERBOT_TELEGRAM_API": standin.base_url,
        "TIERBOT_DEFAULT_LOCALE": "en",
        "TIERBOT_DELIVERY_QUIET_HOURS": "off",
        # Fast enough to finish in seconds, slow enough that the kill comes mid-run; a short lease, so that the
        # restarted bot soon reports what the killed one may have sent.
        "TIERBOT_DELIVERY_RATE": "80",
        "TIERBOT_DELIVERY_LEASE_SECONDS": "3",
    }


async def _run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it (in a thread: the stand-in answers in this event loop meanwhile)."""
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                                   capture_output=True, text=True, timeout=300)


async def _tierbot(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = await _run(env, cwd, *args)
    assert result.returncode == 0, (args, result.stderr)
    return result


def _campaign_id(created: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"Campaign (\d+),", created.stdout)
    assert found, created.stdout
    return int(found.group(1))


async def _bind_every_client(engine: AsyncEngine) -> dict[str, int]:
    async with engine.begin() as connection:
        clients = (await connection.execute(select(Client.client_id).order_by(Client.client_id))).scalars().all()
        accounts = {client_id: FIRST_USER + n for n, client_id in enumerate(clients)}
        await connection.execute(insert(TelegramAccount), [
            {"telegram_user_id": user_id, "chat_id": user_id, "role": Role.CLIENT, "client_id": client_id,
             "bound_at": datetime.now(UTC)} for client_id, user_id in accounts.items()])
    return accounts


async def _rows(engine: AsyncEngine, campaign_id: int) -> dict[str, tuple[int, OutboxStatus]]:
    """Each recipient's Telegram account and their outbox row's status, by client id."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(CampaignRecipient.client_id, CampaignRecipient.telegram_user_id, OutboxMessage.status)
            .join(OutboxMessage, OutboxMessage.id == CampaignRecipient.outbox_id)
            .where(CampaignRecipient.campaign_id == campaign_id))
        return {client_id: (user_id, status) for client_id, user_id, status in rows}


def _sent(standin: BotApiStandIn, user_id: int) -> list[dict[str, Any]]:
    """The messages sent to the person's chat, as Telegram took them (before any later edit)."""
    return [call.result for call in standin.calls("sendMessage") if call.ok and call.result["chat"]["id"] == user_id]


def _callbacks(message: dict[str, Any]) -> list[str]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button.get("callback_data", "") for row in keyboard for button in row]


def _marketing(message: dict[str, Any], survey: int) -> bool:
    """A strategy message: every marketing message carries the button that refuses more."""
    return "cons:off" in _callbacks(message)


def _survey(message: dict[str, Any], survey: int) -> bool:
    return any(data.startswith(f"sv:{survey}:0:") for data in _callbacks(message))


async def _start_bot(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_a_campaign_reaches_each_reachable_client_once_across_a_killed_bot(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    generate_demo_data(tmp_path / "data", clients=CLIENTS, seed=23, as_of=AS_OF)
    await import_path(engine, tmp_path / "data", actor="tests")
    await score_clients(engine, load_rules(None), as_of=AS_OF)
    accounts = await _bind_every_client(engine)
    users = list(accounts.values())
    blocked, unknown_chats = set(users[7::40]), set(users[13::40])  # 403 and 400 "chat not found"

    async with BotApiStandIn(latency=0.02) as standin:
        for user_id in users:
            if user_id not in unknown_chats:
                standin.add_user(user_id)
        for user_id in blocked:
            standin.block(user_id)
        env = _environment(database_url, standin)

        strategy = _campaign_id(await _tierbot(env, tmp_path, "campaign", "create", "--kind", "strategy", "--template",
                                         STRATEGY, "--audience", "all"))
        survey = _campaign_id(await _tierbot(env, tmp_path, "campaign", "create", "--kind", "survey", "--template",
                                       "relationship_nps", "--audience", "tier=high_net_worth"))
        await _tierbot(env, tmp_path, "campaign", "start", str(strategy))
        await _tierbot(env, tmp_path, "campaign", "start", str(survey))
        again = await _run(env, tmp_path, "campaign", "start", str(strategy))
        assert again.returncode == 1
        assert again.stderr.count("\n") == 1, again.stderr  # one sentence, and nothing added (checked below)
        strategy_rows, survey_rows = await _rows(engine, strategy), await _rows(engine, survey)
        assert len(strategy_rows) >= 500, len(strategy_rows)
        async with engine.connect() as connection:
            queued = await connection.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.campaign_id == strategy))
        assert queued == len(strategy_rows)  # one row per recipient, the second start added none
        assert survey_rows

        for _ in range(4):  # a burst of Telegram's flood control
            standin.fail_next("sendMessage", 429, retry_after=1)

        def delivered() -> int:
            return sum(1 for call in standin.calls("sendMessage") if call.ok)

        async def some_delivered() -> bool:
            return delivered() >= 150

        bot = await _start_bot(env, tmp_path)
        try:
            await eventually(some_delivered, timeout=120)
        finally:
            bot.send_signal(signal.SIGKILL)
            await bot.communicate()
        total = len(strategy_rows) + len(survey_rows)
        assert delivered() < total, "the bot was to be killed mid-run"

        bot = await _start_bot(env, tmp_path)
        try:
            async def settled() -> bool:
                statuses = {status for rows in (await _rows(engine, strategy), await _rows(engine, survey))
                            for _user, status in rows.values()}
                return not statuses & {OutboxStatus.PENDING, OutboxStatus.SENDING}

            await eventually(settled, timeout=180)

            # Survey recipients answer in the stand-in: promoters, a passive and a detractor.
            sent = await _rows(engine, survey)
            answering = [(client_id, user_id) for client_id, (user_id, status) in sorted(sent.items())
                         if status is OutboxStatus.SENT and user_id not in blocked | unknown_chats][:6]
            ratings = [10, 9, 9, 8, 3, 10]
            assert len(answering) == len(ratings)
            for (_client, user_id), rating in zip(answering, ratings, strict=True):
                (message,) = [m for m in _sent(standin, user_id) if _survey(m, survey)]
                standin.press_button(user_id, message["message_id"], f"sv:{survey}:0:{rating}")

            async def answered() -> bool:
                async with engine.connect() as connection:
                    count = await connection.scalar(select(func.count()).select_from(SurveyAnswer).where(
                        SurveyAnswer.campaign_id == survey))
                return count == len(answering)

            await eventually(answered, timeout=60)
        finally:
            bot.send_signal(signal.SIGTERM)
            _out, err = await bot.communicate()
        assert bot.returncode == 0, err.decode()

    # Each reachable recipient: one message, or an unknown row and at most one; the unreachable marked so.
    message = load_strategy(STRATEGY)
    unreachable = 0
    for rows, carries in ((await _rows(engine, strategy), _marketing), (await _rows(engine, survey), _survey)):
        for client_id, (user_id, status) in rows.items():
            received = [m for m in _sent(standin, user_id) if carries(m, survey)]
            if user_id in blocked or user_id in unknown_chats:  # unknown when the killed bot held its row
                assert status in (OutboxStatus.UNREACHABLE, OutboxStatus.UNKNOWN), (client_id, status)
                assert received == []
                unreachable += status is OutboxStatus.UNREACHABLE
            elif status is OutboxStatus.UNKNOWN:
                assert len(received) <= 1, client_id
            else:
                assert status is OutboxStatus.SENT, (client_id, status)
                assert len(received) == 1, (client_id, len(received))
    assert unreachable >= len(blocked | unknown_chats) // 2  # most of them, at the least
    # The 429s were waited out and the messages they refused went later, once.
    assert sum(1 for call in standin.calls("sendMessage") if not call.ok and call.error["error_code"] == 429) >= 4

    # Nobody above the suitability guard received the products.
    async with engine.connect() as connection:
        highest = await connection.scalar(select(func.max(Product.risk_level)).where(
            Product.product_id.in_(message.products)))
        reached = [user_id for user_id in users
                   if any(_marketing(m, survey) for m in _sent(standin, user_id))]
        by_user = {user_id: client_id for client_id, user_id in accounts.items()}
        rows = (await connection.execute(select(Client.client_id, Client.risk_level, Client.risk_assessed_on)
                                         .where(Client.client_id.in_([by_user[u] for u in reached])))).all()
    assert reached
    assert len(rows) == len(reached)
    for client_id, level, assessed_on in rows:
        assert level is not None, client_id
        assert level >= highest, client_id
        assert assessed_on is not None, client_id
        assert assessed_on >= ASSESSMENT_VALID_FROM, client_id

    # The answers pressed are in the report and its CSV.
    out = tmp_path / "answers.csv"
    report = await _tierbot(env, tmp_path, "campaign", "report", str(survey), "--csv", str(out))
    promoters, detractors = sum(r >= 9 for r in ratings), sum(r <= 6 for r in ratings)
    passives = len(ratings) - promoters - detractors
    nps = round(100 * (promoters - detractors) / len(ratings))
    overall = rf"^All +{len(ratings)} +{re.escape(f'{nps:+d}')} {promoters}/{passives}/{detractors}$"
    assert re.search(overall, report.stdout, re.MULTILINE), report.stdout
    with out.open(encoding="utf-8-sig", newline="") as file:
        written = {row["client_id"]: row for row in csv.DictReader(file)}
    for (client_id, _user), rating in zip(answering, ratings, strict=True):
        assert str(rating) in written[client_id].values(), written[client_id]
