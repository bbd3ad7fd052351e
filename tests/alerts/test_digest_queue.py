"""Queueing digests: after a scoring run each adviser with alerts gets one outbox row carrying them, in the run's
transaction; an alert goes into one digest only; quiet hours hold a digest until morning on the adviser's clock."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from support.alerting import QUIET_OFF, RULES, Book, bind_adviser, book_with_upgrades
from support.telegram_standin import eventually

from bot.alerts import DIGEST_KIND, DigestSchedule, DigestsQueued, dedupe_key, queue_digests
from bot.db.models import Adviser, Alert, AlertKind, OutboxMessage, OutboxStatus, ScoringRun, TelegramAccount
from bot.delivery import Outgoing, enqueue
from bot.scoring import score_clients

pytestmark = pytest.mark.db

NIGHT = DigestSchedule(quiet=(time(21), time(8)), firm_timezone="Asia/Shanghai")


@pytest.fixture
async def book(engine: AsyncEngine, tmp_path: Path) -> Book:
    return await book_with_upgrades(engine, tmp_path, advisers=3)


async def _outbox(engine: AsyncEngine) -> Sequence[Row[Any]]:
    async with engine.connect() as connection:
        return (await connection.execute(select(OutboxMessage).order_by(OutboxMessage.id))).all()


async def _alerts(engine: AsyncEngine) -> dict[str, list[tuple[int, str, int | None]]]:
    """adviser -> (alert id, client, the digest carrying it) of each alert, by id."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(Alert.adviser_id, Alert.id, Alert.client_id, Alert.outbox_id).order_by(Alert.id))
        found: dict[str, list[tuple[int, str, int | None]]] = {}
        for adviser_id, alert_id, client_id, outbox_id in rows:
            found.setdefault(adviser_id, []).append((alert_id, client_id, outbox_id))
        return found


async def _latest_run(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return (await connection.execute(select(func.max(ScoringRun.id)))).scalar_one()


async def _waiting_on_a_lock(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        return bool(await connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")))


async def _queue(engine: AsyncEngine, schedule: DigestSchedule = QUIET_OFF, now: datetime | None = None
                 ) -> DigestsQueued:
    """What `tierbot digest` does: queue the alerts that waited, in a transaction of its own."""
    async with engine.begin() as connection:
        return await queue_digests(connection, schedule=schedule, now=now or datetime.now(UTC))


async def test_a_run_queues_one_digest_per_adviser_carrying_each_alert_once(engine: AsyncEngine, book: Book) -> None:
    users = {adviser_id: await bind_adviser(engine, adviser_id, user_id=7_000_001 + n)
             for n, adviser_id in enumerate(book.advisers)}
    report = await score_clients(engine, RULES, schedule=QUIET_OFF)
    assert report.digests == DigestsQueued(digests=3, alerts=6, waiting=0)

    run = await _latest_run(engine)
    alerts = await _alerts(engine)
    assert {adviser: sorted(client for _, client, _ in rows) for adviser, rows in alerts.items()} == book.upgraded
    digests = await _outbox(engine)
    assert len(digests) == 3
    for digest in digests:
        adviser_id = next(adviser for adviser, user in users.items() if user == digest.telegram_user_id)
        assert digest.kind == DIGEST_KIND
        assert digest.dedupe_key == dedupe_key(run, adviser_id) == f"alert_digest:run:{run}:adviser:{adviser_id}"
        assert digest.payload == {"alerts": [alert_id for alert_id, _, _ in alerts[adviser_id]], "scoring_run": run}
        assert digest.status is OutboxStatus.PENDING
        assert digest.next_attempt_at == digest.created_at  # quiet hours off: at once
        assert all(outbox_id == digest.id for _, _, outbox_id in alerts[adviser_id])

    # The same news is never queued again: not by queueing once more, nor by a run that changes nothing.
    assert await _queue(engine) == DigestsQueued(digests=0, alerts=0, waiting=0)
    assert (await score_clients(engine, RULES, schedule=QUIET_OFF)).digests == DigestsQueued(0, 0, 0)
    assert len(await _outbox(engine)) == 3


async def test_a_departed_adviser_gets_no_digest(engine: AsyncEngine, book: Book) -> None:
    gone = book.advisers[0]
    for n, adviser_id in enumerate(book.advisers):
        await bind_adviser(engine, adviser_id, user_id=7_000_101 + n)
    async with engine.begin() as connection:  # left today: with the firm on the day scored, not now
        await connection.execute(update(Adviser).where(Adviser.adviser_id == gone)
                                 .values(left_on=datetime.now(UTC).date()))
    report = await score_clients(engine, RULES, schedule=QUIET_OFF)
    assert report.digests == DigestsQueued(digests=2, alerts=4, waiting=0)
    alerts = await _alerts(engine)
    assert [outbox_id for _, _, outbox_id in alerts[gone]] == [None, None]
    assert {message.telegram_user_id for message in await _outbox(engine)} == {7_000_102, 7_000_103}


async def test_an_adviser_without_an_account_gets_the_alerts_once_bound(engine: AsyncEngine, book: Book) -> None:
    unbound = book.advisers[2]
    for n, adviser_id in enumerate(book.advisers[:2]):
        await bind_adviser(engine, adviser_id, user_id=7_000_201 + n)
    report = await score_clients(engine, RULES, schedule=QUIET_OFF)
    assert report.digests == DigestsQueued(digests=2, alerts=4, waiting=2)
    assert await _queue(engine) == DigestsQueued(digests=0, alerts=0, waiting=2)  # still nobody to tell

    user_id = await bind_adviser(engine, unbound, user_id=7_000_209)
    assert await _queue(engine) == DigestsQueued(digests=1, alerts=2, waiting=0)
    digest = (await _outbox(engine))[-1]
    run = await _latest_run(engine)
    assert (digest.telegram_user_id, digest.dedupe_key) == (user_id, dedupe_key(run, unbound))
    assert digest.payload["alerts"] == [alert_id for alert_id, _, _ in (await _alerts(engine))[unbound]]
    assert await _queue(engine) == DigestsQueued(digests=0, alerts=0, waiting=0)


async def test_the_digest_goes_to_the_adviser_s_newest_account_that_has_not_blocked_the_bot(
    engine: AsyncEngine, book: Book
) -> None:
    first, second, third = book.advisers
    now = datetime.now(UTC)
    await bind_adviser(engine, first, user_id=7_000_301, bound_at=now - timedelta(days=30))
    await bind_adviser(engine, first, user_id=7_000_302, bound_at=now - timedelta(days=2))
    await bind_adviser(engine, second, user_id=7_000_311, bound_at=now - timedelta(days=30))
    await bind_adviser(engine, second, user_id=7_000_312, bound_at=now - timedelta(days=2))
    # The console's account for the third adviser is nobody to push to; their phone blocked the bot.
    await bind_adviser(engine, third, user_id=(1 << 60) + 5, bound_at=now)
    await bind_adviser(engine, third, user_id=7_000_321, bound_at=now - timedelta(days=2))
    async with engine.begin() as connection:
        await connection.execute(update(TelegramAccount).where(TelegramAccount.telegram_user_id.in_([7_000_312,
                                                                                                      7_000_321]))
                                 .values(blocked_at=now))
    report = await score_clients(engine, RULES, schedule=QUIET_OFF)
    assert report.digests == DigestsQueued(digests=2, alerts=4, waiting=2)
    assert sorted(message.telegram_user_id for message in await _outbox(engine)) == [7_000_302, 7_000_311]


async def test_quiet_hours_hold_a_digest_until_morning_on_the_adviser_s_clock(engine: AsyncEngine, book: Book) -> None:
    await score_clients(engine, RULES, schedule=QUIET_OFF)  # the alerts wait: nobody is bound yet
    firm, hong_kong, london = book.advisers
    async with engine.begin() as connection:
        for adviser_id, zone in ((hong_kong, "Asia/Hong_Kong"), (london, "Europe/London")):
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(timezone=zone))
    users = {adviser_id: await bind_adviser(engine, adviser_id, user_id=7_000_401 + n)
             for n, adviser_id in enumerate(book.advisers)}
    # 22:00 on Saturday 24 October 2026 in Shanghai (the firm's zone) and Hong Kong, 15:00 in London: the night
    # the clocks go back there.
    now = datetime(2026, 10, 24, 14, tzinfo=UTC)
    assert await _queue(engine, NIGHT, now) == DigestsQueued(digests=3, alerts=6, waiting=0)
    held = {message.telegram_user_id: message.next_attempt_at for message in await _outbox(engine)}
    shanghai_morning = datetime(2026, 10, 25, 0, tzinfo=UTC)  # 08:00 in Shanghai and Hong Kong
    assert held == {users[firm]: shanghai_morning, users[hong_kong]: shanghai_morning, users[london]: now}


async def test_a_london_night_across_the_clock_change_and_quiet_hours_off(engine: AsyncEngine, book: Book) -> None:
    await score_clients(engine, RULES, schedule=QUIET_OFF)
    london, elsewhere = book.advisers[:2]
    async with engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == london).values(timezone="Europe/London"))
    await bind_adviser(engine, london, user_id=7_000_501)
    now = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)  # 23:30 BST; the night ends at 08:00 GMT
    await _queue(engine, NIGHT, now)
    (digest,) = await _outbox(engine)
    assert digest.next_attempt_at == datetime(2026, 10, 25, 8, tzinfo=UTC)
    assert digest.next_attempt_at - now == timedelta(hours=9, minutes=30)  # an hour more than on other nights

    await bind_adviser(engine, elsewhere, user_id=7_000_502)
    await _queue(engine, QUIET_OFF, now)  # 06:30 in Shanghai, but no quiet hours
    assert (await _outbox(engine))[-1].next_attempt_at == now


async def test_a_digest_key_queued_before_leaves_the_alerts_for_the_next_digest(
    engine: AsyncEngine, book: Book
) -> None:
    await score_clients(engine, RULES, schedule=QUIET_OFF)
    adviser_id = book.advisers[0]
    user_id = await bind_adviser(engine, adviser_id, user_id=7_000_601)
    now = datetime.now(UTC)
    async with engine.begin() as connection:  # as if another queueing had just taken this key
        await enqueue(connection, [Outgoing(DIGEST_KIND, user_id, dedupe_key(await _latest_run(engine), adviser_id),
                                            not_before=now, payload={"alerts": [], "scoring_run": 0})], now=now)
    assert await _queue(engine) == DigestsQueued(digests=0, alerts=0, waiting=6)
    assert all(outbox_id is None for _, _, outbox_id in (await _alerts(engine))[adviser_id])


async def test_alerts_raised_are_tier_changes_of_the_clients_moved(engine: AsyncEngine, book: Book) -> None:
    await score_clients(engine, RULES, schedule=QUIET_OFF)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(Alert.client_id, Alert.kind, Alert.details))).all()
    assert sorted(client for client, _, _ in rows) == sorted(c for clients in book.upgraded.values() for c in clients)
    assert {(kind, details["from"], details["to"]) for _, kind, details in rows} == {
        (AlertKind.TIER_CHANGE, "ordinary", "mid")}


@pytest.mark.skipif(not os.environ.get("TIERBOT_TEST_POSTGRES_URL"),
                    reason="row locks are PostgreSQL's; SQLite has one writer at a time")
async def test_two_queueings_at_once_put_each_alert_in_one_digest(engine: AsyncEngine, book: Book) -> None:
    await score_clients(engine, RULES, schedule=QUIET_OFF)
    for n, adviser_id in enumerate(book.advisers):
        await bind_adviser(engine, adviser_id, user_id=7_000_701 + n)
    later_run = await _latest_run(engine) + 1  # a scoring run finishing meanwhile: a digest key of its own

    async def queue_for_the_later_run() -> DigestsQueued:
        async with engine.begin() as connection:
            return await queue_digests(connection, schedule=QUIET_OFF, now=datetime.now(UTC), scoring_run=later_run)

    async with engine.connect() as first:
        await first.begin()
        assert await queue_digests(first, schedule=QUIET_OFF, now=datetime.now(UTC)) == DigestsQueued(3, 6, 0)
        # The second waits on the alerts the first holds until it commits, then finds them in a digest.
        second = asyncio.create_task(queue_for_the_later_run())
        await eventually(lambda: _waiting_on_a_lock(engine))
        await first.commit()
    assert await second == DigestsQueued(digests=0, alerts=0, waiting=0)
    assert len(await _outbox(engine)) == 3
