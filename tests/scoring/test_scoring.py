"""Batch scoring against a real database: history only on change, dry runs write nothing, alerts on changes."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.paths import GOOD_IMPORT

from bot.db.models import Adviser, Alert, AuditEntry, Balance, Client, ScoringRun, TierSnapshot, TierState
from bot.demo import generate_demo_data
from bot.importer import import_path
from bot.scoring import AsOfRefused, NothingToScore, RulesVersionReused, load_rules, score_clients, version_reused
from tiering import DEFAULT_RULES_PATH, TierRules, parse_rules

pytestmark = pytest.mark.db

AS_OF = date(2026, 10, 31)


@pytest.fixture
def rules() -> TierRules:
    return load_rules(None)


def _rules_with(**replacements: str) -> TierRules:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    return parse_rules(text)


async def _count(engine: AsyncEngine, table: type) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(table))).scalar_one()


@pytest.fixture
async def demo(engine: AsyncEngine, tmp_path: Path) -> AsyncEngine:
    generate_demo_data(tmp_path / "demo", clients=300, seed=3, as_of=AS_OF)
    await import_path(engine, tmp_path / "demo", actor="test")
    return engine


async def test_first_run_snapshots_everyone_and_a_second_run_writes_nothing(
    demo: AsyncEngine, rules: TierRules
) -> None:
    first = await score_clients(demo, rules, chunk_clients=70)
    assert first.as_of == AS_OF
    assert first.scored == 300
    assert not first.rejected
    assert first.churn_model is not None
    assert first.snapshots_written == 300
    assert await _count(demo, TierState) == 300
    assert await _count(demo, Alert) == 0  # a first tier is no news
    assert sum(first.distribution(before=False).values()) == 300
    assert first.distribution(before=True) == {None: 300}

    second = await score_clients(demo, rules, chunk_clients=70)
    assert second.snapshots_written == 0
    assert second.tier_changes == 0
    assert await _count(demo, TierSnapshot) == 300
    assert await _count(demo, ScoringRun) == 2
    async with demo.connect() as connection:
        run = (await connection.execute(select(ScoringRun).order_by(ScoringRun.id.desc()))).first()
        snapshot = (await connection.execute(select(TierSnapshot).limit(1))).one()
    assert run is not None
    assert (run.clients_scored, run.snapshots_written, run.rules_version) == (300, 0, "2026.1")
    assert run.churn_model is not None
    assert set(run.churn_model) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert snapshot.explanation["tier"] == snapshot.tier
    assert snapshot.rules_version == "2026.1"


async def test_dry_run_compares_rules_and_writes_nothing(demo: AsyncEngine, rules: TierRules) -> None:
    await score_clients(demo, rules)
    snapshots = await _count(demo, TierSnapshot)
    lower = _rules_with(**{'aum_from = "500000"': 'aum_from = "100000"', 'version = "2026.1"': 'version = "what-if"'})
    report = await score_clients(demo, lower, dry_run=True)
    assert report.dry_run
    assert report.rules_version == "what-if"
    assert await _count(demo, TierSnapshot) == snapshots
    assert await _count(demo, ScoringRun) == 1
    # A lower line only moves clients up, and upgrades are immediate.
    assert report.transitions[("ordinary", "mid")] > 0
    assert all(rules.rank(new) >= rules.rank(old) for (old, new) in report.transitions if old)  # type: ignore[operator]
    assert report.distribution(before=False)["mid"] > report.distribution(before=True)["mid"]


async def test_a_run_keeps_the_digest_of_its_rules(demo: AsyncEngine, rules: TierRules) -> None:
    await score_clients(demo, rules)
    await score_clients(demo, rules, dry_run=True)  # a dry run keeps no run at all
    async with demo.connect() as connection:
        digests = (await connection.execute(select(ScoringRun.rules_version, ScoringRun.rules_digest))).all()
    assert digests == [("2026.1", rules.digest())]
    assert len(rules.digest()) == 64


async def test_a_version_reused_for_other_rules_is_refused_and_nothing_written(
    demo: AsyncEngine, rules: TierRules
) -> None:
    await score_clients(demo, rules)
    assert await version_reused(demo, rules) is None
    edited = _rules_with(**{'aum_from = "500000"': 'aum_from = "100000"'})  # still "2026.1"
    reused = await version_reused(demo, edited)
    assert reused is not None
    assert reused.version == "2026.1"
    async with demo.connect() as connection:
        started = (await connection.execute(select(ScoringRun.started_at))).scalar_one()
    assert reused.applied_on == started.date()
    with pytest.raises(RulesVersionReused):
        await score_clients(demo, edited)
    assert await _count(demo, ScoringRun) == 1
    # Under a version of their own the same rules apply; then the old version is history, not in force.
    renamed = _rules_with(**{'aum_from = "500000"': 'aum_from = "100000"', 'version = "2026.1"': 'version = "2026.2"'})
    assert await version_reused(demo, renamed) is None
    assert (await score_clients(demo, renamed)).transitions[("ordinary", "mid")] > 0
    assert await _count(demo, ScoringRun) == 2


async def test_tier_change_is_audited_and_alerts_the_adviser(demo: AsyncEngine, rules: TierRules) -> None:
    await score_clients(demo, rules)
    async with demo.begin() as connection:
        client_id = (await connection.execute(
            select(TierState.client_id).where(TierState.tier == "ordinary").order_by(TierState.client_id).limit(1)
        )).scalar_one()
        # A large holding in each of the last three months makes the client mid-tier at once.
        await connection.execute(
            update(Balance).where(Balance.client_id == client_id, Balance.as_of >= date(2026, 8, 1))
            .values(amount=Decimal("800000.00")))
    report = await score_clients(demo, rules)
    assert report.transitions[("ordinary", "mid")] >= 1
    async with demo.connect() as connection:
        state = (await connection.execute(select(TierState).where(TierState.client_id == client_id))).one()
        history = (await connection.execute(select(TierSnapshot.tier, TierSnapshot.previous_tier)
                                            .where(TierSnapshot.client_id == client_id)
                                            .order_by(TierSnapshot.id))).all()
        alerts = (await connection.execute(
            select(Alert.kind, Alert.adviser_id).where(Alert.client_id == client_id))).all()
        adviser = (await connection.execute(
            select(Client.adviser_id).where(Client.client_id == client_id))).scalar_one()
        audit = (await connection.execute(
            select(AuditEntry.details).where(AuditEntry.client_id == client_id, AuditEntry.action == "tier.change")
            .order_by(AuditEntry.id))).scalars().all()
    assert state.tier == "mid"
    assert history == [("ordinary", None), ("mid", "ordinary")]
    assert ("tier_change", adviser) in alerts
    assert [(d["from"], d["to"]) for d in audit] == [(None, "ordinary"), ("ordinary", "mid")]


async def test_downgrade_waits_for_the_grace_months(engine: AsyncEngine, tmp_path: Path, rules: TierRules) -> None:
    data = tmp_path / "data"
    shutil.copytree(GOOD_IMPORT, data)
    await import_path(engine, data, actor="test")
    # C00003 holds 700,000 in October 2026: mid-tier.
    async with engine.begin() as connection:
        await connection.execute(insert(Balance), [
            {"client_id": "C00003", "product_id": "P03", "as_of": day, "amount": Decimal("700000.00")}
            for day in (date(2026, 8, 31), date(2026, 9, 30))])
    await score_clients(engine, rules, as_of=date(2026, 10, 31))
    tiers = []
    for day in (date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28),
                date(2027, 3, 31), date(2027, 4, 30)):
        async with engine.begin() as connection:
            await connection.execute(insert(Balance).values(client_id="C00003", product_id="P03", as_of=day,
                                                            amount=Decimal("1000.00")))
        await score_clients(engine, rules, as_of=day)
        async with engine.connect() as connection:
            state = (await connection.execute(select(TierState).where(TierState.client_id == "C00003"))).one()
        tiers.append((state.tier, state.months_below))
    # The 3-month average drops below 500,000 in November; the tier holds while the months below add up to the
    # grace of 3, then moves down.
    assert tiers == [("mid", 1), ("mid", 2), ("ordinary", 0), ("ordinary", 0), ("ordinary", 0), ("ordinary", 0)]


async def test_awkward_clients_are_scored_or_rejected_with_a_reason(
    engine: AsyncEngine, tmp_path: Path, rules: TierRules
) -> None:
    data = tmp_path / "data"
    shutil.copytree(GOOD_IMPORT, data)
    await import_path(engine, data, actor="test")
    async with engine.begin() as connection:
        # No balances and no transactions at all; onboarded after the day scored; adviser gone.
        await connection.execute(insert(Client), [
            {"client_id": "C00010", "name": "Empty", "adviser_id": "A001", "onboarded_on": date(2020, 1, 1)},
            {"client_id": "C00011", "name": "Later", "adviser_id": "A001", "onboarded_on": date(2026, 10, 20)},
        ])
        await connection.execute(update(Adviser).where(Adviser.adviser_id == "A002").values(left_on=date(2026, 1, 1)))
    report = await score_clients(engine, rules, as_of=date(2026, 9, 30))
    assert report.rejected == {"onboarded_after_as_of": 1}
    assert report.scored == 4
    async with engine.connect() as connection:
        empty = (await connection.execute(select(TierState.tier).where(TierState.client_id == "C00010"))).scalar_one()
    assert empty == "ordinary"


async def test_a_firm_too_small_for_the_churn_model_is_still_scored(
    engine: AsyncEngine, tmp_path: Path, rules: TierRules
) -> None:
    data = tmp_path / "data"
    shutil.copytree(GOOD_IMPORT, data)
    await import_path(engine, data, actor="test")
    report = await score_clients(engine, rules)
    assert report.churn_model is None
    assert report.churn_model_problem == "fitting needs at least 10 customers, got 2."
    assert report.scored == 3


async def test_nothing_to_score_without_balances(engine: AsyncEngine, rules: TierRules) -> None:
    with pytest.raises(NothingToScore):
        await score_clients(engine, rules)


async def test_a_real_run_is_refused_after_the_data_or_before_the_last_run(demo: AsyncEngine, rules: TierRules
                                                                          ) -> None:
    await score_clients(demo, rules)  # as of the latest statement, AS_OF
    runs, states = await _count(demo, ScoringRun), await _count(demo, TierState)
    with pytest.raises(AsOfRefused) as beyond:  # a typo in the year: every client would look gone
        await score_clients(demo, rules, as_of=date(AS_OF.year + 1, 6, 30))
    assert (beyond.value.latest, beyond.value.last_run) == (AS_OF, None)
    earlier = date(AS_OF.year, AS_OF.month - 1, 28)
    with pytest.raises(AsOfRefused) as back:  # the tier states and their grace are as of the last run
        await score_clients(demo, rules, as_of=earlier)
    assert (back.value.latest, back.value.last_run) == (None, AS_OF)
    assert (await _count(demo, ScoringRun), await _count(demo, TierState)) == (runs, states)  # nothing written
    tried = await score_clients(demo, rules, as_of=earlier, dry_run=True)  # a dry run may look at any day
    assert tried.as_of == earlier
    assert (await score_clients(demo, rules, as_of=AS_OF)).as_of == AS_OF  # the same day again is allowed
