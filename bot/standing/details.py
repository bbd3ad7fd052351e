"""A client's standing in detail (the dimensions explained, the recommendations): assessed afresh, through the
batch's own code path, as of the latest run.

A snapshot is written only when a tier or segment changes, so it may hold months-old figures; the chat shows
the figures as of the latest scoring run instead: the same facts query, restricted to the one client, the
churn model that run fitted, and the tier state it stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import AllowedClient
from bot.config import firm_today
from bot.db.models import Product, ScoringRun, TierState
from bot.scoring.features import Window, chunk_facts, purchase_histories
from tiering import (
    Assessment,
    BetaGeo,
    ClientFacts,
    Recommendation,
    Rejection,
    ShelfProduct,
    TierRules,
    assess_batch,
    recommend,
    require_risk_assessment,
    risk_assessment_status,
)
from tiering import TierState as EngineTierState

__all__ = ["ClientStanding", "ShelfEntry", "client_details"]


@dataclass(frozen=True, slots=True)
class ShelfEntry:
    product_id: str
    name_en: str
    name_zh: str
    name_zh_hant: str | None
    category: str
    risk_level: int


@dataclass(frozen=True, slots=True)
class ClientStanding:
    facts: ClientFacts
    assessment: Assessment | Rejection
    recommendations: tuple[Recommendation, ...]
    products: dict[str, ShelfEntry]  # the recommended products, by id


# Built once, as the card's read is: the details are read on every summary and every "why" of a card.
# The latest finished run (its day and churn model) and the client's tier state (none before their first run).
_RUN_AND_STATE: Final = (
    select(ScoringRun.as_of, ScoringRun.churn_model, TierState.tier, TierState.months_below, TierState.evaluated_on)
    .outerjoin(TierState, TierState.client_id == bindparam("client_id"))
    .where(ScoringRun.id == select(func.max(ScoringRun.id)).where(ScoringRun.finished_at.is_not(None))
           .scalar_subquery())
)
_SHELF: Final = select(Product.product_id, Product.name_en, Product.name_zh, Product.name_zh_hant, Product.category,
                       Product.risk_level, Product.min_investment)


async def client_details(session: AsyncSession, allowed: AllowedClient, rules: TierRules) -> ClientStanding | None:
    """The allowed client's standing, or None when no scoring run has finished yet."""
    connection = await session.connection()
    client_id = allowed.client_id
    run = (await connection.execute(_RUN_AND_STATE, {"client_id": client_id})).one_or_none()
    if run is None:
        return None
    window = Window(run.as_of, rules.history_months)

    p_alive: dict[str, float] = {}
    if run.churn_model is not None:
        for history in await purchase_histories(connection, window, client_id):
            model = BetaGeo(**run.churn_model)
            p_alive[client_id] = float(model.p_alive([history.frequency], [history.recency], [history.age])[0])
    facts_found = await chunk_facts(connection, window, client_id, client_id, p_alive)
    if not facts_found:
        return None
    (facts,) = facts_found
    previous = None if run.tier is None else EngineTierState(run.tier, run.months_below, run.evaluated_on)
    (result,) = assess_batch([facts], [previous], rules)
    if isinstance(result, Rejection):
        return ClientStanding(facts, result, (), {})

    products = (await connection.execute(_SHELF)).all()
    shelf = [ShelfProduct(p.product_id, p.category, p.risk_level, p.min_investment) for p in products]
    recommendations = recommend(result, facts, shelf, rules)
    # Judged at the run's day by the engine; an assessment that has lapsed since withdraws the products today.
    lapsed = risk_assessment_status(facts.risk_level, facts.risk_assessed_on, firm_today(),
                                    rules.suitability.assessment_valid_months)
    if lapsed is not None:
        recommendations = require_risk_assessment(recommendations, lapsed)
    named = {product for r in recommendations for product in r.products}
    return ClientStanding(
        facts=facts,
        assessment=result,
        recommendations=recommendations,
        products={p.product_id: ShelfEntry(*p[:6]) for p in products if p.product_id in named},
    )
