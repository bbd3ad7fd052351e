"""The firm at a glance, for admins: the tier distribution now, what the last scoring run changed, churn risk, and
the people the bot cannot reach.

A handful of aggregate queries, whatever the size of the firm: counts come from GROUP BY, never from rows read one
by one. Counts only: no names, no figures of any one client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.accounts import Reader
from bot.db.models import OutboxMessage, OutboxStatus, Role, ScoringRun, TelegramAccount, TierSnapshot, TierState
from tiering import Segment

__all__ = ["UNDELIVERED", "FirmStats", "LastRun", "TierCount", "firm_stats", "require_admin"]

# The outbox's ends that need a person's attention: the message did not arrive, or may not have.
UNDELIVERED = (OutboxStatus.UNREACHABLE, OutboxStatus.UNKNOWN, OutboxStatus.FAILED)


@dataclass(frozen=True, slots=True)
class TierCount:
    """How many clients stand in `tier` now."""

    tier: str
    clients: int


@dataclass(frozen=True, slots=True)
class LastRun:
    """The latest finished scoring run and what it changed."""

    run_id: int
    rules_version: str
    as_of: date
    finished_at: datetime
    clients_scored: int
    # (tier before, tier after) -> clients whose tier the run changed; before is None for a first placement.
    changes: Mapping[tuple[str | None, str], int]
    crossed_into_churn: int  # clients the run moved into potential churn from another loyalty segment

    @property
    def tier_changes(self) -> int:
        return sum(n for (before, _after), n in self.changes.items() if before is not None)

    @property
    def first_placements(self) -> int:
        return sum(n for (before, _after), n in self.changes.items() if before is None)


@dataclass(frozen=True, slots=True)
class FirmStats:
    tiers: tuple[TierCount, ...]  # every tier a client stands in, in no particular order
    at_risk: int  # clients at risk of leaving now (loyalty segment potential churn)
    last_run: LastRun | None
    blocked: Mapping[Role, int]  # bound accounts that blocked the bot, by role (roles with none left out)
    undelivered: Mapping[OutboxStatus, int]  # outbox messages by status among UNDELIVERED (none left out)

    @property
    def clients(self) -> int:
        return sum(t.clients for t in self.tiers)


def require_admin(reader: Reader) -> None:
    """The admin views are for admins: the router's filter sees to it, and this makes sure no other path does."""
    if reader.role is not Role.ADMIN:
        raise PermissionError("the admin views are for admins only")


async def firm_stats(session: AsyncSession, reader: Reader) -> FirmStats:
    require_admin(reader)
    return FirmStats(tiers=await _tiers(session), at_risk=await _at_risk(session), last_run=await _last_run(session),
                     blocked=await _blocked(session), undelivered=await _undelivered(session))


async def _tiers(session: AsyncSession) -> tuple[TierCount, ...]:
    rows = await session.execute(select(TierState.tier, func.count()).group_by(TierState.tier))  # the index alone
    return tuple(TierCount(tier, n) for tier, n in rows)


async def _at_risk(session: AsyncSession) -> int:
    at_risk = TierState.loyalty_segment == Segment.POTENTIAL_CHURN.value
    return await session.scalar(select(func.count()).select_from(TierState).where(at_risk)) or 0


async def _last_run(session: AsyncSession) -> LastRun | None:
    run = (await session.execute(
        select(ScoringRun.id, ScoringRun.rules_version, ScoringRun.as_of, ScoringRun.finished_at,
               ScoringRun.clients_scored)
        .where(ScoringRun.finished_at.is_not(None)).order_by(ScoringRun.id.desc()).limit(1)
    )).one_or_none()
    if run is None:
        return None
    changes: dict[tuple[str | None, str], int] = {}
    crossed = 0
    for before, after, n, into_churn in await session.execute(
        select(TierSnapshot.previous_tier, TierSnapshot.tier, func.count(), func.sum(_crossed_into_churn()))
        .where(TierSnapshot.id > _last_snapshot_before(run.id), TierSnapshot.scoring_run_id == run.id)
        .group_by(TierSnapshot.previous_tier, TierSnapshot.tier)
    ):
        if before != after:
            changes[(before, after)] = n
        crossed += int(into_churn or 0)
    return LastRun(run.id, run.rules_version, run.as_of, run.finished_at, run.clients_scored, changes, crossed)


def _last_snapshot_before(run_id: int) -> ColumnElement[int]:
    """The id of the newest snapshot of another run than the last finished one, `run_id` (0 when none).

    A run writes its snapshots in its own transaction, after those of every run before it, so the last run's hold
    the highest ids: walking the key back from the end finds where they start, where a condition on
    `scoring_run_id` alone (not indexed) would read the whole history."""
    other = aliased(TierSnapshot)
    newest = (select(other.id).where(or_(other.scoring_run_id.is_(None), other.scoring_run_id != run_id))
              .order_by(other.id.desc()).limit(1).scalar_subquery())
    return func.coalesce(newest, 0)


def _crossed_into_churn() -> ColumnElement[int]:
    """1 for a snapshot in potential churn whose client's snapshot before was in another loyalty segment (the
    crossing the alert policy tells advisers of; a first placement is none), else 0; the snapshot before is looked
    up for snapshots in potential churn only."""
    before = aliased(TierSnapshot)
    loyalty_before = (
        select(before.loyalty_segment)
        .where(before.client_id == TierSnapshot.client_id, before.computed_at < TierSnapshot.computed_at)
        .order_by(before.computed_at.desc(), before.id.desc()).limit(1)
        .correlate(TierSnapshot).scalar_subquery()
    )
    churn = Segment.POTENTIAL_CHURN.value
    return case((TierSnapshot.loyalty_segment != churn, 0), (loyalty_before != churn, 1), else_=0)


async def _blocked(session: AsyncSession) -> dict[Role, int]:
    rows = await session.execute(
        select(TelegramAccount.role, func.count())
        .where(TelegramAccount.blocked_at.is_not(None)).group_by(TelegramAccount.role))
    return {role: n for role, n in rows}


async def _undelivered(session: AsyncSession) -> dict[OutboxStatus, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.status.in_(UNDELIVERED)).group_by(OutboxMessage.status))
    return {status: n for status, n in rows}
