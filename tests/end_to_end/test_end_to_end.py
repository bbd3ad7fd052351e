"""End to end: the real `tierbot run` process polls a local Bot API stand-in over HTTP (TIERBOT_TELEGRAM_API).

A client is invited with `tierbot invite` (whose link names the bot the stand-in reports), binds with /start,
asks for the tier in Chinese, presses "how to move up", switches to English and asks an FAQ in free text; a reply
Telegram refuses with a 429 is sent again after the wait, and blocking and unblocking the bot reach the account.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.scored_clients import ScoredClients
from support.telegram_standin import BotApiStandIn, eventually

from bot.db.models import Client, TelegramAccount, TierState
from bot.i18n import format_money, use_locale

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

USER_ID = 8_000_001


def _environment(engine: AsyncEngine, standin: BotApiStandIn, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TIERBOT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TIERBOT_BOT_TOKEN": standin.token,
        "TIERBOT_TELEGRAM_API": standin.base_url,
        "TIERBOT_DEFAULT_LOCALE": "en",
        "HOME": str(home),
    }


def _money(amount: Decimal, locale: str) -> str:
    """An amount in the base currency as a reader in `locale` reads it (whole amounts from 1,000 without cents)."""
    with use_locale(locale):
        return format_money(amount)


async def _blocked_at(engine: AsyncEngine) -> datetime | None:
    async with engine.connect() as connection:
        return (await connection.execute(
            select(TelegramAccount.blocked_at).where(TelegramAccount.telegram_user_id == USER_ID))).scalar_one()


async def _unblocked(engine: AsyncEngine) -> bool:
    return await _blocked_at(engine) is None


async def test_a_client_binds_asks_in_chinese_moves_up_and_switches_to_english(
    scored_engine: AsyncEngine, clients: ScoredClients, tmp_path: Path
) -> None:
    client_id = await clients.take(Client.locale == "zh_Hans", tier="ordinary")  # their record agrees with the app
    async with scored_engine.connect() as connection:
        assets = (await connection.execute(
            select(TierState.monthly_avg_aum).where(TierState.client_id == client_id))).scalar_one()
    assert assets is not None

    async with BotApiStandIn() as standin:
        env = _environment(scored_engine, standin, tmp_path)
        invite = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "bot", "invite", "client", client_id],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )
        assert invite.returncode == 0, invite.stderr
        link = re.search(r"https://t\.me/tierbot_test_bot\?start=([A-Za-z0-9_-]+)", invite.stdout)
        assert link is not None, invite.stdout

        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await standin.wait_for("getUpdates", after=0, timeout=30)
            for language, tier_command in (("zh", "我的等级及升级方法"), ("en", "My tier and how to move up")):
                commands = standin.commands(scope={"type": "all_private_chats"}, language_code=language)
                assert [command["command"] for command in commands] == ["tier", "faq", "language", "settings", "help"]
                assert commands[0]["description"] == tier_command

            standin.send_text(USER_ID, f"/start {link.group(1)}", language_code="zh-hans", first_name="<Li>")
            bound = await standin.wait_for("sendMessage", chat_id=USER_ID)
            assert "已关联您的客户账户" in bound["text"]

            standin.send_text(USER_ID, "我是什么等级", language_code="zh-hans")
            card = await standin.wait_for("sendMessage", chat_id=USER_ID)
            assert "等级：普通客户" in card["text"]
            assert f"近 3 个月的月日均资产：{_money(assets, 'zh_Hans')}" in card["text"]
            message_id = card.result["message_id"]
            move_up = next(data for text, data in standin.buttons(USER_ID, message_id) if text[0] == "📈")

            standin.press_button(USER_ID, message_id, move_up, language_code="zh-hans")
            gap = await standin.wait_for("editMessageText", message_id=message_id)
            assert "中端客户" in gap["text"]
            assert "¥500,000" in gap["text"]
            assert "¥500,000.00" not in gap["text"]  # a whole threshold, without cents
            await standin.wait_for("answerCallbackQuery")

            recommendations = next(data for text, data in standin.buttons(USER_ID, message_id) if text[0] == "💡")
            standin.press_button(USER_ID, message_id, recommendations, language_code="zh-hans")
            await standin.wait_for("sendChatAction", chat_id=USER_ID, action="typing")
            shown = await standin.wait_for("editMessageText", message_id=message_id)
            assert shown["text"].startswith("<b>为您推荐</b>")

            standin.send_text(USER_ID, "/language", language_code="zh-hans")
            picker = await standin.wait_for("sendMessage", chat_id=USER_ID)
            english = dict(standin.buttons(USER_ID, picker.result["message_id"]))["English"]
            standin.press_button(USER_ID, picker.result["message_id"], english, language_code="zh-hans")
            chosen = await standin.wait_for("editMessageText", message_id=picker.result["message_id"])
            assert chosen["text"].startswith("Language: English")
            menu = await standin.wait_for("sendMessage", chat_id=USER_ID)
            assert "📊 My tier" in str(menu["reply_markup"])

            standin.send_text(USER_ID, "how can i move up to the next tier??", language_code="zh-hans")
            answer = await standin.wait_for("sendMessage", chat_id=USER_ID)
            # English, with the client's own figures
            have, short = _money(assets, "en"), _money(Decimal(500_000) - assets, "en")
            assert f"You are <b>Ordinary</b> with {have}; <b>Mid-tier</b> needs {short} more." in answer["text"]
            assert not re.search(r"[\u4e00-\u9fff]", answer["text"])

            # Telegram's flood control refuses a reply: the bot waits the second it asks for and sends it again,
            # and the client gets the answer once, without an apology.
            standin.fail_next("sendMessage", 429, retry_after=1)
            standin.send_text(USER_ID, "/help", language_code="zh-hans")
            helped = await standin.wait_for("sendMessage", lambda call: bool(call.ok), chat_id=USER_ID)
            assert helped["text"].startswith("<b>What I can do</b>")
            assert [call.ok for call in standin.calls("sendMessage", after=answer.index + 1)] == [False, True]

            # The client blocks the bot, then unblocks it: their account knows, for what would be sent later.
            standin.block(USER_ID)
            await eventually(lambda: _blocked_at(scored_engine))
            standin.unblock(USER_ID)
            await eventually(lambda: _unblocked(scored_engine))
        finally:
            bot.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(bot.communicate(), timeout=30)
        assert bot.returncode == 0, err.decode()
        logs = err.decode()
        assert "Update id=" in logs  # the bot's log is there to be read
        assert "sendMessage: Telegram asks to wait 1 s; sending again (1 of 3)" in logs
        for private in ("我是什么等级", "move up", "<Li>", link.group(1), str(USER_ID)):
            assert private not in logs
