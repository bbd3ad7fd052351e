"""`tierbot console --as ADVISER_ID`: an adviser's workspace in a terminal, the book's rows and pages as numbered
buttons, a row opening the summary."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat
from support.scored_clients import ADVISER_READS_ENGLISH, ScoredClients

from bot.db.models import Client
from bot.i18n import Catalogs
from bot.runtime import console_chat

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]


async def _an_adviser(chat: Chat, clients: ScoredClients) -> tuple[str, str]:
    """An adviser reading English, and the id of their client with the highest value score."""
    client_id = await clients.take(ADVISER_READS_ENGLISH, Client.adviser_id.is_not(None))
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    return adviser_id, client_id


async def test_the_book_and_a_summary_in_the_console(chat: Chat, clients: ScoredClients) -> None:
    adviser_id, _client = await _an_adviser(chat, clients)
    shown: list[str] = []
    lines = iter(["/clients", "1", "/clients", "11"])  # a row, then the book again and its Next button
    with Catalogs("en").activated():
        await console_chat(chat.engine, chat.dispatcher, adviser_id, read=lambda: next(lines, None),
                           show=shown.append)
    books = [line for line in shown if line.startswith("Your clients\nSorted by value score · all clients\n")]
    pages = [book.split("\n")[2].split(" of ")[0] for book in books]
    assert pages == ["Page 1", "Page 1", "Page 2"]
    name = next(line for line in shown if line.startswith("  [1] 1. ")).removeprefix("  [1] 1. ")
    summary = next(line for line in shown if line.startswith(f"{name} · C"))  # the first row's summary
    assert "Tier history" in summary
    assert shown[shown.index(summary) + 1] == "  [1] 🪪 Tier card and its views"
    assert "  [11] Next ▶️" in shown  # ten rows, then the pager


async def test_tierbot_console_as_an_adviser(scored_engine: AsyncEngine, clients: ScoredClients, tmp_path: Path,
                                             chat: Chat) -> None:
    adviser_id, _client = await _an_adviser(chat, clients)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    env |= {"TIERBOT_DATABASE_URL": scored_engine.url.render_as_string(hide_password=False),
            "TIERBOT_DEFAULT_LOCALE": "en"}
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "console", "--as", adviser_id], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120, input="/clients\n1\n")
    assert result.returncode == 0, result.stderr
    assert "Your clients\nSorted by value score · all clients\nPage 1 of " in result.stdout
    assert "The five dimensions · value score " in result.stdout
    assert "Next actions" in result.stdout
