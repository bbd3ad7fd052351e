"""A campaign from draft to close, in units of work as the CLI and the chat run them: each bad request one sentence
that writes nothing, a start that queues one outbox row per recipient in one transaction (held through quiet hours
on each recipient's clock, and until --at), a second or racing start that adds nothing, the state rules of pause,
resume and close, surveys that close themselves, and the progress figures."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from support.campaign_world import World, strategy_file
from support.paths import REPOSITORY

from bot.campaigns import STRATEGY_KIND, SURVEY_KIND
from bot.campaigns.audience import Exclusion
from bot.campaigns.consent import record_consent
from bot.campaigns.content import load_survey
from bot.campaigns.service import (
    CLOSED_ERROR,
    CampaignError,
    campaign_status,
    close_campaign,
    close_ended_surveys,
    create_campaign,
    get_campaign,
    list_campaigns,
    pause_campaign,
    preview_campaign,
    resume_campaign,
    start_campaign,
    survey_open,
)
from bot.config import DeliverySettings, FirmSettings, Settings
from bot.db import session_factory, unit_of_work
from bot.db.models import (
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    OutboxMessage,
    OutboxStatus,
    SurveyAnswer,
    SurveyScale,
)
from bot.scoring import load_rules

POSTGRES_URL = os.environ.get("TIERBOT_TEST_POSTGRES_URL")  # as tests/conftest.py reads it
pytestmark = pytest.mark.db

T = TypeVar("T")
RULES = load_rules(None)
# 20:00 in Shanghai (the firm's zone), 07:00 in New York: quiet hours there until 08:00, 13:00 UTC.
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
SETTINGS = Settings(firm=FirmSettings(default_locale="en", timezone="Asia/Shanghai"),
                    delivery=DeliverySettings(quiet_hours="21:00-08:00"))
# A survey whose second question is missing in Chinese.
NPS_SURVEY = """questions = [{ id = "recommend", scale = "nps" }, { id = "ease", scale = "ces" }]

[en]
title = "How are we doing?"
intro = "A minute of your time."
[en.questions.recommend]
text = "How likely are you to recommend us?"
low = "Not at all likely"
high = "Extremely likely"
[en.questions.ease]
text = "The firm made it easy for me to handle my request."
low = "Strongly disagree"
high = "Strongly agree"

[zh_Hans]
title = "我们做得怎么样？"
intro = "占用您一分钟。"
[zh_Hans.questions.recommend]
text = "您有多大可能向朋友推荐我们？"
low = "完全不可能"
high = "非常可能"

[zh_Hant]
title = "我們做得怎麼樣？"
intro = "佔用您一分鐘。"
[zh_Hant.questions.recommend]
text = "您有多大可能向朋友推薦我們？"
low = "完全不可能"
high = "非常可能"
[zh_Hant.questions.ease]
text = "公司讓我輕鬆辦好了我的事。"
low = "非常不同意"
high = "非常同意"
"""


async def _unit(engine: AsyncEngine, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` in one unit of work, as a command runs it: committed when it returns, rolled back when it raises."""
    async with unit_of_work(session_factory(engine)) as command:
        return await work(command.session)


async def _create(engine: AsyncEngine, *, kind: CampaignKind = CampaignKind.SURVEY, template: str = "relationship_nps",
                  audience: str = "all", not_before: datetime | None = None, directory: Path | None = None,
                  now: datetime = NOW) -> int:
    async def work(session: AsyncSession) -> int:
        return (await create_campaign(session, kind=kind, template=template, audience=audience,
                                      not_before=not_before, created_by="tests", now=now, rules=RULES,
                                      directory=directory)).id
    return await _unit(engine, work)


async def _start(engine: AsyncEngine, campaign_id: int, *, now: datetime = NOW, settings: Settings = SETTINGS,
                 directory: Path | None = None) -> object:
    return await _unit(engine, lambda session: start_campaign(session, campaign_id, settings=settings, now=now,
                                                              rules=RULES, directory=directory))


async def _counts(engine: AsyncEngine) -> tuple[int, ...]:
    """Campaigns, recipients and outbox rows in the database."""
    async with engine.connect() as connection:
        return tuple([(await connection.execute(select(func.count()).select_from(table))).scalar_one()
                      for table in (Campaign, CampaignRecipient, OutboxMessage)])


async def _refused(engine: AsyncEngine, work: Callable[[AsyncSession], Awaitable[object]]) -> str:
    with pytest.raises(CampaignError) as refused:
        await _unit(engine, work)
    return str(refused.value)


async def _firm(engine: AsyncEngine) -> World:
    world = World(engine)
    await world.adviser("A001")
    await world.client("C01", tier="mid", locale="zh_Hans")
    await world.client("C02", tier="mid", locale="en", timezone="America/New_York")
    await world.client("C03", tier="high_net_worth", locale="en", asset_size="high_net_worth")
    await world.client("C04", tier="ordinary", locale="zh_Hans", chosen="en")
    await world.client("C05", tier="ordinary", bound=False)
    await world.client("C06", tier="mid", complaint_open=True)
    return world


async def test_create_checks_the_template_the_audience_and_the_time_before_writing(
        engine: AsyncEngine, tmp_path: Path) -> None:
    await _firm(engine)
    incomplete = tmp_path / "surveys"
    incomplete.mkdir()
    (incomplete / "pulse.toml").write_text(NPS_SURVEY, encoding="utf-8")
    strategies = strategy_file(tmp_path / "strategies", "shelf", strategy="low_threshold_products",
                               products=("ZZ1",))

    def create(**options: object) -> Callable[[AsyncSession], Awaitable[object]]:
        arguments: dict[str, object] = {"kind": CampaignKind.SURVEY, "template": "relationship_nps",
                                        "audience": "tier=mid", "not_before": None, "created_by": "tests",
                                        "now": NOW, "rules": RULES, **options}
        return lambda session: create_campaign(session, **arguments)  # type: ignore[arg-type]

    assert await _refused(engine, create(template="relationship_nsp")) == (
        "There is no survey “relationship_nsp” (did you mean “relationship_nps”?); there are: annual_review, "
        "effort_ces, relationship_nps, service_csat.")
    assert await _refused(engine, create(kind=CampaignKind.STRATEGY, template="relationship_nps")) == (
        "There is no strategy message “relationship_nps”; there are: dedicated_adviser, integrated_planning, "
        "introduction, periodic_reports, plans_conversation, portfolio_advice, premium_service, "
        "realtime_market_news, retention_outreach, self_service, seminars, value_added_service.")
    missing = await _refused(engine, create(template="pulse", directory=incomplete))
    assert missing.startswith(str(incomplete / "pulse.toml")), missing
    assert "zh_Hans.questions.ease: is missing (every question is given in every locale" in missing, missing
    assert await _refused(engine, create(audience="tier=mid lifecyle=growth")) == (
        "“lifecyle=growth”: there is no key “lifecyle” (did you mean “lifecycle”?); the keys are tier, asset_size, "
        "activity, lifecycle, complexity, loyalty, locale, risk, adviser, changed_since.")
    assert await _refused(engine, create(audience="adviser=A010")) == (
        "“adviser=A010”: there is no adviser “A010” (did you mean “A001”?).")
    assert await _refused(engine, create(kind=CampaignKind.STRATEGY, template="shelf", directory=strategies)) == (
        "The strategy message “shelf” names products the database does not hold: ZZ1; import them with the firm's "
        "products.csv first.")
    assert await _refused(engine, create(not_before=NOW - timedelta(minutes=1))) == (
        "The time to send from has passed: give a later one, or none to send as soon as the campaign starts.")
    assert await _counts(engine) == (0, 0, 0)

    at = NOW + timedelta(days=1)
    created = await _unit(engine, create(audience="  tier=mid   locale=en ", not_before=at))
    assert (created.kind, created.template, created.audience, created.status, created.not_before,  # type: ignore[attr-defined]
            created.created_by, created.started_at) == (  # type: ignore[attr-defined]
        CampaignKind.SURVEY, "relationship_nps", "tier=mid locale=en", CampaignStatus.DRAFT, at, "tests", None)
    assert await _counts(engine) == (1, 0, 0)


async def test_preview_counts_by_tier_and_locale_with_a_sample_per_locale_and_writes_nothing(
        engine: AsyncEngine) -> None:
    world = await _firm(engine)
    await world.client("C07", tier="high_net_worth", locale="zh_Hant")
    campaign_id = await _create(engine)
    preview = await _unit(engine, lambda session: preview_campaign(session, campaign_id, settings=SETTINGS, now=NOW,
                                                                   rules=RULES))
    assert preview.recipients == 5
    assert preview.by_tier_locale == {("mid", "zh_Hans"): 1, ("mid", "en"): 1, ("high_net_worth", "en"): 1,
                                      ("ordinary", "en"): 1, ("high_net_worth", "zh_Hant"): 1}
    assert preview.exclusions == {Exclusion.NEVER_BOUND: 1, Exclusion.UNREACHABLE: 0,
                                  Exclusion.SURVEYED_RECENTLY: 0, Exclusion.ADVISER_DEPARTED: 0,
                                  Exclusion.COMPLAINT_OPEN: 1}
    assert [(sample.locale, sample.client_id) for sample in preview.samples] == [("en", "C02"), ("zh_Hans", "C01"),
                                                                                ("zh_Hant", "C07")]
    assert await _counts(engine) == (1, 0, 0)
    assert (await _unit(engine, lambda session: get_campaign(session, campaign_id))).status is CampaignStatus.DRAFT


async def test_start_queues_one_row_per_recipient_in_one_transaction(engine: AsyncEngine) -> None:
    world = await _firm(engine)
    campaign_id = await _create(engine)
    started = await _start(engine, campaign_id)
    assert started.recipients == 4  # type: ignore[attr-defined]
    assert started.exclusions == {  # type: ignore[attr-defined]
        Exclusion.NEVER_BOUND: 1, Exclusion.UNREACHABLE: 0, Exclusion.SURVEYED_RECENTLY: 0,
        Exclusion.ADVISER_DEPARTED: 0, Exclusion.COMPLAINT_OPEN: 1}
    campaign = await _unit(engine, lambda session: get_campaign(session, campaign_id))
    assert (campaign.status, campaign.started_at, campaign.content_digest) == (
        CampaignStatus.RUNNING, NOW, load_survey("relationship_nps").digest)
    assert campaign.exclusions == started.exclusions  # type: ignore[attr-defined]

    rows = await world.outbox()
    assert [(row.kind, row.telegram_user_id, row.payload, row.dedupe_key, row.campaign_id, row.status, row.attempts)
            for row in rows] == [
        (SURVEY_KIND, world.accounts[client_id], {"campaign_id": campaign_id, "client_id": client_id},
         f"campaign:{campaign_id}:{client_id}", campaign_id, OutboxStatus.PENDING, 0)
        for client_id in ("C01", "C02", "C03", "C04")]
    async with AsyncSession(engine) as session:
        recipients = list(await session.scalars(select(CampaignRecipient).order_by(CampaignRecipient.client_id)))
    assert [(r.client_id, r.kind, r.telegram_user_id, r.tier, r.locale, r.adviser_id, r.queued_at, r.outbox_id)
            for r in recipients] == [
        ("C01", CampaignKind.SURVEY, world.accounts["C01"], "mid", "zh_Hans", "A001", NOW, rows[0].id),
        ("C02", CampaignKind.SURVEY, world.accounts["C02"], "mid", "en", "A001", NOW, rows[1].id),
        ("C03", CampaignKind.SURVEY, world.accounts["C03"], "high_net_worth", "en", "A001", NOW, rows[2].id),
        ("C04", CampaignKind.SURVEY, world.accounts["C04"], "ordinary", "en", "A001", NOW, rows[3].id)]
    assert recipients[2].segments == {"asset_size": "high_net_worth", "activity": "low_frequency",
                                      "lifecycle": "mature", "complexity": "single_need", "loyalty": "loyal"}


async def test_quiet_hours_are_read_on_each_recipient_s_clock_and_at_holds_everything(engine: AsyncEngine) -> None:
    world = await _firm(engine)
    now_id = await _create(engine, audience="tier=mid")
    started = await _start(engine, now_id)
    due = {row.payload["client_id"]: row.next_attempt_at for row in await world.outbox()}
    # 20:00 in Shanghai goes at once; 07:00 in New York waits for 08:00 there (EST: 13:00 UTC).
    assert due == {"C01": NOW, "C02": datetime(2026, 11, 10, 13, 0, tzinfo=UTC)}
    assert (started.first_send, started.held) == (NOW, 1)  # type: ignore[attr-defined]

    # --at 22:00 in Shanghai (quiet until 08:00 there) is 09:00 in New York (outside quiet hours there).
    at = datetime(2026, 11, 11, 14, 0, tzinfo=UTC)
    later_id = await _create(engine, kind=CampaignKind.STRATEGY, template="seminars", audience="tier=mid",
                             not_before=at)
    later = await _start(engine, later_id)
    due = {row.payload["client_id"]: row.next_attempt_at for row in await world.outbox()
           if row.campaign_id == later_id}
    # (C06's open complaint holds surveys only: a strategy message reaches them.)
    assert due == {"C01": datetime(2026, 11, 12, 0, 0, tzinfo=UTC), "C02": at,
                   "C06": datetime(2026, 11, 12, 0, 0, tzinfo=UTC)}
    assert {row.kind for row in await world.outbox() if row.campaign_id == later_id} == {STRATEGY_KIND}
    assert (later.first_send, later.held) == (at, 3)  # type: ignore[attr-defined]

    off = Settings(firm=FirmSettings(default_locale="en"), delivery=DeliverySettings(quiet_hours="off"))
    free_id = await _create(engine, kind=CampaignKind.STRATEGY, template="seminars", audience="tier=high_net_worth")
    await _start(engine, free_id, settings=off)
    assert [row.next_attempt_at for row in await world.outbox() if row.campaign_id == free_id] == [NOW]


async def test_a_second_start_adds_nothing_and_says_so(engine: AsyncEngine) -> None:
    await _firm(engine)
    campaign_id = await _create(engine)
    await _start(engine, campaign_id)
    before = await _counts(engine)
    assert await _refused(engine, lambda session: start_campaign(session, campaign_id, settings=SETTINGS, now=NOW,
                                                                 rules=RULES)) == (
        f"Campaign {campaign_id} has started already: starting it again adds nothing.")
    assert await _counts(engine) == before == (1, 4, 4)
    await _unit(engine, lambda session: pause_campaign(session, campaign_id))
    assert await _refused(engine, lambda session: start_campaign(session, campaign_id, settings=SETTINGS, now=NOW,
                                                                 rules=RULES)) == (
        f"Campaign {campaign_id} has started already (it is paused): starting it again adds nothing.")
    assert await _counts(engine) == before


@pytest.mark.skipif(POSTGRES_URL is None, reason="SQLite takes one writer at a time: starts cannot race there")
async def test_two_racing_starts_queue_once(engine: AsyncEngine) -> None:
    await _firm(engine)
    campaign_id = await _create(engine)
    gate = asyncio.Event()

    async def start() -> str:
        async with AsyncSession(engine) as session:
            try:
                async with session.begin():
                    await session.execute(select(Campaign.id).where(Campaign.id == campaign_id))  # both have begun
                    await gate.wait()
                    started = await start_campaign(session, campaign_id, settings=SETTINGS, now=NOW, rules=RULES)
                    await asyncio.sleep(0.2)  # holds its lock while the other start waits for it
                    return f"started {started.recipients}"
            except CampaignError as refused:
                return str(refused)

    racing = [asyncio.create_task(start()), asyncio.create_task(start())]
    await asyncio.sleep(0.1)
    gate.set()
    outcomes = sorted(await asyncio.gather(*racing))
    assert outcomes == sorted(["started 4", f"Campaign {campaign_id} has started already: starting it again adds "
                                            "nothing."])
    assert await _counts(engine) == (1, 4, 4)


async def test_pause_resume_and_close_move_only_where_they_may(engine: AsyncEngine) -> None:
    world = await _firm(engine)
    campaign_id = await _create(engine)

    def pause(session: AsyncSession) -> Awaitable[object]:
        return pause_campaign(session, campaign_id)

    def resume(session: AsyncSession) -> Awaitable[object]:
        return resume_campaign(session, campaign_id)

    def close(session: AsyncSession) -> Awaitable[object]:
        return close_campaign(session, campaign_id, now=NOW + timedelta(hours=2))

    assert await _refused(engine, pause) == f"Campaign {campaign_id} has not started: there is nothing to pause."
    assert await _refused(engine, resume) == f"Campaign {campaign_id} has not started: start it rather than resume it."
    await _start(engine, campaign_id)
    assert await _refused(engine, resume) == f"Campaign {campaign_id} is running: there is nothing to resume."
    assert (await _unit(engine, pause)).status is CampaignStatus.PAUSED  # type: ignore[attr-defined]
    assert await _refused(engine, pause) == f"Campaign {campaign_id} is paused already."
    assert (await _unit(engine, resume)).status is CampaignStatus.RUNNING  # type: ignore[attr-defined]

    await world.end_message(campaign_id, "C01", OutboxStatus.SENT, message_id=9, sent_at=NOW)
    await world.end_message(campaign_id, "C02", OutboxStatus.SENDING)  # a sender holds it: its renderer ends it
    closed = await _unit(engine, close)
    assert (closed.campaign.status, closed.campaign.closed_at, closed.stopped) == (  # type: ignore[attr-defined]
        CampaignStatus.CLOSED, NOW + timedelta(hours=2), 2)
    ended = {row.payload["client_id"]: (row.status, row.message_id, row.error) for row in await world.outbox()}
    assert ended == {"C01": (OutboxStatus.SENT, 9, None), "C02": (OutboxStatus.SENDING, None, None),
                     "C03": (OutboxStatus.SENT, None, CLOSED_ERROR), "C04": (OutboxStatus.SENT, None, CLOSED_ERROR)}
    for move, sentence in ((pause, "is closed: it sends nothing more, so there is nothing to pause."),
                           (resume, "is closed: it cannot be resumed."), (close, "is closed already.")):
        assert await _refused(engine, move) == f"Campaign {campaign_id} {sentence}"
    assert await _refused(engine, lambda session: start_campaign(session, campaign_id, settings=SETTINGS, now=NOW,
                                                                 rules=RULES)) == (
        f"Campaign {campaign_id} is closed: it cannot be started.")

    draft_id = await _create(engine)
    dropped = await _unit(engine, lambda session: close_campaign(session, draft_id, now=NOW))
    assert (dropped.campaign.status, dropped.stopped, dropped.campaign.started_at) == (  # type: ignore[attr-defined]
        CampaignStatus.CLOSED, 0, None)


async def test_an_unknown_campaign_is_one_sentence_everywhere(engine: AsyncEngine) -> None:
    for work in (lambda s: get_campaign(s, 999), lambda s: pause_campaign(s, 999), lambda s: resume_campaign(s, 999),
                 lambda s: close_campaign(s, 999, now=NOW), lambda s: campaign_status(s, 999, now=NOW),
                 lambda s: start_campaign(s, 999, settings=SETTINGS, now=NOW, rules=RULES),
                 lambda s: preview_campaign(s, 999, settings=SETTINGS, now=NOW, rules=RULES)):
        assert await _refused(engine, work) == "There is no campaign 999."
    assert await _counts(engine) == (0, 0, 0)


async def test_a_refusal_since_the_preview_keeps_the_client_out_of_the_start(engine: AsyncEngine) -> None:
    await _firm(engine)
    campaign_id = await _create(engine, kind=CampaignKind.STRATEGY, template="seminars", audience="tier=mid")
    preview = await _unit(engine, lambda s: preview_campaign(s, campaign_id, settings=SETTINGS, now=NOW, rules=RULES))
    assert (preview.recipients, preview.exclusions[Exclusion.OPTED_OUT]) == (3, 0)
    async with engine.begin() as connection:
        await record_consent(connection, "C01", granted=False, channel="telegram:word", text_version="test",
                             now=NOW + timedelta(minutes=1))
    started = await _start(engine, campaign_id, now=NOW + timedelta(minutes=2))
    assert (started.recipients, started.exclusions[Exclusion.OPTED_OUT]) == (2, 1)  # type: ignore[attr-defined]
    async with engine.connect() as connection:
        assert sorted((await connection.execute(select(CampaignRecipient.client_id))).scalars()) == ["C02", "C06"]


async def test_a_survey_closes_itself_when_its_answer_days_run_out(engine: AsyncEngine) -> None:
    world = await _firm(engine)
    days = SETTINGS.campaign.answer_days
    ended_id = await _create(engine, now=NOW - timedelta(days=days + 1))
    await _start(engine, ended_id, now=NOW - timedelta(days=days + 1))
    await world.end_message(ended_id, "C01", OutboxStatus.SENT, message_id=3)
    open_id = await _create(engine, audience="tier=high_net_worth", now=NOW - timedelta(days=days - 1))
    strategy_id = await _create(engine, kind=CampaignKind.STRATEGY, template="seminars",
                                now=NOW - timedelta(days=days + 5))
    await _start(engine, strategy_id, now=NOW - timedelta(days=days + 5))
    async with engine.begin() as connection:  # the open survey started yesterday minus its days plus one
        await connection.execute(update(Campaign).where(Campaign.id == open_id).values(
            status=CampaignStatus.RUNNING, started_at=NOW - timedelta(days=days - 1)))

    assert await _unit(engine, lambda s: close_ended_surveys(s, settings=SETTINGS, now=NOW)) == [ended_id]
    ended = await _unit(engine, lambda s: get_campaign(s, ended_id))
    assert (ended.status, ended.closed_at) == (CampaignStatus.CLOSED, NOW - timedelta(days=1))
    assert sorted(row.error or "" for row in await world.outbox() if row.campaign_id == ended_id) == [
        "", CLOSED_ERROR, CLOSED_ERROR, CLOSED_ERROR]
    assert {c.id: c.status for c in await _unit(engine, list_campaigns)} == {
        strategy_id: CampaignStatus.RUNNING, open_id: CampaignStatus.RUNNING, ended_id: CampaignStatus.CLOSED}
    assert await _unit(engine, lambda s: close_ended_surveys(s, settings=SETTINGS, now=NOW)) == []

    started = NOW - timedelta(days=days)
    assert survey_open(started, None, None, SETTINGS, NOW - timedelta(seconds=1))
    assert not survey_open(started, None, None, SETTINGS, NOW)
    assert not survey_open(None, None, None, SETTINGS, NOW)
    assert not survey_open(NOW, None, NOW, SETTINGS, NOW)
    assert survey_open(started, started + timedelta(days=1), None, SETTINGS, NOW)  # its days count from --at
    assert not survey_open(started, started + timedelta(days=1), None, SETTINGS, NOW + timedelta(days=1))


async def test_a_survey_sent_from_a_later_time_takes_answers_for_its_days_from_then(engine: AsyncEngine) -> None:
    await _firm(engine)
    days = SETTINGS.campaign.answer_days
    start, at = NOW - timedelta(days=days + 5), NOW - timedelta(days=days - 5)  # --at 10 days after the start
    survey_id = await _create(engine, not_before=at, now=start)
    await _start(engine, survey_id, now=start)

    assert await _unit(engine, lambda s: close_ended_surveys(s, settings=SETTINGS, now=NOW)) == []
    assert (await _unit(engine, lambda s: get_campaign(s, survey_id))).status is CampaignStatus.RUNNING
    later = NOW + timedelta(days=6)
    assert await _unit(engine, lambda s: close_ended_surveys(s, settings=SETTINGS, now=later)) == [survey_id]
    closed = await _unit(engine, lambda s: get_campaign(s, survey_id))
    assert (closed.status, closed.closed_at) == (CampaignStatus.CLOSED, at + timedelta(days=days))


async def test_status_counts_the_messages_by_how_they_ended_and_the_answers(engine: AsyncEngine) -> None:
    world = await _firm(engine)
    await world.client("C07", tier="mid")
    campaign_id = await _create(engine)
    await _start(engine, campaign_id)
    first, last = NOW + timedelta(minutes=1), NOW + timedelta(minutes=7)
    await world.end_message(campaign_id, "C01", OutboxStatus.SENT, message_id=11, sent_at=last)
    await world.end_message(campaign_id, "C03", OutboxStatus.SENT, message_id=12, sent_at=first)
    await world.end_message(campaign_id, "C04", OutboxStatus.UNREACHABLE)
    await world.end_message(campaign_id, "C07", OutboxStatus.SENT, message_id=None, sent_at=NOW + timedelta(hours=1))
    async with engine.begin() as connection:  # C02 (New York) waits for the end of its quiet hours
        await connection.execute(insert(SurveyAnswer), [
            {"campaign_id": campaign_id, "client_id": "C01", "question": question, "scale": SurveyScale.NPS,
             "rating": 9, "answered_at": last} for question in ("recommend", "again")])

    progress = await _unit(engine, lambda s: campaign_status(s, campaign_id, now=NOW + timedelta(minutes=30)))
    assert (progress.recipients, progress.delivered, progress.not_sent, progress.held, progress.answered,
            progress.last_sent_at, progress.paused) == (5, 2, 1, 1, 1, last, False)
    assert progress.by_status == {OutboxStatus.SENT: 3, OutboxStatus.UNREACHABLE: 1, OutboxStatus.PENDING: 1}
    assert (progress.delivered_rate, progress.response_rate) == (2 / 5, 1 / 2)
    await _unit(engine, lambda s: pause_campaign(s, campaign_id))
    paused = await _unit(engine, lambda s: campaign_status(s, campaign_id, now=NOW + timedelta(hours=2)))
    assert (paused.paused, paused.held) == (True, 0)

    strategy_id = await _create(engine, kind=CampaignKind.STRATEGY, template="seminars", audience="tier=ordinary")
    strategy = await _unit(engine, lambda s: campaign_status(s, strategy_id, now=NOW))
    assert (strategy.recipients, strategy.delivered, strategy.answered, strategy.delivered_rate,
            strategy.response_rate, strategy.last_sent_at) == (0, 0, None, None, None, None)


async def test_everything_a_start_writes_is_rolled_back_with_it(engine: AsyncEngine, tmp_path: Path) -> None:
    """A start that fails after its compare-and-set (the template's file has become unusable) leaves the draft as
    it was, and writes no row."""
    await _firm(engine)
    directory = tmp_path / "surveys"
    directory.mkdir()
    shipped = REPOSITORY / "templates" / "surveys" / "relationship_nps.toml"
    (directory / "pulse.toml").write_bytes(shipped.read_bytes())
    campaign_id = await _create(engine, template="pulse", directory=directory)
    (directory / "pulse.toml").write_text(NPS_SURVEY, encoding="utf-8")
    refused = await _refused(engine, lambda s: start_campaign(s, campaign_id, settings=SETTINGS, now=NOW,
                                                              rules=RULES, directory=directory))
    assert "zh_Hans.questions.ease" in refused
    assert await _counts(engine) == (1, 0, 0)
    assert (await _unit(engine, lambda s: get_campaign(s, campaign_id))).status is CampaignStatus.DRAFT
