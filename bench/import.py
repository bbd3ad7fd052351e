"""Import speed and memory: the demo data set, imported into a fresh SQLite file and PostgreSQL database.

    .venv/bin/python bench/import.py [--clients 100000] [--seed 1] [--postgres URL]

Each import runs in a child process of its own, so its peak memory (max RSS) is its own. After it, in the
same child, a bare read of the same CSV files (the csv module, no parsing or database) is the baseline the
import is compared with. PostgreSQL is measured when --postgres or TIERBOT_TEST_POSTGRES_URL gives a server.
"""

from __future__ import annotations

import asyncio
import csv
import time
from pathlib import Path

from harness import demo_databases, in_child, parse_arguments, report_to_parent, start_child

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.i18n import Catalogs
from bot.importer import import_path


def _bare_read(folder: Path) -> int:
    rows = 0
    for file in sorted(folder.glob("*.csv")):
        with file.open(encoding="utf-8", newline="") as f:
            for _row in csv.reader(f):
                rows += 1
    return rows


async def _import(url: str, folder: Path) -> dict[str, float]:
    engine = create_engine(url)
    await upgrade(engine)
    started = time.perf_counter()
    report = await import_path(engine, folder, actor="bench")
    seconds = time.perf_counter() - started
    await engine.dispose()
    return {"rows": report.rows, "seconds": seconds}


def child(url: str, folder: Path) -> None:
    with Catalogs("en").activated():
        figures = asyncio.run(_import(url, folder))
    report_to_parent(figures)  # peak memory of the import alone, before the baseline runs
    started = time.perf_counter()
    bare_rows = _bare_read(folder)
    print(f'{{"bare_rows": {bare_rows}, "bare_seconds": {time.perf_counter() - started}}}')


def main() -> None:
    args = parse_arguments(__doc__ or "", ("URL", "FOLDER"))
    if args.child:
        start_child()
        child(args.child[0], Path(args.child[1]))
        return

    for backend, url, folder in demo_databases(args):
        figures = in_child(__file__, url, str(folder))
        rate = figures["rows"] / figures["seconds"]
        bare_rate = figures["bare_rows"] / figures["bare_seconds"]
        print(f"{backend:<10} {figures['rows']:>10,} rows  {figures['seconds']:7.1f} s  {rate:>9,.0f} rows/s  "
              f"bare CSV read {bare_rate:>10,.0f} rows/s  import/bare time {bare_rate / rate:5.1f}x  "
              f"peak RSS {figures['peak_mib']:6.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
