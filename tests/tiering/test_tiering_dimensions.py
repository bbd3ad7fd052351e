"""The five dimensions: each segment's boundary, the measures behind them, and the scores' bounds."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import theilslopes
from support.tiering_builders import AS_OF, MONTHS, RULES, any_client_facts, client_facts, monthly, rules_with

from tiering import ClientFacts, Dimension, DimensionScore, Reason, TierRules, assess


def dimension(facts: ClientFacts, which: Dimension, rules: TierRules = RULES) -> DimensionScore:
    return assess(facts, rules, None).dimensions[which]


def reason(score: DimensionScore, fact: str, op: str | None = None) -> Reason:
    (found,) = [r for r in score.reasons if r.fact == fact and (op is None or r.op == op)]
    return found


def last_months(*amounts: int | str) -> tuple[Decimal, ...]:
    """A history that is zero but for its last months."""
    return monthly(0)[: MONTHS - len(amounts)] + tuple(Decimal(a) for a in amounts)


# Asset size


@pytest.mark.parametrize(
    ("aum", "segment"),
    [("499999.99", "ordinary"), ("500000", "mid"), ("5999999.99", "mid"), ("6000000", "high_net_worth"),
     ("0", "ordinary")],
)
def test_asset_segment_lines(aum: str, segment: str) -> None:
    score = dimension(client_facts(monthly_aum=monthly(aum)), Dimension.ASSET_SIZE)
    assert score.segment == segment
    assert [r.value for r in score.reasons] == [Decimal(aum)] * 2


def test_the_asset_measure_is_the_mean_of_the_last_three_months_so_a_spike_is_diluted() -> None:
    spike = dimension(client_facts(monthly_aum=last_months(0, 0, 1_400_000)), Dimension.ASSET_SIZE)
    assert spike.segment == "ordinary"
    assert spike.reasons == (
        Reason("avg_aum", Decimal("466666.67"), Decimal("500000"), ">=", False),
        Reason("avg_aum", Decimal("466666.67"), Decimal("6000000"), ">=", False),
    )
    sustained = dimension(client_facts(monthly_aum=last_months(0, 0, 1_500_000)), Dimension.ASSET_SIZE)
    assert sustained.segment == "mid"


def test_the_asset_window_counts_only_months_since_onboarding() -> None:
    facts = client_facts(onboarded_on=date(2026, 2, 10), monthly_aum=last_months(400_000, 600_000))
    assert dimension(facts, Dimension.ASSET_SIZE).reasons[0].value == Decimal("500000.00")


def test_asset_score_is_logarithmic_between_the_floor_and_the_high_net_worth_line() -> None:
    def score(aum: int) -> float:
        return dimension(client_facts(monthly_aum=monthly(aum)), Dimension.ASSET_SIZE).score

    assert score(0) == score(10_000) == 0
    assert score(6_000_000) == score(60_000_000) == 100
    assert score(int(math.sqrt(10_000 * 6_000_000))) == pytest.approx(50, abs=0.01)
    assert score(100_000) < score(500_000) < score(1_000_000)


# Activity


@pytest.mark.parametrize(("trades", "segment"), [(3, "high_frequency"), (2, "low_frequency")])
def test_activity_line_is_four_a_month_over_the_window(trades: int, segment: str) -> None:
    # One interaction a month plus the trades: 4 a month is the line.
    score = dimension(client_facts(monthly_trades=(0,) * 9 + (trades,) * 3), Dimension.ACTIVITY)
    assert score.segment == segment
    assert score.reasons == (Reason("activity_per_month", trades + 1.0, 4.0, ">=", trades + 1 >= 4),)
    assert score.score == pytest.approx(100 * (trades + 1) / (trades + 1 + 4))


def test_no_activity_at_all_scores_zero() -> None:
    facts = client_facts(monthly_trades=(0,) * MONTHS, monthly_interactions=(0,) * MONTHS, last_activity_on=None)
    score = dimension(facts, Dimension.ACTIVITY)
    assert (score.segment, score.score) == ("low_frequency", 0)


def test_activity_of_a_client_onboarded_this_month_is_averaged_over_that_month() -> None:
    facts = client_facts(
        onboarded_on=date(2026, 3, 2), monthly_trades=(0,) * 11 + (4,), monthly_interactions=(0,) * MONTHS
    )
    assert reason(dimension(facts, Dimension.ACTIVITY), "activity_per_month").value == 4.0


# Lifecycle


@pytest.mark.parametrize(("onboarded_on", "segment"), [(date(2025, 10, 1), "new"), (date(2025, 9, 30), "mature")])
def test_new_is_under_six_whole_months(onboarded_on: date, segment: str) -> None:
    score = dimension(client_facts(onboarded_on=onboarded_on), Dimension.LIFECYCLE)
    assert score.segment == segment
    assert reason(score, "tenure_months").holds is (segment == "new")


@pytest.mark.parametrize(("days", "segment"), [(179, "mature"), (180, "decline")])
def test_dormant_for_180_days_is_decline(days: int, segment: str) -> None:
    score = dimension(client_facts(last_activity_on=AS_OF - timedelta(days=days)), Dimension.LIFECYCLE)
    assert score.segment == segment
    assert reason(score, "days_since_activity") == Reason("days_since_activity", days, 180, ">=", days >= 180)


def test_never_active_counts_from_onboarding() -> None:
    facts = client_facts(last_activity_on=None, onboarded_on=AS_OF - timedelta(days=200))
    assert reason(dimension(facts, Dimension.LIFECYCLE), "days_since_activity").value == 200


@pytest.mark.parametrize(
    ("p_alive", "segment", "holds"), [(0.29, "decline", True), (0.3, "mature", False), (None, "mature", None)]
)
def test_a_low_p_alive_is_decline(p_alive: float | None, segment: str, holds: bool | None) -> None:
    score = dimension(client_facts(p_alive=p_alive), Dimension.LIFECYCLE)
    assert score.segment == segment
    assert reason(score, "p_alive") == Reason("p_alive", p_alive, 0.3, "<", holds)


def linear(start: int, step: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(start + step * month) for month in range(MONTHS))


@pytest.mark.parametrize(
    ("history", "trend", "segment"),
    [
        # slope 1000 a month over a mean of 50000: exactly +2% a month
        (linear(44_500, 1_000), 0.02, "growth"),
        (linear(44_510, 1_000), 1_000 / 50_010, "mature"),
        (linear(55_500, -1_000), -0.02, "mature"),
        (linear(55_490, -1_000), -1_000 / 49_990, "decline"),
        (monthly(50_000), 0.0, "mature"),
    ],
)
def test_trend_lines(history: tuple[Decimal, ...], trend: float, segment: str) -> None:
    score = dimension(client_facts(monthly_aum=history), Dimension.LIFECYCLE)
    assert score.segment == segment
    assert reason(score, "aum_trend", "<").value == pytest.approx(trend, rel=1e-12)


def test_the_trend_shrugs_off_a_single_spike() -> None:
    spiky = (*monthly(800_000)[:6], Decimal(8_000_000), *monthly(800_000)[7:])
    score = dimension(client_facts(monthly_aum=spiky), Dimension.LIFECYCLE)
    assert (score.segment, reason(score, "aum_trend", "<").value) == ("mature", 0.0)


def test_the_trend_counts_only_months_since_onboarding() -> None:
    # Six months of growth since onboarding; the zeros before onboarding are not a rise from nothing.
    history = monthly(0)[:6] + linear(94_000, 2_000)[:6]
    score = dimension(client_facts(onboarded_on=date(2025, 10, 1), monthly_aum=history), Dimension.LIFECYCLE)
    assert reason(score, "aum_trend", "<").value == pytest.approx(2_000 / 99_000)


def test_without_three_months_or_any_balance_the_trend_is_unknown() -> None:
    rules = rules_with("new_months = 6", "new_months = 0")
    recent = client_facts(onboarded_on=date(2026, 2, 1), monthly_aum=last_months(1000, 2000))
    empty = client_facts(monthly_aum=monthly(0))
    for facts in (recent, empty):
        score = dimension(facts, Dimension.LIFECYCLE, rules)
        assert score.segment == "mature"
        assert reason(score, "aum_trend", "<") == Reason("aum_trend", None, -0.02, "<", None)
        assert reason(score, "aum_trend", ">=") == Reason("aum_trend", None, 0.02, ">=", None)


def first_of_month_before(months: int) -> date:
    """The first day of the month `months` months before the month of AS_OF."""
    year, month = divmod(AS_OF.year * 12 + AS_OF.month - 1 - months, 12)
    return date(year, month + 1, 1)


@given(st.lists(st.integers(0, 10_000_000), min_size=MONTHS, max_size=MONTHS), st.integers(3, MONTHS))
@settings(max_examples=50, deadline=None)
def test_the_trend_is_theil_sen_over_the_mean(amounts: list[int], known: int) -> None:
    window = amounts[MONTHS - known :]
    history = monthly(0)[: MONTHS - known] + tuple(Decimal(a) for a in window)
    facts = client_facts(onboarded_on=first_of_month_before(known - 1), monthly_aum=history)
    trend = reason(dimension(facts, Dimension.LIFECYCLE), "aum_trend", "<")
    mean = sum(window) / known
    if mean == 0:
        assert trend.value is None
    else:
        assert trend.value == pytest.approx(theilslopes(window).slope / mean, rel=1e-9, abs=1e-12)


def test_an_emptied_account_falls_at_a_believable_rate() -> None:
    # Six months drawn down to almost nothing: over the median AUM (about 50,000) this would read as a fall
    # of more than 100% a month; over the mean it is about a third a month.
    history = tuple(Decimal(a) for a in (600_000, 500_000, 400_000, 300_000, 200_000, 100_000)) + monthly(100)[6:]
    trend = reason(dimension(client_facts(monthly_aum=history), Dimension.LIFECYCLE), "aum_trend", "<").value
    assert isinstance(trend, float)
    assert -0.5 < trend < -0.02


def test_lifecycle_scores_rank_growth_mature_new_decline() -> None:
    def score(**changes: object) -> float:
        return dimension(client_facts(**changes), Dimension.LIFECYCLE).score

    growth = score(monthly_aum=linear(44_500, 1_000))
    mature = score()
    new = score(onboarded_on=date(2026, 1, 1), monthly_aum=monthly(800_000))
    decline = score(p_alive=0.1)
    assert growth > mature > new > decline
    assert (mature, new, decline) == (65, 50, 25)


# Need complexity


@pytest.mark.parametrize(
    ("held", "traded", "segment"),
    [({"deposit"}, set(), "single_need"), ({"deposit", "fund"}, {"fund", "bond"}, "diverse_needs"),
     (set(), {"fund", "bond"}, "single_need")],
)
def test_diverse_needs_from_three_categories_held_or_traded(held: set[str], traded: set[str], segment: str) -> None:
    facts = client_facts(category_aum={c: Decimal(100) for c in held}, categories_traded=frozenset(traded))
    score = dimension(facts, Dimension.COMPLEXITY)
    assert score.segment == segment
    assert reason(score, "categories").value == len(held | traded)


@pytest.mark.parametrize(
    ("category_aum", "evenness"),
    [({}, 0.0), ({"deposit": 100}, 0.0), ({"deposit": 100, "fund": 100}, 1.0), ({"deposit": 0, "fund": 5}, 0.0),
     ({"deposit": 300, "fund": 100}, (0.75 * math.log(1 / 0.75) + 0.25 * math.log(4)) / math.log(2))],
)
def test_category_evenness(category_aum: dict[str, int], evenness: float) -> None:
    facts = client_facts(category_aum={c: Decimal(a) for c, a in category_aum.items()}, categories_traded=frozenset())
    score = dimension(facts, Dimension.COMPLEXITY)
    assert reason(score, "category_evenness").value == pytest.approx(evenness)
    assert score.score == pytest.approx(50 * min(1, len(category_aum) / 6) + 50 * evenness)


# Loyalty


@pytest.mark.parametrize(("p_alive", "segment"), [(0.49, "potential_churn"), (0.5, "loyal")])
def test_p_alive_below_half_is_potential_churn(p_alive: float, segment: str) -> None:
    assert dimension(client_facts(p_alive=p_alive), Dimension.LOYALTY).segment == segment


@pytest.mark.parametrize(("survey_score", "segment"), [(0.39, "potential_churn"), (0.4, "loyal")])
def test_a_low_survey_score_is_potential_churn(survey_score: float, segment: str) -> None:
    assert dimension(client_facts(survey_score=survey_score), Dimension.LOYALTY).segment == segment


@pytest.mark.parametrize(("outflow", "segment"), [(240_000, "loyal"), (240_001, "potential_churn")])
def test_a_net_outflow_above_30_percent_of_aum_is_potential_churn(outflow: int, segment: str) -> None:
    facts = client_facts(monthly_net_flow=last_months(-outflow))  # over a steady AUM of 800k
    score = dimension(facts, Dimension.LOYALTY)
    assert score.segment == segment
    assert reason(score, "net_flow").value == Decimal(-outflow)
    assert reason(score, "net_flow_ratio") == Reason("net_flow_ratio", -outflow / 800_000, -0.3, "<", outflow > 240_000)


def test_unknown_p_alive_and_survey_do_not_count() -> None:
    score = dimension(client_facts(p_alive=None, survey_score=None), Dimension.LOYALTY)
    assert score.segment == "loyal"
    assert reason(score, "p_alive") == Reason("p_alive", None, 0.5, "<", None)
    assert reason(score, "survey_score") == Reason("survey_score", None, 0.4, "<", None)
    # Tenure 62 months of 120, no net flow: the mean of the two known parts.
    assert score.score == pytest.approx(100 * (62 / 120 + 0.5) / 2)


def test_loyalty_score_mixes_tenure_flows_p_alive_and_survey() -> None:
    score = dimension(client_facts(p_alive=0.9, survey_score=0.8), Dimension.LOYALTY)
    assert score.score == pytest.approx(100 * (62 / 120 + 0.5 + 0.9 + 0.8) / 4)


# All dimensions


@given(any_client_facts())
@settings(max_examples=60, deadline=None)
def test_scores_are_bounded_and_the_value_score_is_their_weighted_mean(facts: ClientFacts) -> None:
    assessment = assess(facts, RULES, None)
    scores = {d: s.score for d, s in assessment.dimensions.items()}
    assert list(scores) == list(Dimension)
    assert all(0 <= score <= 100 for score in scores.values())
    weights = {d: getattr(RULES.weights, d.value) for d in Dimension}
    expected = sum(weights[d] * scores[d] for d in Dimension) / sum(weights.values())
    assert assessment.value_score == pytest.approx(expected)
    assert all(score.dimension == d for d, score in assessment.dimensions.items())
