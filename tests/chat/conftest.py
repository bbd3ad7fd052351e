"""The chat on the scored database: its tests run in the session's event loop, where that database lives."""

from __future__ import annotations

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine
from support.chat import Chat


@pytest.fixture(autouse=True)
def i18n() -> None:
    """No catalogs in force around the chat: the dispatcher must put them in force for each update, as in the bot
    process. (The catalogs tests/conftest.py puts in force would hide a reply rendered outside them.)"""


@pytest_asyncio.fixture(loop_scope="session")
async def chat(scored_engine: AsyncEngine) -> Chat:
    return Chat(scored_engine, rate_limit=False)  # tests type faster than people; the flood test has its own
