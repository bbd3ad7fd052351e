"""The tier history: what the last runs left for each client, and what a run writes back.

A snapshot is written only for a client whose tier or a segment changed, so the history is a list of changes; the
state is rewritten only when any of its figures changed, so a steady-state run writes nothing. Every tier change is
audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.alerts import StandingChange
from bot.db.models import AuditEntry, TierSnapshot, TierState
from bot.db.tier_columns import DIMENSION_COLUMNS, STATE_COLUMNS, figures_of
from tiering import Assessment, Dimension
from tiering import TierState as EngineTierState

__all__ = ["Stored", "stored_states", "write_history"]

_SEGMENTS = tuple(columns.segment for columns in DIMENSION_COLUMNS.values())


@dataclass(frozen=True)
class Stored:
    """What the last runs left for a client: the engine's state, the stored state row (figures included) and the
    tier and segments of the latest snapshot."""

    state: EngineTierState
    state_row: dict[str, Any]
    tier_and_segments: tuple[str, ...]

    @property
    def loyalty(self) -> str:
        return self.tier_and_segments[1 + list(DIMENSION_COLUMNS).index(Dimension.LOYALTY)]


def _tier_and_segments(assessment: Assessment) -> tuple[str, ...]:
    return (assessment.tier, *(assessment.dimensions[d].segment for d in DIMENSION_COLUMNS))


async def stored_states(connection: AsyncConnection, first: str, last: str) -> dict[str, Stored]:
    """What the last runs left for the clients with ids in [first, last]."""
    in_chunk = (TierSnapshot.client_id >= first, TierSnapshot.client_id <= last)
    latest = select(func.max(TierSnapshot.id)).where(*in_chunk).group_by(TierSnapshot.client_id)
    state_columns = [TierState.__table__.c[name] for name in STATE_COLUMNS]
    snapshot_columns = [TierSnapshot.__table__.c[name] for name in ("tier", *_SEGMENTS)]
    rows = await connection.execute(
        select(TierState.client_id, *state_columns, *snapshot_columns)
        .join(TierSnapshot, TierSnapshot.client_id == TierState.client_id)
        .where(*in_chunk, TierSnapshot.id.in_(latest))
    )
    stored = {}
    for client_id, *values in rows:
        state_row = dict(zip(STATE_COLUMNS, values[: len(STATE_COLUMNS)], strict=True))
        state = EngineTierState(state_row["tier"], state_row["months_below"], state_row["evaluated_on"])
        stored[client_id] = Stored(state, state_row, tuple(values[len(STATE_COLUMNS):]))
    return stored


async def write_history(
    connection: AsyncConnection,
    assessed: Sequence[Assessment],
    stored: Mapping[str, Stored],
    p_alive: Mapping[str, float | None],
    *,
    run_id: int,
    now: datetime,
    actor: str,
) -> list[StandingChange]:
    """Snapshots for what changed, the new states, an audit entry per tier change; returns the changes."""
    changed = [a for a in assessed
               if a.client_id not in stored or stored[a.client_id].tier_and_segments != _tier_and_segments(a)]
    if changed:
        await connection.execute(insert(TierSnapshot), [_snapshot_row(a, p_alive.get(a.client_id), run_id, now)
                                                        for a in changed])
    states = []
    for a in assessed:
        row = _state_row(a)
        if a.client_id not in stored or stored[a.client_id].state_row != row:
            states.append({"client_id": a.client_id, **row})
    if states:
        await _upsert_states(connection, states)

    changes = [_change(a, stored.get(a.client_id), p_alive.get(a.client_id)) for a in changed]
    audit = [
        {"at": now, "actor": actor, "action": "tier.change", "client_id": change.client_id,
         "details": {"from": change.tier_before, "to": change.tier_after, "rules_version": a.rules_version,
                     "scoring_run": run_id}}
        for a, change in zip(changed, changes, strict=True) if change.tier_before != change.tier_after
    ]
    if audit:
        await connection.execute(insert(AuditEntry), audit)
    return changes


def _change(assessment: Assessment, before: Stored | None, p_alive: float | None) -> StandingChange:
    return StandingChange(
        client_id=assessment.client_id,
        tier_before=before.state.tier if before else None,
        tier_after=assessment.tier,
        loyalty_before=before.loyalty if before else None,
        loyalty_after=str(assessment.dimensions[Dimension.LOYALTY].segment),
        p_alive=p_alive,
    )


def _state_row(assessment: Assessment) -> dict[str, Any]:
    state = assessment.state
    return {"tier": state.tier, "months_below": state.months_below, "evaluated_on": state.evaluated_on,
            "qualified_tier": assessment.qualified_tier, **figures_of(assessment)}


def _snapshot_row(assessment: Assessment, p_alive: float | None, run_id: int, now: datetime) -> dict[str, Any]:
    return {
        "client_id": assessment.client_id,
        "scoring_run_id": run_id,
        "tier": assessment.tier,
        "previous_tier": assessment.previous_tier,
        "p_alive": p_alive,
        "explanation": assessment.explanation(),
        "rules_version": assessment.rules_version,
        "computed_at": now,
        **figures_of(assessment),
    }


async def _upsert_states(connection: AsyncConnection, states: list[dict[str, Any]]) -> None:
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(TierState)
    statement = statement.on_conflict_do_update(
        index_elements=[TierState.client_id],
        set_={column: statement.excluded[column] for column in STATE_COLUMNS},
    )
    await connection.execute(statement, states)
