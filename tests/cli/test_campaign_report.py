"""`tierbot campaign report ID [--csv FILE] [--chart FILE] [--force]`, run as an operator runs it: a separate process
with its settings in the environment, on a database holding a started campaign."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine
from support.campaign_results import STARTED, Answer, Recipient, add_answers, add_campaign, add_firm
from typer.testing import CliRunner

from bot.cli import app
from bot.db.models import CampaignKind, CampaignStatus, OutboxStatus, SurveyScale
from bot.i18n import Catalogs

pytestmark = pytest.mark.db

BOM = b"\xef\xbb\xbf"


def tierbot(*args: str, cwd: Path, database_url: str, locale: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERBOT_")}
    env.update({"TIERBOT_DEFAULT_LOCALE": locale, "TIERBOT_DATABASE_URL": database_url,
                "TIERBOT_TIMEZONE": "Asia/Shanghai", "COLUMNS": "200"})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def _in_process(*args: str, database_url: str) -> Result:
    """The command run in this process (typer's runner), for the quick cases."""
    with Catalogs("en").activated():
        return CliRunner().invoke(app, ["campaign", "report", *args, "--database", database_url], prog_name="tierbot")


def _at(minutes: int) -> datetime:
    return STARTED + timedelta(hours=1, minutes=minutes)


# The relationship NPS to seven clients: six delivered, one blocked the bot. C01-C03 promoters, C04 passive,
# C05-C06 detractors: NPS (3 - 2) / 6 = +17.
RATINGS = [("C01", 10, "很满意"), ("C02", 9, None), ("C03", 9, None), ("C04", 7, None), ("C05", 6, "Too slow"),
           ("C06", 2, "@SUM(A1:A9)")]


@pytest.fixture
async def firm(engine: AsyncEngine) -> tuple[int, int]:
    """A survey (campaign 1) and a strategy message (campaign 2)."""
    clients = [f"C0{n}" for n in range(1, 8)]
    async with engine.begin() as connection:
        await add_firm(connection, clients)
        survey = await add_campaign(connection, CampaignKind.SURVEY, "relationship_nps", [
            *(Recipient(c, "mid", "zh_Hans" if c == "C01" else "en", "A1") for c in clients[:6]),
            Recipient("C07", "mid", "en", "A2", status=OutboxStatus.UNREACHABLE)], status=CampaignStatus.CLOSED)
        await add_answers(connection, survey, [
            Answer(client, "recommend", SurveyScale.NPS, rating, _at(index), comment)
            for index, (client, rating, comment) in enumerate(RATINGS)])
        strategy = await add_campaign(connection, CampaignKind.STRATEGY, "seminars",
                                      [Recipient(c, "mid") for c in clients[:3]])
    return survey, strategy


def test_the_report_its_csv_and_its_chart(firm: tuple[int, int], database_url: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    survey, _strategy = firm
    out = tmp_path / "out"
    out.mkdir()
    result = tierbot("campaign", "report", str(survey), "--csv", "answers.csv", "--chart", "nps.png", cwd=out,
                     database_url=database_url)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("Campaign 1: survey “How are we doing?”\nAudience: tier=mid\n"
                           "Closed Dec 2, 2026, 9:00\u202fAM (started Nov 2, 2026, 9:00\u202fAM).\n")
    assert "Delivery\nRecipients  7\nDelivered   6\nNot sent    0\nUnreachable 1\nFailed      0\n" in text
    assert "Response rate: 100.0% (6 of 6 clients reached answered at least one question)." in text
    assert "1. How likely is it that you would recommend us to a friend or colleague?\n" in text
    assert ("All                    6     +17 3/1/2\nTier\n  Mid-tier             6     +17 3/1/2\nLanguage\n"
            "  English              5       0 2/1/2\n  Chinese (Simplified) 1 too few\n") in text
    assert "• C06 · 2/10 · Nov 2, 2026, 10:05\u202fAM: “@SUM(A1:A9)”\n" in text
    assert "• C01 · 10/10 · Nov 2, 2026, 10:00\u202fAM: “很满意”\n" in text
    assert "<pre>" not in text  # terminal text, not Telegram's HTML
    assert "<b>" not in text
    assert text.endswith("“很满意”\nWrote 7 recipients' rows to answers.csv.\nDrew NPS by tier to nps.png.\n")

    data = (out / "answers.csv").read_bytes()
    assert data.startswith(BOM)  # so that Excel reads the UTF-8, Chinese included
    rows = list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))
    assert rows[0][-4:] == ["sent_at", "recommend_rating", "recommend_comment", "answered_at"]
    assert [row[0] for row in rows[1:]] == [f"C0{n}" for n in range(1, 8)]
    assert rows[1][1:4] == ["mid", "zh_Hans", "A1"]
    assert rows[1][-3:] == ["10", "很满意", "2026-11-02T10:00:00+08:00"]
    assert rows[6][-3:] == ["2", "'@SUM(A1:A9)", "2026-11-02T10:05:00+08:00"]
    assert rows[7][9:] == ["unreachable", "", "", "", ""]
    assert "Client C0" not in data.decode("utf-8")  # ids, never names
    with Image.open(out / "nps.png") as image:
        assert (image.format, image.size) == ("PNG", (800, 500))

    monkeypatch.chdir(out)
    for args in (("--csv", "answers.csv"), ("--chart", "nps.png")):
        again = _in_process(str(survey), *args, database_url=database_url)
        assert again.exit_code == 1
        assert again.stderr.splitlines() == [f"{args[1]} exists: give another file, or add --force to replace it."]
        assert again.stdout == ""
    assert (out / "answers.csv").read_bytes() == data
    (out / "answers.csv").write_text("old", encoding="utf-8")
    forced = _in_process(str(survey), "--csv", "answers.csv", "--force", database_url=database_url)
    assert forced.exit_code == 0, forced.stderr
    assert (out / "answers.csv").read_bytes() == data
    assert sorted(path.name for path in out.iterdir()) == ["answers.csv", "nps.png"]  # no temporary file left


def test_the_report_in_chinese_and_a_strategy_message_s(firm: tuple[int, int], database_url: str,
                                                        tmp_path: Path) -> None:
    survey, strategy = firm
    result = tierbot("campaign", "report", str(survey), cwd=tmp_path, database_url=database_url, locale="zh_Hans")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("活动 1：调查“我们做得怎么样？”\n受众：tier=mid\n已于 2026年12月2日 09:00 结束")
    assert "回复率：100.0%（已触达的 6 位客户中有 6 位至少回答了一个问题）。" in result.stdout
    assert "1. 您有多大可能向朋友或同事推荐我们？\n" in result.stdout
    assert ("              n  NPS 推/中/贬\n合计          6  +17    3/1/2\n等级\n"
            "  中端客户    6  +17    3/1/2\n") in result.stdout
    assert "• C01 · 10/10 · 2026年11月2日 10:00: “很满意”\n" in result.stdout

    strategy_report = _in_process(str(strategy), database_url=database_url)
    assert strategy_report.exit_code == 0, strategy_report.stderr
    assert strategy_report.stdout.startswith("Campaign 2: strategy message “Seminar invitation”\n")
    assert "Unsubscribes within 14 days after the message\n" in strategy_report.stdout


def test_bad_input_is_one_sentence_and_writes_nothing(firm: tuple[int, int], database_url: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _survey, strategy = firm
    monkeypatch.chdir(tmp_path)
    for given in ("9", "abc", "0", "99999999999"):
        result = _in_process(given, "--csv", "x.csv", database_url=database_url)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [f"There is no campaign “{given}”: campaigns are numbered 1 to 2."]
    no_chart = _in_process(str(strategy), "--chart", "nps.png", database_url=database_url)
    assert no_chart.exit_code == 1
    assert no_chart.stderr.splitlines() == [
        "Campaign 2 has no NPS answers to chart (no NPS question, or none answered yet): nothing was written."]
    assert list(tmp_path.glob("*.csv")) == list(tmp_path.glob("*.png")) == []


def test_a_firm_without_campaigns(engine: AsyncEngine, database_url: str) -> None:
    result = _in_process("1", database_url=database_url)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["There is no campaign “1”: no campaign has been created yet."]
