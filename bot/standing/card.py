"""A client's tier as a reader may see it: access checked first, then the data of each view.

The card and the gap come from the tier state the latest scoring run stored (one read); the dimensions explained
and the recommendations need the facts behind them, assessed afresh for the one client (bot.standing.details).
One refusal covers "no such client" and "not yours", so that ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, may_view
from bot.db.models import Adviser, AuditEntry, Client, Role, TierState
from bot.i18n.vocabulary import tier_name
from bot.scoring.service import SEGMENT_COLUMNS
from bot.standing.details import ClientStanding, client_standing
from tiering import Dimension, TierGap, TierRules, months_to_downgrade, tier_gap

__all__ = ["ClientView", "ReaderFigures", "TierCard", "TierView", "client_details", "client_view", "reader_figures"]


class TierView(StrEnum):
    CARD = "card"
    GAP = "gap"
    RECOMMENDATIONS = "recs"
    DIMENSIONS = "dims"


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


@dataclass(frozen=True, slots=True)
class ClientView:
    client_id: str
    # not_linked, no_client (staff asked without an id), not_allowed, not_scored; None with a card to show
    refusal: str | None
    card: TierCard | None = None
    own: bool = True  # the reader is the client


# Built once: the card is read on every /tier.
_CARD = (
    select(
        Client.name, Adviser.name, Adviser.left_on,
        TierState.tier, TierState.qualified_tier, TierState.evaluated_on, TierState.monthly_avg_aum,
        TierState.value_score, TierState.months_below,
        *(getattr(TierState, f"{column}_{kind}") for column in SEGMENT_COLUMNS.values()
          for kind in ("segment", "score")),
    )
    .join(TierState, TierState.client_id == Client.client_id)
    .outerjoin(Adviser, Adviser.adviser_id == Client.adviser_id)
    .where(Client.client_id == bindparam("client_id"))
)


async def _card(session: AsyncSession, client_id: str, rules: TierRules) -> TierCard | None:
    row = (await session.execute(_CARD, {"client_id": client_id})).one_or_none()
    if row is None:
        return None
    name, adviser, adviser_left_on, tier, qualified, as_of, avg_aum, value_score, months_below, *per_dimension = row
    if qualified is None or avg_aum is None or value_score is None or rules.rank(tier) is None:
        return None  # stored before states kept figures, or under rules without this tier: wait for the next run
    dimensions = tuple(
        (dimension, per_dimension[2 * i], per_dimension[2 * i + 1]) for i, dimension in enumerate(SEGMENT_COLUMNS)
    )
    return TierCard(
        client_id=client_id,
        name=name,
        adviser=adviser if adviser_left_on is None or adviser_left_on > as_of else None,
        tier=tier,
        qualified_tier=qualified,
        as_of=as_of,
        avg_aum=avg_aum,
        value_score=value_score,
        dimensions=dimensions,
        months_to_downgrade=months_to_downgrade(rules, tier, qualified, months_below),
        gap=tier_gap(rules, tier, avg_aum, value_score),
    )


async def client_view(session: AsyncSession, reader: Reader, rules: TierRules, client_id: str | None) -> ClientView:
    """The tier card of `client_id` (a client's own when None) if the reader may see it; staff views are audited."""
    if not reader.bound:
        return ClientView(client_id or "", "not_linked")
    client_id = client_id or reader.client_id
    if client_id is None:
        return ClientView("", "no_client")
    if not await may_view(session, reader, client_id):
        return ClientView(client_id, "not_allowed")
    card = await _card(session, client_id, rules)
    if card is None:
        return ClientView(client_id, "not_scored")
    own = reader.role is Role.CLIENT
    if not own:
        session.add(AuditEntry(at=datetime.now(UTC), actor=f"tg:{reader.user_id}", action="client.view",
                               client_id=client_id, details={"role": str(reader.role)}))
    return ClientView(client_id, None, card, own)


async def client_details(session: AsyncSession, client_id: str, rules: TierRules) -> ClientStanding | None:
    """What the dimensions explained and the recommendations need: the client's facts, assessed afresh as of the
    latest scoring run. Call only after `client_view` allowed the reader."""
    return await client_standing(await session.connection(), client_id, rules)


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
    if reader.role is not Role.CLIENT or reader.client_id is None:
        return None
    card = await _card(session, reader.client_id, rules)
    if card is None:
        return None
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
