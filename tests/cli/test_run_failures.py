"""A Bot API that `tierbot run` (or `tierbot invite`) cannot use is one sentence naming what to fix, exit status 1:
a malformed token, a token the server refuses, a server that knows no such bot, one that errs, one not there."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support.telegram_standin import BotApiStandIn

pytestmark = pytest.mark.db

MALFORMED = "TIERBOT_TELEGRAM_TOKEN is not a bot token: a token from @BotFather looks like “123456789:AAH…”."
REFUSED = "The Bot API did not accept the bot token (Unauthorized): check TIERBOT_TELEGRAM_TOKEN."
NO_SUCH_BOT = ("The Bot API at {api} knows no bot by this token (Not Found): check TIERBOT_TELEGRAM_TOKEN and "
               "TIERBOT_TELEGRAM_API.")
SERVER_ERROR = "The Bot API at {api} answered with an error (Internal Server Error)."
UNREACHABLE = "Cannot reach the Bot API at {api} (ClientConnectorError)."


async def _tierbot(engine: AsyncEngine, cwd: Path, *args: str, token: str, api: str,
                   locale: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    env.update(TIERBOT_DATABASE_URL=engine.url.render_as_string(hide_password=False), TIERBOT_BOT_TOKEN=token,
               TIERBOT_TELEGRAM_API=api, TIERBOT_DEFAULT_LOCALE=locale)
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                                   capture_output=True, text=True, timeout=120)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _one_sentence(result: subprocess.CompletedProcess[str], sentence: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [sentence]


async def test_a_bot_api_that_run_cannot_use_is_one_sentence(engine: AsyncEngine, tmp_path: Path) -> None:
    command = ("run",)
    async with BotApiStandIn() as standin:
        api = standin.base_url
        _one_sentence(await _tierbot(engine, tmp_path, *command, token="not-a-token", api=api), MALFORMED)
        _one_sentence(await _tierbot(engine, tmp_path, *command, token="999999:wrong-token", api=api), REFUSED)
        elsewhere = f"{api}/elsewhere"
        _one_sentence(await _tierbot(engine, tmp_path, *command, token=standin.token, api=elsewhere),
                      NO_SUCH_BOT.format(api=elsewhere))
        standin.fail_next("getMe", 500)
        _one_sentence(await _tierbot(engine, tmp_path, *command, token=standin.token, api=api),
                      SERVER_ERROR.format(api=api))
        assert standin.calls("setMyCommands") == []  # nothing was set up for a bot that cannot run
        assert standin.calls("getUpdates") == []
    nowhere = f"http://127.0.0.1:{_closed_port()}"
    _one_sentence(await _tierbot(engine, tmp_path, *command, token="123456:closed", api=nowhere),
                  UNREACHABLE.format(api=nowhere))


async def test_invite_says_the_same_sentences(engine: AsyncEngine, tmp_path: Path) -> None:
    command = ("invite", "admin", "ops@firm")
    async with BotApiStandIn() as standin:
        _one_sentence(await _tierbot(engine, tmp_path, *command, token="not-a-token", api=standin.base_url),
                      MALFORMED)
        elsewhere = f"{standin.base_url}/elsewhere"
        _one_sentence(await _tierbot(engine, tmp_path, *command, token=standin.token, api=elsewhere),
                      NO_SUCH_BOT.format(api=elsewhere))


async def test_the_sentence_is_in_the_language_of_the_cli(engine: AsyncEngine, tmp_path: Path) -> None:
    async with BotApiStandIn() as standin:
        result = await _tierbot(engine, tmp_path, "run", token="999999:wrong-token", api=standin.base_url,
                                locale="zh_Hans")
    _one_sentence(result, "Bot API 未接受该机器人令牌（Unauthorized）：请检查 TIERBOT_TELEGRAM_TOKEN。")
