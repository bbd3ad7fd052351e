"""The `tierbot` command line, run as an operator runs it: a separate process with settings in its environment."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import GOOD_IMPORT, REPOSITORY


def tierbot(
    *args: str, cwd: Path, database_url: str | None = None, locale: str = "en", typed: str = "",
    settings: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the command with `typed` on its standard input (then end of input), as from a script."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    env["TIERBOT_DEFAULT_LOCALE"] = locale
    if database_url:
        env["TIERBOT_DATABASE_URL"] = database_url
    env.update(settings or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
        input=typed,
    )


def test_help_lists_the_commands_that_exist(tmp_path: Path) -> None:
    result = tierbot("--help", cwd=tmp_path)
    assert result.returncode == 0
    listed = set(re.findall(r"^│ ([a-z][\w-]*)\s{2,}", result.stdout, re.MULTILINE))
    assert listed == {"console", "db", "demo", "demo-data", "faq", "import", "invite", "run", "score"}


@pytest.mark.db
def test_upgrade_then_import_then_reimport(tmp_path: Path, database_url: str) -> None:
    upgraded = tierbot("db", "upgrade", cwd=tmp_path, database_url=database_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "The database schema is up to date" in upgraded.stdout

    first = tierbot("import", str(GOOD_IMPORT), cwd=tmp_path, database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "Imported 18 rows." in first.stdout
    again = tierbot("import", str(GOOD_IMPORT), cwd=tmp_path, database_url=database_url, locale="zh_Hans")
    assert again.returncode == 0, again.stderr
    assert "已导入 18 行。" in again.stdout
    assert "未变" in again.stdout


@pytest.mark.db
def test_import_problems_go_to_stderr_with_a_count(tmp_path: Path, database_url: str) -> None:
    assert tierbot("db", "upgrade", cwd=tmp_path, database_url=database_url).returncode == 0
    bad = tmp_path / "clients.csv"
    bad.write_text("client_id,name,adviser_id,onboarded_on\nC1,Ann,A1,someday\nC2,Bo,A1,2020-01-01\n", encoding="utf-8")
    result = tierbot("import", str(bad), cwd=tmp_path, database_url=database_url)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "clients.csv:2: onboarded_on: “someday” is not a date: use YYYY-MM-DD",
        "clients.csv:3: adviser_id: “A1” is in neither advisers.csv nor the database",
        "2 problems in all; nothing was imported.",
    ]


@pytest.mark.db
def test_import_needs_the_schema(tmp_path: Path, database_url: str) -> None:
    result = tierbot("import", str(GOOD_IMPORT), cwd=tmp_path, database_url=database_url)
    assert result.returncode == 1
    assert result.stderr.strip() == "The database schema is not up to date: run “tierbot db upgrade” first."


def test_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    result = tierbot("db", "upgrade", cwd=tmp_path, database_url="postgresql+asyncpg://someone:secret@127.0.0.1:9/firm")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Cannot reach the database (postgresql+asyncpg://someone:***@127.0.0.1:9/firm")
    assert "secret" not in result.stderr


def test_default_sqlite_database_is_created_under_var(tmp_path: Path) -> None:
    result = tierbot("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "tierbot.sqlite3").is_file()


def test_settings_come_from_a_dotenv_file(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("TIERBOT_DATABASE_URL=sqlite+aiosqlite:///elsewhere/firm.sqlite3\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    result = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere" / "firm.sqlite3").is_file()


@pytest.mark.db
def test_demo_data_imports_cleanly(tmp_path: Path, database_url: str) -> None:
    made = tierbot("demo-data", "--clients", "300", "--seed", "7", "--out", "data", "--as-of", "2026-10-31",
                   cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "Wrote 300 clients" in made.stdout
    assert tierbot("db", "upgrade", cwd=tmp_path, database_url=database_url).returncode == 0
    imported = tierbot("import", "data", cwd=tmp_path, database_url=database_url)
    assert imported.returncode == 0, imported.stderr


@pytest.mark.db
def test_score_then_try_other_rules_before_applying_them(tmp_path: Path, database_url: str) -> None:
    assert tierbot("demo-data", "--clients", "200", "--seed", "5", "--out", "data", "--as-of", "2026-10-31",
                   cwd=tmp_path).returncode == 0
    assert tierbot("db", "upgrade", cwd=tmp_path, database_url=database_url).returncode == 0
    assert tierbot("import", "data", cwd=tmp_path, database_url=database_url).returncode == 0
    scored = tierbot("score", cwd=tmp_path, database_url=database_url)
    assert scored.returncode == 0, scored.stderr
    assert "Scored 200 clients as of Oct 31, 2026 under rules 2026.1." in scored.stdout
    assert "200 tier snapshots written" in scored.stdout

    rules = (REPOSITORY / "tiering" / "rules" / "default.toml").read_text(encoding="utf-8")
    whatif = tmp_path / "whatif.toml"
    whatif.write_text(rules.replace('aum_from = "500000"', 'aum_from = "50000"')
                      .replace('mid_from = "500000"', 'mid_from = "50000"')
                      .replace('version = "2026.1"', 'version = "lower-mid"'), encoding="utf-8")
    tried = tierbot("score", "--rules", str(whatif), "--dry-run", cwd=tmp_path, database_url=database_url,
                    locale="zh_Hans")
    assert tried.returncode == 0, tried.stderr
    assert "试算：未写入任何数据。" in tried.stdout
    # The tiers now and under the rules tried, then the matrix of moves (rows: from, columns: to).
    distribution, matrix = tried.stdout.split("从 \\ 到")
    now, then = (int(n) for n in re.search(r"普通客户\s+│\s+(\d+)\s+│\s+(\d+)\s+│", distribution).groups())
    stay, up = (int(n) for n in re.search(r"普通客户\s+│\s+(\d+)\s+│\s+(\d+)", matrix).groups())
    down = int(re.search(r"中端客户\s+│\s+(\d+)\s+│", matrix).group(1))
    assert up > 0, tried.stdout  # a lower line moves clients up
    assert down == 0, tried.stdout  # and nobody down
    assert (now, then) == (stay + up, stay), tried.stdout
    again = tierbot("score", cwd=tmp_path, database_url=database_url)
    assert "0 tier snapshots written; 0 tier changes." in again.stdout

    typo = tmp_path / "typo.toml"
    typo.write_text(rules.replace("diverse_from", "divers_from"), encoding="utf-8")
    refused = tierbot("score", "--rules", str(typo), "--dry-run", cwd=tmp_path, database_url=database_url)
    assert refused.returncode == 1
    assert refused.stderr.strip() == ('The rules are not valid, nothing was scored: typo.toml: unknown key '
                                      '"complexity.divers_from" (did you mean "diverse_from"?)')


def test_demo_builds_a_fresh_database(tmp_path: Path) -> None:
    for _run in range(2):
        result = tierbot("demo", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Imported" in result.stdout
        assert "Scored 2,000 clients" in result.stdout
        assert "Chatting as C00001" in result.stdout  # the console, ended by the end of input
    assert (tmp_path / "var" / "demo" / "tierbot.sqlite3").is_file()

    demo_database = f"sqlite+aiosqlite:///{tmp_path}/var/demo/tierbot.sqlite3"
    result = tierbot("console", "--as", "C00002", cwd=tmp_path, database_url=demo_database, typed="/tier\n1\n")
    assert result.returncode == 0, result.stderr
    assert "Tier: " in result.stdout
    assert "[1] 📈 How to move up" in result.stdout
    assert "How to reach" in result.stdout
    result = tierbot("console", "--as", "C99999", cwd=tmp_path, database_url=demo_database)
    assert result.returncode == 1
    assert "There is no client or adviser with the id C99999." in result.stderr

    result = tierbot("invite", "client", "C00002", cwd=tmp_path, database_url=demo_database,
                     settings={"TIERBOT_BOT_USERNAME": "firm_bot"})
    assert result.returncode == 0, result.stderr
    assert re.search(r"https://t\.me/firm_bot\?start=[A-Za-z0-9_-]{43}", result.stdout)
    result = tierbot("invite", "client", "C00002", cwd=tmp_path, database_url=demo_database)
    assert "Set TIERBOT_TELEGRAM_TOKEN" in result.stdout
    assert re.search(r"Token: [A-Za-z0-9_-]{43}", result.stdout)
    for args, sentence in ((("client", "C99999"), "There is no client with the id C99999."),
                           (("friend", "C00002"), "The role must be client, adviser or admin")):
        result = tierbot("invite", *args, cwd=tmp_path, database_url=demo_database)
        assert result.returncode == 1
        assert sentence in result.stderr
    invites = sqlite3.connect(tmp_path / "var" / "demo" / "tierbot.sqlite3").execute("SELECT count(*) FROM invites")
    made = invites.fetchone()[0]
    result = tierbot("invite", "client", "C00002", cwd=tmp_path, database_url=demo_database,
                     settings={"TIERBOT_BOT_TOKEN": "1:x", "TIERBOT_TELEGRAM_API": "http://127.0.0.1:9"})
    assert result.returncode == 1
    assert "Cannot reach the Bot API at http://127.0.0.1:9" in result.stderr
    invites = sqlite3.connect(tmp_path / "var" / "demo" / "tierbot.sqlite3").execute("SELECT count(*) FROM invites")
    assert invites.fetchone()[0] == made  # no token made that nobody saw
    result = tierbot("run", cwd=tmp_path, database_url=demo_database)
    assert result.returncode == 1
    assert "TIERBOT_TELEGRAM_TOKEN is not set" in result.stderr


def test_faq_match_shows_the_entry_and_its_score(tmp_path: Path) -> None:
    result = tierbot("faq", "match", "--locale", "zh", "我怎么才能升到更高的等级", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("how_to_move_up  score 0.")
    result = tierbot("faq", "match", "--locale", "en", "what's the weather like in Paris", cwd=tmp_path)
    assert result.stdout.startswith("No confident match")
    result = tierbot("faq", "match", "--locale", "fr", "bonjour", cwd=tmp_path)
    assert result.returncode == 1
    assert "Unknown locale" in result.stderr
