"""A client's tier as a reader may see it: access checked, standing assessed, each view rendered.

One refusal for "no such client" and "not yours", so that ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, may_view
from bot.db.models import AuditEntry, Role
from bot.rendering import render
from bot.scoring.standing import ClientStanding, client_standing
from bot.vocabulary import tier_name
from tiering import Dimension, TierRules

__all__ = ["ClientView", "ReaderFigures", "TierView", "client_view", "reader_figures"]


class TierView(StrEnum):
    CARD = "card"
    GAP = "gap"
    RECOMMENDATIONS = "recs"
    DIMENSIONS = "dims"


_TEMPLATES = {
    TierView.CARD: "tier/card.html.j2",
    TierView.GAP: "tier/gap.html.j2",
    TierView.RECOMMENDATIONS: "tier/recommendations.html.j2",
    TierView.DIMENSIONS: "tier/dimensions.html.j2",
}


@dataclass(frozen=True, slots=True)
class ClientView:
    client_id: str
    refusal: str | None  # not_linked, not_allowed, not_scored, rejected; None when there is something to show
    standing: ClientStanding | None = None
    rules: TierRules | None = None
    own: bool = True  # the reader is the client

    @property
    def has_gap(self) -> bool:
        return self.standing is not None and self.standing.assessment is not None and \
            self.standing.assessment.gap is not None

    def render(self, view: TierView) -> str:
        assert self.standing is not None
        assert self.standing.assessment is not None
        return render(_TEMPLATES[view], standing=self.standing, a=self.standing.assessment, rules=self.rules,
                      own=self.own, Dimension=Dimension)


async def client_view(session: AsyncSession, reader: Reader, rules: TierRules, client_id: str | None) -> ClientView:
    if not reader.bound:
        return ClientView(client_id or "", "not_linked")
    if client_id is None or not await may_view(session, reader, client_id):
        return ClientView(client_id or "", "not_allowed")
    standing = await client_standing(await session.connection(), client_id, rules)
    if standing is None:
        return ClientView(client_id, "not_scored")
    if standing.assessment is None:
        return ClientView(client_id, "rejected")
    own = reader.role is Role.CLIENT
    if not own:
        session.add(AuditEntry(at=datetime.now(UTC), actor=f"tg:{reader.user_id}", action="client.view",
                               client_id=client_id, details={"role": str(reader.role)}))
    return ClientView(client_id, None, standing, rules, own)


@dataclass(frozen=True, slots=True)
class ReaderFigures:
    """A client's own figures, for FAQ answers that can speak of them."""

    tier: str
    as_of: date
    avg_aum: Decimal
    next_tier: str | None
    short_by: Decimal | None
    adviser: str | None


async def reader_figures(session: AsyncSession, reader: Reader, rules: TierRules) -> ReaderFigures | None:
    """The reader's own figures when they are a scored client; None otherwise."""
    if reader.role is not Role.CLIENT:
        return None
    view = await client_view(session, reader, rules, reader.client_id)
    if view.standing is None or view.standing.assessment is None:
        return None
    a, gap = view.standing.assessment, view.standing.assessment.gap
    short_by = next((s.short_by for s in gap.shortfalls if s.fact == "avg_aum"), None) if gap else None
    return ReaderFigures(
        tier=tier_name(rules, a.tier),
        as_of=view.standing.scored_on,
        avg_aum=a.avg_aum,
        next_tier=tier_name(rules, gap.next_tier) if gap else None,
        short_by=short_by if isinstance(short_by, Decimal) else None,
        adviser=view.standing.adviser_name,
    )
