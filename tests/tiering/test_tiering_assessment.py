"""Tiers, the grace on the way down, the gap, the explanation, bad facts, and the batch being the one path."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.paths import REPOSITORY
from support.tiering_builders import AS_OF, MONTHS, RULES, any_client_facts, client_facts, monthly, rules_with

from tiering import (
    Assessment,
    ClientFacts,
    InvalidFacts,
    Reason,
    Rejection,
    Shortfall,
    TierGap,
    TierRules,
    TierState,
    assess,
    assess_batch,
)


def with_aum(amount: int | str, **changes: object) -> ClientFacts:
    return client_facts(monthly_aum=monthly(amount), **changes)


def state(tier: str, months_below: int = 0, evaluated_on: date = date(2026, 2, 28)) -> TierState:
    return TierState(tier, months_below, evaluated_on)


def test_the_default_client_is_a_settled_mid_tier_client() -> None:
    assessment = assess(client_facts(), RULES, None)
    assert assessment.tier == "mid"
    assert {str(d): s.segment for d, s in assessment.dimensions.items()} == {
        "asset_size": "mid",
        "activity": "low_frequency",
        "lifecycle": "mature",
        "complexity": "single_need",
        "loyalty": "loyal",
    }


@pytest.mark.parametrize(
    ("aum", "tier"), [(0, "ordinary"), (499_999, "ordinary"), (500_000, "mid"), (6_000_000, "high_net_worth")]
)
def test_the_qualified_tier_is_the_highest_whose_line_is_met(aum: int, tier: str) -> None:
    assessment = assess(with_aum(aum), RULES, None)
    assert (assessment.qualified_tier, assessment.tier, assessment.previous_tier) == (tier, tier, None)
    assert assessment.state == TierState(tier, 0, AS_OF)
    assert assessment.months_to_downgrade is None
    line = RULES.tier(tier).aum_from
    assert assessment.conditions == (Reason("avg_aum", Decimal(aum), line, ">=", True),)


def test_the_gap_to_the_next_tier() -> None:
    assessment = assess(with_aum(320_000), RULES, None)
    assert assessment.gap == TierGap(
        "mid", (Shortfall("avg_aum", Decimal("320000.00"), Decimal(500_000), Decimal("180000.00")),)
    )


def test_no_gap_at_the_top() -> None:
    assert assess(with_aum(7_000_000), RULES, None).gap is None


def test_a_tier_with_a_minimum_value_score() -> None:
    rules = rules_with('aum_from = "6000000"', 'aum_from = "6000000"\nmin_value_score = 99')
    rich = assess(with_aum(7_000_000), rules, None)
    assert (rich.qualified_tier, rich.tier) == ("mid", "mid")
    # The AUM line is met: only the value score falls short.
    assert rich.gap == TierGap(
        "high_net_worth", (Shortfall("value_score", rich.value_score, 99.0, 99.0 - rich.value_score),)
    )

    poorer = assess(with_aum(800_000), rules, None)
    assert poorer.gap is not None
    assert [s.fact for s in poorer.gap.shortfalls] == ["avg_aum", "value_score"]
    assert poorer.gap.shortfalls[1] == Shortfall("value_score", poorer.value_score, 99.0, 99.0 - poorer.value_score)


def test_the_conditions_of_a_tier_with_a_minimum_value_score() -> None:
    rules = rules_with('aum_from = "500000"', 'aum_from = "500000"\nmin_value_score = 10')
    assessment = assess(with_aum(800_000), rules, None)
    assert assessment.tier == "mid"
    assert assessment.conditions == (
        Reason("avg_aum", Decimal("800000.00"), Decimal(500_000), ">=", True),
        Reason("value_score", assessment.value_score, 10.0, ">=", True),
    )


# Hysteresis


def test_an_upgrade_is_immediate() -> None:
    assessment = assess(with_aum(6_000_000), RULES, state("mid"))
    assert (assessment.tier, assessment.previous_tier, assessment.months_below) == ("high_net_worth", "mid", 0)


def test_a_downgrade_comes_only_after_three_monthly_evaluations_below_the_line() -> None:
    below = with_aum(400_000)
    months = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    previous = state("mid", 0, date(2025, 12, 31))
    seen = []
    for as_of in months:
        facts = client_facts(monthly_aum=monthly(400_000), as_of=as_of, last_activity_on=as_of)
        assessment = assess(facts, RULES, previous)
        seen.append(
            (assessment.tier, assessment.qualified_tier, assessment.months_below, assessment.months_to_downgrade)
        )
        previous = assessment.state
    assert seen == [("mid", "ordinary", 1, 2), ("mid", "ordinary", 2, 1), ("ordinary", "ordinary", 0, None)]
    assert assess(below, RULES, previous).tier == "ordinary"


def test_while_held_the_tier_shows_its_unmet_condition_and_the_gap_above_it() -> None:
    assessment = assess(with_aum(400_000), RULES, state("mid"))
    assert assessment.tier == "mid"
    assert assessment.conditions == (Reason("avg_aum", Decimal("400000.00"), Decimal(500_000), ">=", False),)
    assert assessment.gap is not None
    assert assessment.gap.next_tier == "high_net_worth"


def test_a_second_evaluation_in_the_same_month_does_not_count_again() -> None:
    first = assess(with_aum(400_000), RULES, state("mid", 1, date(2026, 2, 28)))
    assert (first.tier, first.months_below) == ("mid", 2)
    again = assess(with_aum(400_000), RULES, first.state)  # same day: same month
    assert (again.tier, again.months_below) == ("mid", 2)
    later_this_month = assess(with_aum(400_000), RULES, state("mid", 2, date(2026, 3, 1)))
    assert (later_this_month.tier, later_this_month.months_below) == ("mid", 2)


def test_the_first_shortfall_counts_even_after_an_evaluation_this_month_at_the_line() -> None:
    assessment = assess(with_aum(400_000), RULES, state("mid", 0, date(2026, 3, 2)))
    assert (assessment.tier, assessment.months_below) == ("mid", 1)


def test_back_at_the_line_resets_the_count() -> None:
    assessment = assess(with_aum(500_000), RULES, state("mid", 2))
    assert (assessment.tier, assessment.months_below, assessment.state.months_below) == ("mid", 0, 0)


def test_after_the_grace_the_client_moves_down_to_the_qualified_tier_however_far() -> None:
    assessment = assess(with_aum(100_000), RULES, state("high_net_worth", 2))
    assert (assessment.tier, assessment.previous_tier, assessment.months_below) == ("ordinary", "high_net_worth", 0)


def test_without_grace_a_downgrade_is_immediate() -> None:
    rules = rules_with("grace_months = 3", "grace_months = 0")
    assert assess(with_aum(100_000), rules, state("mid")).tier == "ordinary"


def test_a_tier_the_rules_no_longer_have_starts_afresh() -> None:
    assessment = assess(with_aum(100_000), RULES, state("gold", 2))
    assert (assessment.tier, assessment.previous_tier, assessment.months_below) == ("ordinary", "gold", 0)


# The explanation


def test_the_explanation_is_json_and_holds_tier_gap_and_dimensions() -> None:
    rules = rules_with('aum_from = "500000"', 'aum_from = "500000"\nmin_value_score = 10')
    assessment = assess(with_aum(320_000, p_alive=None), rules, state("mid", 1))
    explanation = json.loads(json.dumps(assessment.explanation(), allow_nan=False))
    assert explanation["as_of"] == "2026-03-31"
    assert explanation["avg_aum"] == "320000.00"
    assert [explanation[key] for key in ("tier", "qualified_tier", "previous_tier")] == ["mid", "ordinary", "mid"]
    assert (explanation["months_below"], explanation["months_to_downgrade"]) == (2, 1)
    assert explanation["conditions"][0] == {
        "fact": "avg_aum", "value": "320000.00", "threshold": "500000", "op": ">=", "holds": False,
    }
    assert explanation["gap"]["next_tier"] == "high_net_worth"
    assert explanation["gap"]["shortfalls"][0] == {
        "fact": "avg_aum", "have": "320000.00", "need": "6000000", "short_by": "5680000.00",
    }
    assert list(explanation["dimensions"]) == ["asset_size", "activity", "lifecycle", "complexity", "loyalty"]
    loyalty = explanation["dimensions"]["loyalty"]
    assert loyalty["segment"] == "loyal"
    assert {"fact": "p_alive", "value": None, "threshold": 0.5, "op": "<", "holds": None} in loyalty["reasons"]


@given(any_client_facts(), st.none() | st.sampled_from(["ordinary", "mid", "high_net_worth", "gone"]))
@settings(max_examples=40, deadline=None)
def test_every_explanation_is_strict_json(facts: ClientFacts, previous_tier: str | None) -> None:
    previous = None if previous_tier is None else state(previous_tier, 1)
    json.dumps(assess(facts, RULES, previous).explanation(), allow_nan=False)


# Empty and bad facts


def test_a_client_with_nothing_is_scored_as_ordinary() -> None:
    empty = client_facts(
        monthly_aum=monthly(0), monthly_net_flow=monthly(0), monthly_trades=(0,) * MONTHS,
        monthly_interactions=(0,) * MONTHS, category_aum={}, categories_traded=frozenset(), last_activity_on=None,
        p_alive=None, survey_score=None, risk_level=None, risk_assessed_on=None, has_adviser=False,
    )
    assessment = assess(empty, RULES, None)
    assert (assessment.tier, assessment.avg_aum) == ("ordinary", Decimal("0.00"))
    assert {str(d): s.segment for d, s in assessment.dimensions.items()} == {
        "asset_size": "ordinary", "activity": "low_frequency", "lifecycle": "decline", "complexity": "single_need",
        "loyalty": "loyal",
    }


def test_an_empty_batch() -> None:
    assert assess_batch([], [], RULES) == []


def test_facts_and_previous_states_must_pair_up() -> None:
    with pytest.raises(ValueError, match="1 clients' facts but 0 previous states"):
        assess_batch([client_facts()], [], RULES)


BAD_FACTS = [
    (dict(onboarded_on=date(2026, 4, 1)), "onboarded_after_as_of",
     {"onboarded_on": "2026-04-01", "as_of": "2026-03-31"}),
    (dict(last_activity_on=date(2026, 4, 1)), "activity_after_as_of",
     {"last_activity_on": "2026-04-01", "as_of": "2026-03-31"}),
    (dict(monthly_aum=monthly(1)[:11]), "history_length", {"field": "monthly_aum", "length": 11, "expected": 12}),
    (dict(monthly_interactions=(1,) * 13), "history_length",
     {"field": "monthly_interactions", "length": 13, "expected": 12}),
    (dict(monthly_aum=(*monthly(1)[:5], Decimal("-0.01"), *monthly(1)[6:])), "negative_aum",
     {"month": 5, "amount": "-0.01"}),
    (dict(category_aum={"fund": Decimal(-5)}), "negative_aum", {"category": "fund", "amount": "-5"}),
    (dict(monthly_trades=(0,) * 11 + (-1,)), "negative_activity", {"field": "monthly_trades", "month": 11}),
    (dict(p_alive=1.5), "p_alive_out_of_range", {"p_alive": 1.5}),
    (dict(p_alive=-0.1), "p_alive_out_of_range", {"p_alive": -0.1}),
    (dict(survey_score=2.0), "survey_score_out_of_range", {"survey_score": 2.0}),
    (dict(risk_level=6), "risk_level_out_of_range", {"risk_level": 6}),
]


@pytest.mark.parametrize(("changes", "reason", "detail"), BAD_FACTS)
def test_bad_facts_are_rejected(changes: dict[str, object], reason: str, detail: dict[str, object]) -> None:
    bad = client_facts(client_id="BAD", **changes)
    results = assess_batch([client_facts(client_id="A"), bad, client_facts(client_id="B")], [None] * 3, RULES)
    assert isinstance(results[0], Assessment)
    assert results[1] == Rejection("BAD", reason, detail)
    assert isinstance(results[2], Assessment)
    assert [r.client_id for r in results] == ["A", "BAD", "B"]
    with pytest.raises(InvalidFacts) as error:
        assess(bad, RULES, None)
    assert (error.value.reason, error.value.rejection) == (reason, results[1])


def test_a_nan_p_alive_is_rejected() -> None:
    with pytest.raises(InvalidFacts) as error:
        assess(client_facts(p_alive=float("nan")), RULES, None)
    assert error.value.reason == "p_alive_out_of_range"


# One code path


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[ClientFacts], list[TierState | None]]:
    size = draw(st.integers(1, 8))
    facts = [draw(any_client_facts(client_id=f"C{i}")) for i in range(size)]
    tiers = st.sampled_from(["ordinary", "mid", "high_net_worth", "gone"])
    previous = [
        draw(st.none() | st.builds(TierState, tiers, st.integers(0, 5), st.dates(date(2025, 1, 1), AS_OF)))
        for _ in facts
    ]
    return facts, previous


WITH_VALUE_SCORE = rules_with('aum_from = "6000000"', 'aum_from = "6000000"\nmin_value_score = 50')


@given(batches(), st.sampled_from([RULES, WITH_VALUE_SCORE]))
@settings(max_examples=40, deadline=None)
def test_assess_is_the_batch_of_one(batch: tuple[list[ClientFacts], list[TierState | None]], rules: TierRules) -> None:
    facts, previous = batch
    together = assess_batch(facts, previous, rules)
    alone = [assess(f, rules, p) for f, p in zip(facts, previous, strict=True)]
    assert together == alone
    assert [a.explanation() for a in together if isinstance(a, Assessment)] == [a.explanation() for a in alone]


# Purity


def test_tiering_imports_no_bot_framework_database_or_application() -> None:
    check = (
        "import sys, tiering\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'aiogram', 'sqlalchemy', 'bot'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", check], check=True, capture_output=True, cwd=REPOSITORY)
