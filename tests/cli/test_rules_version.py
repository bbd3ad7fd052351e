"""`tierbot score` under a rules file whose content changed but whose version did not: a dry run warns, a real run
refuses. Run in process through Typer's CliRunner, settings in the environment as an operator sets them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from bot.db import create_engine
from bot.db.models import ScoringRun
from bot.demo import generate_demo_data
from bot.i18n import use_locale
from tiering import DEFAULT_RULES_PATH

pytestmark = pytest.mark.db

RULES = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
# The mid tier's line lowered, the version left as it was.
EDITED = RULES.replace('aum_from = "500000"', 'aum_from = "100000"')


@pytest.fixture
def operator(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A scored firm: its data imported and scored once under the default rules."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIERBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("TIERBOT_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    generate_demo_data(tmp_path / "data", clients=80, seed=11, as_of=date(2026, 10, 31))
    runner = CliRunner()
    for command in (["db", "upgrade"], ["import", "data"], ["score"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    (tmp_path / "edited.toml").write_text(EDITED, encoding="utf-8")
    yield runner
    get_settings.cache_clear()


def _runs(database_url: str) -> tuple[int, date]:
    async def read() -> tuple[int, date]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                count = (await connection.execute(select(func.count()).select_from(ScoringRun))).scalar_one()
                first = (await connection.execute(select(func.min(ScoringRun.started_at)))).scalar_one()
        finally:
            await engine.dispose()
        return count, first.date()

    return asyncio.run(read())


def _score(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, ["score", *args])


def test_a_dry_run_under_edited_rules_of_the_same_version_warns(operator: CliRunner, database_url: str) -> None:
    _, applied = _runs(database_url)
    tried = _score(operator, "--dry-run", "--rules", "edited.toml")
    assert tried.exit_code == 0, tried.output
    assert "Dry run: nothing was written." in tried.stdout
    assert tried.stderr.strip() == (
        f"The rules file says version 2026.1, like the rules applied on {format_date(applied, locale='en')}, but its "
        "content differs: give it a new version before applying it.")


def test_the_warning_in_chinese(operator: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _, applied = _runs(database_url)
    monkeypatch.setenv("TIERBOT_DEFAULT_LOCALE", "zh_Hans")
    get_settings.cache_clear()
    with use_locale("zh_Hans"):
        tried = _score(operator, "--dry-run", "--rules", "edited.toml")
    assert tried.exit_code == 0, tried.output
    assert tried.stderr.strip() == (
        f"规则文件的版本为 2026.1，与 {format_date(applied, locale='zh_Hans')} 应用的规则版本相同，但内容不同："
        "请先为它设定新的版本号，再正式应用。")


def test_a_real_run_under_them_is_refused_and_writes_nothing(operator: CliRunner, database_url: str) -> None:
    _, applied = _runs(database_url)
    refused = _score(operator, "--rules", "edited.toml")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        f"Nothing was scored: the rules file says version 2026.1, like the rules applied on "
        f"{format_date(applied, locale='en')}, but its content differs: give it a new version before applying it.")
    assert _runs(database_url)[0] == 1


def test_the_same_rules_written_otherwise_or_renamed_pass(operator: CliRunner, tmp_path: Path,
                                                          database_url: str) -> None:
    # Comments and layout are not content: the same rules, no warning.
    reworded = RULES.replace("# CMB's 金葵花 line", "# The 金葵花 line of China Merchants Bank").replace(
        'aum_from = "6000000"', "aum_from = 6000000")
    (tmp_path / "reworded.toml").write_text(reworded, encoding="utf-8")
    same = _score(operator, "--dry-run", "--rules", "reworded.toml")
    assert same.exit_code == 0, same.output
    assert same.stderr == ""
    # The edited rules under a version of their own are tried and applied without a word.
    (tmp_path / "renamed.toml").write_text(EDITED.replace('version = "2026.1"', 'version = "2026.2"'),
                                           encoding="utf-8")
    for args in (["--dry-run", "--rules", "renamed.toml"], ["--rules", "renamed.toml"]):
        result = _score(operator, *args)
        assert result.exit_code == 0, result.output
        assert result.stderr == ""
    assert _runs(database_url)[0] == 2
