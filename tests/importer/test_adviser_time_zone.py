"""An adviser's time zone from advisers.csv: the clock their quiet hours are read on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.paths import GOOD_IMPORT

from bot.db.models import Adviser
from bot.importer import ImportFailed, import_path

pytestmark = pytest.mark.db


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(GOOD_IMPORT, folder)
    return folder


async def _zones(engine: AsyncEngine) -> dict[str, str | None]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(Adviser.adviser_id, Adviser.timezone))
    return {adviser_id: zone for adviser_id, zone in rows}


async def test_a_time_zone_is_stored_and_an_empty_cell_clears_it(engine: AsyncEngine, data: Path) -> None:
    (data / "advisers.csv").write_text(
        "adviser_id,name,timezone\nA001,王丽,Asia/Hong_Kong\nA002,\"Smith, John\",Europe/London\n", encoding="utf-8")
    await import_path(engine, data, actor="test")
    assert await _zones(engine) == {"A001": "Asia/Hong_Kong", "A002": "Europe/London"}

    (data / "advisers.csv").write_text("adviser_id,name,timezone\nA001,王丽,\nA002,\"Smith, John\",Europe/London\n",
                                       encoding="utf-8")
    await import_path(engine, data / "advisers.csv", actor="test")
    assert await _zones(engine) == {"A001": None, "A002": "Europe/London"}

    # A file without the column leaves the zones as they are.
    (data / "advisers.csv").write_text("adviser_id,name\nA001,王丽\nA002,\"Smith, John\"\n", encoding="utf-8")
    await import_path(engine, data / "advisers.csv", actor="test")
    assert await _zones(engine) == {"A001": None, "A002": "Europe/London"}


@pytest.mark.parametrize("zone", ["Shanghai", "Asia/Beijing", "UTC+8", "asia/shanghai", "Asia/" + "X" * 70])
async def test_a_zone_that_is_not_one_is_one_sentence_naming_the_row(engine: AsyncEngine, data: Path,
                                                                     zone: str) -> None:
    await import_path(engine, data, actor="test")
    bad = data.parent / "advisers.csv"
    bad.write_text(f"adviser_id,name,timezone\nA001,王丽,Asia/Shanghai\nA009,Jean,{zone}\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failure:
        await import_path(engine, bad, actor="test")
    assert [str(problem) for problem in failure.value.problems.shown] == [
        f"advisers.csv:3: timezone: “{zone[:40]}” is not a time zone: use an IANA name such as Asia/Shanghai, "
        "Asia/Hong_Kong or Europe/London"]
    assert await _zones(engine) == {"A001": None, "A002": None}
