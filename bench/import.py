"""Import speed and memory: the demo data set, imported into a fresh SQLite file and PostgreSQL database.

    .venv/bin/python bench/import.py [--clients 100000] [--seed 1] [--postgres URL]

Each import runs in a child process of its own, so its peak memory (max RSS) is its own. After it, in the
same child, a bare read of the same CSV files (the csv module, no parsing or database) is the baseline the import is
compared with. PostgreSQL is measured when --postgres or TIERBOT_TEST_POSTGRES_URL gives a server URL.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

from aiogram.utils.i18n import I18n
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.demo_data import generate_demo_data
from bot.i18n import create_i18n
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
    with I18n.context(create_i18n("en")):
        result = asyncio.run(_import(url, folder))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    bare_rows = _bare_read(folder)
    bare_seconds = time.perf_counter() - started
    print(json.dumps({**result, "bare_rows": bare_rows, "bare_seconds": bare_seconds, "peak_mib": peak_mib}))


async def _fresh_postgres(server: str) -> str:
    name = f"tierbot_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres(server: str, url: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    await admin.dispose()


def _measure(backend: str, url: str, folder: Path) -> None:
    output = subprocess.run([sys.executable, __file__, "--child", url, str(folder)], check=True,
                            capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    rate = figures["rows"] / figures["seconds"]
    bare_rate = figures["bare_rows"] / figures["bare_seconds"]
    print(f"{backend:<10} {figures['rows']:>10,} rows  {figures['seconds']:7.1f} s  {rate:>9,.0f} rows/s  "
          f"bare CSV read {bare_rate:>10,.0f} rows/s  import/bare time {bare_rate / rate:5.1f}x  "
          f"peak RSS {figures['peak_mib']:6.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("TIERBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--child", nargs=2, metavar=("URL", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

    with tempfile.TemporaryDirectory(prefix="tierbot-bench-") as scratch:
        folder = Path(scratch) / "data"
        started = time.perf_counter()
        summary = generate_demo_data(folder, clients=args.clients, seed=args.seed, as_of=date(2026, 10, 31))
        size_mib = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        print(f"demo data: {summary.clients:,} clients, {summary.balances:,} balances, "
              f"{summary.transactions:,} transactions, {summary.interactions:,} interactions, "
              f"{size_mib:,.0f} MiB, generated in {time.perf_counter() - started:.1f} s")
        _measure("sqlite", f"sqlite+aiosqlite:///{scratch}/bench.sqlite3", folder)
        if args.postgres:
            url = asyncio.run(_fresh_postgres(args.postgres))
            try:
                _measure("postgresql", url, folder)
            finally:
                asyncio.run(_drop_postgres(args.postgres, url))


if __name__ == "__main__":
    main()
