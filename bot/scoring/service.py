"""Batch scoring: facts from the database, tiers from `tiering`, history and alerts back into the database.

A run reads clients chunk by chunk, assesses each chunk in one batch, and writes a snapshot only for clients
whose tier or segments changed, so the tier history is a list of changes. The whole run is one transaction:
it lands entirely or not at all, the digests that tell advisers of its alerts included. A dry run computes the same
and writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.alerts import DigestSchedule, DigestsQueued, queue_digests, raise_alerts
from bot.config import get_settings
from bot.db.models import Balance, Client, ScoringRun
from bot.scoring.features import Window, chunk_facts, churn_outlook, client_id_chunks
from bot.scoring.history import Stored, stored_states, write_history
from tiering import Assessment, BetaGeo, ClientFacts, Rejection, TierRules, assess_batch

CHUNK_CLIENTS = 5_000
UNSCORED = None

# Called with the number of clients just scored.
ScoringProgress = Callable[[int], None]


class NothingToScore(Exception):
    """There are no balances to score against."""


@dataclass(frozen=True, slots=True)
class VersionReused:
    """Rules whose version names other rules that a scoring run applied: the history could not tell them apart."""

    version: str
    applied_on: date  # the day (UTC) the run under the other rules started


class AsOfRefused(Exception):
    """A real run refused for its day: after the data's latest statement (`latest`), or before the day of the last
    run applied (`last_run`), which would move the tier history and the downgrade grace back in time."""

    def __init__(self, as_of: date, *, latest: date | None = None, last_run: date | None = None) -> None:
        super().__init__(as_of.isoformat())
        self.as_of, self.latest, self.last_run = as_of, latest, last_run


class RulesVersionReused(Exception):
    """A scoring run refused: the rules' version was applied before with other content."""

    def __init__(self, reused: VersionReused) -> None:
        super().__init__(reused.version)
        self.reused = reused


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
    digests: DigestsQueued | None = None  # None for a dry run

    @property
    def tier_changes(self) -> int:
        return sum(n for (before, after), n in self.transitions.items() if before is not None and before != after)

    def distribution(self, *, before: bool) -> Counter[str | None]:
        counts: Counter[str | None] = Counter()
        for (old, new), n in self.transitions.items():
            counts[old if before else new] += n
        return counts


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
    schedule: DigestSchedule | None = None,
) -> ScoringReport:
    """Score every client and keep the history; advisers' digests of the run's alerts are queued in the run's
    transaction, held through quiet hours by `schedule` (None: the settings', TIERBOT_DELIVERY_QUIET_HOURS and
    TIERBOT_TIMEZONE)."""
    # The run is its own unit of work: engine.begin() commits it whole or rolls it back; a dry run's connection
    # writes nothing and is rolled back when it closes.
    async with (engine.connect() if dry_run else engine.begin()) as connection:
        # Checked in the run's own transaction, before anything is computed or written.
        if not dry_run and (reused := await _version_reused(connection, rules)) is not None:
            raise RulesVersionReused(reused)
        latest = await default_as_of(connection)
        if not dry_run and as_of is not None:
            await _check_as_of(connection, as_of, latest)
        window = Window(as_of or latest, rules.history_months)
        report = ScoringReport(as_of=window.as_of, rules_version=rules.version,
                               tier_order=tuple(t.id for t in rules.tiers), dry_run=dry_run)
        churn = await churn_outlook(connection, window)
        report.churn_model, report.churn_model_problem = churn.model, churn.problem
        started = datetime.now(UTC)
        run_id = None if dry_run else await _start_run(connection, report, started, rules.digest())
        async for first, last in client_id_chunks(connection, chunk_clients):
            facts = await chunk_facts(connection, window, first, last, churn.p_alive)
            stored = await stored_states(connection, first, last)
            results = _assess(facts, stored, rules)
            if run_id is not None:
                assessed = [a for a in results if isinstance(a, Assessment)]
                changes = await write_history(connection, assessed, stored, churn.p_alive, run_id=run_id,
                                              now=started, actor=actor)
                report.snapshots_written += len(changes)
                await raise_alerts(connection, changes, as_of=window.as_of, now=started)
            _count(results, stored, report)
            if progress:
                progress(len(facts))
        if run_id is not None:
            await _finish_run(connection, run_id, report)
            # Quiet hours are read at the end of the run, when the digests could first go.
            report.digests = await queue_digests(
                connection, schedule=schedule or DigestSchedule.from_settings(get_settings()), now=datetime.now(UTC),
                scoring_run=run_id)
    return report


async def version_reused(engine: AsyncEngine, rules: TierRules) -> VersionReused | None:
    """Whether the rules' version is that of other rules already applied (the latest run under that version).

    Rules are compared by `TierRules.digest`: what they say, not how the file is written. Runs from before digests
    were kept compare as unknown, never as different.
    """
    async with engine.connect() as connection:
        return await _version_reused(connection, rules)


async def _check_as_of(connection: AsyncConnection, as_of: date, latest: date) -> None:
    """A real run's day must have statements (none after the latest: every client would look gone) and must not
    come before the last run applied (the tier states and their grace months are as of that run)."""
    if as_of > latest:
        raise AsOfRefused(as_of, latest=latest)
    last_run = (await connection.execute(
        select(func.max(ScoringRun.as_of)).where(ScoringRun.finished_at.is_not(None)))).scalar_one()
    if last_run is not None and as_of < last_run:
        raise AsOfRefused(as_of, last_run=last_run)


async def _version_reused(connection: AsyncConnection, rules: TierRules) -> VersionReused | None:
    applied = (await connection.execute(
        select(ScoringRun.rules_digest, ScoringRun.started_at)
        .where(ScoringRun.rules_version == rules.version, ScoringRun.finished_at.is_not(None))
        .order_by(ScoringRun.id.desc()).limit(1)
    )).one_or_none()
    if applied is None or applied.rules_digest is None or applied.rules_digest == rules.digest():
        return None
    return VersionReused(rules.version, applied.started_at.date())


async def count_clients(engine: AsyncEngine) -> int:
    """How many clients a run will score, for a progress bar."""
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(Client))).scalar_one()


def _assess(
    facts: Sequence[ClientFacts], stored: Mapping[str, Stored], rules: TierRules
) -> list[Assessment | Rejection]:
    previous = [stored[f.client_id].state if f.client_id in stored else None for f in facts]
    return assess_batch(facts, previous, rules)


def _count(results: Sequence[Assessment | Rejection], stored: Mapping[str, Stored], report: ScoringReport) -> None:
    for result in results:
        if isinstance(result, Rejection):
            report.rejected[result.reason] += 1
            continue
        report.scored += 1
        before = stored[result.client_id].state.tier if result.client_id in stored else UNSCORED
        report.transitions[(before, result.tier)] += 1


async def _start_run(connection: AsyncConnection, report: ScoringReport, started: datetime, digest: str) -> int:
    model = report.churn_model
    churn = None if model is None else {
        "r": model.r, "alpha": model.alpha, "a": model.a, "b": model.b, "log_likelihood": model.log_likelihood}
    return (await connection.execute(
        insert(ScoringRun).values(rules_version=report.rules_version, rules_digest=digest, as_of=report.as_of,
                                  started_at=started, churn_model=churn).returning(ScoringRun.id)
    )).scalar_one()


async def _finish_run(connection: AsyncConnection, run_id: int, report: ScoringReport) -> None:
    await connection.execute(
        update(ScoringRun).where(ScoringRun.id == run_id).values(
            finished_at=datetime.now(UTC), clients_scored=report.scored, snapshots_written=report.snapshots_written)
    )
