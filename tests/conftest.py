"""Shared fixtures: the i18n context, and a fresh migrated database per test.

The database is a SQLite file by default; when TIERBOT_TEST_POSTGRES_URL is set, a fresh PostgreSQL
database is created for each test on that server instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from aiogram.utils.i18n import I18n
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.i18n import create_i18n

POSTGRES_URL = os.environ.get("TIERBOT_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def i18n() -> Iterator[I18n]:
    translator = create_i18n("en")
    with translator.context():
        yield translator


@pytest.fixture
async def database_url(tmp_path: object) -> AsyncIterator[str]:
    """The URL of an empty database of its own for this test."""
    if POSTGRES_URL is None:
        yield f"sqlite+aiosqlite:///{tmp_path}/tierbot.sqlite3"
        return
    name = f"tierbot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def bare_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the empty database, before any migration."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def engine(bare_engine: AsyncEngine) -> AsyncEngine:
    """An engine on a database migrated to the newest schema."""
    await upgrade(bare_engine)
    return bare_engine
