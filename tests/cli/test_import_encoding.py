"""`tierbot import --encoding`: the CSV files Excel in Chinese saves (GBK/GB18030), through the command line."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from bot.i18n import Catalogs, use_locale

ADVISERS = "adviser_id,name,locale\nA001,王丽,zh-CN\n"
CLIENTS = "client_id,name,adviser_id,onboarded_on\nC00001,张伟,A001,2015-03-02\nC00002,李娜,A001,2019-07-15\n"
HINT = ("advisers.csv:2: not UTF-8 text (byte 0xcd): if it was saved by Excel in Chinese, import it with "
        "--encoding gb18030; otherwise save it as CSV UTF-8")

Tierbot = Callable[..., Result]


@pytest.fixture
def tierbot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Tierbot]:
    """The command line in this process, on a SQLite file of its own, from an empty working folder."""
    database = tmp_path / "tierbot.sqlite3"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIERBOT_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("TIERBOT_DEFAULT_LOCALE", "en")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, [str(arg) for arg in args])
    get_settings.cache_clear()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A folder of files as Excel in Chinese saves "CSV (comma delimited)": GB18030 bytes."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "advisers.csv").write_bytes(ADVISERS.encode("gb18030"))
    (folder / "clients.csv").write_bytes(CLIENTS.encode("gb18030"))
    return folder


def _stored_names(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "tierbot.sqlite3") as connection:
        return [name for (name,) in connection.execute(
            "SELECT name FROM advisers UNION ALL SELECT name FROM clients ORDER BY name")]


def test_import_with_encoding_gb18030(tierbot: Tierbot, export: Path, tmp_path: Path) -> None:
    assert tierbot("db", "upgrade").exit_code == 0

    result = tierbot("import", export, "--encoding", "gb18030")
    assert result.exit_code == 0, result.output
    assert "Imported 3 rows." in result.stdout
    assert _stored_names(tmp_path) == sorted(["王丽", "张伟", "李娜"])


def test_without_the_option_the_error_names_it(tierbot: Tierbot, export: Path, tmp_path: Path) -> None:
    assert tierbot("db", "upgrade").exit_code == 0
    (export / "clients.csv").unlink()

    result = tierbot("import", export)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [HINT, "One problem; nothing was imported."]
    assert _stored_names(tmp_path) == []


def test_the_hint_in_chinese(tierbot: Tierbot, export: Path) -> None:
    assert tierbot("db", "upgrade").exit_code == 0
    with Catalogs("zh_Hans").activated(), use_locale("zh_Hans"):
        result = tierbot("import", export / "advisers.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "advisers.csv:2: 不是 UTF-8 文本（字节 0xcd）：如果文件是中文版 Excel 保存的，请用 --encoding gb18030 导入；"
        "否则请将文件另存为“CSV UTF-8”")


@pytest.mark.parametrize("encoding", ["gbk18030", "rot13"])
def test_an_unknown_encoding_is_one_sentence_before_the_database_is_opened(
    tierbot: Tierbot, export: Path, tmp_path: Path, encoding: str
) -> None:
    result = tierbot("import", export, "--encoding", encoding)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"--encoding “{encoding}” is not a text encoding: use a name such as gb18030 (what Excel in Chinese saves), "
        "big5 or cp1252"]
    assert not (tmp_path / "tierbot.sqlite3").exists()
