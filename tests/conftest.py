"""Shared fixtures: the i18n context, a fresh migrated database per test, and one scored database for the run.

The database is a SQLite file by default; when TIERBOT_TEST_POSTGRES_URL is set, a fresh PostgreSQL
database is created for each test on that server instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio
from aiogram.utils.i18n import I18n
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from support.scored_clients import ScoredClients

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.demo import generate_demo_data
from bot.importer import import_path
from bot.scoring import load_rules, score_clients
from bot.telegram import create_i18n

POSTGRES_URL = os.environ.get("TIERBOT_TEST_POSTGRES_URL")
SCORED_CLIENTS = 400
SCORED_AS_OF = date(2026, 10, 31)


@pytest.fixture(autouse=True)
def i18n() -> Iterator[I18n]:
    translator = create_i18n("en")
    with translator.context():
        yield translator


@asynccontextmanager
async def fresh_database_url(directory: Path) -> AsyncIterator[str]:
    """The URL of an empty database: a SQLite file in `directory`, or a new database on the PostgreSQL server."""
    if POSTGRES_URL is None:
        yield f"sqlite+aiosqlite:///{directory}/tierbot.sqlite3"
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
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database of its own for this test."""
    async with fresh_database_url(tmp_path) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def scored_engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AsyncEngine]:
    """A database of demo clients, imported and scored once for the run; its tests run in the session's event loop
    (`pytest.mark.asyncio(loop_scope="session")`).

    Tests keep to clients of their own, taken from `clients`.
    """
    directory = tmp_path_factory.mktemp("scored")
    generate_demo_data(directory / "data", clients=SCORED_CLIENTS, seed=7, as_of=SCORED_AS_OF)
    async with fresh_database_url(directory) as url:
        engine = create_engine(url)
        await upgrade(engine)
        await import_path(engine, directory / "data", actor="tests")
        await score_clients(engine, load_rules(None), as_of=SCORED_AS_OF)
        yield engine
        await engine.dispose()


@pytest.fixture(scope="session")
def clients(scored_engine: AsyncEngine) -> ScoredClients:
    """The clients of the scored database, each handed out to one test only."""
    return ScoredClients(scored_engine)


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
