"""Scoring speed and memory against a bare SQL scan of the same rows, on SQLite and PostgreSQL.

    .venv/bin/python bench/scoring.py [--clients 100000] [--seed 1] [--postgres URL]

For each database: demo data imported (in a child process), then, in another child process, (a) a bare scan
that reads the rows scoring needs (GROUP BY client over the window's balances, transactions and
interactions) and (b) the full `score`, twice: the first run writes a snapshot for every client, the second
(the steady state) only what changed. It prints the times, their ratios to the scan and the scoring child's
peak memory. PostgreSQL is measured when --postgres or
TIERBOT_TEST_POSTGRES_URL gives a server URL.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from harness import AS_OF, demo_databases, in_child, parse_arguments, report_to_parent, start_child
from sqlalchemy import func, select

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.db.models import Balance, Interaction, Transaction
from bot.i18n import Catalogs
from bot.importer import import_path
from bot.scoring import load_rules, score_clients
from bot.scoring.features import Window


async def _import(url: str, folder: Path) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await import_path(engine, folder, actor="bench")
    await engine.dispose()


async def _scan_then_score(url: str) -> dict[str, float]:
    rules = load_rules(None)
    window = Window(AS_OF, rules.history_months)
    engine = create_engine(url)
    started = time.perf_counter()
    rows = 0
    async with engine.connect() as connection:
        for query in (
            select(Balance.client_id, func.count(), func.sum(Balance.amount))
            .where(Balance.as_of >= window.start).group_by(Balance.client_id),
            select(Transaction.client_id, func.count(), func.sum(Transaction.amount))
            .where(Transaction.at >= window.start_at).group_by(Transaction.client_id),
            select(Interaction.client_id, func.count())
            .where(Interaction.at >= window.start_at).group_by(Interaction.client_id),
        ):
            rows += sum(row[1] for row in await connection.execute(query))
    scan_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = await score_clients(engine, rules, as_of=AS_OF)
    score_seconds = time.perf_counter() - started
    started = time.perf_counter()
    await score_clients(engine, rules, as_of=AS_OF)
    rescore_seconds = time.perf_counter() - started
    await engine.dispose()
    return {"rows": rows, "scan_seconds": scan_seconds, "score_seconds": score_seconds,
            "rescore_seconds": rescore_seconds, "clients": report.scored}


def child(step: str, url: str, folder: str) -> None:
    with Catalogs("en").activated():
        if step == "import":
            asyncio.run(_import(url, Path(folder)))
            report_to_parent({})
        else:
            report_to_parent(asyncio.run(_scan_then_score(url)))


def main() -> None:
    args = parse_arguments(__doc__ or "", ("STEP", "URL", "FOLDER"))
    if args.child:
        start_child()
        child(*args.child)
        return

    for backend, url, folder in demo_databases(args):
        in_child(__file__, "import", url, str(folder))
        f = in_child(__file__, "score", url, str(folder))
        scan, first, second = f["scan_seconds"], f["score_seconds"], f["rescore_seconds"]
        print(f"{backend:<10} {f['clients']:>9,} clients  bare scan of {f['rows']:,} rows "
              f"{scan:6.1f} s  first score {first:6.1f} s ({first / scan:4.1f}x scan)  "
              f"second score {second:6.1f} s ({second / scan:4.1f}x scan)  "
              f"peak RSS {f['peak_mib']:5.0f} MiB",
              flush=True)


if __name__ == "__main__":
    main()
