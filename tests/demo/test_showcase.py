"""The demo as `tierbot demo` builds it (2,000 clients, seed 1, its month-ends scored): a tier mix like a real
advised book, and showcase ids that are what the demo says they are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts import AllowedClient, Reader, grant_access
from bot.db import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.db.models import Client, Role, TierState
from bot.demo import SCORED_MONTHS, Showcase, generate_demo_data, pick_showcase, scoring_dates
from bot.importer import import_path
from bot.scoring import load_rules, score_clients
from bot.standing import ClientStanding, TierCard, client_details, tier_card
from tiering import TierRules

DEMO_CLIENTS = 2_000  # as `tierbot demo`
AS_OF = date(2026, 10, 31)
RULES = load_rules(None)

in_the_module_loop = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True)
class ScoredDemo:
    engine: AsyncEngine
    showcase: Showcase


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ScoredDemo]:
    directory = tmp_path_factory.mktemp("demo")
    generate_demo_data(directory / "data", clients=DEMO_CLIENTS, seed=1, as_of=AS_OF)
    engine = create_engine(f"sqlite+aiosqlite:///{directory}/tierbot.sqlite3")
    await upgrade(engine)
    await import_path(engine, directory / "data", actor="tests")
    for month_end in scoring_dates(AS_OF):
        await score_clients(engine, RULES, as_of=month_end)
    yield ScoredDemo(engine, await pick_showcase(engine, RULES))
    await engine.dispose()


async def standing(engine: AsyncEngine, client_id: str, rules: TierRules) -> tuple[TierCard, ClientStanding]:
    """The client's card and details as the client reads them in the chat."""
    async with session_factory(engine)() as session:
        allowed = await grant_access(session, Reader(1, Role.CLIENT, client_id=client_id), None)
        assert isinstance(allowed, AllowedClient)
        card, details = await tier_card(session, allowed, rules), await client_details(session, allowed, rules)
    assert card is not None
    assert details is not None
    return card, details


def test_the_demo_scores_its_last_month_ends_oldest_first() -> None:
    assert SCORED_MONTHS == 3
    assert scoring_dates(date(2026, 10, 31)) == [date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31)]
    assert scoring_dates(date(2026, 3, 14)) == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 14)]


@in_the_module_loop
async def test_tiers_mix_like_an_advised_book(demo: ScoredDemo) -> None:
    async with demo.engine.connect() as connection:
        counts = dict((await connection.execute(select(TierState.tier, func.count()).group_by(TierState.tier))).all())
    assert sum(counts.values()) == DEMO_CLIENTS
    shares = {tier: count / DEMO_CLIENTS for tier, count in counts.items()}
    assert 0.70 <= shares["ordinary"] <= 0.82, shares
    assert 0.15 <= shares["mid"] <= 0.25, shares
    assert 0.03 <= shares["high_net_worth"] <= 0.08, shares


@in_the_module_loop
async def test_the_showcase_client_is_mid_tier_in_growth_with_a_gap_and_products(demo: ScoredDemo) -> None:
    assert demo.showcase.client is not None
    card, details = await standing(demo.engine, demo.showcase.client, RULES)
    assert (card.tier, card.qualified_tier, card.months_to_downgrade) == ("mid", "mid", None)
    assert demo.showcase.client_tier == card.tier
    lifecycle = dict((dimension.value, segment) for dimension, segment, _score in card.dimensions)["lifecycle"]
    assert lifecycle == "growth"
    assert card.gap is not None
    assert card.gap.next_tier == "high_net_worth"
    assert [shortfall.fact for shortfall in card.gap.shortfalls] == ["avg_aum"]
    strategies = [recommendation.id for recommendation in details.recommendations]
    assert "take_risk_assessment" not in strategies
    assert any(recommendation.products for recommendation in details.recommendations)
    assert card.adviser is not None


@in_the_module_loop
async def test_the_other_ids_worth_trying_are_what_they_are_said_to_be(demo: ScoredDemo) -> None:
    showcase = demo.showcase
    assert showcase.high_net_worth is not None
    card, _details = await standing(demo.engine, showcase.high_net_worth, RULES)
    assert (card.tier, card.qualified_tier, card.gap) == ("high_net_worth", "high_net_worth", None)

    assert showcase.in_grace is not None
    card, _details = await standing(demo.engine, showcase.in_grace, RULES)
    held, qualified = RULES.rank(card.tier), RULES.rank(card.qualified_tier)
    assert held is not None
    assert qualified is not None
    assert held > qualified
    assert card.months_to_downgrade is not None
    assert 0 < card.months_to_downgrade < RULES.downgrade.grace_months

    assert showcase.unassessed is not None
    _card, details = await standing(demo.engine, showcase.unassessed, RULES)
    assert details.facts.risk_level is None
    assert "take_risk_assessment" in [recommendation.id for recommendation in details.recommendations]
    assert not any(recommendation.products for recommendation in details.recommendations)

    async with demo.engine.connect() as connection:
        books = (await connection.execute(
            select(Client.adviser_id, func.count(), func.count(TierState.tier.distinct()))
            .join(TierState, TierState.client_id == Client.client_id).group_by(Client.adviser_id))).all()
    book = {adviser: (clients, tiers) for adviser, clients, tiers in books}
    assert showcase.adviser is not None
    assert book[showcase.adviser] == (showcase.adviser_clients, len(RULES.tiers))  # every tier in the book
    assert showcase.adviser_clients == max(clients for clients, tiers in book.values() if tiers == len(RULES.tiers))


@in_the_module_loop
async def test_the_same_database_gives_the_same_showcase(demo: ScoredDemo) -> None:
    assert await pick_showcase(demo.engine, RULES) == demo.showcase



@in_the_module_loop
async def test_the_showcase_prefers_people_who_read_the_language_of_whoever_tries_the_demo(demo: ScoredDemo) -> None:
    """The console speaks the person's own language: the demo opens on people who read the operator's."""
    for locale in ("en", "zh_Hans"):
        showcase = await pick_showcase(demo.engine, RULES, reads=locale)
        picked = [showcase.client, showcase.high_net_worth, showcase.in_grace, showcase.unassessed]
        async with demo.engine.connect() as connection:
            locales = (await connection.execute(
                select(Client.locale).where(Client.client_id.in_(picked)))).scalars().all()
            tiers = await connection.scalar(select(TierState.tier).where(TierState.client_id == showcase.client))
        assert locales == [locale] * 4, locale
        assert tiers == showcase.client_tier
