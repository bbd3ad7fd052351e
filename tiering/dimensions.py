"""The five dimensions of the method, scored for a batch of clients at once.

Each client gets, per dimension, a score from 0 to 100, a segment and the reasons behind the segment.
The numbers are computed column-wise with numpy over the whole batch and kept in columns; a client's
DimensionScore objects are made when read, so a batch of thousands makes few objects per client.
Formulas (docs/tier-rules.md), with the window means taken over the months since onboarding only:

- asset size: 100 * clip(ln(avg_aum / score_from) / ln(high_net_worth_from / score_from), 0, 1)
- activity: 100 * r / (r + high_frequency_from), r = trades and interactions per month over the window
- lifecycle: the segment's base (new 50, growth 75, mature 65, decline 25) + 100 * clip(aum_trend, -0.1, 0.1)
- complexity: 50 * min(1, categories / (2 * diverse_from)) + 50 * evenness of the AUM over categories
- loyalty: 100 * mean of tenure / tenure_full_years (capped at 1), clip(0.5 + net_flow_ratio, 0, 1),
  p_alive and survey_score, the last two only when known
- value score: the mean of the five scores weighted by the rules' weights
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import chain
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from tiering.facts import ClientFacts
from tiering.rules import TierRules

__all__ = [
    "DIMENSION_SEGMENTS",
    "Dimension",
    "DimensionScore",
    "DimensionScores",
    "Measure",
    "Reason",
    "ScoredBatch",
    "Segment",
    "score_dimensions",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Measure = Decimal | float | int | None


class Dimension(StrEnum):
    """The method's five dimensions, in the order they are shown."""

    ASSET_SIZE = "asset_size"
    ACTIVITY = "activity"
    LIFECYCLE = "lifecycle"
    COMPLEXITY = "complexity"
    LOYALTY = "loyalty"


class Segment(StrEnum):
    """The segments of all five dimensions; each maps to service strategies (tiering.recommendations)."""

    ORDINARY = "ordinary"
    MID = "mid"
    HIGH_NET_WORTH = "high_net_worth"
    HIGH_FREQUENCY = "high_frequency"
    LOW_FREQUENCY = "low_frequency"
    NEW = "new"
    GROWTH = "growth"
    MATURE = "mature"
    DECLINE = "decline"
    SINGLE_NEED = "single_need"
    DIVERSE_NEEDS = "diverse_needs"
    LOYAL = "loyal"
    POTENTIAL_CHURN = "potential_churn"


@dataclass(slots=True)
class Reason:
    """A fact behind a segment: whether `value op threshold` holds; None when the fact is unknown.

    A reason without a threshold just reports a measure.
    """

    fact: str
    value: Measure
    threshold: Measure = None
    op: Literal[">=", "<"] | None = None
    holds: bool | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "fact": self.fact,
            "value": measure_json(self.value),
            "threshold": measure_json(self.threshold),
            "op": self.op,
            "holds": self.holds,
        }


@dataclass(slots=True)
class DimensionScore:
    """A client's score (0-100) on one dimension, the segment it puts them in, and why."""

    dimension: Dimension
    score: float
    segment: Segment
    reasons: tuple[Reason, ...]

    def as_json(self) -> dict[str, object]:
        return {"score": self.score, "segment": str(self.segment), "reasons": [r.as_json() for r in self.reasons]}


@dataclass(frozen=True, slots=True)
class _Columns:
    """A batch's measures and test outcomes, one Python list per column, one entry per client."""

    rules: TierRules
    avg_aum: list[Decimal]
    net_flow: list[Decimal]
    p_alive: list[float | None]
    survey_score: list[float | None]
    tenure: list[int]
    idle: list[int]
    categories: list[int]
    scores: dict[Dimension, list[float]]
    per_month: list[float]
    frequent: list[bool]
    trend: list[float | None]
    new: list[bool]
    dormant: list[bool]
    fading: list[bool]
    falling: list[bool]
    rising: list[bool]
    lifecycle: list[int]
    evenness: list[float]
    diverse: list[bool]
    net_flow_ratio: list[float]
    outflowing: list[bool]
    leaving: list[bool]
    unhappy: list[bool]
    churning: list[bool]


class DimensionScores(Mapping[Dimension, DimensionScore]):
    """One client's five dimension scores, made from the batch's columns at each read.

    Not kept: thousands of clients' reasons held at once would keep the garbage collector scanning them.
    """

    __slots__ = ("_columns", "_row")

    def __init__(self, columns: _Columns, row: int) -> None:
        self._columns, self._row = columns, row

    def __getitem__(self, dimension: Dimension) -> DimensionScore:
        return _SCORERS[dimension](self._columns, self._row)

    def __iter__(self) -> Iterator[Dimension]:
        return iter(_DIMENSIONS)

    def __len__(self) -> int:
        return len(_DIMENSIONS)

    def __repr__(self) -> str:
        return f"DimensionScores({dict(self)!r})"


@dataclass(frozen=True, slots=True)
class ScoredBatch:
    """Per client, in the order given: the asset measure, the five dimensions and the value score."""

    avg_aum: list[Decimal]
    dimensions: list[DimensionScores]
    value_score: list[float]


_DIMENSIONS: Final = tuple(Dimension)
_ZERO: Final = Decimal(0)
_CENT: Final = Decimal("0.01")
_ASSET: Final = {segment.value: segment for segment in (Segment.ORDINARY, Segment.MID, Segment.HIGH_NET_WORTH)}
# Segments indexed by a test's outcome (False, True) or, for the lifecycle, by its code.
_ACTIVITY: Final = (Segment.LOW_FREQUENCY, Segment.HIGH_FREQUENCY)
_NEEDS: Final = (Segment.SINGLE_NEED, Segment.DIVERSE_NEEDS)
_LOYALTY: Final = (Segment.LOYAL, Segment.POTENTIAL_CHURN)
_LIFECYCLE: Final = (Segment.NEW, Segment.GROWTH, Segment.MATURE, Segment.DECLINE)
# The segments each dimension puts a client in, in the engine's order.
DIMENSION_SEGMENTS: Final[Mapping[Dimension, tuple[Segment, ...]]] = {
    Dimension.ASSET_SIZE: tuple(_ASSET.values()),
    Dimension.ACTIVITY: _ACTIVITY,
    Dimension.LIFECYCLE: _LIFECYCLE,
    Dimension.COMPLEXITY: _NEEDS,
    Dimension.LOYALTY: _LOYALTY,
}
_LIFECYCLE_BASE: Final = np.array([50.0, 75.0, 65.0, 25.0])
# A relative AUM trend of 10% a month moves the lifecycle score by its full 10 points.
_TREND_EFFECT_CAP: Final = 0.1


def score_dimensions(facts: Sequence[ClientFacts], rules: TierRules) -> ScoredBatch:
    """Score checked facts (history of `rules.history_months`, onboarding not after as_of, values in range)."""
    n = len(facts)
    months = rules.history_months
    asset_window, flow_window = rules.asset.window_months, rules.loyalty.flow_months
    known_list: list[int] = []  # months of the history since onboarding, the onboarding month included
    tenure_list: list[int] = []  # full months since onboarding
    idle_list: list[int] = []
    avg_aum: list[Decimal] = []
    net_flow: list[Decimal] = []
    categories_list: list[int] = []
    for f in facts:
        as_of, onboarded = f.as_of, f.onboarded_on
        known_months = min((as_of.year - onboarded.year) * 12 + as_of.month - onboarded.month + 1, months)
        known_list.append(known_months)
        tenure_list.append(full_months(onboarded, as_of))
        idle_list.append((as_of - (f.last_activity_on or onboarded)).days)
        window = min(asset_window, known_months)
        avg_aum.append((sum(f.monthly_aum[months - window :], _ZERO) / window).quantize(_CENT))
        net_flow.append(sum(f.monthly_net_flow[months - min(flow_window, known_months) :], _ZERO))
        categories_list.append(len(f.categories_traded.union(f.category_aum)))
    p_alive_list = [f.p_alive for f in facts]
    survey_list = [f.survey_score for f in facts]

    aum = np.fromiter(map(float, chain.from_iterable(f.monthly_aum for f in facts)), np.float64, n * months)
    aum = aum.reshape(n, months)
    activity = np.array([f.monthly_trades for f in facts], dtype=np.float64).reshape(n, months)
    activity += np.array([f.monthly_interactions for f in facts], dtype=np.float64).reshape(n, months)
    known = np.array(known_list, dtype=np.int64)
    tenure = np.array(tenure_list, dtype=np.int64)
    categories = np.array(categories_list, dtype=np.int64)
    p_alive = np.array([math.nan if p is None else p for p in p_alive_list], dtype=np.float64)
    survey = np.array([math.nan if s is None else s for s in survey_list], dtype=np.float64)

    asset = rules.asset
    floor, top = float(asset.score_from), float(asset.high_net_worth_from)
    asset_measure = np.fromiter(map(float, avg_aum), np.float64, n)
    asset_score = 100 * np.clip(np.log(np.maximum(asset_measure, floor) / floor) / math.log(top / floor), 0, 1)

    per_month = _window_mean(activity, known, rules.activity.window_months)
    frequent = per_month >= rules.activity.high_frequency_from
    activity_score = 100 * per_month / (per_month + rules.activity.high_frequency_from)

    life = rules.lifecycle
    trend = _theil_sen_trend(aum[:, months - life.trend_months :], np.minimum(known, life.trend_months))
    new = tenure < life.new_months
    dormant = np.array(idle_list, dtype=np.int64) >= life.dormant_days
    fading = p_alive < life.p_alive_decline_below
    falling = trend < life.decline_below
    rising = trend >= life.growth_from
    lifecycle = np.select([new, dormant | fading | falling, rising], [0, 3, 1], 2)
    trend_effect = np.clip(np.nan_to_num(trend), -_TREND_EFFECT_CAP, _TREND_EFFECT_CAP)
    lifecycle_score = _LIFECYCLE_BASE[lifecycle] + 100 * trend_effect

    diverse_from = rules.complexity.diverse_from
    evenness = _category_evenness(facts)
    diverse = categories >= diverse_from
    complexity_score = 50 * np.minimum(1, categories / (2 * diverse_from)) + 50 * evenness

    loyalty = rules.loyalty
    flow_aum = _window_mean(aum, known, flow_window)
    flow = np.fromiter(map(float, net_flow), np.float64, n)
    # Nothing held over the window: no flow relative to it.
    net_flow_ratio = np.divide(flow, flow_aum, out=np.zeros(n), where=flow_aum > 0)
    outflowing = net_flow_ratio < -loyalty.outflow_churn_above
    leaving = p_alive < loyalty.p_alive_churn_below
    unhappy = survey < loyalty.survey_churn_below
    tenure_part = np.minimum(1, tenure / (12 * loyalty.tenure_full_years))
    flow_part = np.clip(0.5 + net_flow_ratio, 0, 1)
    loyalty_sum = tenure_part + flow_part + np.nan_to_num(p_alive) + np.nan_to_num(survey)
    loyalty_score = 100 * loyalty_sum / (2 + ~np.isnan(p_alive) + ~np.isnan(survey))

    scores = {
        Dimension.ASSET_SIZE: asset_score,
        Dimension.ACTIVITY: activity_score,
        Dimension.LIFECYCLE: lifecycle_score,
        Dimension.COMPLEXITY: complexity_score,
        Dimension.LOYALTY: loyalty_score,
    }
    weights = {dimension: getattr(rules.weights, dimension.value) for dimension in Dimension}
    value_score = sum(weights[dimension] * score for dimension, score in scores.items()) / sum(weights.values())

    # Python lists once per column: reading numpy arrays per client would box every element anew.
    columns = _Columns(
        rules=rules,
        avg_aum=avg_aum,
        net_flow=net_flow,
        p_alive=p_alive_list,
        survey_score=survey_list,
        tenure=tenure_list,
        idle=idle_list,
        categories=categories_list,
        scores={dimension: score.tolist() for dimension, score in scores.items()},
        per_month=per_month.tolist(),
        frequent=frequent.tolist(),
        trend=[None if math.isnan(t) else t for t in trend.tolist()],
        new=new.tolist(),
        dormant=dormant.tolist(),
        fading=fading.tolist(),
        falling=falling.tolist(),
        rising=rising.tolist(),
        lifecycle=lifecycle.tolist(),
        evenness=evenness.tolist(),
        diverse=diverse.tolist(),
        net_flow_ratio=net_flow_ratio.tolist(),
        outflowing=outflowing.tolist(),
        leaving=leaving.tolist(),
        unhappy=unhappy.tolist(),
        churning=(outflowing | leaving | unhappy).tolist(),
    )
    return ScoredBatch(avg_aum, [DimensionScores(columns, row) for row in range(n)], value_score.tolist())


def _asset_size(c: _Columns, i: int) -> DimensionScore:
    asset, amount = c.rules.asset, c.avg_aum[i]
    segment = _ASSET[asset.segment(amount)]
    return DimensionScore(Dimension.ASSET_SIZE, c.scores[Dimension.ASSET_SIZE][i], segment, (
        Reason("avg_aum", amount, asset.mid_from, ">=", segment is not Segment.ORDINARY),
        Reason("avg_aum", amount, asset.high_net_worth_from, ">=", segment is Segment.HIGH_NET_WORTH),
    ))


def _activity(c: _Columns, i: int) -> DimensionScore:
    frequent = c.frequent[i]
    return DimensionScore(Dimension.ACTIVITY, c.scores[Dimension.ACTIVITY][i], _ACTIVITY[frequent], (
        Reason("activity_per_month", c.per_month[i], c.rules.activity.high_frequency_from, ">=", frequent),
    ))


def _lifecycle(c: _Columns, i: int) -> DimensionScore:
    life, p_alive, trend = c.rules.lifecycle, c.p_alive[i], c.trend[i]
    return DimensionScore(Dimension.LIFECYCLE, c.scores[Dimension.LIFECYCLE][i], _LIFECYCLE[c.lifecycle[i]], (
        Reason("tenure_months", c.tenure[i], life.new_months, "<", c.new[i]),
        Reason("days_since_activity", c.idle[i], life.dormant_days, ">=", c.dormant[i]),
        Reason("p_alive", p_alive, life.p_alive_decline_below, "<", None if p_alive is None else c.fading[i]),
        Reason("aum_trend", trend, life.decline_below, "<", None if trend is None else c.falling[i]),
        Reason("aum_trend", trend, life.growth_from, ">=", None if trend is None else c.rising[i]),
    ))


def _complexity(c: _Columns, i: int) -> DimensionScore:
    diverse = c.diverse[i]
    return DimensionScore(Dimension.COMPLEXITY, c.scores[Dimension.COMPLEXITY][i], _NEEDS[diverse], (
        Reason("categories", c.categories[i], c.rules.complexity.diverse_from, ">=", diverse),
        Reason("category_evenness", c.evenness[i]),
    ))


def _loyalty(c: _Columns, i: int) -> DimensionScore:
    loyalty, p_alive, survey_score = c.rules.loyalty, c.p_alive[i], c.survey_score[i]
    return DimensionScore(Dimension.LOYALTY, c.scores[Dimension.LOYALTY][i], _LOYALTY[c.churning[i]], (
        Reason("tenure_months", c.tenure[i]),
        Reason("net_flow", c.net_flow[i]),
        Reason("net_flow_ratio", c.net_flow_ratio[i], -loyalty.outflow_churn_above, "<", c.outflowing[i]),
        Reason("p_alive", p_alive, loyalty.p_alive_churn_below, "<", None if p_alive is None else c.leaving[i]),
        Reason("survey_score", survey_score, loyalty.survey_churn_below, "<",
               None if survey_score is None else c.unhappy[i]),
    ))


_SCORERS: Final[Mapping[Dimension, Callable[[_Columns, int], DimensionScore]]] = {
    Dimension.ASSET_SIZE: _asset_size,
    Dimension.ACTIVITY: _activity,
    Dimension.LIFECYCLE: _lifecycle,
    Dimension.COMPLEXITY: _complexity,
    Dimension.LOYALTY: _loyalty,
}


def _window_mean(values: FloatArray, known: IntArray, window: int) -> FloatArray:
    """The mean over each row's last `window` months that fall after onboarding."""
    months = values.shape[1]
    counts = np.minimum(known, window)
    inside = np.arange(months) >= (months - counts)[:, None]
    mean: FloatArray = np.where(inside, values, 0).sum(axis=1) / counts
    return mean


def _theil_sen_trend(aum: FloatArray, known: IntArray) -> FloatArray:
    """Median of pairwise slopes over the known months divided by their mean AUM; NaN under 3 months.

    The mean, not the median: a client who emptied their accounts has a median near zero, which would turn
    a fall into a rate of hundreds of percent a month.
    """
    months = aum.shape[1]
    first, second = np.triu_indices(months, 1)
    slopes = (aum[:, second] - aum[:, first]) / (second - first)
    before = (months - known)[:, None]
    slopes[first < before] = np.nan  # pairs reaching back before onboarding
    slope = _median_of_first(slopes, known * (known - 1) // 2)
    level = _window_mean(aum, known, months)
    usable = (known >= 3) & (level > 0)
    trend: FloatArray = np.divide(slope, level, out=np.full(len(aum), np.nan), where=usable)
    return trend


def _median_of_first(values: FloatArray, counts: IntArray) -> FloatArray:
    """Row medians of the non-NaN entries, `counts` per row: one sort puts the NaNs last."""
    ordered = np.sort(values, axis=1)
    rows = np.arange(len(values))
    median: FloatArray = (ordered[rows, (counts - 1) // 2] + ordered[rows, counts // 2]) / 2
    return median


def _category_evenness(facts: Sequence[ClientFacts]) -> FloatArray:
    """Shannon entropy of each client's AUM over categories divided by its maximum, ln(categories); 0 for one."""
    held = np.array([len(f.category_aum) for f in facts], dtype=np.int64)
    amounts = np.fromiter(
        map(float, chain.from_iterable(f.category_aum.values() for f in facts)), np.float64, int(held.sum())
    )
    owner = np.repeat(np.arange(len(facts)), held)
    totals = np.bincount(owner, amounts, minlength=len(facts))
    shares = np.divide(amounts, totals[owner], out=np.zeros_like(amounts), where=totals[owner] > 0)
    terms = np.zeros_like(shares)
    np.log(shares, out=terms, where=shares > 0)
    entropy = -np.bincount(owner, shares * terms, minlength=len(facts))
    present = np.bincount(owner, shares > 0, minlength=len(facts))
    return np.divide(entropy, np.log(np.maximum(present, 1)), out=np.zeros(len(facts)), where=present > 1)


def full_months(start: date, end: date) -> int:
    """Whole months from start to end: a month is complete on the same day of a later month."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def measure_json(value: Measure) -> str | float | int | None:
    """A measure as JSON-ready data: money as a decimal string."""
    return str(value) if isinstance(value, Decimal) else value
