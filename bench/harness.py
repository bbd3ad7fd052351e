"""What the benchmarks share: demo data, fresh databases, and child processes that report their own figures.

Each measured step runs in a child process of its own, so the peak memory (max RSS) it reports is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import create_engine
from bot.demo import generate_demo_data

AS_OF = date(2026, 10, 31)


def parse_arguments(
    description: str, child_arguments: tuple[str, ...], counts: dict[str, int] | None = None
) -> argparse.Namespace:
    """The options every benchmark takes, plus its own `counts` (--name N, with defaults); --child carries a
    child process's own arguments."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000)
    for name, default in (counts or {}).items():
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("TIERBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--child", nargs=len(child_arguments), metavar=child_arguments, help=argparse.SUPPRESS)
    return parser.parse_args()


def make_demo_data(folder: Path, clients: int, seed: int) -> None:
    started = time.perf_counter()
    summary = generate_demo_data(folder, clients=clients, seed=seed, as_of=AS_OF)
    size_mib = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
    print(f"demo data: {summary.clients:,} clients, {summary.balances:,} balances, "
          f"{summary.transactions:,} transactions, {summary.interactions:,} interactions, "
          f"{size_mib:,.0f} MiB, generated in {time.perf_counter() - started:.1f} s", flush=True)


def demo_databases(args: argparse.Namespace) -> Iterator[tuple[str, str, Path]]:
    """(backend, URL, demo data folder): the demo data of --clients and --seed written once into a scratch
    folder, then a fresh SQLite file (unless --no-sqlite) and, when a server URL is given, a fresh PostgreSQL
    database; all removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tierbot-bench-") as scratch:
        folder = Path(scratch) / "data"
        make_demo_data(folder, args.clients, args.seed)
        if not args.no_sqlite:
            yield "sqlite", f"sqlite+aiosqlite:///{scratch}/bench.sqlite3", folder
        if args.postgres:
            with _fresh_postgres(args.postgres) as url:
                yield "postgresql", url, folder


@contextmanager
def _fresh_postgres(server: str) -> Iterator[str]:
    name = f"tierbot_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(server: str, statement: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


def start_child() -> None:
    """What `tierbot` does on start (see bot.cli.main), so the children measure what the command runs."""
    gc.freeze()


def in_child(script: str, *args: str) -> dict[str, Any]:
    """Run `script --child ARGS` and return the figures of the JSON objects it prints, one per line."""
    output = subprocess.run([sys.executable, script, "--child", *args], check=True, capture_output=True,
                            text=True).stdout
    figures: dict[str, Any] = {}
    for line in output.splitlines():
        figures.update(json.loads(line))
    return figures


def report_to_parent(figures: dict[str, Any]) -> None:
    figures["peak_mib"] = _peak_rss_kib() / 1024
    print(json.dumps(figures))


def _peak_rss_kib() -> int:
    # getrusage's ru_maxrss survives execve, so a child would report its parent's peak: VmHWM is the process's own.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
