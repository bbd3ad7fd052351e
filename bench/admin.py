"""The admin views: /stats and a page of /audit CLIENT, on a database of scored demo clients.

    .venv/bin/python bench/admin.py [--clients 100000] [--updates 200] [--seed 1] [--postgres URL] [--no-sqlite]

For each database: demo data imported and scored at two consecutive month-ends (so that the last run has
tier changes, first placements and churn crossings to count), in a child process; then, in another, an admin's
/stats and /audit of clients picked at random (each with a few dozen entries: placements and staff views) fed
through tierbot's dispatcher (`Dispatcher.feed_update`, every middleware included) with a Bot whose session answers
locally. It prints the p50 and p99 latency of each, and how many snapshots the last run wrote.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Chat, Message, Update, User
from harness import AS_OF, child_step, demo_databases, in_child, parse_arguments
from sqlalchemy import func, insert, select

from bot.config import FirmSettings, Settings
from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.db.models import AuditEntry, Client, Role, ScoringRun, TelegramAccount, TierSnapshot
from bot.importer import import_path
from bot.runtime import ConsoleSession, bot_defaults, create_dispatcher
from bot.scoring import load_rules, score_clients

ADMIN_USER_ID = 9_000_000
AUDITED_CLIENTS = 500
VIEWS_PER_CLIENT = 30  # three pages of a trail
FIRST_RUN = date(2026, 9, 30)  # a month before the last: the monthly review


async def _prepare(url: str, folder: Path) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await import_path(engine, folder, actor="bench")
    rules = load_rules(None)
    await score_clients(engine, rules, as_of=FIRST_RUN)
    await score_clients(engine, rules, as_of=AS_OF)
    async with engine.begin() as connection:
        now = datetime.now(UTC)
        await connection.execute(insert(TelegramAccount), [{
            "telegram_user_id": ADMIN_USER_ID, "chat_id": ADMIN_USER_ID, "role": Role.ADMIN, "bound_at": now}])
        client_ids = (await connection.execute(select(Client.client_id))).scalars().all()
        audited = random.Random(1).sample(list(client_ids), min(AUDITED_CLIENTS, len(client_ids)))
        await connection.execute(insert(AuditEntry), [
            {"at": now, "actor": f"tg:{ADMIN_USER_ID}", "action": "client.view", "client_id": client_id,
             "details": {"role": "admin"}}
            for client_id in audited for _ in range(VIEWS_PER_CLIENT)
        ])
    await engine.dispose()


def _updates(texts: list[str]) -> list[Update]:
    user = User(id=ADMIN_USER_ID, is_bot=False, first_name="Bench", language_code="en")
    return [Update(update_id=n, message=Message(
        message_id=n, date=datetime.now(UTC), chat=Chat(id=ADMIN_USER_ID, type="private"), from_user=user, text=text))
        for n, text in enumerate(texts, 1)]


async def _latencies(dispatcher: Dispatcher, bot: Bot, updates: list[Update]) -> list[float]:
    latencies = []
    for update in updates:
        begun = time.perf_counter()
        await dispatcher.feed_update(bot, update)
        latencies.append(time.perf_counter() - begun)
    return latencies


def _cut(latencies: list[float]) -> tuple[float, float]:
    cut = statistics.quantiles(latencies, n=100)
    return cut[49] * 1000, cut[98] * 1000


async def _measure(url: str, count: int) -> dict[str, Any]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        audited = (await connection.execute(select(AuditEntry.client_id).where(
            AuditEntry.action == "client.view").distinct())).scalars().all()
        snapshots = (await connection.execute(select(func.count()).select_from(TierSnapshot).where(
            TierSnapshot.scoring_run_id == select(func.max(ScoringRun.id)).scalar_subquery()))).scalar_one()
    sent: list[str] = []
    bot = Bot("1:bench", session=ConsoleSession(Chat(id=1, type="private"), sent.append), default=bot_defaults())
    dispatcher = create_dispatcher(engine, Settings(firm=FirmSettings(default_locale="en")), rate_limit=False)
    pick = random.Random(2)
    await _latencies(dispatcher, bot, _updates(["/stats", f"/audit {audited[0]}"] * 5))  # warm up
    stats = await _latencies(dispatcher, bot, _updates(["/stats"] * count))
    trails = await _latencies(dispatcher, bot, _updates([f"/audit {pick.choice(audited)}" for _ in range(count)]))
    shown = sum(1 for text in sent if "Audit log:" in text)
    await engine.dispose()
    (stats_p50, stats_p99), (audit_p50, audit_p99) = _cut(stats), _cut(trails)
    return {"stats_p50_ms": stats_p50, "stats_p99_ms": stats_p99, "audit_p50_ms": audit_p50,
            "audit_p99_ms": audit_p99, "snapshots": snapshots, "trails": shown, "updates": count}


def main() -> None:
    args = parse_arguments(__doc__ or "", ("STEP", "URL", "FOLDER", "COUNT"), {"updates": 200})
    count = str(args.updates)
    if args.child:
        child_step(_prepare, _measure, *args.child)
        return

    for backend, url, folder in demo_databases(args):
        started = time.perf_counter()
        in_child(__file__, "prepare", url, str(folder), count)
        print(f"{backend:<10} prepared (import and two scoring runs) in {time.perf_counter() - started:.0f} s",
              flush=True)
        f = in_child(__file__, "measure", url, str(folder), count)
        print(f"{backend:<10} {args.clients:,} clients, last run wrote {f['snapshots']:,} snapshots; "
              f"{f['updates']:,} of each: /stats p50 {f['stats_p50_ms']:.1f} ms p99 {f['stats_p99_ms']:.1f} ms; "
              f"/audit p50 {f['audit_p50_ms']:.1f} ms p99 {f['audit_p99_ms']:.1f} ms ({f['trails']:,} trails shown); "
              f"peak RSS {f['peak_mib']:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
