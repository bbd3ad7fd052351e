"""Recommendations: every segment's strategies, their order, and suitability before everything."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.tiering_builders import AS_OF, CATEGORIES, RULES, any_client_facts, client_facts, monthly

from tiering import (
    PRODUCT_STRATEGIES,
    RANKING,
    STRATEGIES,
    ClientFacts,
    Recommendation,
    ShelfProduct,
    TierState,
    assess,
    recommend,
    require_risk_assessment,
)

SHELF = (
    ShelfProduct("DEP1", "deposit", 1, None),
    ShelfProduct("BND1", "bond", 2, Decimal(1_000)),
    ShelfProduct("BND2", "bond", 2, Decimal(50_000)),
    ShelfProduct("FND1", "fund", 3, Decimal(1_000)),
    ShelfProduct("FND2", "fund", 3, None),
    ShelfProduct("INS1", "insurance", 2, Decimal(10_000)),
    ShelfProduct("EQT1", "equity", 5, Decimal(100)),
    ShelfProduct("PRV1", "private", 4, Decimal(1_000_000)),
    ShelfProduct("WMP1", "wealth_management", 3, Decimal(2_000_000)),
)


def recommendations(facts: ClientFacts, previous: TierState | None = None) -> tuple[Recommendation, ...]:
    return recommend(assess(facts, RULES, previous), facts, SHELF, RULES)


def ids(facts: ClientFacts, previous: TierState | None = None) -> list[str]:
    return [r.id for r in recommendations(facts, previous)]


def by_id(facts: ClientFacts) -> dict[str, Recommendation]:
    return {r.id: r for r in recommendations(facts)}


def test_a_settled_mid_tier_client() -> None:
    assert ids(client_facts()) == [
        "standard_products", "seminars", "premium_service", "targeted_products", "periodic_reports",
        "value_added_service",
    ]


@pytest.mark.parametrize(
    ("changes", "strategies"),
    [
        (dict(monthly_aum=monthly(7_000_000)), {"dedicated_adviser", "bespoke_plan"}),
        (dict(monthly_aum=monthly(100_000)), {"self_service", "low_threshold_products"}),
        (dict(monthly_trades=(5,) * 12), {"realtime_market_news"}),
        (dict(onboarded_on=date(2026, 1, 1)), {"introduction"}),
        (dict(monthly_aum=tuple(Decimal(44_500 + 1_000 * m) for m in range(12))), {"portfolio_advice"}),
        (dict(p_alive=0.2), {"plans_conversation", "retention_outreach"}),
        (dict(categories_traded=frozenset({"bond"})), {"integrated_planning"}),
    ],
)
def test_every_segment_brings_its_strategies(changes: dict[str, object], strategies: set[str]) -> None:
    assert strategies <= set(ids(client_facts(**changes)))


def test_a_client_at_risk_hears_about_retention_and_plans_first() -> None:
    assert ids(client_facts(p_alive=0.2))[:2] == ["retention_outreach", "plans_conversation"]


def test_a_client_without_an_adviser_is_noted() -> None:
    assert by_id(client_facts(has_adviser=False))["assign_adviser"].params == {"tier": "mid"}


def test_the_tier_service_follows_the_tier_held_during_the_grace() -> None:
    held = ids(client_facts(monthly_aum=monthly(400_000)), TierState("high_net_worth", 0, date(2026, 2, 28)))
    assert {"dedicated_adviser", "bespoke_plan"} <= set(held)
    assert "self_service" not in held


def test_the_ranking_names_every_strategy_once() -> None:
    named = {s for strategies in STRATEGIES.values() for s in strategies} | {"take_risk_assessment", "assign_adviser"}
    assert sorted(RANKING) == sorted(named)


# Products


def test_products_fit_the_risk_level_and_the_purse_and_broaden_the_client_first() -> None:
    # C3, RMB 800k in deposits and funds: no R4/R5, nothing needing more than 800k.
    standard = by_id(client_facts())["standard_products"]
    assert standard.products == ("BND1", "INS1", "DEP1")
    targeted = by_id(client_facts())["targeted_products"]
    assert targeted.products == ("FND1", "FND2")  # DEP1 is suggested already, under the standard products


def test_a_product_is_suggested_once() -> None:
    for facts in (client_facts(), client_facts(monthly_aum=monthly(100_000), risk_level=5),
                  client_facts(category_aum={}, categories_traded=frozenset(), risk_level=2)):
        suggested = [product for r in recommendations(facts) for product in r.products]
        assert suggested
        assert len(suggested) == len(set(suggested)), suggested


def test_low_threshold_products_start_from_the_smallest_minimum() -> None:
    facts = client_facts(monthly_aum=monthly(100_000), risk_level=5)
    assert by_id(facts)["low_threshold_products"].products == ("DEP1", "FND2", "EQT1")


def test_one_product_per_category_before_a_second() -> None:
    facts = client_facts(category_aum={}, categories_traded=frozenset(), risk_level=2)
    assert by_id(facts)["standard_products"].products == ("BND1", "DEP1", "INS1")


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        (dict(risk_level=None, risk_assessed_on=None), "missing"),
        (dict(risk_assessed_on=None), "missing"),
        (dict(risk_level=None), "missing"),
        (dict(risk_assessed_on=date(2024, 3, 31)), "expired"),
    ],
)
def test_without_a_valid_risk_assessment_that_comes_first_and_no_product_at_all(
    changes: dict[str, object], status: str
) -> None:
    result = recommendations(client_facts(**changes))
    assert result[0] == Recommendation("take_risk_assessment", {"status": status})
    assert all(r.products == () for r in result)


def test_without_a_valid_risk_assessment_no_strategy_offers_products() -> None:
    """"Standard products selected for your profile" with no product under it still pushes products."""
    assert ids(client_facts(risk_assessed_on=None)) == [
        "take_risk_assessment", "seminars", "premium_service", "periodic_reports", "value_added_service",
    ]
    for changes in (dict(monthly_aum=monthly(7_000_000)), dict(monthly_aum=monthly(100_000)),
                    dict(categories_traded=frozenset({"bond"})),
                    dict(monthly_aum=tuple(Decimal(44_500 + 1_000 * m) for m in range(12)))):
        offered = set(ids(client_facts(risk_level=None, **changes))) & PRODUCT_STRATEGIES
        assert not offered, (changes, offered)


def test_an_assessment_lapsed_after_the_recommendations_withdraws_them_the_same_way() -> None:
    made = recommendations(client_facts())
    assert {r.id for r in made} & PRODUCT_STRATEGIES
    assert require_risk_assessment(made, "expired") == recommendations(client_facts(risk_assessed_on=date(2024, 3, 1)))


def test_an_assessment_is_valid_until_24_whole_months_old() -> None:
    result = recommendations(client_facts(risk_assessed_on=date(2024, 4, 1)))
    assert "take_risk_assessment" not in [r.id for r in result]
    assert any(r.products for r in result)


def test_the_facts_must_be_the_assessed_clients() -> None:
    assessment = assess(client_facts(), RULES, None)
    with pytest.raises(ValueError, match="assessment of C001 given with the facts of C002"):
        recommend(assessment, client_facts(client_id="C002"), SHELF, RULES)


shelves = st.lists(
    st.builds(
        ShelfProduct,
        st.text("ABCDEFGH0123456789", min_size=1, max_size=6),
        st.sampled_from(CATEGORIES),
        st.integers(1, 5),
        st.none() | st.decimals(0, 10_000_000, places=2),
    ),
    max_size=25,
    unique_by=lambda product: product.product_id,
)


# Half the draws have a valid assessment; the other half may miss the level or the date, or be expired.
risk_assessments = st.tuples(st.integers(1, 5), st.dates(AS_OF - timedelta(days=700), AS_OF)) | st.tuples(
    st.none() | st.integers(1, 5), st.none() | st.dates(AS_OF - timedelta(days=1000), AS_OF)
)


@given(any_client_facts(), risk_assessments, shelves)
@settings(max_examples=150, deadline=None)
def test_suitability_is_absolute(
    facts: ClientFacts, risk_assessment: tuple[int | None, date | None], shelf: list[ShelfProduct]
) -> None:
    facts = replace(facts, risk_level=risk_assessment[0], risk_assessed_on=risk_assessment[1])
    assessment = assess(facts, RULES, None)
    result = recommend(assessment, facts, shelf, RULES)
    suggested = [product_id for r in result for product_id in r.products]
    on = facts.risk_assessed_on
    valid = (
        facts.risk_level is not None
        and on is not None
        # younger than 24 whole months: as_of comes before the same day 24 months on
        and (AS_OF.year * 12 + AS_OF.month, AS_OF.day) < (on.year * 12 + on.month + 24, on.day)
    )
    if not valid:
        assert result[0].id == "take_risk_assessment"
        assert suggested == []
        assert not {r.id for r in result} & PRODUCT_STRATEGIES
        return
    assert facts.risk_level is not None
    assert "take_risk_assessment" not in [r.id for r in result]
    products = {product.product_id: product for product in shelf}
    assert len(suggested) == len(set(suggested))  # each product once, under the first strategy that carries it
    for product_id in suggested:
        assert products[product_id].risk_level <= facts.risk_level
        assert (products[product_id].min_investment or 0) <= assessment.avg_aum
    assert all(len(r.products) <= 3 for r in result)
    assert all(r.id in PRODUCT_STRATEGIES for r in result if r.products)  # the set names every one that carries some
    assert [r.id for r in result] == sorted((r.id for r in result), key=RANKING.index)
    assert recommend(assessment, facts, list(reversed(shelf)), RULES) == result
