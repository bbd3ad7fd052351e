"""The `tierbot` command line, run as an operator runs it: a separate process with settings in its environment."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support.paths import GOOD_IMPORT, REPOSITORY

from bot.db import create_engine
from bot.db.migrate import downgrade, head_revision


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
    assert listed == {"campaign", "console", "db", "demo", "demo-data", "faq", "import", "invite", "run", "score",
                      "send", "digest"}


@pytest.mark.db
def test_upgrade_then_import_then_reimport(tmp_path: Path, database_url: str) -> None:
    upgraded = tierbot("db", "upgrade", cwd=tmp_path, database_url=database_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Created the database schema" in upgraded.stdout

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
    if database_url.startswith("sqlite"):  # a file that is not there yet
        wanted = f"There is no tierbot database at {tmp_path}/tierbot.sqlite3: run “tierbot db upgrade” first"
    else:  # a database just created on the server
        wanted = "is empty: run “tierbot db upgrade” first."
    result = tierbot("import", str(GOOD_IMPORT), cwd=tmp_path, database_url=database_url)
    assert result.returncode == 1
    assert wanted in result.stderr.strip()
    assert list(tmp_path.iterdir()) == []


NO_DATABASE = ("There is no tierbot database at {path}: run “tierbot db upgrade” first (or “tierbot demo”, and give "
               "its database with --database var/demo/tierbot.sqlite3).")


def test_a_missing_database_is_said_to_be_missing_and_is_not_created(tmp_path: Path) -> None:
    for args, path in ((("console", "--as", "C00001"), "var/tierbot.sqlite3"),
                       (("score", "--dry-run"), "var/tierbot.sqlite3"),
                       (("score", "--database", "elsewhere/firm.sqlite3"), "elsewhere/firm.sqlite3"),
                       (("import", str(GOOD_IMPORT), "--database", "sqlite+aiosqlite:///firm.sqlite3"),
                        "firm.sqlite3")):
        result = tierbot(*args, cwd=tmp_path)
        assert result.returncode == 1, args
        assert result.stderr.strip() == NO_DATABASE.format(path=path), args
    assert list(tmp_path.iterdir()) == []  # neither a file nor a folder left behind


def test_db_upgrade_says_what_it_did(tmp_path: Path) -> None:
    def upgraded() -> str:
        result = tierbot("db", "upgrade", "--database", "firm.sqlite3", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    head = head_revision()
    assert upgraded() == f"Created the database schema (revision {head})."
    assert upgraded() == f"The database schema is already up to date (revision {head})."

    async def back_one_release() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/firm.sqlite3")
        await downgrade(engine, "a7c1e5d90b32")
        await engine.dispose()

    asyncio.run(back_one_release())
    assert upgraded() == f"Upgraded the database schema from revision a7c1e5d90b32 to {head}."


def test_an_empty_database_is_said_to_be_empty_and_an_old_one_not_up_to_date(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite3").touch()
    result = tierbot("console", "--database", "empty.sqlite3", "--as", "C00001", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "The database empty.sqlite3 is empty: run “tierbot db upgrade” first."

    assert tierbot("db", "upgrade", "--database", "old.sqlite3", cwd=tmp_path).returncode == 0
    result = tierbot("console", "--database", "old.sqlite3", "--as", "C00001", cwd=tmp_path)  # a schema, no data
    assert result.returncode == 1
    assert result.stderr.strip() == ("The database has no clients yet: import the firm's data first "
                                     "(tierbot import PATH).")
    with sqlite3.connect(tmp_path / "old.sqlite3") as old:  # as a database of the release before would be
        old.execute("UPDATE alembic_version SET version_num = 'a7c1e5d90b32'")
    result = tierbot("score", "--database", "old.sqlite3", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "The database schema is not up to date: run “tierbot db upgrade” first."


def test_a_database_url_tierbot_cannot_use_is_one_sentence(tmp_path: Path) -> None:
    result = tierbot("score", "--database", "sqlite:///firm.sqlite3", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("tierbot cannot open “sqlite:///firm.sqlite3”: give a SQLite file's path")
    assert list(tmp_path.iterdir()) == []


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
    assert "clients 300, advisers " in made.stdout
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


def printed_commands(stdout: str) -> dict[str, list[str]]:
    """The commands the demo prints to go on with, by what they are for, split as a shell splits them."""
    lines = stdout[stdout.index("To go on, from this folder:"):stdout.index("Chatting as")].splitlines()[1:]
    return {what.strip().removesuffix(":"): shlex.split(command) for what, command in zip(lines[::2], lines[1::2],
                                                                                         strict=True)}


def run_printed(command: list[str], cwd: Path, typed: str = "") -> subprocess.CompletedProcess[str]:
    """A printed command run exactly as printed, in the folder the demo ran in, with no settings of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, input=typed)


def test_the_demo_opens_on_its_showcase_and_its_printed_commands_work_as_printed(tmp_path: Path) -> None:
    result = tierbot("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Imported" in result.stdout
    assert "The demo scores its last 3 month-ends" in result.stdout
    assert "Scored 2,000 clients" in result.stdout
    kinds = "Mid-tier, in growth|in the top tier|in the downgrade grace|without a risk|an adviser"
    ids = {kind: shown for shown, kind in re.findall(rf"^  ([AC]\d+) +({kinds})", result.stdout, re.MULTILINE)}
    showcase, adviser = ids["Mid-tier, in growth"], ids["an adviser"]
    assert set(ids) == set(kinds.split("|"))
    assert f"Chatting as {showcase}." in result.stdout  # the console, ended by the end of input

    commands = printed_commands(result.stdout)
    database = ["--database", "var/demo/tierbot.sqlite3"]
    assert commands == {
        "chat as the client": [sys.executable, "-m", "bot", "console", *database, "--as", showcase],
        "chat as the adviser": [sys.executable, "-m", "bot", "console", *database, "--as", adviser],
        "score again, writing nothing": [sys.executable, "-m", "bot", "score", *database, "--dry-run"],
        "an invite link, to chat in Telegram": [sys.executable, "-m", "bot", "invite", "client", showcase, *database],
    }
    chat = run_printed(commands["chat as the client"], tmp_path, typed="/tier\n1\n")
    assert chat.returncode == 0, chat.stderr
    assert f"Chatting as {showcase}." in chat.stdout
    assert "Tier: Mid-tier" in chat.stdout
    assert "• Lifecycle: growth" in chat.stdout
    assert "How to reach High-net-worth" in chat.stdout
    chat = run_printed(commands["chat as the adviser"], tmp_path)
    assert chat.returncode == 0, chat.stderr
    assert f"Chatting as {adviser}." in chat.stdout
    tried = run_printed(commands["score again, writing nothing"], tmp_path)
    assert tried.returncode == 0, tried.stderr
    assert "Dry run: nothing was written." in tried.stdout
    invited = run_printed(commands["an invite link, to chat in Telegram"], tmp_path)
    assert invited.returncode == 0, invited.stderr
    assert re.search(r"Token: [A-Za-z0-9_-]{43}", invited.stdout)
    assert not (tmp_path / "var" / "tierbot.sqlite3").exists()  # nothing but the demo's database

    result = tierbot("console", "--database", "var/demo/tierbot.sqlite3", "--as", "C99999", cwd=tmp_path)
    assert result.returncode == 1
    assert "There is no client or adviser with the id C99999." in result.stderr
    assert "Chatting as" not in result.stdout  # said only once the person is known

    demo_database = f"sqlite+aiosqlite:///{tmp_path}/var/demo/tierbot.sqlite3"  # the URL form of the same
    result = tierbot("invite", "client", showcase, cwd=tmp_path, database_url=demo_database,
                     settings={"TIERBOT_BOT_USERNAME": "firm_bot"})
    assert result.returncode == 0, result.stderr
    assert re.search(r"https://t\.me/firm_bot\?start=[A-Za-z0-9_-]{43}", result.stdout)
    result = tierbot("invite", "client", showcase, cwd=tmp_path, database_url=demo_database)
    assert "Set TIERBOT_TELEGRAM_TOKEN" in result.stdout
    for args, sentence in ((("client", "C99999"), "There is no client with the id C99999."),
                           (("friend", showcase), "The role must be client, adviser or admin")):
        result = tierbot("invite", *args, cwd=tmp_path, database_url=demo_database)
        assert result.returncode == 1
        assert sentence in result.stderr
    invites = sqlite3.connect(tmp_path / "var" / "demo" / "tierbot.sqlite3").execute("SELECT count(*) FROM invites")
    made = invites.fetchone()[0]
    result = tierbot("invite", "client", showcase, *database, cwd=tmp_path,
                     settings={"TIERBOT_BOT_TOKEN": "1:x", "TIERBOT_TELEGRAM_API": "http://127.0.0.1:9"})
    assert result.returncode == 1
    assert "Cannot reach the Bot API at http://127.0.0.1:9" in result.stderr
    invites = sqlite3.connect(tmp_path / "var" / "demo" / "tierbot.sqlite3").execute("SELECT count(*) FROM invites")
    assert invites.fetchone()[0] == made  # no token made that nobody saw
    result = tierbot("run", *database, cwd=tmp_path)
    assert result.returncode == 1
    assert "TIERBOT_TELEGRAM_TOKEN is not set" in result.stderr

    again = tierbot("demo", cwd=tmp_path)  # a fresh database again, the same showcase
    assert again.returncode == 0, again.stderr
    assert f"Chatting as {showcase}." in again.stdout
    invites = sqlite3.connect(tmp_path / "var" / "demo" / "tierbot.sqlite3").execute("SELECT count(*) FROM invites")
    assert invites.fetchone()[0] == 1  # the demo console's own binding, nothing of the first demo's


def test_faq_match_shows_the_entry_and_its_score(tmp_path: Path) -> None:
    result = tierbot("faq", "match", "--locale", "zh", "我怎么才能升到更高的等级", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("how_to_move_up  score 0.")
    result = tierbot("faq", "match", "--locale", "en", "what's the weather like in Paris", cwd=tmp_path)
    assert result.stdout.startswith("No confident match")
    result = tierbot("faq", "match", "--locale", "fr", "bonjour", cwd=tmp_path)
    assert result.returncode == 1
    assert "Unknown locale" in result.stderr
