"""Batch scoring: facts from the database, tiers from `tiering`, history and alerts back into the database.

A run reads clients chunk by chunk, assesses each chunk in one batch, and writes a snapshot only for clients
whose tier or segments changed, so the tier history is a list of changes. The whole run is one transaction:
it lands entirely or not at all. A dry run computes the same and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db.models import Alert, AlertKind, AuditEntry, Balance, ScoringRun, TierSnapshot, TierState
from bot.scoring.features import Chunk, Window, chunk_facts, churn_outlook, client_id_chunks
from tiering import (
    DEFAULT_RULES_PATH,
    Assessment,
    BetaGeo,
    ClientFacts,
    Dimension,
    Rejection,
    TierRules,
    assess_batch,
    parse_rules,
)
from tiering import TierState as EngineTierState

CHUNK_CLIENTS = 5_000
SEGMENT_COLUMNS = {
    Dimension.ASSET_SIZE: "asset",
    Dimension.ACTIVITY: "activity",
    Dimension.LIFECYCLE: "lifecycle",
    Dimension.COMPLEXITY: "complexity",
    Dimension.LOYALTY: "loyalty",
}
POTENTIAL_CHURN = "potential_churn"
UNSCORED = None

# Called with the number of clients just scored.
ScoringProgress = Callable[[int], None]


class NothingToScore(Exception):
    """There are no balances to score against."""


def load_rules(path: Path | None) -> TierRules:
    """The rules in `path`, or the default rules; RulesError names what is wrong in a bad file."""
    source = path or DEFAULT_RULES_PATH
    return parse_rules(source.read_text(encoding="utf-8"), source=source.name)


@dataclass
class ScoringReport:
    as_of: date
    rules_version: str
    tier_order: tuple[str, ...]  # lowest first
    dry_run: bool
    churn_model: BetaGeo | None = None
    churn_model_problem: str | None = None
    scored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    snapshots_written: int = 0
    # (tier before the run or None when never scored, tier after) -> clients
    transitions: Counter[tuple[str | None, str]] = field(default_factory=Counter)

    @property
    def tier_changes(self) -> int:
        return sum(n for (before, after), n in self.transitions.items() if before is not None and before != after)

    def distribution(self, *, before: bool) -> Counter[str | None]:
        counts: Counter[str | None] = Counter()
        for (old, new), n in self.transitions.items():
            counts[old if before else new] += n
        return counts


@dataclass(frozen=True)
class _Stored:
    """What the last runs left for a client: the engine's state, the stored state row (figures included) and the
    tier and segments of the latest snapshot."""

    state: EngineTierState
    state_row: dict[str, Any]
    tier_and_segments: tuple[str, ...]


STATE_COLUMNS = ("tier", "months_below", "evaluated_on", "qualified_tier", "value_score", "monthly_avg_aum",
                 *(f"{column}_{kind}" for column in SEGMENT_COLUMNS.values() for kind in ("score", "segment")))


async def default_as_of(connection: AsyncConnection) -> date:
    """The day of the latest statement: the data's own "today", whatever the clock says."""
    latest: date | None = (await connection.execute(select(func.max(Balance.as_of)))).scalar_one()
    if latest is None:
        raise NothingToScore
    return latest


async def score_clients(
    engine: AsyncEngine,
    rules: TierRules,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
    actor: str = "cli",
    chunk_clients: int = CHUNK_CLIENTS,
    progress: ScoringProgress | None = None,
) -> ScoringReport:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            window = Window(as_of or await default_as_of(connection), rules.history_months)
            report = ScoringReport(as_of=window.as_of, rules_version=rules.version,
                                   tier_order=tuple(t.id for t in rules.tiers), dry_run=dry_run)
            churn = await churn_outlook(connection, window)
            report.churn_model, report.churn_model_problem = churn.model, churn.problem
            started = datetime.now(UTC)
            run_id = None if dry_run else await _start_run(connection, report, started)
            async for first, last in client_id_chunks(connection, chunk_clients):
                chunk = await chunk_facts(connection, window, first, last, churn.p_alive)
                stored = await _stored_states(connection, first, last)
                results = _assess(chunk.facts, stored, rules)
                if run_id is not None:
                    await _write(connection, results, chunk, stored, report, run_id, started, actor)
                _count(results, stored, report)
                if progress:
                    progress(len(chunk.facts))
            if run_id is not None:
                await _finish_run(connection, run_id, report)
                await transaction.commit()
        finally:
            if transaction.is_active:
                await transaction.rollback()
    return report


def _assess(
    facts: Sequence[ClientFacts], stored: dict[str, _Stored], rules: TierRules
) -> list[Assessment | Rejection]:
    previous = [stored[f.client_id].state if f.client_id in stored else None for f in facts]
    return assess_batch(facts, previous, rules)


def _tier_and_segments(assessment: Assessment) -> tuple[str, ...]:
    return (assessment.tier, *(assessment.dimensions[d].segment for d in SEGMENT_COLUMNS))


def _count(results: Sequence[Assessment | Rejection], stored: dict[str, _Stored], report: ScoringReport) -> None:
    for result in results:
        if isinstance(result, Rejection):
            report.rejected[result.reason] += 1
            continue
        report.scored += 1
        before = stored[result.client_id].state.tier if result.client_id in stored else UNSCORED
        report.transitions[(before, result.tier)] += 1


async def _stored_states(connection: AsyncConnection, first: str, last: str) -> dict[str, _Stored]:
    in_chunk = (TierSnapshot.client_id >= first, TierSnapshot.client_id <= last)
    latest = select(func.max(TierSnapshot.id)).where(*in_chunk).group_by(TierSnapshot.client_id)
    rows = await connection.execute(
        select(TierState.client_id, *(getattr(TierState, column) for column in STATE_COLUMNS), TierSnapshot.tier,
               *(getattr(TierSnapshot, f"{column}_segment") for column in SEGMENT_COLUMNS.values()))
        .join(TierSnapshot, TierSnapshot.client_id == TierState.client_id)
        .where(*in_chunk, TierSnapshot.id.in_(latest))
    )
    stored = {}
    for client_id, *values in rows:
        state_row = dict(zip(STATE_COLUMNS, values[: len(STATE_COLUMNS)], strict=True))
        state = EngineTierState(state_row["tier"], state_row["months_below"], state_row["evaluated_on"])
        stored[client_id] = _Stored(state, state_row, tuple(values[len(STATE_COLUMNS) :]))
    return stored


async def _start_run(connection: AsyncConnection, report: ScoringReport, started: datetime) -> int:
    model = report.churn_model
    churn = None if model is None else {
        "r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b, "log_likelihood": model.log_likelihood}
    return (await connection.execute(
        insert(ScoringRun).values(rules_version=report.rules_version, as_of=report.as_of, started_at=started,
                                  churn_model=churn).returning(ScoringRun.id)
    )).scalar_one()


async def _finish_run(connection: AsyncConnection, run_id: int, report: ScoringReport) -> None:
    await connection.execute(
        update(ScoringRun).where(ScoringRun.id == run_id).values(
            finished_at=datetime.now(UTC), clients_scored=report.scored, snapshots_written=report.snapshots_written)
    )


async def _write(
    connection: AsyncConnection,
    results: Sequence[Assessment | Rejection],
    chunk: Chunk,
    stored: dict[str, _Stored],
    report: ScoringReport,
    run_id: int,
    now: datetime,
    actor: str,
) -> None:
    """Snapshots for what changed, the new states, and an alert and audit entry per tier change."""
    p_alive = {f.client_id: f.p_alive for f in chunk.facts}
    assessed = [a for a in results if isinstance(a, Assessment)]
    changed = [
        a for a in assessed
        if a.client_id not in stored or stored[a.client_id].tier_and_segments != _tier_and_segments(a)
    ]
    if changed:
        await connection.execute(insert(TierSnapshot), [_snapshot_row(a, p_alive[a.client_id], run_id, now)
                                                        for a in changed])
        report.snapshots_written += len(changed)
    states = []
    for a in assessed:
        row = _state_row(a)
        if a.client_id not in stored or stored[a.client_id].state_row != row:
            states.append({"client_id": a.client_id, **row})
    if states:
        await _upsert_states(connection, states)

    alerts: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    for a in changed:
        before = stored.get(a.client_id)
        adviser = chunk.advisers.get(a.client_id)
        if before is None or before.state.tier != a.tier:
            audit.append({"at": now, "actor": actor, "action": "tier.change", "client_id": a.client_id,
                          "details": {"from": before and before.state.tier, "to": a.tier,
                                      "rules_version": a.rules_version, "scoring_run": run_id}})
        if before is None or adviser is None:
            continue  # a first tier is no news to the adviser
        if before.state.tier != a.tier:
            alerts.append({"adviser_id": adviser, "client_id": a.client_id, "kind": AlertKind.TIER_CHANGE,
                           "details": {"from": before.state.tier, "to": a.tier}, "created_at": now})
        loyalty = a.dimensions[Dimension.LOYALTY].segment
        if loyalty == POTENTIAL_CHURN and before.tier_and_segments[-1] != POTENTIAL_CHURN:
            alerts.append({"adviser_id": adviser, "client_id": a.client_id, "kind": AlertKind.CHURN_RISK,
                           "details": {"from": before.tier_and_segments[-1], "to": loyalty,
                                       "p_alive": p_alive[a.client_id]}, "created_at": now})
    if audit:
        await connection.execute(insert(AuditEntry), audit)
    if alerts:
        await connection.execute(insert(Alert), alerts)


def _figures(assessment: Assessment) -> dict[str, Any]:
    """The value score, the asset measure and the five dimensions' scores and segments, as columns."""
    row: dict[str, Any] = {"value_score": assessment.value_score, "monthly_avg_aum": assessment.avg_aum}
    for dimension, column in SEGMENT_COLUMNS.items():
        scored = assessment.dimensions[dimension]
        row[f"{column}_score"] = scored.score
        row[f"{column}_segment"] = str(scored.segment)
    return row


def _state_row(assessment: Assessment) -> dict[str, Any]:
    state = assessment.state
    return {"tier": state.tier, "months_below": state.months_below, "evaluated_on": state.evaluated_on,
            "qualified_tier": assessment.qualified_tier, **_figures(assessment)}


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
        **_figures(assessment),
    }


async def _upsert_states(connection: AsyncConnection, states: list[dict[str, Any]]) -> None:
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(TierState)
    statement = statement.on_conflict_do_update(
        index_elements=[TierState.client_id],
        set_={column: statement.excluded[column] for column in STATE_COLUMNS},
    )
    await connection.execute(statement, states)
