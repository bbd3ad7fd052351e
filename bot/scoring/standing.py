"""One client's standing for the chat: assessed afresh, through the batch's own code path, as of the latest run.

A snapshot is written only when a tier or segment changes, so it may hold months-old figures; the chat shows
the figures as of the latest scoring run instead: the same facts query, restricted to the one client, the
churn model that run fitted, and the tier state it stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.models import Adviser, Client, Product, ScoringRun, TierState
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
)
from tiering import TierState as EngineTierState

__all__ = ["ClientStanding", "ShelfEntry", "client_standing"]


@dataclass(frozen=True, slots=True)
class ShelfEntry:
    product_id: str
    name_en: str
    name_zh: str
    category: str
    risk_level: int


@dataclass(frozen=True, slots=True)
class ClientStanding:
    client_id: str
    name: str
    adviser_name: str | None
    scored_on: date  # the as-of day of the scoring run the figures follow
    facts: ClientFacts
    assessment: Assessment | None  # None when the engine rejected the facts
    rejection: Rejection | None
    recommendations: tuple[Recommendation, ...]
    products: dict[str, ShelfEntry]  # the recommended products, by id


async def client_standing(connection: AsyncConnection, client_id: str, rules: TierRules) -> ClientStanding | None:
    """The client's standing, or None when the client is unknown or no scoring run has finished yet."""
    client = (await connection.execute(
        select(Client.name, Adviser.name, Adviser.left_on)
        .outerjoin(Adviser, Adviser.adviser_id == Client.adviser_id)
        .where(Client.client_id == client_id)
    )).one_or_none()
    run = (await connection.execute(
        select(ScoringRun.as_of, ScoringRun.churn_model)
        .where(ScoringRun.finished_at.is_not(None)).order_by(ScoringRun.id.desc()).limit(1)
    )).one_or_none()
    if client is None or run is None:
        return None
    name, adviser_name, adviser_left_on = client
    window = Window(run.as_of, rules.history_months)

    p_alive: dict[str, float] = {}
    if run.churn_model is not None:
        history = (await connection.execute(purchase_histories(window, client_id))).one_or_none()
        if history is not None:
            model = BetaGeo(**run.churn_model)
            p_alive[client_id] = float(model.p_alive([history.frequency], [history.recency], [history.age])[0])
    (facts,) = (await chunk_facts(connection, window, client_id, client_id, p_alive)).facts
    state = (await connection.execute(
        select(TierState.tier, TierState.months_below, TierState.evaluated_on).where(TierState.client_id == client_id)
    )).one_or_none()
    previous = None if state is None else EngineTierState(*state)
    (result,) = assess_batch([facts], [previous], rules)
    if isinstance(result, Rejection):
        return ClientStanding(client_id, name, None, run.as_of, facts, None, result, (), {})

    products = (await connection.execute(
        select(Product.product_id, Product.name_en, Product.name_zh, Product.category, Product.risk_level,
               Product.min_investment)
    )).all()
    shelf = [ShelfProduct(p.product_id, p.category, p.risk_level, p.min_investment) for p in products]
    recommendations = recommend(result, facts, shelf, rules)
    named = {product for r in recommendations for product in r.products}
    still_here = adviser_left_on is None or adviser_left_on > run.as_of
    return ClientStanding(
        client_id=client_id,
        name=name,
        adviser_name=adviser_name if still_here else None,
        scored_on=run.as_of,
        facts=facts,
        assessment=result,
        rejection=None,
        recommendations=recommendations,
        products={p.product_id: ShelfEntry(*p[:5]) for p in products if p.product_id in named},
    )
