"""The alert policy: what, of a change in a client's standing, is news to their adviser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.db.models import AlertKind
from tiering import Segment

__all__ = ["StandingChange", "alerts_due"]



@dataclass(frozen=True, slots=True)
class StandingChange:
    """A client's tier and loyalty segment before and after a scoring run; before is None on a first evaluation."""

    client_id: str
    tier_before: str | None
    tier_after: str
    loyalty_before: str | None
    loyalty_after: str
    p_alive: float | None


def alerts_due(change: StandingChange) -> list[tuple[AlertKind, dict[str, Any]]]:
    """The alerts (kind, details: ids and codes only) the change calls for; a first tier is no news."""
    if change.tier_before is None:
        return []
    due: list[tuple[AlertKind, dict[str, Any]]] = []
    if change.tier_before != change.tier_after:
        due.append((AlertKind.TIER_CHANGE, {"from": change.tier_before, "to": change.tier_after}))
    if change.loyalty_after == Segment.POTENTIAL_CHURN and change.loyalty_before != Segment.POTENTIAL_CHURN:
        due.append((AlertKind.CHURN_RISK, {"from": change.loyalty_before, "to": change.loyalty_after,
                                           "p_alive": change.p_alive}))
    return due
