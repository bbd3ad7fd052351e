"""The pure tiering domain: client facts in, dimension scores, tiers and recommendations out.

No I/O here: this package imports neither aiogram, SQLAlchemy nor `bot`.
"""

from tiering.assessment import (
    Assessment,
    InvalidFacts,
    Rejection,
    Shortfall,
    TierGap,
    TierState,
    assess,
    assess_batch,
    months_to_downgrade,
    tier_gap,
)
from tiering.churn import BetaGeo
from tiering.dimensions import DIMENSION_SEGMENTS, Dimension, DimensionScore, Reason, Segment
from tiering.facts import ClientFacts, ShelfProduct
from tiering.recommendations import (
    PRODUCT_STRATEGIES,
    RANKING,
    STRATEGIES,
    Recommendation,
    recommend,
    require_risk_assessment,
    risk_assessment_status,
)
from tiering.rules import DEFAULT_RULES_PATH, RulesError, Tier, TierRules, parse_rules

__all__ = [
    "DEFAULT_RULES_PATH",
    "DIMENSION_SEGMENTS",
    "PRODUCT_STRATEGIES",
    "RANKING",
    "STRATEGIES",
    "Assessment",
    "BetaGeo",
    "ClientFacts",
    "Dimension",
    "DimensionScore",
    "InvalidFacts",
    "Reason",
    "Recommendation",
    "Rejection",
    "RulesError",
    "Segment",
    "ShelfProduct",
    "Shortfall",
    "Tier",
    "TierGap",
    "TierRules",
    "TierState",
    "assess",
    "assess_batch",
    "months_to_downgrade",
    "parse_rules",
    "recommend",
    "require_risk_assessment",
    "risk_assessment_status",
    "tier_gap",
]
