"""A client's tier: the tier today's facts qualify for, held on the way down for the grace months, and the gap.

`assess_batch` is the one code path; `assess` is a batch of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tiering.dimensions import Dimension, DimensionScore, Reason, measure_json, score_dimensions
from tiering.facts import ClientFacts
from tiering.rules import Tier, TierRules

__all__ = [
    "Assessment",
    "InvalidFacts",
    "Rejection",
    "Shortfall",
    "TierGap",
    "TierState",
    "assess",
    "assess_batch",
    "months_to_downgrade",
    "tier_gap",
]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class TierState:
    """What the caller stores after an evaluation and hands back to the next one."""

    tier: str
    months_below: int  # consecutive monthly evaluations below the tier's line
    evaluated_on: date


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A condition of a tier that does not hold yet: the client has `have`, the tier needs `need`."""

    fact: str
    have: Decimal | float
    need: Decimal | float
    short_by: Decimal | float

    def as_json(self) -> dict[str, object]:
        return {
            "fact": self.fact,
            "have": measure_json(self.have),
            "need": measure_json(self.need),
            "short_by": measure_json(self.short_by),
        }


@dataclass(frozen=True, slots=True)
class TierGap:
    """What stands between the client and the tier above theirs."""

    next_tier: str
    shortfalls: tuple[Shortfall, ...]


@dataclass(slots=True)
class Assessment:
    """A client's tier as of a day, why, and what the next tier up needs."""

    client_id: str
    as_of: date
    rules_version: str
    avg_aum: Decimal
    dimensions: Mapping[Dimension, DimensionScore]
    value_score: float
    qualified_tier: str  # by today's facts alone
    tier: str  # after the grace on the way down
    previous_tier: str | None
    months_below: int
    # Monthly evaluations below the line still to come, the last of them moving the client down; None when the
    # facts meet the tier.
    months_to_downgrade: int | None
    conditions: tuple[Reason, ...]  # the tier's conditions, with whether each holds today
    gap: TierGap | None  # None at the top tier
    state: TierState

    def explanation(self) -> dict[str, object]:
        """Everything the chat needs to explain the tier and the gap, as JSON-ready data."""
        gap = self.gap
        return {
            "client_id": self.client_id,
            "as_of": self.as_of.isoformat(),
            "rules_version": self.rules_version,
            "avg_aum": str(self.avg_aum),
            "value_score": self.value_score,
            "qualified_tier": self.qualified_tier,
            "tier": self.tier,
            "previous_tier": self.previous_tier,
            "months_below": self.months_below,
            "months_to_downgrade": self.months_to_downgrade,
            "conditions": [reason.as_json() for reason in self.conditions],
            "gap": None if gap is None else {
                "next_tier": gap.next_tier,
                "shortfalls": [shortfall.as_json() for shortfall in gap.shortfalls],
            },
            "dimensions": {str(dimension): score.as_json() for dimension, score in self.dimensions.items()},
        }


@dataclass(frozen=True, slots=True)
class Rejection:
    """Facts the engine refuses: `reason` is a code, `detail` JSON-ready data naming what is wrong."""

    client_id: str
    reason: str
    detail: Mapping[str, str | int | float]


class InvalidFacts(ValueError):
    """`assess` refused the facts; carries the same reason and detail as the batch's Rejection."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(f"client {rejection.client_id}: {rejection.reason} {dict(rejection.detail)}")
        self.rejection = rejection
        self.reason = rejection.reason
        self.detail = rejection.detail


def assess(facts: ClientFacts, rules: TierRules, previous: TierState | None) -> Assessment:
    """One client's assessment; raises InvalidFacts where `assess_batch` would give a Rejection."""
    (result,) = assess_batch([facts], [previous], rules)
    if isinstance(result, Rejection):
        raise InvalidFacts(result)
    return result


def assess_batch(
    facts: Sequence[ClientFacts], previous: Sequence[TierState | None], rules: TierRules
) -> list[Assessment | Rejection]:
    """Assess many clients at once, in order; `previous[i]` is what was stored for `facts[i]`, if anything."""
    if len(facts) != len(previous):
        raise ValueError(f"{len(facts)} clients' facts but {len(previous)} previous states")
    rejections: list[Rejection | None] = []
    accepted: list[ClientFacts] = []
    accepted_previous: list[TierState | None] = []
    for client, prior in zip(facts, previous, strict=True):
        rejections.append(rejection := _rejection(client, rules.history_months))
        if rejection is None:
            accepted.append(client)
            accepted_previous.append(prior)
    scored = score_dimensions(accepted, rules)
    ranks = {tier.id: rank for rank, tier in enumerate(rules.tiers)}
    assessments = iter(
        _assessment(client, prior, amount, dimensions, value_score, rules, ranks)
        for client, prior, amount, dimensions, value_score in zip(
            accepted, accepted_previous, scored.avg_aum, scored.dimensions, scored.value_score, strict=True
        )
    )
    return [next(assessments) if rejection is None else rejection for rejection in rejections]


def _assessment(
    facts: ClientFacts,
    previous: TierState | None,
    amount: Decimal,
    dimensions: Mapping[Dimension, DimensionScore],
    value_score: float,
    rules: TierRules,
    ranks: Mapping[str, int],
) -> Assessment:
    tiers = rules.tiers
    # From the top down until a tier's conditions all hold: that is the qualified tier.
    conditions_from_top: list[tuple[Reason, ...]] = []
    for tier in reversed(tiers):
        conditions, met = _conditions(tier, amount, value_score)
        conditions_from_top.append(conditions)
        if met:
            break
    qualified = len(tiers) - len(conditions_from_top)

    held, months_below = qualified, 0
    prior_rank = None if previous is None else ranks.get(previous.tier)  # a tier no longer in the rules: afresh
    if previous is not None and prior_rank is not None and prior_rank > qualified:
        counted = previous.months_below > 0 and _same_month(previous.evaluated_on, facts.as_of)
        months_below = previous.months_below + (0 if counted else 1)
        if months_below < rules.downgrade.grace_months:
            held = prior_rank
        else:
            months_below = 0

    tier_id = tiers[held].id
    return Assessment(
        client_id=facts.client_id,
        as_of=facts.as_of,
        rules_version=rules.version,
        avg_aum=amount,
        dimensions=dimensions,
        value_score=value_score,
        qualified_tier=tiers[qualified].id,
        tier=tier_id,
        previous_tier=None if previous is None else previous.tier,
        months_below=months_below,
        months_to_downgrade=months_to_downgrade(rules, tier_id, tiers[qualified].id, months_below),
        conditions=conditions_from_top[len(tiers) - held - 1],
        gap=tier_gap(rules, tier_id, amount, value_score),
        state=TierState(tier_id, months_below, facts.as_of),
    )


def months_to_downgrade(rules: TierRules, tier_id: str, qualified_tier: str, months_below: int) -> int | None:
    """Monthly evaluations below the line still to come, the last one moving the client down; None when the facts
    meet the tier held."""
    return rules.downgrade.grace_months - months_below if tier_id != qualified_tier else None


def tier_gap(rules: TierRules, tier_id: str, avg_aum: Decimal, value_score: float) -> TierGap | None:
    """What the tier above `tier_id` needs that these measures lack; None at the top or for an unknown tier."""
    rank = rules.rank(tier_id)
    if rank is None or rank + 1 >= len(rules.tiers):
        return None
    above = rules.tiers[rank + 1]
    conditions, _met = _conditions(above, avg_aum, value_score)
    return TierGap(above.id, tuple(_shortfall(reason) for reason in conditions if not reason.holds))


def _conditions(tier: Tier, amount: Decimal, value_score: float) -> tuple[tuple[Reason, ...], bool]:
    """The tier's conditions for this client, and whether they all hold."""
    rich_enough = amount >= tier.aum_from
    aum = Reason("avg_aum", amount, tier.aum_from, ">=", rich_enough)
    if tier.min_value_score is None:
        return (aum,), rich_enough
    valued_enough = value_score >= tier.min_value_score
    value = Reason("value_score", value_score, tier.min_value_score, ">=", valued_enough)
    return (aum, value), rich_enough and valued_enough


def _shortfall(condition: Reason) -> Shortfall:
    have, need = condition.value, condition.threshold
    if isinstance(have, Decimal) and isinstance(need, Decimal):
        return Shortfall(condition.fact, have, need, need - have)
    assert isinstance(have, float), "a tier condition compares money or scores"
    assert isinstance(need, float), "a tier condition compares money or scores"
    return Shortfall(condition.fact, have, need, need - have)


def _same_month(earlier: date, later: date) -> bool:
    return earlier.year == later.year and earlier.month == later.month


def _rejection(facts: ClientFacts, history_months: int) -> Rejection | None:
    """Why the engine cannot score these facts, or None; each check is one cheap test, the detail comes after."""
    client_id, as_of = facts.client_id, facts.as_of
    if facts.onboarded_on > as_of:
        detail = {"onboarded_on": facts.onboarded_on.isoformat(), "as_of": as_of.isoformat()}
        return Rejection(client_id, "onboarded_after_as_of", detail)
    if facts.last_activity_on is not None and facts.last_activity_on > as_of:
        detail = {"last_activity_on": facts.last_activity_on.isoformat(), "as_of": as_of.isoformat()}
        return Rejection(client_id, "activity_after_as_of", detail)
    aum, trades, interactions = facts.monthly_aum, facts.monthly_trades, facts.monthly_interactions
    if not len(aum) == len(trades) == len(interactions) == len(facts.monthly_net_flow) == history_months:
        name, length = next((name, len(h)) for name, h in _histories(facts) if len(h) != history_months)
        return Rejection(client_id, "history_length", {"field": name, "length": length, "expected": history_months})
    p_alive, survey_score = facts.p_alive, facts.survey_score
    if p_alive is not None and not 0 <= p_alive <= 1:
        return Rejection(client_id, "p_alive_out_of_range", {"p_alive": p_alive})
    if survey_score is not None and not 0 <= survey_score <= 1:
        return Rejection(client_id, "survey_score_out_of_range", {"survey_score": survey_score})
    if facts.risk_level is not None and not 1 <= facts.risk_level <= 5:
        return Rejection(client_id, "risk_level_out_of_range", {"risk_level": facts.risk_level})
    if min(aum) < _ZERO:
        month = next(month for month, amount in enumerate(aum) if amount < _ZERO)
        return Rejection(client_id, "negative_aum", {"month": month, "amount": str(aum[month])})
    if facts.category_aum and min(facts.category_aum.values()) < _ZERO:
        category = next(category for category, amount in facts.category_aum.items() if amount < _ZERO)
        return Rejection(client_id, "negative_aum", {"category": category, "amount": str(facts.category_aum[category])})
    if min(trades) < 0 or min(interactions) < 0:
        name, month = next(
            (name, month) for name, counts in (("monthly_trades", trades), ("monthly_interactions", interactions))
            for month, count in enumerate(counts) if count < 0
        )
        return Rejection(client_id, "negative_activity", {"field": name, "month": month})
    return None


def _histories(facts: ClientFacts) -> tuple[tuple[str, tuple[object, ...]], ...]:
    return (
        ("monthly_aum", facts.monthly_aum),
        ("monthly_trades", facts.monthly_trades),
        ("monthly_interactions", facts.monthly_interactions),
        ("monthly_net_flow", facts.monthly_net_flow),
    )
