"""`tierbot campaign`, as an operator runs it: create a draft (--at with or without an offset), preview who it
reaches and what they would read, start, pause, resume, close, status and list; each bad request one sentence on
stderr, exit status 1, and nothing written."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from click.testing import Result
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from support.campaign_world import World
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.db.models import Campaign, CampaignRecipient, OutboxMessage, OutboxStatus
from bot.i18n import Catalogs

pytestmark = pytest.mark.db

Tierbot = Callable[..., Result]


async def _firm(url: str) -> dict[str, int]:
    """A small firm: four mid-tier clients bound (one reading Chinese, one in New York), one never bound, one
    high-net-worth; returns the Telegram accounts by client id."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        world = World(engine)
        await world.adviser("A001")
        await world.client("C01", locale="zh_Hans")
        await world.client("C02", timezone="America/New_York")
        await world.client("C03")
        await world.client("C04", bound=False)
        await world.client("C05", tier="high_net_worth", asset_size="high_net_worth")
        return world.accounts
    finally:
        await engine.dispose()


async def _read(url: str) -> tuple[list[Campaign], int, list[OutboxMessage]]:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session:
            campaigns = list(await session.scalars(select(Campaign).order_by(Campaign.id)))
            recipients = await session.scalar(select(func.count()).select_from(CampaignRecipient)) or 0
            outbox = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
            return campaigns, recipients, outbox
    finally:
        await engine.dispose()


@pytest.fixture
def firm(database_url: str) -> dict[str, int]:
    return asyncio.run(_firm(database_url))


@pytest.fixture
def tierbot(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: object) -> Iterator[Tierbot]:
    """The command line in this process, on the test's database, quiet hours off unless a test sets them."""
    monkeypatch.chdir(str(tmp_path))
    for name, value in {"TIERBOT_DATABASE_URL": database_url, "TIERBOT_DEFAULT_LOCALE": "en",
                        "TIERBOT_TIMEZONE": "Asia/Shanghai", "TIERBOT_DELIVERY_QUIET_HOURS": "off",
                        "COLUMNS": "200"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, [str(arg) for arg in args], prog_name="tierbot")
    get_settings.cache_clear()


def _refused(result: Result, sentence: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [sentence]
    assert result.stdout == ""


def test_a_campaign_from_draft_to_close(tierbot: Tierbot, firm: dict[str, int], database_url: str) -> None:
    created = tierbot("campaign", "create", "--kind", "survey", "--template", "relationship_nps",
                      "--audience", " tier=mid ")
    assert created.exit_code == 0, created.output
    lines = created.stdout.splitlines()
    assert lines[0] == "Campaign 1, survey “relationship_nps” to “tier=mid”: created, a draft."
    assert re.fullmatch(r"See who it reaches with “.+ campaign preview 1”, then start it with “.+ campaign start "
                        r"1”\.", lines[1]), lines[1]

    started = tierbot("campaign", "start", "1")
    assert started.exit_code == 0, started.output
    assert started.stdout.splitlines() == [
        "Campaign 1, survey “relationship_nps” to “tier=mid”: started, 3 messages queued, one per recipient.",
        "Left out: 1 client of the audience.",
        "  1  never bound: no Telegram account is linked to them yet (“tierbot invite client ID”).",
        "The sender (“tierbot send”, or “tierbot run”) sends them within Telegram's limits."]
    _campaigns, recipients, outbox = asyncio.run(_read(database_url))
    assert (recipients, [row.telegram_user_id for row in outbox]) == (3, [firm["C01"], firm["C02"], firm["C03"]])

    _refused(tierbot("campaign", "start", "1"), "Campaign 1 has started already: starting it again adds nothing.")
    _refused(tierbot("campaign", "resume", "1"), "Campaign 1 is running: there is nothing to resume.")
    paused = tierbot("campaign", "pause", "1")
    assert paused.stdout == ("Campaign 1, survey “relationship_nps” to “tier=mid”: paused; the sender sends none of "
                             "its messages until it is resumed.\n")
    status = tierbot("campaign", "status", "1")
    assert status.exit_code == 0, status.output
    shown = status.stdout.splitlines()
    assert re.fullmatch(r"Campaign 1, survey “relationship_nps” to “tier=mid”: paused \(started .+\)\.", shown[0])
    assert shown[1:6] == [
        "Recipients: 3. Delivered: 0 (0%).",
        "Waiting: 3 (0 not due yet). Being sent: 0.",
        "Unreachable: 0. Failed: 0. Unknown, perhaps delivered: 0. Not sent (nothing left to say, or closed first): 0.",
        "Answered: 0 of 0 delivered (-).",
        "Paused: the sender sends none of its messages until it is resumed."]
    resumed = tierbot("campaign", "resume", "1")
    assert resumed.stdout == "Campaign 1, survey “relationship_nps” to “tier=mid”: running again.\n"
    closed = tierbot("campaign", "close", "1")
    assert closed.stdout.splitlines() == [
        "Campaign 1, survey “relationship_nps” to “tier=mid”: closed; 3 messages not sent yet will not be.",
        "The survey takes no more answers."]
    _refused(tierbot("campaign", "pause", "1"), "Campaign 1 is closed: it sends nothing more, so there is nothing to "
                                                "pause.")
    _refused(tierbot("campaign", "close", "1"), "Campaign 1 is closed already.")
    _, _, outbox = asyncio.run(_read(database_url))
    assert {(row.status, row.error) for row in outbox} == {(OutboxStatus.SENT, "campaign_closed")}
    report = tierbot("campaign", "report", "1")  # closed before any went: none delivered, none reached
    assert report.exit_code == 0, report.output
    assert re.search(r"Delivered +0\nNot sent +3\n", report.stdout), report.stdout

    strategy = tierbot("campaign", "create", "--kind", "strategy", "--template", "seminars", "--audience", "all")
    assert strategy.exit_code == 0, strategy.output
    listed = tierbot("campaign", "list")
    assert listed.exit_code == 0, listed.output
    rows = [[cell.strip() for cell in re.split("[│┃]", line)] for line in listed.stdout.splitlines()]
    assert rows[0][:5] == ["id", "kind", "template", "status", "audience"], listed.stdout
    assert [row[:5] for row in rows[2:-1]] == [["2", "strategy message", "seminars", "draft", "all"],
                                              ["1", "survey", "relationship_nps", "closed", "tier=mid"]]
    assert rows[2][6] == "-"
    assert rows[-1] == ["Times in the firm's time zone, Asia/Shanghai."]

    dropped = tierbot("campaign", "close", "2")  # a draft dropped before it was started
    assert dropped.exit_code == 0, dropped.output
    status = tierbot("campaign", "status", "2")
    assert status.exit_code == 0, status.output
    assert re.match(r"Campaign 2, strategy message “seminars” to “all”: closed .+ without being started\.\n",
                    status.stdout), status.stdout


def test_at_takes_an_offset_or_the_firm_s_time_zone(tierbot: Tierbot, firm: dict[str, int],
                                                    database_url: str) -> None:
    plain = tierbot("campaign", "create", "--kind", "survey", "--template", "relationship_nps", "--audience", "all",
                    "--at", "2030-06-01T09:30")
    assert plain.exit_code == 0, plain.output
    assert re.fullmatch(r"Nothing is sent before Jun 1, 2030, 9:30\sAM \+0800\.", plain.stdout.splitlines()[1]), \
        plain.stdout
    offset = tierbot("campaign", "create", "--kind", "strategy", "--template", "seminars", "--audience", "all",
                     "--at", "2030-06-01T09:30-04:00")
    assert offset.exit_code == 0, offset.output
    campaigns, _, _ = asyncio.run(_read(database_url))
    assert [c.not_before for c in campaigns] == [datetime(2030, 6, 1, 1, 30, tzinfo=UTC),
                                                 datetime(2030, 6, 1, 13, 30, tzinfo=UTC)]
    started = tierbot("campaign", "start", "2")
    assert started.exit_code == 0, started.output
    assert re.search(r"4 messages wait for their time \(--at, or the quiet hours on their recipients' clocks\); the "
                     r"first goes at Jun 1, 2030, 9:30\sPM \+0800\.", started.stdout), started.stdout
    _, _, outbox = asyncio.run(_read(database_url))
    assert {row.next_attempt_at for row in outbox} == {datetime(2030, 6, 1, 13, 30, tzinfo=UTC)}


def test_bad_input_is_one_sentence_and_writes_nothing(tierbot: Tierbot, firm: dict[str, int],
                                                      database_url: str) -> None:
    def create(*options: str) -> Result:
        given = dict(zip(options[::2], options[1::2], strict=True))
        arguments = {"--kind": "survey", "--template": "relationship_nps", "--audience": "all", **given}
        return tierbot("campaign", "create", *(part for pair in arguments.items() for part in pair))

    _refused(create("--audience", "tier=mid lifecycle=grwoth"),
             "“lifecycle=grwoth”: “grwoth” is not a segment of lifecycle (did you mean “growth”?); its segments are "
             "new, growth, mature, decline.")
    _refused(create("--template", "relationship"),
             "There is no survey “relationship” (did you mean “relationship_nps”?); there are: annual_review, "
             "effort_ces, relationship_nps, service_csat.")
    _refused(create("--kind", "poll"), "The kind must be survey or strategy, not “poll”.")
    _refused(create("--at", "tomorrow 9am"),
             "“tomorrow 9am” is not a time: write ISO 8601, such as 2026-12-01T09:30 (in the firm's time zone, "
             "Asia/Shanghai) or 2026-12-01T09:30+08:00.")
    _refused(create("--at", "2020-01-01T09:00"),
             "The time to send from has passed: give a later one, or none to send as soon as the campaign starts.")
    for command in ("preview", "start", "pause", "resume", "close", "status"):
        _refused(tierbot("campaign", command, "7"), "There is no campaign 7.")
        _refused(tierbot("campaign", command, "seven"),
                 "“seven” is not a campaign: campaigns are numbered, see “tierbot campaign list”.")
    assert asyncio.run(_read(database_url)) == ([], 0, [])

    assert create().exit_code == 0
    _refused(tierbot("campaign", "pause", "1"), "Campaign 1 has not started: there is nothing to pause.")
    _refused(tierbot("campaign", "resume", "1"), "Campaign 1 has not started: start it rather than resume it.")
    campaigns, recipients, outbox = asyncio.run(_read(database_url))
    assert ([c.status.value for c in campaigns], recipients, outbox) == (["draft"], 0, [])


def test_no_campaign_yet_and_chinese(tierbot: Tierbot, firm: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    assert tierbot("campaign", "list").stdout == "No campaign yet: “tierbot campaign create” makes one.\n"
    monkeypatch.setenv("TIERBOT_DEFAULT_LOCALE", "zh_Hans")
    get_settings.cache_clear()
    with Catalogs("zh_Hans").activated():
        created = tierbot("campaign", "create", "--kind", "survey", "--template", "relationship_nps", "--audience",
                          "tier=mid")
        typo = tierbot("campaign", "create", "--kind", "survey", "--template", "relationship_nps", "--audience",
                       "tier=mdi")
    assert created.stdout.splitlines()[0] == "活动 1，调查问卷“relationship_nps”，受众“tier=mid”：已创建为草稿。"
    assert typo.stderr == ("“tier=mdi”：没有等级“mdi”（是否想输入“mid”？）；可用的等级为 ordinary, mid, "
                           "high_net_worth。\n")


def test_preview_shows_the_audience_the_reasons_and_a_sample_per_language(tierbot: Tierbot, firm: dict[str, int],
                                                                         database_url: str) -> None:
    """Needs the chat's renderers (handlers.campaign_sample)."""
    assert tierbot("campaign", "create", "--kind", "survey", "--template", "relationship_nps", "--audience",
                   "all").exit_code == 0
    preview = tierbot("campaign", "preview", "1")
    assert preview.exit_code == 0, preview.output
    shown = preview.stdout
    assert shown.startswith("Campaign 1, survey “relationship_nps” to “all”: a start now reaches 4 clients.\n")
    table = [[cell.strip() for cell in re.split("[│┃]", line)] for line in shown.splitlines()[1:6]]
    assert [table[0], *table[2:]] == [["tier", "English", "Chinese (Simplified)", "all"],
                                      ["Mid-tier", "2", "1", "3"], ["High-net-worth", "1", "0", "1"],
                                      ["all", "3", "1", "4"]], shown
    assert "Left out: 1 client of the audience.\n  1  never bound:" in shown
    assert "What C02 would read, in English:\nHow are we doing?\nWe would like to hear how our service" in shown
    assert "What C01 would read, in Chinese (Simplified):\n" in shown
    assert "我们希望了解您对我们服务的感受" in shown
    assert "  [0]  [1]  [2]  [3]  [4]  [5]\n  [6]  [7]  [8]  [9]  [10]\n" in shown
    assert shown.endswith("Preview: nothing was written or sent.\n")
    campaigns, recipients, outbox = asyncio.run(_read(database_url))
    assert ([c.status.value for c in campaigns], recipients, outbox) == (["draft"], 0, [])
