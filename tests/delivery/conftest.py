"""The outbox's sender against the Bot API stand-in over HTTP, on a fresh database per test (PostgreSQL when
TIERBOT_TEST_POSTGRES_URL is set): the tests' firm (outbox_firm.Outbox) and its stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from outbox_firm import Outbox
from sqlalchemy.ext.asyncio import AsyncEngine
from support.telegram_standin import BotApiStandIn


@pytest.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn() as tg:
        yield tg


@pytest.fixture
async def firm(engine: AsyncEngine, standin: BotApiStandIn) -> AsyncIterator[Outbox]:
    firm = Outbox(engine, standin)
    yield firm
    for bot in firm.bots:
        await bot.session.close()
