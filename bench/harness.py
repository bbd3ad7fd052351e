"""What the benchmarks share: demo data, fresh databases, and child processes that report their own figures.

Each measured step runs in a child process of its own, so the peak memory (max RSS) it reports is its own.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
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
from dataclasses import dataclass, field
from datetime import date
from multiprocessing.connection import Connection
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


def machine_load() -> str:
    """The machine's load, printed before each figure: a shared machine's other work shows in all of them."""
    return f"machine load {os.getloadavg()[0]:.1f} over the last minute, {os.cpu_count()} cores"


def rss_mib() -> float:
    """The process's resident memory now, in MiB (to set a step's peak against what the process held before it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def in_children(script: str, *argument_lists: list[str]) -> list[dict[str, Any]]:
    """Run `script --child ARGS` for each list of ARGS, all at once, and return each one's figures (as in_child)."""
    children = [subprocess.Popen([sys.executable, script, "--child", *arguments], stdout=subprocess.PIPE, text=True)
                for arguments in argument_lists]
    results = []
    for child in children:
        output, _ = child.communicate()
        if child.returncode:
            raise subprocess.CalledProcessError(child.returncode, child.args)
        figures: dict[str, Any] = {}
        for line in output.splitlines():
            figures.update(json.loads(line))
        results.append(figures)
    return results


@contextmanager
def database_copy(url: str) -> Iterator[str]:
    """A scratch copy of the database at `url` (a cached one), for a step that writes: a copy of the SQLite file, or
    a PostgreSQL database made from it as a template; removed afterwards."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = Path(parsed.database or "")
        with tempfile.TemporaryDirectory(prefix="tierbot-bench-") as scratch:
            copy = Path(scratch) / source.name
            for suffix in ("", "-wal"):  # a write-ahead log not yet checkpointed holds part of the database
                if source.with_name(source.name + suffix).exists():
                    shutil.copyfile(source.with_name(source.name + suffix), copy.with_name(copy.name + suffix))
            yield parsed.set(database=str(copy)).render_as_string(hide_password=False)
        return
    name = f"tierbot_bench_copy_{uuid.uuid4().hex[:8]}"
    server = parsed.set(database="postgres").render_as_string(hide_password=False)
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"'))
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class StandInProcess:
    """The Bot API stand-in of the tests (tests/support/telegram_standin.py) serving in a process of its own, as
    Telegram runs elsewhere: where it listens, and once it has stopped, (arrival on its clock, ok, error code) of each
    sendMessage it was sent."""

    token: str
    base_url: str
    calls: list[tuple[float, bool, int | None]] = field(default_factory=list)


@contextmanager
def standin_process(latency: float, per_second: int, users: list[int]) -> Iterator[StandInProcess]:
    """The stand-in answering each call after `latency` seconds, with Telegram's flood control (a second per chat,
    `per_second` messages a second overall), the private chats of `users` known to it."""
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve_standin, args=(theirs, latency, per_second, users))
    process.start()
    token, base_url = ours.recv()
    standin = StandInProcess(token, base_url)
    try:
        yield standin
    finally:
        ours.send("stop")
        standin.calls = ours.recv()
        process.join()


def _serve_standin(pipe: Connection, latency: float, per_second: int, users: list[int]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from support.telegram_standin import BotApiStandIn, FloodLimits

    async def serve() -> None:
        async with BotApiStandIn(latency=latency, limits=FloodLimits(per_second=per_second)) as standin:
            for user in users:
                standin.add_user(user)
            pipe.send((standin.token, standin.base_url))
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
            pipe.send([(call.at, bool(call.ok), (call.error or {}).get("error_code"))
                       for call in standin.calls("sendMessage")])

    asyncio.run(serve())
