"""The command line as people expect it: `--version`, help that shows flags and values as they are typed, in the
language the CLI speaks, invalid settings in one sentence, invite expiries with their zone, invites by the hour
and by the file, and tier names (not ids) in the scoring tables."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from support.paths import GOOD_IMPORT
from typer.testing import CliRunner

from bot.cli import app
from bot.i18n import Catalogs

TOKEN = r"[A-Za-z0-9_-]{43}"


def tierbot(*args: str, cwd: Path, settings: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command as an operator runs it, with only the given TIERBOT_ settings (and TZ) in its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    env.update({"TIERBOT_DEFAULT_LOCALE": "en", "TIERBOT_DATABASE_URL": f"sqlite+aiosqlite:///{cwd}/firm.sqlite3",
                "TZ": "UTC", **(settings or {})})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def help_of(*command: str, locale: str = "en") -> str:
    with Catalogs(locale).activated():
        result = CliRunner().invoke(app, [*command, "--help"], prog_name="tierbot")
    assert result.exit_code == 0, result.output
    return result.output


def test_version_is_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"tierbot {version('tierbot')}\n"


@pytest.mark.parametrize("command", [(), ("score",), ("invite",), ("run",), ("console",), ("import",),
                                     ("demo-data",), ("demo",), ("db",), ("db", "upgrade"), ("faq",),
                                     ("faq", "match"), ("campaign",), ("campaign", "create"),
                                     ("campaign", "start")], ids=" ".join)
def test_help_shows_no_type_placeholders(command: tuple[str, ...]) -> None:
    shown = help_of(*command)
    assert not re.search(r"<[a-z%][^>]*>", shown), shown  # <bool>, <str>, <path>, <int range>, <%Y-%m-%d>
    assert not re.search(r"\{[A-Za-z]+\}", shown), shown  # {ROLE}


def test_help_shows_flags_bare_and_values_by_name() -> None:
    score = help_of("score")
    assert re.search(r"│ --dry-run\s+Compute and compare, write nothing\.", score), score
    assert re.search(r"│ --rules\s+FILE\s+Tier rules", score), score
    assert re.search(r"│ --as-of\s+YYYY-MM-DD\s+Score as of", score), score
    assert re.search(r"│ --help\s+Show this message and exit\.", score), score
    invite = help_of("invite")
    assert "Usage: tierbot invite [OPTIONS] ROLE [ID]" in invite
    assert re.search(r"│ --hours\s+HOURS\s+Hours before", invite), invite
    assert re.search(r"│ --file\s+FILE\s+A file of client or adviser ids", invite), invite
    assert re.search(r"│ \*\s+ROLE\s+client, adviser or admin\.", invite), invite
    assert re.search(r"│ --locale\s+LOCALE\s+The reader's locale", help_of("faq", "match"))


def test_help_in_chinese() -> None:
    score = help_of("score", locale="zh_Hans")
    assert "为所有客户评分并保留等级历史；加 --dry-run 时只显示规则会带来的变化。" in score
    assert re.search(r"│ --dry-run\s+只计算和对比，不写入任何数据。", score), score
    assert re.search(r"│ --help\s+显示此帮助信息并退出。", score), score
    assert re.search(r"│ import\s+导入机构的数据文件", help_of(locale="zh_Hans"))
    assert "数据库结构。" in help_of("db", locale="zh_Hans")
    traditional = help_of("score", locale="zh_Hant")
    assert re.search(r"│ --dry-run\s+只計算和比較，不寫入任何資料。", traditional), traditional
    assert re.search(r"│ --help\s+顯示此說明資訊並退出。", traditional), traditional


@pytest.mark.parametrize("command", [("invite",), ("import",), ("score",)])
def test_chinese_help_is_folded_not_cut_off(command: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """A Chinese sentence has no space to wrap at: it goes on on the next line instead of ending in "…"."""
    monkeypatch.setenv("COLUMNS", "80")  # a terminal's usual width, where the longer sentences need a second line
    shown = help_of(*command, locale="zh_Hans")
    assert "…" not in shown, shown
    if command == ("invite",):  # the whole sentence, once the panel's borders and line ends are taken out
        assert "因此请勿填写姓名）。" in re.sub(r"[\s│]", "", shown), shown


def test_help_speaks_the_default_locale(tmp_path: Path) -> None:
    result = tierbot("score", "--help", cwd=tmp_path, settings={"TIERBOT_DEFAULT_LOCALE": "zh_Hans"})
    assert result.returncode == 0, result.stderr
    assert "只计算和对比，不写入任何数据。" in result.stdout


@pytest.mark.parametrize(("setting", "sentence"), [
    ({"TIERBOT_DEFAULT_LOCALE": "zh"}, "TIERBOT_DEFAULT_LOCALE is not valid: use en, zh_Hans, zh_Hant."),
    ({"TIERBOT_DEFAULT_LOCALE": "fr"}, "TIERBOT_DEFAULT_LOCALE is not valid: use en, zh_Hans, zh_Hant."),
    ({"TIERBOT_BASE_CURRENCY": "EURO"}, "TIERBOT_BASE_CURRENCY is not valid (use an ISO 4217 code such as CNY, "
                                        "HKD or USD)."),
    ({"TIERBOT_BASE_CURRENCY": "RMB"}, "TIERBOT_BASE_CURRENCY is not valid (use an ISO 4217 code such as CNY, "
                                       "HKD or USD)."),
], ids=["zh", "fr", "currency", "rmb"])
def test_an_invalid_setting_is_one_sentence(tmp_path: Path, setting: dict[str, str], sentence: str) -> None:
    for command in (("score",), ("db", "upgrade")):
        result = tierbot(*command, cwd=tmp_path, settings=setting)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [sentence]
    assert not (tmp_path / "firm.sqlite3").exists()


def _invites(directory: Path) -> list[tuple[str | None, str | None, float]]:
    """(client, adviser, lifetime in hours) of every invite made."""
    with sqlite3.connect(directory / "firm.sqlite3") as db:
        rows = db.execute("SELECT client_id, adviser_id, (julianday(expires_at) - julianday(created_at)) * 24 "
                          "FROM invites ORDER BY id").fetchall()
    return [(client, adviser, round(hours, 6)) for client, adviser, hours in rows]


@pytest.fixture
def firm(tmp_path: Path) -> Path:
    """A folder whose database holds the small firm of the import tests (clients C00001-3, advisers A001-2)."""
    assert tierbot("db", "upgrade", cwd=tmp_path).returncode == 0
    imported = tierbot("import", str(GOOD_IMPORT), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    return tmp_path


def test_invites_last_days_or_hours_and_say_when_in_which_zone(firm: Path) -> None:
    shanghai = tierbot("invite", "client", "C00001", "--hours", "2", cwd=firm,
                       settings={"TZ": "Asia/Shanghai", "TIERBOT_BOT_USERNAME": "firm_bot"})
    assert shanghai.returncode == 0, shanghai.stderr
    assert re.fullmatch(rf"Invite link \(single use, expires \w+ \d+, \d{{4}}, \d+:\d\d\s[AP]M \+0800\):\n"
                        rf"https://t\.me/firm_bot\?start={TOKEN}\nToken: {TOKEN}\n", shanghai.stdout), shanghai.stdout
    chinese = tierbot("invite", "adviser", "A001", "--days", "0.5", cwd=firm,
                      settings={"TIERBOT_DEFAULT_LOCALE": "zh_Hans"})
    assert chinese.returncode == 0, chinese.stderr
    assert re.search(r"令牌将于 \d{4}年\d+月\d+日 \d\d:\d\d UTC 到期。", chinese.stdout), chinese.stdout
    named = tierbot("invite", "admin", "Wang Li", cwd=firm)  # a name would go into the audit log
    assert named.returncode == 1
    assert named.stderr.startswith("An admin is invited by an id for them"), named.stderr
    week = tierbot("invite", "admin", "ops@firm", cwd=firm)
    assert re.search(r"It expires \w+ \d+, \d{4}, \d+:\d\d\s[AP]M UTC\.", week.stdout), week.stdout
    assert _invites(firm) == [("C00001", None, 2.0), (None, "A001", 12.0), (None, None, 168.0)]

    for args, sentence in ((("--hours", "0.5"), "An invite lasts at least an hour and at most 30 days."),
                           (("--days", "31"), "An invite lasts at least an hour and at most 30 days."),
                           (("--days", "nan"), "An invite lasts at least an hour and at most 30 days."),
                           (("--days", "1e12"), "An invite lasts at least an hour and at most 30 days."),
                           (("--hours", "inf"), "An invite lasts at least an hour and at most 30 days."),
                           (("--days", "1", "--hours", "2"), "Give --days or --hours, not both.")):
        refused = tierbot("invite", "client", "C00001", *args, cwd=firm)
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [sentence]
    assert len(_invites(firm)) == 3


def test_invites_for_every_id_of_a_file_or_none(firm: Path) -> None:
    clients = firm / "new-clients.csv"
    clients.write_text("client_id,name\nC00003,李秀英\n\nC00001,张伟\n", encoding="utf-8")
    made = tierbot("invite", "client", "--file", str(clients), "--hours", "48", cwd=firm,
                   settings={"TIERBOT_BOT_USERNAME": "firm_bot"})
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["C00003", "C00001"]
    for line in lines:
        assert re.fullmatch(rf"C0000\d\thttps://t\.me/firm_bot\?start={TOKEN}\t\w+ \d+, \d{{4}}, \d+:\d\d\s[AP]M UTC",
                            line), line
    advisers = firm / "advisers.txt"
    advisers.write_text("A002\nA001\n", encoding="utf-8")
    made = tierbot("invite", "adviser", "--file", str(advisers), cwd=firm)
    assert made.returncode == 0, made.stderr
    assert [line.split("\t")[0] for line in made.stdout.splitlines()] == ["A002", "A001"]
    assert all(re.fullmatch(rf"A00\d\t{TOKEN}\t.+ UTC", line) for line in made.stdout.splitlines()), made.stdout
    assert _invites(firm) == [("C00003", None, 48.0), ("C00001", None, 48.0), (None, "A002", 168.0),
                              (None, "A001", 168.0)]

    wrong = firm / "wrong.txt"
    wrong.write_text("C00001\nC09999\nC00002\nA001\n", encoding="utf-8")
    refused = tierbot("invite", "client", "--file", str(wrong), cwd=firm)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == ["wrong.txt:2: There is no client with the id C09999.",
                                           "wrong.txt:4: There is no client with the id A001.",
                                           "2 lines at fault; no invite was made."]
    wrong.write_text("client_id\nC00001\nC00002\nC00001\n", encoding="utf-8")
    refused = tierbot("invite", "client", "--file", str(wrong), cwd=firm)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == ["wrong.txt:4: C00001 is already on line 2.",
                                           "One line at fault; no invite was made."]
    wrong.write_text("C00001\nC99999\nC00001\nA001\n", encoding="utf-8")  # every line at fault, at once
    refused = tierbot("invite", "client", "--file", str(wrong), cwd=firm)
    assert refused.stderr.splitlines() == ["wrong.txt:2: There is no client with the id C99999.",
                                           "wrong.txt:3: C00001 is already on line 1.",
                                           "wrong.txt:4: There is no client with the id A001.",
                                           "3 lines at fault; no invite was made."]
    for content, sentence in (("id\nC00001\n", "wrong.txt has no client_id column."),
                              ("client_id;name\nC00001;Ann\n", "wrong.txt looks semicolon-separated: save it "
                               "comma-separated (CSV UTF-8), with a client_id column or one id a line.")):
        wrong.write_text(content, encoding="utf-8")
        refused = tierbot("invite", "client", "--file", str(wrong), cwd=firm)
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [sentence.replace("wrong.txt", str(wrong))]
    assert len(_invites(firm)) == 4


def test_score_tables_name_the_tiers_in_the_language_of_the_cli(firm: Path) -> None:
    tried = tierbot("score", "--dry-run", cwd=firm, settings={"TIERBOT_DEFAULT_LOCALE": "zh_Hans"})
    assert tried.returncode == 0, tried.stderr
    table = tried.stdout.split("从 \\ 到")[0]
    assert re.search(r"(普通客户|中端客户|高净值客户)\s+│", table), tried.stdout
    assert not re.search(r"\b(ordinary|mid|high_net_worth)\b", tried.stdout), tried.stdout


def test_clients_not_scored_are_counted_with_the_reason_in_words(firm: Path) -> None:
    tried = tierbot("score", "--dry-run", "--as-of", "2024-06-30", cwd=firm)
    assert tried.returncode == 0, tried.stderr
    assert "Not scored: 1 client (onboarded after the scoring day)." in tried.stdout  # C00002, from 2024-11-20
    chinese = tierbot("score", "--dry-run", "--as-of", "2024-06-30", cwd=firm,
                      settings={"TIERBOT_DEFAULT_LOCALE": "zh_Hans"})
    assert chinese.returncode == 0, chinese.stderr
    assert "未评分：1 位客户（开户日期晚于评分日）。" in chinese.stdout


def test_a_real_run_past_the_data_is_one_sentence_and_writes_nothing(firm: Path) -> None:
    tried = tierbot("score", "--as-of", "2030-06-30", cwd=firm)
    assert tried.returncode == 1
    assert "Nothing was scored: the data's latest statement is of " in tried.stderr
    assert "nothing to score as of Jun 30, 2030; --dry-run shows such a run without applying it." in tried.stderr
    assert "Traceback" not in tried.stderr
