"""The method's service strategies for an assessed client, ranked, with suitable products from the shelf.

Ids, not sentences: templates render them. Suitability is absolute: a product rated above the client's risk
level (R1-R5 against C1-C5) is never suggested, and without a valid risk assessment no product is suggested
at all, nor any strategy that recommends products, and taking the assessment comes first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Final

from tiering.assessment import Assessment
from tiering.dimensions import Dimension, Segment, full_months
from tiering.facts import ClientFacts, ShelfProduct
from tiering.rules import TierRules

__all__ = [
    "PRODUCT_STRATEGIES",
    "RANKING",
    "STRATEGIES",
    "Recommendation",
    "recommend",
    "require_risk_assessment",
    "risk_assessment_status",
]

MAX_PRODUCTS: Final = 3


@dataclass(frozen=True, slots=True)
class Recommendation:
    id: str
    params: Mapping[str, str | int | Decimal] = field(default_factory=dict)
    products: tuple[str, ...] = ()  # product ids, best first


STRATEGIES: Final[Mapping[Segment, tuple[str, ...]]] = {
    Segment.HIGH_NET_WORTH: ("dedicated_adviser", "bespoke_plan"),
    Segment.MID: ("standard_products", "seminars"),
    Segment.ORDINARY: ("self_service", "low_threshold_products"),
    Segment.HIGH_FREQUENCY: ("realtime_market_news",),
    Segment.LOW_FREQUENCY: ("periodic_reports",),
    Segment.NEW: ("introduction",),
    Segment.GROWTH: ("portfolio_advice",),
    Segment.MATURE: ("premium_service",),
    Segment.DECLINE: ("plans_conversation",),
    Segment.SINGLE_NEED: ("targeted_products",),
    Segment.DIVERSE_NEEDS: ("integrated_planning",),
    Segment.LOYAL: ("value_added_service",),
    Segment.POTENTIAL_CHURN: ("retention_outreach",),
}

# Most urgent first: what blocks advice, then keeping a client at risk, then the tier's service, then the rest.
RANKING: Final = (
    "take_risk_assessment",
    "retention_outreach",
    "plans_conversation",
    "assign_adviser",
    "introduction",
    "dedicated_adviser",
    "bespoke_plan",
    "standard_products",
    "seminars",
    "self_service",
    "low_threshold_products",
    "portfolio_advice",
    "premium_service",
    "integrated_planning",
    "targeted_products",
    "realtime_market_news",
    "periodic_reports",
    "value_added_service",
)
_POSITION: Final = {strategy: position for position, strategy in enumerate(RANKING)}
_TIER_STRATEGIES: Final = frozenset(
    STRATEGIES[Segment.HIGH_NET_WORTH] + STRATEGIES[Segment.MID] + STRATEGIES[Segment.ORDINARY] + ("assign_adviser",)
)

_DIVERSIFYING: Final = frozenset({"bespoke_plan", "standard_products", "portfolio_advice", "integrated_planning"})
# The strategies that recommend products (they carry them, and their words offer them): none without a valid
# risk assessment, even with no product attached.
PRODUCT_STRATEGIES: Final = _DIVERSIFYING | {"targeted_products", "low_threshold_products"}

_ProductOrder = Callable[[ShelfProduct], tuple[object, ...]]


def recommend(
    assessment: Assessment, facts: ClientFacts, shelf: Sequence[ShelfProduct], rules: TierRules
) -> tuple[Recommendation, ...]:
    """The strategies of every segment of the client, ranked by RANKING, products attached where they fit.

    The tier's service strategies follow the tier the client holds (grace included), at the service level of
    the tier's AUM line; the other dimensions' strategies follow their segments. Without a valid risk assessment
    the client is asked to take one first, and nothing recommends products (`require_risk_assessment`).
    """
    if assessment.client_id != facts.client_id:
        raise ValueError(f"assessment of {assessment.client_id} given with the facts of {facts.client_id}")
    strategies = list(STRATEGIES[Segment(rules.service_level(assessment.tier))])
    strategies += (
        strategy
        for dimension in (Dimension.ACTIVITY, Dimension.LIFECYCLE, Dimension.COMPLEXITY, Dimension.LOYALTY)
        for strategy in STRATEGIES[assessment.dimensions[dimension].segment]
    )
    if not facts.has_adviser:
        strategies.append("assign_adviser")
    assessment_status = _risk_assessment_status(facts, rules.suitability.assessment_valid_months)

    held = frozenset(category for category, amount in facts.category_aum.items() if amount > 0)
    suitable = [] if facts.risk_level is None or assessment_status is not None else [
        product for product in shelf
        if product.risk_level <= facts.risk_level
        and (product.min_investment is None or product.min_investment <= assessment.avg_aum)
    ]

    shown: set[str] = set()  # a product is suggested once, under the first strategy that carries it

    def recommendation(strategy: str) -> Recommendation:
        params: dict[str, str | int | Decimal] = {}
        if strategy in _TIER_STRATEGIES:
            params["tier"] = assessment.tier
        products = _products(strategy, [p for p in suitable if p.product_id not in shown], held)
        shown.update(products)
        return Recommendation(strategy, params, products)

    ranked = tuple(recommendation(strategy) for strategy in sorted(set(strategies), key=_POSITION.__getitem__))
    return ranked if assessment_status is None else require_risk_assessment(ranked, assessment_status)


def require_risk_assessment(recommendations: Sequence[Recommendation], status: str) -> tuple[Recommendation, ...]:
    """What stands of `recommendations` for a client whose risk assessment is `status` ("missing" or "expired"):
    taking it first, then every strategy but those that recommend products. One rule for the engine and for a
    reader whose assessment lapsed after the recommendations were made."""
    kept = (r for r in recommendations if r.id not in PRODUCT_STRATEGIES and r.id != "take_risk_assessment")
    return (Recommendation("take_risk_assessment", {"status": status}), *kept)


def _products(strategy: str, suitable: Sequence[ShelfProduct], held: frozenset[str]) -> tuple[str, ...]:
    """The products a strategy carries, from the suitable ones; () for a strategy without products."""
    if strategy == "targeted_products":  # more of what the client already holds
        return _pick([product for product in suitable if product.category in held], lambda p: (p.product_id,))
    if strategy == "low_threshold_products":
        return _pick(suitable, lambda p: (p.min_investment or Decimal(0), p.product_id))
    if strategy in _DIVERSIFYING:  # categories the client does not hold yet come first
        return _pick(suitable, lambda p: (p.category in held, p.product_id))
    return ()


def _risk_assessment_status(facts: ClientFacts, valid_months: int) -> str | None:
    return risk_assessment_status(facts.risk_level, facts.risk_assessed_on, facts.as_of, valid_months)


def risk_assessment_status(level: int | None, assessed_on: date | None, as_of: date, valid_months: int) -> str | None:
    """"missing" or "expired" when a client assessed at `level` on `assessed_on` has no valid risk assessment at
    `as_of` (one is valid for `valid_months` whole months), else None."""
    if level is None or assessed_on is None:
        return "missing"
    return "expired" if full_months(assessed_on, as_of) >= valid_months else None


def _pick(candidates: Sequence[ShelfProduct], order: _ProductOrder) -> tuple[str, ...]:
    """Up to MAX_PRODUCTS in `order`, one per category first so that the suggestions spread."""
    seen: Counter[str] = Counter()
    spread: list[tuple[int, ShelfProduct]] = []
    for product in sorted(candidates, key=order):
        spread.append((seen[product.category], product))  # how many of its category rank above it
        seen[product.category] += 1
    spread.sort(key=lambda item: item[0])  # stable: within a round, `order` still decides
    return tuple(product.product_id for _, product in spread[:MAX_PRODUCTS])
