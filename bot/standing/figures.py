"""A client's own figures, for FAQ answers that speak of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, Refusal
from bot.db.models import Role
from bot.i18n.vocabulary import tier_name
from bot.standing.card import open_card
from tiering import TierRules

__all__ = ["ReaderFigures", "reader_figures"]


@dataclass(frozen=True, slots=True)
class ReaderFigures:
    tier: str
    as_of: date
    avg_aum: Decimal
    next_tier: str | None
    short_by: Decimal | None
    adviser: str | None


async def reader_figures(session: AsyncSession, reader: Reader, rules: TierRules) -> ReaderFigures | None:
    """The reader's own figures when they are a scored client; None otherwise (staff included)."""
    if reader.role is not Role.CLIENT:
        return None
    view = await open_card(session, reader, rules, None)
    if isinstance(view, Refusal):
        return None
    card = view.card
    gap = card.gap
    short_by = next((s.short_by for s in gap.shortfalls if s.fact == "avg_aum"), None) if gap else None
    return ReaderFigures(
        tier=tier_name(rules, card.tier),
        as_of=card.as_of,
        avg_aum=card.avg_aum,
        next_tier=tier_name(rules, gap.next_tier) if gap else None,
        short_by=short_by if isinstance(short_by, Decimal) else None,
        adviser=card.adviser,
    )
