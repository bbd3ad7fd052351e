"""`tierbot console --as ID`: the chat in a terminal, in the person's language, with each message's buttons numbered
under it and the menu shown once, on a line of its own, when it is set or changes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.db.models import Client
from bot.i18n import Catalogs
from bot.runtime import console_chat

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]


async def _console(engine: AsyncEngine, client_id: str, typed: str, *, default_locale: str, cwd: Path,
                   ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    env |= {"TIERBOT_DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "TIERBOT_DEFAULT_LOCALE": default_locale}
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "console", "--as", client_id], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=120, input=typed)


async def test_the_console_starts_in_the_language_of_the_person_s_record(
    scored_engine: AsyncEngine, clients: ScoredClients, tmp_path: Path
) -> None:
    chinese = await clients.take(Client.locale == "zh_Hans", tier="ordinary")
    result = await _console(scored_engine, chinese, "/tier\n", default_locale="en", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Chatting as")  # the console's own words: the operator's language
    assert "等级：普通客户" in result.stdout
    assert "Tier:" not in result.stdout

    english = await clients.take(READS_ENGLISH, tier="ordinary")
    result = await _console(scored_engine, english, "/tier\n", default_locale="zh_Hans", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("正在以")
    assert "Tier: Ordinary" in result.stdout
    assert "等级：" not in result.stdout


async def _chat_in_console(chat: Chat, client_id: str, typed: list[str]) -> list[str]:
    """What the console shows for `typed`, the command line's catalogs in force as under `tierbot` (in English)."""
    shown: list[str] = []
    lines = iter(typed)
    with Catalogs("en").activated():
        await console_chat(chat.engine, chat.dispatcher, client_id, read=lambda: next(lines, None),
                           show=shown.append)
    return shown


async def test_the_menu_is_shown_once_and_buttons_are_numbered_per_message(
    chat: Chat, clients: ScoredClients
) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    shown = await _chat_in_console(chat, client_id, ["/tier", "1", "b", "/language", "1", "/help"])
    menu = "Menu: [a] 📊 My tier  [b] ❓ Questions  [c] ⚙️ Settings"
    menu_in_chinese = "Menu: [a] 📊 我的等级  [b] ❓ 常见问题  [c] ⚙️ 设置"
    assert [line for line in shown if line.startswith("Menu:")] == [menu, menu_in_chinese]
    assert shown.index(menu) == 1  # right under the greeting that set it
    # Under each message, its own buttons only, numbered from 1; no menu button among them.
    numbered = [line for line in shown if line.startswith("  [")]
    assert numbered[:3] == ["  [1] 📈 How to move up", "  [2] 💡 Recommendations",
                            "  [3] 🔍 The five dimensions explained"]
    assert numbered[3:6] == ["  [1] ⬅️ Back to my tier", "  [2] 💡 Recommendations",
                             "  [3] 🔍 The five dimensions explained"]  # "1" pressed "How to move up"
    assert not any(label in line for line in numbered for label in ("My tier", "Questions", "Settings"))
    # "b" chose the menu's Questions: the FAQ's list, numbered afresh.
    faq = shown.index("Common questions: pick one, or just write yours.")
    assert shown[faq + 1] == "  [1] What is client tiering?"
    assert "How to reach Mid-tier" in "\n".join(shown[:faq])
    # "/language" then "1" (中文): the menu changed, so it is shown again, once; /help repeats nothing.
    assert shown[-1].startswith("我能为您做什么")


async def test_a_number_that_picks_no_button_is_said_so_and_a_letter_is_a_message(
    chat: Chat, clients: ScoredClients
) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    shown = await _chat_in_console(chat, client_id, ["/help", "7", "x"])
    assert shown[-3:] == ["There is no button 7 here.",
                          "I am not sure I understood. Try /faq for the common questions, or reach your adviser.",
                          "  [1] Contact my adviser"]
    assert sum(line == shown[-2] for line in shown) == 1  # "x" was a message, "7" was not


async def test_a_blank_line_in_piped_input_does_not_end_the_chat(
    scored_engine: AsyncEngine, clients: ScoredClients, tmp_path: Path
) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    result = await _console(scored_engine, client_id, "\n\n/tier\n", default_locale="en", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Tier: Ordinary" in result.stdout
