"""A client's tier card: the tier, its figures and the gap to the next, as the latest scoring run stored them.

One indexed read of the client's tier state, and one of their latest statement's currencies; the caller must hold an
`AllowedClient` for the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.accounts import AllowedClient, Reader, Refusal, grant_access
from bot.config import get_settings
from bot.db.models import Adviser, Balance, Client, TierState, with_the_firm
from bot.db.tier_columns import FIGURE_COLUMNS, dimension_figures
from bot.scoring.features import CENT
from bot.scoring.fx import in_base, with_month_rates
from tiering import Dimension, TierGap, TierRules, months_to_downgrade, tier_gap

__all__ = ["CardView", "CurrencyHolding", "TierCard", "open_card", "tier_card"]


@dataclass(frozen=True, slots=True)
class CurrencyHolding:
    """What a client holds in one currency on their latest statement, and its worth in the base currency."""

    currency: str
    amount: Decimal
    in_base: Decimal
    base: bool  # this is the base currency


@dataclass(frozen=True, slots=True)
class TierCard:
    """A client's tier as the latest scoring run left it."""

    client_id: str
    name: str
    adviser: str | None  # their adviser's name, while the adviser is with the firm
    tier: str
    qualified_tier: str
    as_of: date
    avg_aum: Decimal
    value_score: float
    dimensions: tuple[tuple[Dimension, str, float], ...]  # (dimension, segment, score), in display order
    months_to_downgrade: int | None
    gap: TierGap | None
    # By currency, the base currency first, when the client holds any other; empty when all is in the base.
    currencies: tuple[CurrencyHolding, ...] = ()


@dataclass(frozen=True, slots=True)
class CardView:
    """A card the reader was allowed to see."""

    allowed: AllowedClient
    card: TierCard


# Built once: the card is read on every /tier.
_CARD = (
    select(
        Client.name, Adviser.name.label("adviser"), Adviser.left_on.label("adviser_left_on"),
        TierState.tier, TierState.qualified_tier, TierState.evaluated_on, TierState.months_below,
        *(TierState.__table__.c[name] for name in FIGURE_COLUMNS),
    )
    .join(TierState, TierState.client_id == Client.client_id)
    .outerjoin(Adviser, Adviser.adviser_id == Client.adviser_id)
    .where(Client.client_id == bindparam("client_id"))
)
_LATEST_STATEMENT: Final = (
    select(func.max(Balance.as_of))
    .where(Balance.client_id == bindparam("client_id"), Balance.as_of <= bindparam("as_of"))
    .scalar_subquery()
)
_CURRENCIES: Final = (
    with_month_rates(select(Balance.currency, func.sum(Balance.amount), func.sum(in_base(Balance.amount))),
                     Balance.currency, Balance.as_of)
    .where(Balance.client_id == bindparam("client_id"), Balance.as_of == _LATEST_STATEMENT, Balance.amount > 0)
    .group_by(Balance.currency)
)


async def currency_holdings(connection: AsyncConnection, client_id: str, as_of: date) -> tuple[CurrencyHolding, ...]:
    """The client's latest statement up to `as_of` by currency, when it holds one other than the base."""
    base = get_settings().firm.base_currency
    totals: dict[str, list[Decimal]] = {}
    for currency, amount, worth in await connection.execute(_CURRENCIES, {"client_id": client_id, "as_of": as_of}):
        entry = totals.setdefault(currency or base, [Decimal(0), Decimal(0)])
        entry[0] += Decimal(amount)
        entry[1] += Decimal(worth)
    if set(totals) <= {base}:
        return ()
    ranked = sorted(totals.items(), key=lambda item: (item[0] != base, -item[1][1], item[0]))
    return tuple(CurrencyHolding(code, amount.quantize(CENT), worth.quantize(CENT), code == base)
                 for code, (amount, worth) in ranked)


async def tier_card(session: AsyncSession, allowed: AllowedClient, rules: TierRules) -> TierCard | None:
    """The allowed client's card; None until a scoring run under rules that know their tier has placed them."""
    connection = await session.connection()  # a Core read: no ORM work on its row
    row = (await connection.execute(_CARD, {"client_id": allowed.client_id})).mappings().one_or_none()
    if row is None:
        return None
    tier, qualified, as_of, avg_aum = row["tier"], row["qualified_tier"], row["evaluated_on"], row["monthly_avg_aum"]
    if qualified is None or avg_aum is None or row["value_score"] is None or rules.rank(tier) is None:
        return None  # stored before states kept figures, or under rules without this tier: wait for the next run
    left_on = row["adviser_left_on"]
    return TierCard(
        client_id=allowed.client_id,
        name=row["name"],
        adviser=row["adviser"] if with_the_firm(left_on, as_of) else None,
        tier=tier,
        qualified_tier=qualified,
        as_of=as_of,
        avg_aum=avg_aum,
        value_score=row["value_score"],
        dimensions=dimension_figures(row),
        months_to_downgrade=months_to_downgrade(rules, tier, qualified, row["months_below"]),
        gap=tier_gap(rules, tier, avg_aum, row["value_score"]),
        currencies=await currency_holdings(connection, allowed.client_id, as_of),
    )


async def open_card(session: AsyncSession, reader: Reader, rules: TierRules, client_id: str | None
                    ) -> CardView | Refusal:
    """The card of `client_id` (the reader's own when None) if the reader may see it and it has been scored."""
    allowed = await grant_access(session, reader, client_id)
    if isinstance(allowed, Refusal):
        return allowed
    card = await tier_card(session, allowed, rules)
    return Refusal.NOT_SCORED if card is None else CardView(allowed, card)
