"""Alembic environment: runs on the connection `bot.db.migrate` hands over, or on the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.config import get_settings
from bot.db.engine import create_engine
from bot.db.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only alter a table by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_settings_url() -> None:
    engine = create_engine(get_settings().database.url)
    async with engine.begin() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


given = context.config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    asyncio.run(_run_on_settings_url())
