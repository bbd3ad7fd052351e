"""End to end: a scoring run (`tierbot score`) raises alerts for several advisers, and the real sender process
(`tierbot send`) delivers their digests over HTTP to a Bot API stand-in. The sender is killed with SIGKILL once some
but not all digests have arrived, and started again: at the end every adviser has exactly one digest, or its row is
reported unknown (and then the adviser has none or one), never two.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.alerting import bind_adviser, book_with_upgrades
from support.telegram_standin import BotApiStandIn, eventually

from bot.db.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.db

ADVISERS = 6
FIRST_USER = 8_100_001


def _environment(database_url: str, standin: BotApiStandIn, home: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")},
        "TIERBOT_DATABASE_URL": database_url,
        "TIERBOT_BOT_TOKEN": standin.token,
        "TIERBOT_TELEGRAM_API": standin.base_url,
        "TIERBOT_DEFAULT_LOCALE": "en",
        "TIERBOT_DELIVERY_QUIET_HOURS": "off",
        # Two messages a second, so that the kill comes with digests still to send; a short lease, so that the
        # restarted sender soon reports what the killed one may have sent.
        "TIERBOT_DELIVERY_RATE": "2",
        "TIERBOT_DELIVERY_LEASE_SECONDS": "3",
        "HOME": str(home),
    }


async def _statuses(engine: AsyncEngine) -> dict[int, OutboxStatus]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(OutboxMessage.telegram_user_id, OutboxMessage.status))
        return {user_id: status for user_id, status in rows}


async def _start_sender(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "send", cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def test_digests_reach_every_adviser_once_across_a_killed_sender(
    engine: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    book = await book_with_upgrades(engine, tmp_path, advisers=ADVISERS, per_adviser=1, clients=ADVISERS * 150)
    users = {adviser_id: FIRST_USER + n for n, adviser_id in enumerate(book.advisers)}
    async with BotApiStandIn(latency=0.3) as standin:
        for adviser_id, user_id in users.items():
            await bind_adviser(engine, adviser_id, user_id=user_id)
            standin.add_user(user_id)
        env = _environment(database_url, standin, tmp_path)

        scored = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "score"], cwd=tmp_path,
                                         env=env, capture_output=True, text=True, timeout=300)
        assert scored.returncode == 0, scored.stderr
        assert f"Queued {ADVISERS} adviser digests." in scored.stdout
        assert set((await _statuses(engine)).values()) == {OutboxStatus.PENDING}

        async def arrived() -> int:
            return sum(1 for call in standin.calls("sendMessage") if call.ok)

        async def some_arrived() -> bool:
            return await arrived() >= 2

        sender = await _start_sender(env, tmp_path)
        try:
            await eventually(some_arrived, timeout=60)
        finally:
            sender.send_signal(signal.SIGKILL)
            await sender.communicate()
        before_restart = await arrived()
        assert 2 <= before_restart < ADVISERS, "the sender was to be killed mid-run"
        assert OutboxStatus.PENDING in (await _statuses(engine)).values()

        restarted = await _start_sender(env, tmp_path)
        try:
            async def settled() -> bool:
                statuses = await _statuses(engine)
                return not {OutboxStatus.PENDING, OutboxStatus.SENDING} & set(statuses.values())

            await eventually(settled, timeout=60)
        finally:
            restarted.send_signal(signal.SIGTERM)
            out, err = await restarted.communicate()
        assert restarted.returncode == 0, err.decode()
        assert "Sent: " in out.decode()

        statuses = await _statuses(engine)
        assert set(statuses) == set(users.values())
        for adviser_id, user_id in users.items():
            digests = standin.messages_to(user_id)
            if statuses[user_id] is OutboxStatus.UNKNOWN:
                assert len(digests) <= 1, adviser_id
                continue
            assert statuses[user_id] is OutboxStatus.SENT, (adviser_id, statuses[user_id])
            (digest,) = digests
            assert digest["text"].startswith("Changes in your book") or "您名下客户的变动" in digest["text"]
            (client_id,) = book.upgraded[adviser_id]
            buttons = [button for row in digest["reply_markup"]["inline_keyboard"] for button in row]
            assert [button["callback_data"] for button in buttons] == [f"sum:{client_id}"]
