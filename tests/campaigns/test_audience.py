"""Audiences: the expression an operator writes (each bad term one sentence naming it, with a did-you-mean), the
clients it selects from the latest tier states, and those it leaves out, each counted once under the first reason
in order, in the locale the chat would use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from support.campaign_world import EVALUATED_ON, World, strategy_file

from bot.accounts import load_reader
from bot.campaigns.audience import (
    Audience,
    AudienceError,
    Exclusion,
    Resolution,
    UnknownProducts,
    exclusions_for,
    parse_audience,
    resolve_audience,
)
from bot.campaigns.consent import record_consent
from bot.campaigns.content import load_strategy, template_ids
from bot.campaigns.messages import unsuitable
from bot.campaigns.service import Started, create_campaign, start_campaign
from bot.config import CampaignSettings, FirmSettings, Settings
from bot.db.models import CampaignKind, Client, OutboxStatus
from bot.i18n import use_locale
from bot.scoring import load_rules
from bot.telegram import reader_locale
from bot.workspace.book import expired_by
from tiering import Dimension, risk_assessment_status

RULES = load_rules(None)
NOW = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)  # noon in Shanghai
SETTINGS = Settings(firm=FirmSettings(default_locale="en"))


# --- the expression ------------------------------------------------------------------------------------


def test_every_key_with_comma_lists_and_risk_and_above() -> None:
    audience = parse_audience("tier=mid,high_net_worth  lifecycle=growth,new locale=zh_Hans risk=C1,c4+ "
                              "adviser=A001,A002 loyalty=potential_churn changed_since=2026-10-01", RULES)
    assert audience == Audience(
        "tier=mid,high_net_worth lifecycle=growth,new locale=zh_Hans risk=C1,c4+ adviser=A001,A002 "
        "loyalty=potential_churn changed_since=2026-10-01",
        tiers=("mid", "high_net_worth"),
        segments=((Dimension.LIFECYCLE, ("growth", "new")), (Dimension.LOYALTY, ("potential_churn",))),
        locales=("zh_Hans",), risk_levels=(1, 4, 5), advisers=("A001", "A002"), changed_since=date(2026, 10, 1))
    assert not audience.everyone
    assert parse_audience(" all ", RULES).everyone
    assert parse_audience("asset_size=high_net_worth activity=high_frequency complexity=diverse_needs",
                          RULES).segments == ((Dimension.ASSET_SIZE, ("high_net_worth",)),
                                              (Dimension.ACTIVITY, ("high_frequency",)),
                                              (Dimension.COMPLEXITY, ("diverse_needs",)))


@pytest.mark.parametrize(("text", "sentence"), [
    ("", "The audience is empty: write terms such as “tier=mid lifecycle=growth”, or “all” for every scored "
         "client."),
    ("tier=mdi", "“tier=mdi”: there is no tier “mdi” (did you mean “mid”?); the tiers are ordinary, mid, "
                 "high_net_worth."),
    ("tierr=mid lifecycle=growth", "“tierr=mid”: there is no key “tierr” (did you mean “tier”?); the keys are tier, "
                                   "asset_size, activity, lifecycle, complexity, loyalty, locale, risk, adviser, "
                                   "changed_since."),
    ("tier=mid lifecycle=grwth", "“lifecycle=grwth”: “grwth” is not a segment of lifecycle (did you mean "
                                 "“growth”?); its segments are new, growth, mature, decline."),
    ("activity=mid", "“activity=mid”: “mid” is not a segment of activity; its segments are low_frequency, "
                     "high_frequency."),
    ("locale=zh", "“locale=zh”: there is no locale “zh” (did you mean “zh_Hans”?); the locales are en, zh_Hans, "
                  "zh_Hant."),
    ("locale=fr", "“locale=fr”: there is no locale “fr”; the locales are en, zh_Hans, zh_Hant."),
    ("risk=C6", "“risk=C6”: “C6” is not a risk level: write C1 to C5, or C3+ for C3 and above."),
    ("risk=R3", "“risk=R3”: “R3” is not a risk level: write C1 to C5, or C3+ for C3 and above."),
    ("mid", "“mid” is not a term: write key=value, such as tier=mid, or “all” alone."),
    ("all tier=mid", "“all” stands alone: it is every scored client, and takes no other term."),
    ("tier=mid tier=ordinary", "“tier” is given twice: give its values once, as a comma list such as "
                               "tier=ordinary,mid."),
    ("lifecycle=new lifecycle=growth", "“lifecycle” is given twice: give its values once, as a comma list such as "
                                       "lifecycle=new,growth."),
    ("changed_since=2026-10-01 changed_since=2026-11-01", "“changed_since” is given twice: it takes one date."),
    ("tier=", "“tier=”: give a value after “=”, or several separated by commas."),
    ("tier=mid,,ordinary", "“tier=mid,,ordinary”: give a value after “=”, or several separated by commas."),
    ("adviser=A0/1", "“adviser=A0/1”: “A0/1” is not an adviser id, such as A007."),
    ("changed_since=2026-13-01", "“changed_since=2026-13-01”: write the date as YYYY-MM-DD, e.g. "
                                 "changed_since=2026-10-01."),
    ("changed_since=2026-10-01,2026-11-01", "“changed_since=2026-10-01,2026-11-01”: changed_since takes one date."),
])
def test_a_bad_term_is_one_sentence_naming_it(text: str, sentence: str) -> None:
    with pytest.raises(AudienceError) as refused:
        parse_audience(text, RULES)
    assert str(refused.value) == sentence


def test_values_are_read_in_any_case_and_kept_as_the_rules_spell_them() -> None:
    audience = parse_audience("Tier=Mid,HIGH_NET_WORTH lifecycle=Growth LOCALE=zh-hans,EN risk=c3+", RULES)
    assert audience.tiers == ("mid", "high_net_worth")
    assert audience.segments == ((Dimension.LIFECYCLE, ("growth",)),)
    assert audience.locales == ("zh_Hans", "en")
    assert audience.risk_levels == (3, 4, 5)
    assert audience.text == "Tier=Mid,HIGH_NET_WORTH lifecycle=Growth LOCALE=zh-hans,EN risk=c3+"  # as typed
    assert parse_audience("All", RULES).everyone
    assert parse_audience("locale=ZH-HANT,zh_hans", RULES).locales == ("zh_Hant", "zh_Hans")


def test_the_sentence_speaks_the_current_locale() -> None:
    with use_locale("zh_Hans"), pytest.raises(AudienceError) as refused:
        parse_audience("tier=mdi", RULES)
    assert str(refused.value) == ("“tier=mdi”：没有等级“mdi”（是否想输入“mid”？）；可用的等级为 ordinary, mid, "
                                  "high_net_worth。")


def test_the_reasons_that_apply_to_each_kind_follow_the_engine_s_guard(tmp_path: Path) -> None:
    assert exclusions_for(CampaignKind.SURVEY, None) == (
        Exclusion.NEVER_BOUND, Exclusion.UNREACHABLE, Exclusion.SURVEYED_RECENTLY, Exclusion.ADVISER_DEPARTED,
        Exclusion.COMPLAINT_OPEN)
    plain = (Exclusion.NEVER_BOUND, Exclusion.UNREACHABLE, Exclusion.OPTED_OUT, Exclusion.CAPPED,
             Exclusion.ADVISER_DEPARTED)
    assert exclusions_for(CampaignKind.STRATEGY, load_strategy("seminars")) == plain
    # A strategy that recommends products needs a valid risk assessment even naming none
    # (tiering.require_risk_assessment drops it for a client without one); naming products, it also checks levels.
    advice = load_strategy("advice", strategy_file(tmp_path, "advice", strategy="portfolio_advice", products=()))
    assert exclusions_for(CampaignKind.STRATEGY, advice) == (*plain, Exclusion.NO_RISK_ASSESSMENT)
    news = load_strategy("news", strategy_file(tmp_path, "news", strategy="realtime_market_news", products=("F1",)))
    assert exclusions_for(CampaignKind.STRATEGY, news) == (*plain, Exclusion.ABOVE_RISK_LEVEL,
                                                           Exclusion.NO_RISK_ASSESSMENT)


# --- resolution ----------------------------------------------------------------------------------------


async def _resolve(engine: AsyncEngine, text: str, *, kind: CampaignKind = CampaignKind.SURVEY,
                   settings: Settings = SETTINGS, directory: Path | None = None, template: str = "seminars",
                   now: datetime = NOW, not_before: datetime | None = None) -> Resolution:
    message = load_strategy(template, directory) if kind is CampaignKind.STRATEGY else None
    async with engine.connect() as connection:
        return await resolve_audience(connection, parse_audience(text, RULES), kind=kind, message=message,
                                      settings=settings, now=now, not_before=not_before, rules=RULES)


def _ids(resolution: Resolution) -> list[str]:
    return [recipient.client_id for recipient in resolution.recipients]


@pytest.mark.db
async def test_each_key_selects_from_the_latest_tier_states(engine: AsyncEngine) -> None:
    world = World(engine)
    await world.adviser("A001")
    await world.adviser("A002")
    await world.client("C01", tier="mid", lifecycle="growth", locale="zh_Hans")
    await world.client("C02", tier="mid", lifecycle="mature", risk_level=5)
    await world.client("C03", tier="high_net_worth", asset_size="high_net_worth", adviser="A002", risk_level=1)
    await world.client("C04", tier="ordinary", asset_size="ordinary", loyalty="potential_churn", risk_level=None)
    await world.client("C05", tier="ordinary", activity="high_frequency", complexity="diverse_needs", risk_level=4)
    await world.tier_changed("C04", run_on=EVALUATED_ON, before="mid", after="ordinary")
    await world.tier_changed("C05", run_on=date(2026, 9, 30), before="mid", after="ordinary")

    assert _ids(await _resolve(engine, "all")) == ["C01", "C02", "C03", "C04", "C05"]
    assert _ids(await _resolve(engine, "tier=mid")) == ["C01", "C02"]
    assert _ids(await _resolve(engine, "tier=mid,high_net_worth lifecycle=mature")) == ["C02", "C03"]
    assert _ids(await _resolve(engine, "locale=zh_Hans")) == ["C01"]
    assert _ids(await _resolve(engine, "locale=en tier=mid")) == ["C02"]
    assert _ids(await _resolve(engine, "risk=C4+")) == ["C02", "C05"]
    assert _ids(await _resolve(engine, "risk=C1,C3")) == ["C01", "C03"]
    assert _ids(await _resolve(engine, "adviser=A002")) == ["C03"]
    assert _ids(await _resolve(engine, "asset_size=ordinary loyalty=potential_churn")) == ["C04"]
    assert _ids(await _resolve(engine, "activity=high_frequency complexity=diverse_needs")) == ["C05"]
    assert _ids(await _resolve(engine, f"changed_since={EVALUATED_ON.isoformat()}")) == ["C04"]  # that day counts
    assert _ids(await _resolve(engine, "changed_since=2026-09-30")) == ["C04", "C05"]
    assert _ids(await _resolve(engine, "changed_since=2026-11-01")) == []

    (first, *_rest) = (await _resolve(engine, "tier=mid")).recipients
    assert (first.client_id, first.telegram_user_id, first.tier, first.locale, first.adviser_id, first.timezone) == (
        "C01", world.accounts["C01"], "mid", "zh_Hans", "A001", None)
    assert first.segments == {"asset_size": "mid", "activity": "low_frequency", "lifecycle": "growth",
                              "complexity": "single_need", "loyalty": "loyal"}


@pytest.mark.db
async def test_a_client_not_scored_yet_is_in_no_audience(engine: AsyncEngine) -> None:
    world = World(engine)
    await world.adviser("A001")
    await world.client("C01")
    async with engine.begin() as connection:
        await connection.execute(insert(Client).values(client_id="C02", name="New", adviser_id="A001",
                                                       onboarded_on=EVALUATED_ON))
    resolution = await _resolve(engine, "all")
    assert _ids(resolution) == ["C01"]
    assert resolution.excluded == 0


async def _previous_campaign(engine: AsyncEngine, kind: CampaignKind, template: str, audience: str, at: datetime,
                             not_before: datetime | None = None) -> int:
    return (await _started(engine, kind, template, audience, at, not_before)).campaign.id


async def _started(engine: AsyncEngine, kind: CampaignKind, template: str, audience: str, at: datetime,
                   not_before: datetime | None = None) -> Started:
    """A campaign created and started at `at` (sent from `not_before`), as the CLI's `create` then `start` do."""
    async with AsyncSession(engine) as session, session.begin():
        campaign = await create_campaign(session, kind=kind, template=template, audience=audience,
                                         not_before=not_before, created_by="tests", now=at, rules=RULES)
        return await start_campaign(session, campaign.id, settings=SETTINGS, now=at, rules=RULES)


@pytest.mark.db
async def test_each_survey_exclusion_with_a_client_that_hits_it_and_the_first_reason_counted(
        engine: AsyncEngine) -> None:
    world = World(engine)
    for adviser_id in ("A001", "A002"):
        await world.adviser(adviser_id)
    await world.adviser("A009", left_on=date(2026, 6, 30))
    await world.client("C01")  # reached
    await world.client("C02", bound=False)  # never bound
    await world.client("C03", blocked=True)  # unreachable
    await world.client("C04", blocked=True, adviser="A009", complaint_open=True)  # unreachable first
    for surveyed in ("C05", "C06", "C07", "C08", "C09", "C16"):
        await world.client(surveyed, adviser="A002")
    await world.client("C10", adviser="A009")  # adviser departed
    await world.client("C11", complaint_open=True)  # complaint open
    await world.client("C12", complaint_open=False)  # no complaint open: reached
    await world.client("C13", adviser="A009", complaint_open=True)  # departed first
    await world.client("C14", adviser=None)  # no adviser at all: reached
    # A survey 30 days ago (the interval is 90) to A002's clients: it reached some, and some it never reached.
    earlier = await _previous_campaign(engine, CampaignKind.SURVEY, "relationship_nps", "adviser=A002",
                                       NOW - timedelta(days=30))
    await world.end_message(earlier, "C06", OutboxStatus.UNREACHABLE)
    await world.end_message(earlier, "C07", OutboxStatus.FAILED)
    await world.end_message(earlier, "C08", OutboxStatus.SENT, message_id=None)  # nothing left to say, or closed
    await world.end_message(earlier, "C09", OutboxStatus.SENT, message_id=41, sent_at=NOW - timedelta(days=29))
    # C05's is still pending: it may reach them yet. C16 complained since: surveyed comes first.
    async with engine.begin() as connection:
        await connection.execute(update(Client).where(Client.client_id == "C16").values(complaint_open=True))

    resolution = await _resolve(engine, "all")
    assert _ids(resolution) == ["C01", "C06", "C07", "C08", "C12", "C14"]
    assert resolution.exclusions == {
        Exclusion.NEVER_BOUND: 1, Exclusion.UNREACHABLE: 2, Exclusion.SURVEYED_RECENTLY: 3,
        Exclusion.ADVISER_DEPARTED: 2, Exclusion.COMPLAINT_OPEN: 1}
    assert list(resolution.exclusions) == list(exclusions_for(CampaignKind.SURVEY, None))
    assert resolution.excluded == 9


@pytest.mark.db
async def test_departed_adviser_and_complaint_are_counted_after_fatigue(engine: AsyncEngine) -> None:
    world = World(engine)
    await world.adviser("A001")
    await world.adviser("A009", left_on=NOW.date())  # left today: gone
    await world.adviser("A010", left_on=NOW.date() + timedelta(days=1))  # leaves tomorrow: still with the firm
    await world.client("C01", adviser="A009", complaint_open=True)
    await world.client("C02", adviser="A010", complaint_open=True)
    await world.client("C03", adviser="A010")
    resolution = await _resolve(engine, "all")
    assert _ids(resolution) == ["C03"]
    assert resolution.exclusions[Exclusion.ADVISER_DEPARTED] == 1
    assert resolution.exclusions[Exclusion.COMPLAINT_OPEN] == 1


@pytest.mark.db
async def test_each_strategy_exclusion_in_order(engine: AsyncEngine, tmp_path: Path) -> None:
    world = World(engine)
    for adviser_id in ("A001", "A002", "A003"):
        await world.adviser(adviser_id)
    await world.adviser("A009", left_on=date(2026, 6, 30))
    await world.product("F2", risk_level=2)
    await world.product("F4", risk_level=4)
    lapsed_on = expired_by(NOW.date(), RULES.suitability.assessment_valid_months)
    await world.client("C01", risk_level=4, adviser="A003")  # reached (a message 15 days ago: out of the window)
    await world.client("C02", bound=False)
    await world.client("C03", blocked=True, risk_level=1)  # unreachable before above its level
    await world.client("C04", risk_level=4)  # opted out
    await world.client("C05", adviser="A009")  # opted out before departed
    await world.client("C06", risk_level=4, adviser="A002")  # capped: a message 13 days ago (one per 14 days)
    await world.client("C07", adviser="A009", risk_level=4)  # departed
    await world.client("C08", risk_level=3)  # above: F4 is R4
    await world.client("C09", risk_level=2, assessed_on=lapsed_on)  # above before lapsed
    await world.client("C10", risk_level=None)  # no level
    await world.client("C11", risk_level=5, assessed_on=lapsed_on)  # lapsed
    await world.client("C12", risk_level=5, assessed_on=lapsed_on + timedelta(days=1))  # valid one more day
    await world.client("C13", risk_level=4, complaint_open=True)  # a complaint does not hold marketing
    await world.client("C14", risk_level=4)  # refused, then allowed again
    async with engine.begin() as connection:
        for client_id, granted, hours in (("C04", False, 5), ("C05", False, 5), ("C14", False, 6), ("C14", True, 5)):
            assert await record_consent(connection, client_id, granted=granted, channel="telegram:command",
                                        text_version="test", now=NOW - timedelta(hours=hours))
    await _previous_campaign(engine, CampaignKind.STRATEGY, "seminars", "adviser=A003", NOW - timedelta(days=15))
    await _previous_campaign(engine, CampaignKind.STRATEGY, "seminars", "adviser=A002", NOW - timedelta(days=13))
    directory = strategy_file(tmp_path, "growth_funds", strategy="portfolio_advice", products=("F2", "F4"))

    resolution = await _resolve(engine, "all", kind=CampaignKind.STRATEGY, directory=directory,
                                template="growth_funds")
    assert _ids(resolution) == ["C01", "C12", "C13", "C14"]
    assert resolution.exclusions == {
        Exclusion.NEVER_BOUND: 1, Exclusion.UNREACHABLE: 1, Exclusion.OPTED_OUT: 2, Exclusion.CAPPED: 1,
        Exclusion.ADVISER_DEPARTED: 1, Exclusion.ABOVE_RISK_LEVEL: 2, Exclusion.NO_RISK_ASSESSMENT: 2}
    # The engine reads the two assessments on the edge alike.
    months = RULES.suitability.assessment_valid_months
    assert risk_assessment_status(5, lapsed_on, NOW.date(), months) == "expired"
    assert risk_assessment_status(5, lapsed_on + timedelta(days=1), NOW.date(), months) is None
    # A message naming no product, serving a strategy that recommends none, asks for neither.
    seminars = await _resolve(engine, "all", kind=CampaignKind.STRATEGY)
    assert _ids(seminars) == ["C01", "C08", "C09", "C10", "C11", "C12", "C13", "C14"]


@pytest.mark.db
async def test_a_strategy_naming_a_product_the_database_lacks_is_one_sentence(engine: AsyncEngine,
                                                                            tmp_path: Path) -> None:
    world = World(engine)
    await world.adviser("A001")
    await world.product("F2", risk_level=2)
    await world.client("C01")
    directory = strategy_file(tmp_path, "shelf", strategy="low_threshold_products", products=("F2", "ZZ9", "ZZ8"))
    with pytest.raises(UnknownProducts) as refused:
        await _resolve(engine, "all", kind=CampaignKind.STRATEGY, directory=directory, template="shelf")
    assert str(refused.value) == ("The strategy message “shelf” names products the database does not hold: ZZ9, ZZ8; "
                                  "import them with the firm's products.csv first.")


@pytest.mark.db
@pytest.mark.parametrize("default", ["en", "zh_Hans", "zh_Hant"])
async def test_the_reader_locale_is_the_chat_s(engine: AsyncEngine, default: str) -> None:
    """The account's /language choice, else the firm's record of the client, else the firm's default: as
    bot.telegram.reader_locale reads it for a push (no Telegram app to ask); the audience's locale filter too."""
    world = World(engine)
    await world.adviser("A001")
    await world.client("C01", locale="en", chosen="zh_Hans")
    await world.client("C02", locale="zh_Hans", chosen="en")
    await world.client("C03", locale="zh_Hans")
    await world.client("C04", locale="en")
    await world.client("C05", locale=None)
    await world.client("C06", locale=None, chosen="zh_Hans")
    await world.client("C07", locale="zh_Hant")
    await world.client("C08", locale="zh_Hans", chosen="zh_Hant")
    await world.client("C09", locale="zh_Hant", chosen="en")
    settings = Settings(firm=FirmSettings(default_locale=default))  # type: ignore[arg-type]
    resolution = await _resolve(engine, "all", settings=settings)
    read = {recipient.client_id: recipient.locale for recipient in resolution.recipients}
    assert read == {"C01": "zh_Hans", "C02": "en", "C03": "zh_Hans", "C04": "en", "C05": default, "C06": "zh_Hans",
                    "C07": "zh_Hant", "C08": "zh_Hant", "C09": "en"}
    async with AsyncSession(engine) as session:
        for client_id, locale in read.items():
            reader = await load_reader(session, world.accounts[client_id])
            assert await reader_locale(reader, None, None, default) == locale
    chinese = _ids(await _resolve(engine, "locale=zh_Hans", settings=settings))
    assert chinese == sorted(client for client, locale in read.items() if locale == "zh_Hans")
    traditional = _ids(await _resolve(engine, "locale=zh_Hant", settings=settings))
    assert traditional == sorted(client for client, locale in read.items() if locale == "zh_Hant")


@pytest.mark.db
async def test_a_client_with_several_accounts_is_one_recipient_on_the_account_that_reaches_them(
        engine: AsyncEngine) -> None:
    world = World(engine)
    await world.adviser("A001")
    await world.client("C01", bound=False)
    older = await world.bind("C01", bound_at=NOW - timedelta(days=20))
    await world.bind("C01", blocked=True, bound_at=NOW - timedelta(days=1))  # the newest blocked the bot
    await world.client("C02", blocked=True)
    await world.bind("C02", blocked=True)
    resolution = await _resolve(engine, "all")
    assert [(r.client_id, r.telegram_user_id) for r in resolution.recipients] == [("C01", older)]
    assert resolution.exclusions[Exclusion.UNREACHABLE] == 1


@pytest.mark.db
async def test_fatigue_follows_the_settings(engine: AsyncEngine) -> None:
    world = World(engine)
    await world.adviser("A001")
    await world.client("C01")
    await _previous_campaign(engine, CampaignKind.SURVEY, "relationship_nps", "all", NOW - timedelta(days=30))
    assert (await _resolve(engine, "all")).exclusions[Exclusion.SURVEYED_RECENTLY] == 1
    monthly = Settings(firm=FirmSettings(default_locale="en"), campaign=CampaignSettings(survey_interval_days=29))
    assert _ids(await _resolve(engine, "all", settings=monthly)) == ["C01"]
    await _previous_campaign(engine, CampaignKind.STRATEGY, "seminars", "all", NOW - timedelta(days=3))
    two = Settings(firm=FirmSettings(default_locale="en"), campaign=CampaignSettings(marketing_cap=2))
    assert _ids(await _resolve(engine, "all", kind=CampaignKind.STRATEGY, settings=two)) == ["C01"]
    assert _ids(await _resolve(engine, "all", kind=CampaignKind.STRATEGY)) == []


@pytest.mark.db
async def test_fatigue_counts_from_when_the_messages_go_before_and_after(engine: AsyncEngine) -> None:
    world = World(engine)
    await world.adviser("A001")
    await world.client("C01")
    # Strategy A started now to go out in 20 days (--at); strategy B started in 15 days goes 5 days before A: capped.
    await _previous_campaign(engine, CampaignKind.STRATEGY, "seminars", "all", NOW, not_before=NOW + timedelta(days=20))
    later = await _started(engine, CampaignKind.STRATEGY, "seminars", "all", NOW + timedelta(days=15))
    assert (later.recipients, later.exclusions[Exclusion.CAPPED]) == (0, 1)
    # Started today, B would go 20 days before A, out of its 14-day window; sent from 30 days on, 10 after A.
    assert _ids(await _resolve(engine, "all", kind=CampaignKind.STRATEGY)) == ["C01"]
    assert _ids(await _resolve(engine, "all", kind=CampaignKind.STRATEGY, not_before=NOW + timedelta(days=30))) == []
    # A survey sent from 100 days on goes 80 days after one started now to go out in 20 (the interval is 90); sent
    # from 111 days on, 91 days after it.
    await _previous_campaign(engine, CampaignKind.SURVEY, "relationship_nps", "all", NOW,
                             not_before=NOW + timedelta(days=20))
    assert (await _resolve(engine, "all", not_before=NOW + timedelta(days=100))).exclusions[
        Exclusion.SURVEYED_RECENTLY] == 1
    assert _ids(await _resolve(engine, "all", not_before=NOW + timedelta(days=111))) == ["C01"]


@pytest.mark.db
async def test_the_audience_and_the_send_agree_on_who_needs_a_risk_assessment(engine: AsyncEngine) -> None:
    world = World(engine)
    await world.adviser("A001")
    shelf = {"FD01": 1, "FD05": 3, "WM01": 2}  # what the shipped messages name
    for product_id, level in shelf.items():
        await world.product(product_id, risk_level=level)
    await world.client("C01", risk_level=None)  # never assessed
    needs = {}
    for template in template_ids(CampaignKind.STRATEGY):
        resolution = await _resolve(engine, "all", kind=CampaignKind.STRATEGY, template=template)
        kept_out = resolution.exclusions.get(Exclusion.NO_RISK_ASSESSMENT, 0) == 1
        assert kept_out is (not resolution.recipients), template
        why_not = unsuitable(load_strategy(template), risk_level=None, assessed_on=None, products=shelf,
                             today=NOW.date(), valid_months=RULES.suitability.assessment_valid_months)
        assert (why_not == "missing") is kept_out, template
        assert why_not in (None, "missing"), template
        needs[template] = kept_out
    # Naming products (portfolio_advice, self_service) or serving a strategy that recommends them
    # (integrated_planning) needs one; the others do not.
    assert sorted(template for template, kept_out in needs.items() if kept_out) == [
        "integrated_planning", "portfolio_advice", "self_service"]
