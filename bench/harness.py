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
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import create_engine
from bot.db.migrate import head_revision
from bot.demo import generate_demo_data

AS_OF = date(2026, 10, 31)
CACHE = Path(tempfile.gettempdir()) / "tierbot-bench"  # databases kept between runs (cached_databases)


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


def cached_databases(args: argparse.Namespace, name: str, build: Callable[[str, Path], None],
                     complete: Callable[[str], bool]) -> Iterator[tuple[str, str]]:
    """(backend, URL) of databases built once and kept between runs: a SQLite file under CACHE (unless
    --no-sqlite) and, when a server URL is given, a database of its own on that server, both named by `name`,
    --clients, --seed and the schema's revision. `build(url, folder)` fills an empty database from the demo data in
    `folder` (generated once too); a database that `complete(url)` finds unfinished (a build cut short), or any with
    --rebuild, is built again."""
    key = f"{name}-c{args.clients}-s{args.seed}-{head_revision()}"
    scratch = CACHE / key
    folder, generated = scratch / "data", scratch / "data.complete"
    if args.rebuild or not generated.exists():
        shutil.rmtree(folder, ignore_errors=True)
        make_demo_data(folder, args.clients, args.seed)
        generated.touch()
    if not args.no_sqlite:
        path = scratch / "bench.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        if args.rebuild or not path.exists() or not complete(url):
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
            build(url, folder)
        print(f"sqlite     {path}", flush=True)
        yield "sqlite", url
    if args.postgres:
        database = f"tierbot_bench_{key}".replace("-", "_").lower()
        url = make_url(args.postgres).set(database=database).render_as_string(hide_password=False)
        if args.rebuild or not asyncio.run(_database_exists(args.postgres, database)) or not complete(url):
            asyncio.run(_admin(args.postgres, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            asyncio.run(_admin(args.postgres, f'CREATE DATABASE "{database}"'))
            build(url, folder)
        print(f"postgresql database {database} (DROP DATABASE it when done with it)", flush=True)
        yield "postgresql", url


async def _database_exists(server: str, database: str) -> bool:
    engine = create_engine(server)
    async with engine.connect() as connection:
        found = await connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database})
    await engine.dispose()
    return found is not None


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


def child_step(prepare: Callable[[str, Path], Coroutine[Any, Any, None]],
               measure: Callable[[str, int], Coroutine[Any, Any, dict[str, Any]]],
               step: str, url: str, folder: str, count: str) -> None:
    """In the child process of a prepare-then-measure benchmark: run its `step` in English and report the figures."""
    from bot.telegram import create_i18n  # aiogram's, as the bot runs it; only the chat benchmarks need it

    start_child()
    with create_i18n("en").context():
        if step == "prepare":
            asyncio.run(prepare(url, Path(folder)))
            report_to_parent({})
        else:
            report_to_parent(asyncio.run(measure(url, int(count))))


def start_child() -> None:
    """What `tierbot` does on start (see bot.cli.main), so the children measure what the command runs."""
    gc.freeze()


def in_child(script: str, *args: str) -> dict[str, Any]:
    """Run `script --child ARGS` and return the figures of the JSON objects it prints, one per line."""
    # The child's stderr passes through: a failing child's traceback is read where it failed.
    output = subprocess.run([sys.executable, script, "--child", *args], check=True, stdout=subprocess.PIPE,
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
