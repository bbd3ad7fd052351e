"""The adviser's workspace, measured part by part: the summary, its chart, the book, and the sender of digests.

    .venv/bin/python bench/adviser.py [summary|chart|book|sender|all] [--postgres URL] [--no-sqlite]
        summary, chart, book: [--clients 100000] [--book 2000] [--views 900] [--charts 200] [--pages 30] [--seed 1]
                              [--rebuild]
        sender: [--messages 2000] [--rates 25,100] [--latency 0.02]

summary, chart and book read a database of --clients demo clients with 24 months of history, imported and scored at
the last two month-ends (so the latest run has tier changes and the history has lines), the adviser with the most
clients given --book clients in all (taken at random from the others' books), and Telegram accounts bound to that
adviser and to an admin. It is built once per --clients, --seed and schema revision, in child processes, and kept
for the next runs (bench/harness.py: cached_databases; --rebuild builds it again): a SQLite file under the temporary
folder and, with --postgres (or TIERBOT_TEST_POSTGRES_URL), a database of its own on that server, vacuumed and
analysed once built as autovacuum would. Each part runs in a child process of its own, its collector set as `tierbot`
sets it on start; each prints the machine's load first, since a shared machine's other work shows in every figure.

summary: `open_summary` and the rendering of its template (`handlers.adviser.summary.render_summary`, the keyboard
  included), each view in a session of its own as the handler's unit of work opens it, for --views clients of the
  book in each language, every client viewed once (the first view of a client, as an adviser opens it from the
  book), then the same clients again (what a second look at the same client costs). "with commit" adds the unit of
  work's commit of the audit entry the view writes. The CPU time is the process's, which other work on a shared
  machine inflates less than the wall clock. Goal: p99 < 20 ms.
chart: the charts of --charts clients of the book (their summaries read first), drawn for the first time in each
  language, then asked for again from the cache, as the handler asks. Goals: first < 150 ms, cached < 5 ms.
book: a page of /clients (`grant_book`, `book_page` and the rendering of its template and keyboard,
  `handlers.adviser.book.render_page`) for every filter the filters' menu offers and both sorts, --pages presses
  each on its first page (what /clients and a filter's button show) and --pages at pages picked at random among the
  filter's pages, for the adviser's book (goal: p99 < 30 ms) and, for scale, the admin's whole firm and the admin's
  view of the adviser's book.
sender: --messages digests queued for as many advisers, each in a chat of their own, are sent by the real sender
  (its Bot built as `tierbot send` builds it) to the Bot API stand-in of the tests (tests/support/telegram_standin.py),
  over HTTP on 127.0.0.1. The stand-in answers each call after --latency seconds and enforces Telegram's flood
  control: one message a second per chat, and 30 a second overall (1,000 for a configured rate above 30, as paid
  broadcasts allow). For each configured rate and each database (a fresh SQLite file, and a fresh PostgreSQL database
  with --postgres), in a child process of its own, it prints the rate achieved from the first request to the last,
  its ratio to the configured rate (goal: at least 95 %), the whole run's time (claims and marks included), and how
  many requests Telegram would have refused with a 429 (goal: none). The stand-in runs in a process of its own, as
  Telegram runs elsewhere; the rate is read from the times its requests arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from harness import AS_OF, _fresh_postgres, cached_databases, in_child, report_to_parent, start_child
from pydantic import SecretStr
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.accounts import Reader, Refusal, grant_book, load_reader
from bot.config import DeliverySettings, FirmSettings, Settings, TelegramSettings
from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.db.models import Adviser, Client, OutboxMessage, OutboxStatus, Role, TelegramAccount
from bot.db.unit_of_work import session_factory, unit_of_work
from bot.delivery import Outgoing, enqueue
from bot.delivery.outbox import Queued
from bot.delivery.sender import Rendered
from bot.i18n import LOCALES, Catalogs, use_locale
from bot.importer import import_path
from bot.runtime import create_sender, create_sender_bot
from bot.scoring import load_rules, score_clients
from bot.workspace import (
    LIFECYCLE_STAGES,
    BookFilter,
    BookQuery,
    BookSort,
    ClientSummary,
    book_page,
    charts,
    open_summary,
)
from handlers.adviser.book import render_page
from handlers.adviser.summary import render_summary
from tiering import TierRules

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.telegram_standin import BotApiStandIn, FloodLimits

ADVISER_USER_ID, ADMIN_USER_ID = 30_000_001, 30_000_002
PREVIOUS_RUN = date(2026, 9, 30)  # a month before AS_OF: the latest run has changes to show
SUMMARY_GOAL_MS, CHART_FIRST_GOAL_MS, CHART_CACHED_GOAL_MS, BOOK_GOAL_MS = 20, 150, 5, 30
WARM_UP_VIEWS = 20
WORKSPACE_PARTS = ("summary", "chart", "book")
FIRST_USER_ID = 20_000_000
TELEGRAM_BULK_LIMIT = 30  # messages a second, Telegram's limit for a bot's bulk notifications
PAID_BROADCAST_LIMIT = 1_000


# The database.

async def _prepare(url: str, folder: Path, book_size: int, seed: int) -> None:
    """Import, give the busiest adviser `book_size` clients, score twice, then bind the accounts (last: a database
    with them is complete)."""
    engine = create_engine(url)
    await upgrade(engine)
    await import_path(engine, folder, actor="bench")
    async with engine.begin() as connection:
        adviser = (await connection.execute(
            select(Client.adviser_id).join(Adviser, Adviser.adviser_id == Client.adviser_id)
            .where(Adviser.left_on.is_(None)).group_by(Client.adviser_id)
            .order_by(func.count().desc(), Client.adviser_id).limit(1))).scalar_one()
        own = (await connection.execute(select(func.count()).where(Client.adviser_id == adviser))).scalar_one()
        others = (await connection.execute(
            select(Client.client_id).where(Client.adviser_id != adviser).order_by(Client.client_id))).scalars().all()
        moved = random.Random(seed).sample(list(others), max(book_size - own, 0))
        for start in range(0, len(moved), 500):
            await connection.execute(update(Client).where(Client.client_id.in_(moved[start:start + 500]))
                                     .values(adviser_id=adviser))
    rules = load_rules(None)
    await score_clients(engine, rules, as_of=PREVIOUS_RUN)
    await score_clients(engine, rules, as_of=AS_OF)
    async with engine.begin() as connection:
        now = datetime.now(UTC)
        await connection.execute(insert(TelegramAccount), [
            {"telegram_user_id": ADVISER_USER_ID, "chat_id": ADVISER_USER_ID, "role": Role.ADVISER,
             "adviser_id": adviser, "bound_at": now},
            {"telegram_user_id": ADMIN_USER_ID, "chat_id": ADMIN_USER_ID, "role": Role.ADMIN, "adviser_id": None,
             "bound_at": now},
        ])
    if engine.dialect.name == "postgresql":  # what autovacuum keeps (statistics, visibility), on a server without it
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


async def _complete(url: str) -> bool:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(
                select(func.count()).where(TelegramAccount.telegram_user_id == ADVISER_USER_ID)) == 1
    except Exception:  # no such table yet: a database never built, or one whose build was cut short
        return False
    finally:
        await engine.dispose()


# Figures.

def _cut(seconds: Sequence[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def _figures(name: str, seconds: Sequence[float]) -> dict[str, float]:
    p50, p99 = _cut(seconds)
    return {f"{name}_p50": p50, f"{name}_p99": p99}


async def _readers(engine: AsyncEngine) -> tuple[Reader, Reader, list[str]]:
    """The adviser, the admin, and the adviser's clients in a random order of their own."""
    async with session_factory(engine)() as session:
        adviser = await load_reader(session, ADVISER_USER_ID)
        admin = await load_reader(session, ADMIN_USER_ID)
        clients = (await session.execute(select(Client.client_id).where(Client.adviser_id == adviser.adviser_id)
                                         .order_by(Client.client_id))).scalars().all()
    return adviser, admin, random.Random(3).sample(list(clients), len(clients))


async def _summary(engine: AsyncEngine, reader: Reader, rules: TierRules, client_id: str
                   ) -> tuple[ClientSummary | Refusal, float, float]:
    """A summary as the handler reads and renders it, in a unit of work of its own: (summary, seconds to the text,
    seconds with the commit)."""
    started = time.perf_counter()
    async with unit_of_work(session_factory(engine)) as work:
        summary = await open_summary(work.session, reader, rules, client_id)
        render_summary(summary, reader, rules, client_id)
        text_done = time.perf_counter()
    return summary, text_done - started, time.perf_counter() - started


# Parts.

async def _summaries(url: str, views: int) -> dict[str, Any]:
    engine = create_engine(url)
    rules = load_rules(None)
    adviser, _admin, clients = await _readers(engine)
    views = min(views, (len(clients) - WARM_UP_VIEWS) // len(LOCALES))
    for client_id in clients[-WARM_UP_VIEWS:]:  # templates compiled, catalogs read, the pool's connection open
        await _summary(engine, adviser, rules, client_id)
    figures: dict[str, Any] = {"views": views, "book": len(clients)}
    for number, locale in enumerate(LOCALES):
        viewed = clients[number * views:(number + 1) * views]
        with use_locale(locale):
            for round_name in ("first", "again"):
                texts, commits, cpu = [], [], []
                for client_id in viewed:
                    started_cpu = time.process_time()
                    summary, text_seconds, commit_seconds = await _summary(engine, adviser, rules, client_id)
                    cpu.append(time.process_time() - started_cpu)
                    assert isinstance(summary, ClientSummary), summary  # every client of the book is scored
                    texts.append(text_seconds)
                    commits.append(commit_seconds)
                figures |= _figures(f"{locale}_{round_name}", texts)
                figures |= _figures(f"{locale}_{round_name}_commit", commits)
                figures |= _figures(f"{locale}_{round_name}_cpu", cpu)
    await engine.dispose()
    return figures


async def _charts(url: str, count: int, views: int) -> dict[str, Any]:
    engine = create_engine(url)
    rules = load_rules(None)
    adviser, _admin, clients = await _readers(engine)
    count = min(count, len(clients) - 1)
    summaries = []
    for client_id in clients[:count + 1]:
        summary, _text, _commit = await _summary(engine, adviser, rules, client_id)
        assert isinstance(summary, ClientSummary), summary
        summaries.append(summary)
    await engine.dispose()
    warm_up, summaries = summaries[0], summaries[1:]
    figures: dict[str, Any] = {"charts": count, "font": charts.cjk_font_family() or ""}
    charts.summary_chart(warm_up.dimension_scores, warm_up.aum_trend, key=warm_up.chart_key, locale="en")
    pick = random.Random(4)
    for locale in LOCALES:
        first, first_cpu = [], []
        for summary in summaries:
            started, started_cpu = time.perf_counter(), time.process_time()
            charts.summary_chart(summary.dimension_scores, summary.aum_trend, key=summary.chart_key, locale=locale)
            first.append(time.perf_counter() - started)
            first_cpu.append(time.process_time() - started_cpu)
        recent = summaries[-charts.CACHE_SIZE // 2:]  # still in the cache
        cached = []
        for _ in range(views):
            summary = pick.choice(recent)
            started = time.perf_counter()
            assert charts.chart_cached(summary.chart_key, locale)
            charts.summary_chart(summary.dimension_scores, summary.aum_trend, key=summary.chart_key, locale=locale)
            cached.append(time.perf_counter() - started)
        figures |= _figures(f"{locale}_first", first) | _figures(f"{locale}_first_cpu", first_cpu)
        figures |= _figures(f"{locale}_cached", cached)
    return figures


def _book_queries(rules: TierRules) -> list[BookQuery]:
    """Every filter the filters' menu offers, each with both sorts."""
    chosen = [(BookFilter.ALL, ""), *((BookFilter.TIER, tier.id) for tier in rules.tiers),
              *((BookFilter.STAGE, str(stage)) for stage in LIFECYCLE_STAGES),
              (BookFilter.CHURN, ""), (BookFilter.CHANGED, ""), (BookFilter.RISK, "")]
    return [BookQuery(kind, value, sort) for kind, value in chosen for sort in BookSort]


async def _press(engine: AsyncEngine, reader: Reader, adviser: str | None, query: BookQuery, rules: TierRules
                 ) -> tuple[int, float]:
    """A press of a book's button as the handler answers it: (the filter's pages, seconds)."""
    started = time.perf_counter()
    async with unit_of_work(session_factory(engine)) as work:
        book = await grant_book(work.session, reader, adviser)
        assert not isinstance(book, Refusal), book
        page = await book_page(work.session, book, query, rules)
        render_page(page, rules)
    return page.pages, time.perf_counter() - started


async def _books(url: str, presses: int) -> dict[str, Any]:
    engine = create_engine(url)
    rules = load_rules(None)
    adviser, admin, clients = await _readers(engine)
    pick = random.Random(5)
    figures: dict[str, Any] = {"book": len(clients), "presses": presses, "lines": []}
    views = (("adviser's book", adviser, None, _book_queries(rules)),
             ("admin, whole firm", admin, None, _book_queries(rules)),
             ("admin, adviser's book", admin, adviser.adviser_id, [BookQuery(sort=sort) for sort in BookSort]))
    for name, reader, adviser_id, queries in views:
        everything = []
        for query in queries:
            pages, _seconds = await _press(engine, reader, adviser_id, query, rules)  # warm up; how many pages
            first = [(await _press(engine, reader, adviser_id, query, rules))[1] for _ in range(presses)]
            anywhere = []
            for _ in range(presses):
                at = BookQuery(query.filter, query.value, query.sort, pick.randrange(pages))
                anywhere.append((await _press(engine, reader, adviser_id, at, rules))[1])
            everything += first + anywhere
            figures["lines"].append([name, f"{query.filter}{':' + query.value if query.value else ''}",
                                     str(query.sort), pages, *_cut(first), *_cut(anywhere)])
        figures[f"{name}_p50"], figures[f"{name}_p99"] = _cut(everything)
    await engine.dispose()
    return figures


# The parent: what is printed.

def _print_summary(backend: str, f: dict[str, Any]) -> None:
    print(f"{backend:<10} summary (open_summary + its template), {f['views']:,} clients of a book of {f['book']:,} "
          f"in each language, goal p99 < {SUMMARY_GOAL_MS} ms", flush=True)
    for locale in LOCALES:
        for round_name, label in (("first", "first view"), ("again", "second view")):
            key = f"{locale}_{round_name}"
            print(f"{'':<10} {locale:<8} {label:<12} p50 {f[key + '_p50']:6.2f} ms  p99 {f[key + '_p99']:6.2f} ms  "
                  f"(CPU p50 {f[key + '_cpu_p50']:5.2f}, p99 {f[key + '_cpu_p99']:5.2f});  with commit "
                  f"p50 {f[key + '_commit_p50']:6.2f} ms  p99 {f[key + '_commit_p99']:6.2f} ms", flush=True)


def _print_chart(backend: str, f: dict[str, Any]) -> None:
    print(f"{backend:<10} chart of {f['charts']:,} clients of the book, Chinese labels in "
          f"{f['font'] or 'no CJK font (English labels)'}; goals first < {CHART_FIRST_GOAL_MS} ms, "
          f"cached < {CHART_CACHED_GOAL_MS} ms", flush=True)
    for locale in LOCALES:
        print(f"{'':<10} {locale:<8} first p50 {f[locale + '_first_p50']:6.1f} ms  p99 {f[locale + '_first_p99']:6.1f} "
              f"ms (CPU p50 {f[locale + '_first_cpu_p50']:.1f}, p99 {f[locale + '_first_cpu_p99']:.1f});  cached "
              f"p50 {f[locale + '_cached_p50']:.4f} ms  p99 {f[locale + '_cached_p99']:.4f} ms", flush=True)


def _print_book(backend: str, f: dict[str, Any]) -> None:
    print(f"{backend:<10} book pages (grant_book + book_page + its template and keyboard), {f['presses']} presses "
          f"of each filter and sort on its first page and {f['presses']} at random pages, p50/p99 in ms; the "
          f"adviser's book holds {f['book']:,} clients; goal p99 < {BOOK_GOAL_MS} ms for the adviser's book",
          flush=True)
    lines: dict[tuple[str, str], list[Any]] = {}
    for name, query, sort, pages, *cuts in f["lines"]:
        lines.setdefault((name, query), [pages]).append(
            "by {:<5} first {:6.1f} / {:6.1f}  any {:6.1f} / {:6.1f}".format(sort, *cuts))
    for (name, query), (pages, *sorts) in lines.items():
        print(f"{'':<10} {name:<22} {query:<20} {pages:>6,} pages  {'   '.join(sorts)}", flush=True)
    for name in ("adviser's book", "admin, whole firm", "admin, adviser's book"):
        print(f"{'':<10} {name:<22} every page: p50 {f[name + '_p50']:6.2f} ms  p99 {f[name + '_p99']:6.2f} ms",
              flush=True)


MEASURES: dict[str, Callable[..., Awaitable[dict[str, Any]]]] = {
    "summary": _summaries, "chart": _charts, "book": _books}
PRINTS: dict[str, Callable[[str, dict[str, Any]], None]] = {
    "summary": _print_summary, "chart": _print_chart, "book": _print_book}


# The sender: fresh databases of queued digests, a Bot API stand-in.

async def _digest(session: AsyncSession, queued: Queued, reader: Reader) -> Rendered | None:
    """A digest's size and shape: a heading, a line per client, a button per client that opens their summary."""
    clients = [f"C{queued.payload['n'] * 3 + i:05d}" for i in range(3)]
    lines = [f"<b>Digest #{queued.payload['n']}</b>", *(f"• {c}: tier <b>mid</b> → <b>high_net_worth</b>"
                                                         for c in clients)]
    buttons = [[InlineKeyboardButton(text=c, callback_data=f"sum:{c}")] for c in clients]
    return Rendered("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=buttons))


async def _queue(url: str, messages: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    now = datetime.now(UTC)
    users = range(FIRST_USER_ID, FIRST_USER_ID + messages)
    async with engine.begin() as connection:
        await connection.execute(insert(Adviser), [
            {"adviser_id": f"A{user - FIRST_USER_ID:05d}", "name": "Adviser", "locale": "en"} for user in users])
        await connection.execute(insert(TelegramAccount), [
            {"telegram_user_id": user, "chat_id": user, "role": Role.ADVISER, "bound_at": now,
             "adviser_id": f"A{user - FIRST_USER_ID:05d}"} for user in users])
        await enqueue(connection, [Outgoing("bench_digest", user, f"bench:{user}", now, {"n": user - FIRST_USER_ID})
                                   for user in users], now=now)
    await engine.dispose()


def _serve_standin(pipe: Connection, latency: float, per_second: int, users: list[int]) -> None:
    """The Bot API stand-in, in a process of its own as Telegram is: it sends its address, serves until told to
    stop, then sends back (arrival, ok, error code) of each sendMessage."""

    async def serve() -> None:
        async with BotApiStandIn(latency=latency, limits=FloodLimits(per_second=per_second)) as standin:
            for user in users:
                standin.add_user(user)
            pipe.send((standin.token, standin.base_url))
            await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
            pipe.send([(call.at, call.ok, (call.error or {}).get("error_code"))
                       for call in standin.calls("sendMessage")])

    asyncio.run(serve())


async def _send(url: str, rate: float, messages: int, latency: float) -> dict[str, Any]:
    await _queue(url, messages)
    engine = create_engine(url)
    limit = TELEGRAM_BULK_LIMIT if rate <= TELEGRAM_BULK_LIMIT else PAID_BROADCAST_LIMIT
    ours, theirs = multiprocessing.Pipe()
    telegram = multiprocessing.Process(target=_serve_standin, args=(
        theirs, latency, limit, list(range(FIRST_USER_ID, FIRST_USER_ID + messages))))
    telegram.start()
    token, base_url = ours.recv()
    settings = Settings(telegram=TelegramSettings(token=SecretStr(token), api=base_url),
                        firm=FirmSettings(default_locale="en"), delivery=DeliverySettings(rate=rate))
    bot = create_sender_bot(settings)
    sender = create_sender(engine, settings, bot, renderers={"bench_digest": _digest})
    loop = asyncio.get_running_loop()
    started = loop.time()
    tally = await sender.run(once=True)
    seconds = loop.time() - started
    await bot.session.close()
    ours.send("stop")
    calls = ours.recv()
    telegram.join()
    async with engine.connect() as connection:
        statuses = dict((await connection.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
    await engine.dispose()
    accepted = [at for at, ok, _code in calls if ok]
    refused = sum(1 for _at, _ok, code in calls if code == 429)
    achieved = (len(accepted) - 1) / (accepted[-1] - accepted[0])
    return {"rate": rate, "telegram_limit": limit, "sent": tally.sent, "requests": len(calls),
            "outbox_sent": statuses.get(OutboxStatus.SENT, 0), "refused_429": refused, "achieved": achieved,
            "seconds": seconds, "concurrency": sender.concurrency}


def _databases(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(backend, URL) of a fresh database for one measurement."""
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="tierbot-bench-") as scratch:
            yield "sqlite", f"sqlite+aiosqlite:///{scratch}/bench.sqlite3"
    if args.postgres:
        with _fresh_postgres(args.postgres) as url:
            yield "postgresql", url


def _sender(args: argparse.Namespace) -> None:
    rates = [float(rate) for rate in args.rates.split(",")]
    print(f"sender: {args.messages:,} digests to {args.messages:,} chats, the Bot API answering after "
          f"{args.latency * 1000:.0f} ms with Telegram's flood limits", flush=True)
    for rate in rates:
        for backend, url in _databases(args):
            f = in_child(__file__, "sender", url, str(rate), str(args.messages), str(args.latency))
            print(f"{backend:<10} configured {f['rate']:6.0f}/s  achieved {f['achieved']:7.2f}/s "
                  f"({f['achieved'] / f['rate']:6.1%})  whole run {f['seconds']:6.1f} s "
                  f"({f['sent'] / f['seconds']:.2f}/s)  sent {f['sent']:,} ({f['outbox_sent']:,} marked)  "
                  f"429s {f['refused_429']}  in flight {f['concurrency']}  "
                  f"(Telegram's limit {f['telegram_limit']:,}/s)  peak RSS {f['peak_mib']:.0f} MiB", flush=True)


# The command.

def _workspace_child(part: str, url: str, *rest: str) -> None:
    with Catalogs("en").activated():
        if part == "prepare":
            folder, book, seed = rest
            asyncio.run(_prepare(url, Path(folder), int(book), int(seed)))
            report_to_parent({})
        elif part == "complete":
            report_to_parent({"complete": asyncio.run(_complete(url))})
        else:
            report_to_parent(asyncio.run(MEASURES[part](url, *(int(n) for n in rest))))


def _workspace_arguments(args: argparse.Namespace, part: str) -> list[str]:
    return {"summary": [str(args.views)], "chart": [str(args.charts), str(args.views)],
            "book": [str(args.pages)]}[part]


def _workspace(args: argparse.Namespace, parts: Sequence[str]) -> None:
    def build(url: str, folder: Path) -> None:
        started = time.perf_counter()
        in_child(__file__, "prepare", url, str(folder), str(args.book), str(args.seed))
        print(f"built in {time.perf_counter() - started:.0f} s: {args.clients:,} clients scored at "
              f"{PREVIOUS_RUN} and {AS_OF}, an adviser with {args.book:,}", flush=True)

    def complete(url: str) -> bool:
        return bool(in_child(__file__, "complete", url)["complete"])

    for backend, url in cached_databases(args, f"adviser-b{args.book}", build, complete):
        for part in parts:
            print(f"{backend:<10} machine load {os.getloadavg()[0]:.1f} over the last minute, "
                  f"{os.cpu_count()} cores", flush=True)
            PRINTS[part](backend, in_child(__file__, part, url, *_workspace_arguments(args, part)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", nargs="?", choices=[*WORKSPACE_PARTS, "sender", "all"], default="all")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--book", type=int, default=2_000, help="clients of the adviser measured")
    parser.add_argument("--views", type=int, default=900, help="summaries viewed in each language")
    parser.add_argument("--charts", type=int, default=200, help="charts drawn in each language")
    parser.add_argument("--pages", type=int, default=30, help="presses of each filter and sort")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build the workspace's database again")
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--rates", default="25,100", help="configured rates to measure, comma-separated")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the Bot API takes to answer")
    parser.add_argument("--postgres", default=os.environ.get("TIERBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        start_child()
        part, url, *rest = args.child
        if part == "sender":
            rate, messages, latency = rest
            report_to_parent(asyncio.run(_send(url, float(rate), int(messages), float(latency))))
        else:
            _workspace_child(part, url, *rest)
        return
    if args.part in (*WORKSPACE_PARTS, "all"):
        _workspace(args, WORKSPACE_PARTS if args.part == "all" else (args.part,))
    if args.part in ("sender", "all"):
        _sender(args)


if __name__ == "__main__":
    main()
