"""What the demo shows first: the month-ends it scores, so that the tier history has moves and some clients are in the
downgrade grace, and the ids worth trying, picked from the scored database by what they are, not by number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy import ColumnElement, Select, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import Adviser, Client, TierState
from tiering import Segment, TierRules, risk_assessment_status

__all__ = ["SCORED_MONTHS", "Showcase", "pick_showcase", "scoring_dates"]

# The demo scores this many month-ends, as a firm that has run tierbot for a while would have done.
SCORED_MONTHS: Final = 3


def scoring_dates(as_of: date) -> list[date]:
    """The month-ends the demo scores, oldest first: the SCORED_MONTHS - 1 before as_of's month, then as_of."""
    dates = [as_of]
    for _ in range(SCORED_MONTHS - 1):
        dates.insert(0, dates[0].replace(day=1) - timedelta(days=1))
    return dates


@dataclass(frozen=True, slots=True)
class Showcase:
    """Ids worth trying in the demo; None where the book has no such client."""

    client: str | None  # in a tier with one above it, in growth, with a valid risk assessment and an adviser
    client_tier: str | None  # that client's tier
    high_net_worth: str | None  # in the top tier
    in_grace: str | None  # held in a tier above what the figures qualify for, months below the line
    unassessed: str | None  # never risk-assessed, so asked to take an assessment instead of shown products
    adviser: str | None  # the adviser whose book has clients of the most tiers, and the most clients
    adviser_clients: int  # how many clients that adviser has


async def pick_showcase(engine: AsyncEngine, rules: TierRules, *, reads: str | None = None) -> Showcase:
    """The showcase ids of a scored demo database, the same for the same database. People whose record says they
    read `reads` (the language of whoever tries the demo) come first, since the chat speaks the person's language."""
    client_first = case((Client.locale == reads, 0), else_=1)
    adviser_first = case((Adviser.locale == reads, 0), else_=1)
    tier_ids = [tier.id for tier in rules.tiers]
    below_top = tier_ids[1:-1] or tier_ids[:-1]  # a tier with one above it, the lowest only when there are two
    settled = TierState.tier == TierState.qualified_tier
    with_adviser = Client.adviser_id.is_not(None)
    valid_months = rules.suitability.assessment_valid_months
    async with engine.connect() as connection:
        candidates = await connection.execute(
            _clients(TierState.tier.in_(below_top), settled, with_adviser,
                     TierState.lifecycle_segment == str(Segment.GROWTH), Client.risk_level.is_not(None))
            .add_columns(TierState.tier, Client.risk_level, Client.risk_assessed_on, TierState.evaluated_on)
            .order_by(client_first, TierState.value_score.desc(), Client.client_id))
        client = next((row for row in candidates
                       if risk_assessment_status(row.risk_level, row.risk_assessed_on, row.evaluated_on,
                                                 valid_months) is None), None)
        high_net_worth = await connection.scalar(
            _clients(TierState.tier == tier_ids[-1], settled, with_adviser)
            .order_by(client_first, TierState.value_score.desc(), Client.client_id).limit(1))
        in_grace = await connection.scalar(
            _clients(TierState.months_below > 0, TierState.tier != TierState.qualified_tier)
            .order_by(client_first, TierState.months_below.desc(), TierState.monthly_avg_aum.desc(), Client.client_id)
            .limit(1))
        unassessed = await connection.scalar(
            _clients(Client.risk_level.is_(None), with_adviser)
            .order_by(client_first, TierState.monthly_avg_aum.desc(), Client.client_id).limit(1))
        tiers, clients = func.count(distinct(TierState.tier)), func.count(Client.client_id)
        adviser = (await connection.execute(
            select(Adviser.adviser_id, clients.label("clients"))
            .join(Client, Client.adviser_id == Adviser.adviser_id)
            .join(TierState, TierState.client_id == Client.client_id)
            .where(Adviser.left_on.is_(None))
            .group_by(Adviser.adviser_id)
            .order_by(tiers.desc(), adviser_first, clients.desc(), Adviser.adviser_id)
            .limit(1))).one_or_none()
    return Showcase(
        client=client.client_id if client is not None else None,
        client_tier=client.tier if client is not None else None,
        high_net_worth=high_net_worth,
        in_grace=in_grace,
        unassessed=unassessed,
        adviser=adviser.adviser_id if adviser is not None else None,
        adviser_clients=adviser.clients if adviser is not None else 0,
    )


def _clients(*where: ColumnElement[bool]) -> Select[str]:
    """Scored clients meeting every condition (on `Client` and `TierState`)."""
    return select(Client.client_id).join(TierState, TierState.client_id == Client.client_id).where(*where)
