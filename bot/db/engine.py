"""Async engines for SQLite (the default, a file under ./var/) and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


class DatabaseUnreachable(Exception):
    """The configured database cannot be opened; the message is one sentence for a person."""


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.close()


def sqlite_file(database_url: str | URL) -> Path | None:
    """The file a SQLite URL names; None for another database, or SQLite in memory."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def create_engine(database_url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An engine for the URL. Nothing is created: a SQLite file's folder must exist before the first connection
    (which creates the file), see `sqlite_file`."""
    url = make_url(database_url)
    is_sqlite = url.get_backend_name() == "sqlite"
    # A failed statement's parameters (names, balances) stay out of exception messages and so out of the logs.
    engine = create_async_engine(url, hide_parameters=True, **kwargs)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    return engine


async def ensure_reachable(engine: AsyncEngine) -> None:
    """Open one connection, or raise DatabaseUnreachable naming the database (never its password)."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (DBAPIError, OSError, sqlite3.Error, TimeoutError) as error:
        where = engine.url.render_as_string(hide_password=True)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise DatabaseUnreachable(f"{where}: {reason}") from error
