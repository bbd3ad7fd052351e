"""Every migration runs up and down (the "stairway"), and the newest schema matches the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.migrate import alembic_config, current_revision, downgrade, upgrade
from bot.db.models import Base

pytestmark = pytest.mark.db


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def test_stairway(bare_engine: AsyncEngine) -> None:
    """Each revision in turn: up, down to the one before, up again."""
    previous = None
    for revision in _revisions():
        await upgrade(bare_engine, revision)
        await downgrade(bare_engine, previous or "base")
        assert await current_revision(bare_engine) == previous
        await upgrade(bare_engine, revision)
        assert await current_revision(bare_engine) == revision
        previous = revision


async def test_all_the_way_down_leaves_nothing(bare_engine: AsyncEngine) -> None:
    await upgrade(bare_engine)
    await downgrade(bare_engine, "base")
    assert await _tables(bare_engine) <= {"alembic_version"}


async def test_newest_schema_matches_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata))
    assert differences == []
