"""`tierbot send` and `tierbot run` as an operator runs them, separate processes with settings in their environment,
sending to the Bot API stand-in over HTTP.

What renders a kind of message comes with its feature (`handlers.renderers()`); the runs that send a message start
the same command with the tests' "note" renderer registered (outbox_notes.WITH_NOTES).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from outbox_firm import Outbox
from outbox_notes import WITH_NOTES
from support.paths import REPOSITORY
from support.telegram_standin import eventually

from bot.db.models import OutboxStatus
from bot.delivery import outbox

pytestmark = pytest.mark.db

HERE = Path(__file__).parent


def _environment(firm: Outbox, locale: str, settings: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TIERBOT_")}
    env.update({
        "TIERBOT_DATABASE_URL": firm.engine.url.render_as_string(hide_password=False),
        "TIERBOT_TELEGRAM_TOKEN": firm.standin.token,
        "TIERBOT_TELEGRAM_API": firm.standin.base_url,
        "TIERBOT_DEFAULT_LOCALE": locale,
        "TIERBOT_DELIVERY_PER_CHAT_INTERVAL": "0",
        "PYTHONPATH": os.pathsep.join([str(HERE), str(REPOSITORY)]),
        **settings,
    })
    return env


async def _start(firm: Outbox, *args: str, locale: str = "en", notes: bool = False, cwd: Path,
                 settings: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    program = [sys.executable, "-c", WITH_NOTES] if notes else [sys.executable, "-m", "bot"]
    return await asyncio.create_subprocess_exec(
        *program, *args, cwd=cwd, env=_environment(firm, locale, settings or {}),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _tierbot(firm: Outbox, *args: str, cwd: Path, locale: str = "en", notes: bool = False,
                   settings: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await _start(firm, *args, locale=locale, notes=notes, cwd=cwd, settings=settings)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_send_once_sends_what_is_due_and_says_how_each_ended(firm: Outbox, tmp_path: Path) -> None:
    first, second, blocked = await firm.adviser(), await firm.adviser(locale="zh_Hans"), await firm.adviser(
        blocked=True)
    await firm.queue(first, 1)
    await firm.queue(second, 2)
    await firm.queue(blocked, 3)

    code, out, err = await _tierbot(firm, "send", "--once", notes=True, cwd=tmp_path)

    assert code == 0, err
    assert out.strip() == "Sent: 2. Unreachable: 1. Failed: 0. Unknown: 0."
    assert [m["text"] for m in firm.standin.messages_to(second)] == ["我的等级及升级方法 #2"]
    assert "outbox 1 (note): sent" in err  # the log names ids and kinds
    for private in ("My tier", "我的等级", str(first), str(second)):
        assert private not in err


async def test_send_once_in_chinese_reports_what_an_operator_must_look_at(firm: Outbox, tmp_path: Path) -> None:
    user = await firm.adviser()
    five_minutes_ago = datetime.now(UTC) - timedelta(minutes=5)
    abandoned = await firm.queue(user, 1, not_before=five_minutes_ago) or 0
    async with firm.engine.begin() as connection:  # a sender that died holding it
        await outbox.claim(connection, now=five_minutes_ago, lease=timedelta(seconds=60), limit=1)
    await firm.queue(user, 2, kind="survey")  # no renderer for it in this release
    stalled = await firm.queue(user, 3) or 0
    firm.standin.stall_next("sendMessage")

    code, out, err = await _tierbot(firm, "send", "--once", notes=True, locale="zh_Hans", cwd=tmp_path,
                                    settings={"TIERBOT_DELIVERY_LEASE_SECONDS": "3"})  # gives up after 1 s

    assert code == 0, err
    assert out.splitlines() == [
        "已发送：0。无法送达：0。失败：1。状态未知：1。",
        f"状态未知（可能已送达），不会重发：消息 {stalled}（见 docs/delivery.md）。",
        f"有发送进程在标记消息 {abandoned} 之前停止：这些消息记为状态未知，不会重发。",
    ]
    rows = await firm.rows()
    assert [rows[i].status for i in (abandoned, stalled)] == [OutboxStatus.UNKNOWN, OutboxStatus.UNKNOWN]


async def test_send_with_a_bad_token_or_no_bot_api_is_one_sentence(firm: Outbox, tmp_path: Path) -> None:
    code, _out, err = await _tierbot(firm, "send", "--once", cwd=tmp_path,
                                     settings={"TIERBOT_TELEGRAM_TOKEN": "not-a-token"})
    assert (code, err.strip().split(":")[0]) == (1, "TIERBOT_TELEGRAM_TOKEN is not a bot token")
    await firm.standin.stop()
    code, _out, err = await _tierbot(firm, "send", "--once", cwd=tmp_path)
    assert code == 1
    assert err.strip() == f"Cannot reach the Bot API at {firm.standin.base_url} (ClientConnectorError)."


async def test_send_runs_until_stopped_and_finishes_cleanly(firm: Outbox, tmp_path: Path) -> None:
    user = await firm.adviser()
    process = await _start(firm, "send", notes=True, cwd=tmp_path)
    try:
        await firm.standin.wait_for("getMe", after=0, timeout=30)
        await firm.queue(user, 1)  # queued while it runs: it looks again every few seconds
        await firm.standin.wait_for("sendMessage", after=0, timeout=30, chat_id=user)
        await eventually(lambda: _status(firm, OutboxStatus.SENT))
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "Sent: 1. Unreachable: 0. Failed: 0. Unknown: 0."


async def test_run_sends_the_outbox_next_to_polling_and_stops_both_on_sigterm(firm: Outbox, tmp_path: Path) -> None:
    user = await firm.adviser()
    await firm.queue(user, 1)
    process = await _start(firm, "run", notes=True, cwd=tmp_path)
    try:
        await firm.standin.wait_for("getUpdates", after=0, timeout=30)
        sent = await firm.standin.wait_for("sendMessage", after=0, timeout=30, chat_id=user)
        assert sent.result["text"] == "My tier and how to move up #1"
        await eventually(lambda: _status(firm, OutboxStatus.SENT))
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, err.decode()


async def _status(firm: Outbox, status: OutboxStatus) -> bool:
    return {row.status for row in (await firm.rows()).values()} == {status}
