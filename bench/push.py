"""Campaign delivery at scale: the sender pushing a campaign to 10,000 recipients, two senders sharing the rate through
Redis, and the audience resolved and the outbox filled for 100,000 clients.

    .venv/bin/python bench/push.py [send|shared|audience|all] [--postgres URL] [--no-sqlite]
        send, shared: [--recipients 10000] [--rate 25[,200...]] [--latency 0.02]
        shared:       [--redis URL]
        audience:     [--clients 100000] [--seed 1] [--rebuild]

send: a running survey campaign to --recipients clients, each bound to a Telegram account of their own, its outbox
  rows queued as a start queues them (one per recipient, `enqueue_many`), is sent by the real sender (built as
  `tierbot send` builds it: `bot.runtime.create_sender`) to the Bot API stand-in of the tests over HTTP on 127.0.0.1,
  in a process of its own as Telegram is. The stand-in answers after --latency seconds and enforces Telegram's flood
  control: a second per chat, 30 messages a second overall (1,000 for a configured rate above 30, as paid broadcasts
  allow). Each message is rendered by the survey renderer `handlers.renderers()` lists, as the sender of
  `tierbot send` renders it (the campaign, the client and the survey read at send time). For each configured rate
  and each database (a fresh SQLite file; a fresh PostgreSQL database with --postgres), it prints the rate achieved
  from the first accepted request to the last and its ratio to the configured rate (goal: at least 95 %), the
  busiest second of the stand-in's record (never above the rate but for the one a window's two ends allow), the
  429s (goal: none), and the sender process's CPU time per message (time.process_time over the run, every thread of
  the process: SQLite's included) with the share of one core it makes at that rate. 10,000 at 25/s take 400 s;
  --rate 25,200 shows the headroom as well.
shared: the same campaign, on PostgreSQL only (SQLite runs one sender), sent by two sender processes at once
  sharing the configured rate through Redis (--redis, or TIERBOT_REDIS_URL, else redis://127.0.0.1:6379/0; under a
  key prefix of its own, deleted afterwards). It prints the rate the two achieved together against the limit (goal:
  at least 95 %), the busiest second of the stand-in's record (goal: never above the limit), each sender's share and
  CPU time per message, and the 429s.
audience: 100,000 demo clients (--clients) imported and scored, each bound to a Telegram account, built once and
  kept (bench/harness.py: cached_databases); each measurement runs on a scratch copy of it, in a child process of
  its own: `create_campaign`, `preview_campaign` (the audience resolved and counted) and `start_campaign` (resolved
  again and the outbox filled, in one transaction), for a survey and for a strategy message naming products (the
  suitability guard), to everyone ("all"). It prints each step's time (goal for the start: < 10 s on SQLite), the
  rows queued, and the child's peak memory against what it held before the steps.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from harness import (
    AS_OF,
    StandInProcess,
    _fresh_postgres,
    cached_databases,
    database_copy,
    in_child,
    in_children,
    machine_load,
    report_to_parent,
    rss_mib,
    standin_process,
    start_child,
)
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import func, insert, select

import handlers
from bot.campaigns import SURVEY_KIND
from bot.campaigns.service import create_campaign, preview_campaign, start_campaign
from bot.config import DeliverySettings, FirmSettings, RedisSettings, Settings, TelegramSettings, get_settings
from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.db.models import (
    Adviser,
    Campaign,
    CampaignKind,
    CampaignRecipient,
    CampaignStatus,
    Client,
    OutboxMessage,
    OutboxStatus,
    Role,
    TelegramAccount,
)
from bot.db.unit_of_work import session_factory, unit_of_work
from bot.delivery.outbox import Outgoing, enqueue_many
from bot.i18n import Catalogs
from bot.importer import import_path
from bot.runtime import create_sender, create_sender_bot
from bot.scoring import load_rules, score_clients

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.telegram_standin import busiest_window

FIRST_USER_ID = 40_000_000
SURVEY = "relationship_nps"
STRATEGY = "self_service"  # names FD01 (R1) and WM01 (R2): the suitability guard applies
TELEGRAM_BULK_LIMIT = 30  # messages a second, Telegram's limit for a bot's bulk notifications
PAID_BROADCAST_LIMIT = 1_000
RATE_GOAL, START_GOAL_SECONDS = 0.95, 10.0


# The campaign, queued as a start queues it.

async def _queue_campaign(url: str, recipients: int) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    now = datetime.now(UTC)
    clients = [f"C{n:06d}" for n in range(recipients)]
    async with engine.begin() as connection:
        await connection.execute(insert(Adviser), [{"adviser_id": "A0001", "name": "Adviser", "locale": "en"}])
        await connection.execute(insert(Client), [
            {"client_id": client, "name": "Client", "adviser_id": "A0001", "onboarded_on": date(2020, 1, 1),
             "locale": "zh_Hans" if n % 2 else "en"} for n, client in enumerate(clients)])
        await connection.execute(insert(TelegramAccount), [
            {"telegram_user_id": FIRST_USER_ID + n, "chat_id": FIRST_USER_ID + n, "role": Role.CLIENT,
             "client_id": client, "bound_at": now} for n, client in enumerate(clients)])
        campaign = (await connection.execute(insert(Campaign).values(
            kind=CampaignKind.SURVEY, template=SURVEY, audience="all", status=CampaignStatus.RUNNING,
            created_by="bench", created_at=now, started_at=now).returning(Campaign.id))).scalar_one()
        await enqueue_many(connection, [
            Outgoing(SURVEY_KIND, FIRST_USER_ID + n, f"campaign:{campaign}:{client}", now,
                     {"campaign_id": campaign, "client_id": client}, campaign_id=campaign)
            for n, client in enumerate(clients)], now=now)
        outbox_ids = dict((await connection.execute(
            select(OutboxMessage.telegram_user_id, OutboxMessage.id))).all())
        await connection.execute(insert(CampaignRecipient), [
            {"campaign_id": campaign, "client_id": client, "kind": CampaignKind.SURVEY,
             "telegram_user_id": FIRST_USER_ID + n, "outbox_id": outbox_ids[FIRST_USER_ID + n], "queued_at": now,
             "locale": "zh_Hans" if n % 2 else "en", "adviser_id": "A0001"} for n, client in enumerate(clients)])
    await engine.dispose()


def _settings(standin: StandInProcess, rate: float, redis: str | None = None, prefix: str = "") -> Settings:
    return Settings(telegram=TelegramSettings(token=SecretStr(standin.token), api=standin.base_url),
                    firm=FirmSettings(default_locale="en"),
                    delivery=DeliverySettings(rate=rate, quiet_hours="off", senders=2 if redis else 1),
                    redis=RedisSettings(url=SecretStr(redis) if redis else None, prefix=prefix or "tierbot"))


async def _run_sender(url: str, settings: Settings) -> dict[str, Any]:
    """A run of the real sender until nothing is due: what it sent, its time and its CPU time."""
    engine = create_engine(url)
    bot = create_sender_bot(settings)
    sender = create_sender(engine, settings, bot, renderers=handlers.renderers())
    loop = asyncio.get_running_loop()
    started, cpu = loop.time(), time.process_time()
    tally = await sender.run(once=True)
    cpu, seconds = time.process_time() - cpu, loop.time() - started
    await bot.session.close()
    await engine.dispose()
    return {"sent": tally.sent, "unknown": len(tally.unknown), "failed": tally.failed, "cpu": cpu,
            "seconds": seconds, "concurrency": sender.concurrency}


async def _outbox(url: str) -> dict[str, int]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        statuses = dict((await connection.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
    await engine.dispose()
    return {str(status): count for status, count in statuses.items()}


def _schedule(calls: list[tuple[float, bool, int | None]]) -> dict[str, Any]:
    """What the stand-in saw: the accepted sends' rate from the first to the last, the busiest second and the
    busiest five seconds (a second's figure is the schedule plus the moments by which the processes, on a busy
    machine, send or read a request late; five seconds' hardly), the 429s."""
    accepted = [at for at, ok, _code in calls if ok]
    achieved = (len(accepted) - 1) / (accepted[-1] - accepted[0]) if len(accepted) > 1 else 0.0
    arrivals = [at for at, _ok, _code in calls]
    return {"requests": len(calls), "accepted": len(accepted), "achieved": achieved,
            "busiest": busiest_window(arrivals), "busiest_5s": busiest_window(arrivals, 5.0) / 5,
            "refused_429": sum(1 for _at, _ok, code in calls if code == 429)}


def _limit(rate: float) -> int:
    return TELEGRAM_BULK_LIMIT if rate <= TELEGRAM_BULK_LIMIT else PAID_BROADCAST_LIMIT


def _send(url: str, rate: float, recipients: int, latency: float) -> dict[str, Any]:
    """(a): one sender, in this process."""
    asyncio.run(_queue_campaign(url, recipients))
    users = list(range(FIRST_USER_ID, FIRST_USER_ID + recipients))
    with standin_process(latency, _limit(rate), users) as standin:
        figures = asyncio.run(_run_sender(url, _settings(standin, rate)))
    return {**figures, **_schedule(standin.calls), "rate": rate, "limit": _limit(rate),
            "outbox": asyncio.run(_outbox(url))}


def _shared(url: str, rate: float, recipients: int, latency: float, redis: str) -> dict[str, Any]:
    """(b): two sender processes at once, the rate shared through Redis."""
    asyncio.run(_queue_campaign(url, recipients))
    users = list(range(FIRST_USER_ID, FIRST_USER_ID + recipients))
    prefix = f"tierbot-bench-{uuid.uuid4().hex[:8]}"
    try:
        with standin_process(latency, _limit(rate), users) as standin:
            senders = in_children(__file__, *(["sender", url, standin.token, standin.base_url, str(rate), redis,
                                               prefix] for _ in range(2)))
    finally:
        asyncio.run(_forget(redis, prefix))
    return {"senders": senders, **_schedule(standin.calls), "rate": rate, "limit": _limit(rate),
            "outbox": asyncio.run(_outbox(url))}


async def _forget(redis: str, prefix: str) -> None:
    client = Redis.from_url(redis)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def _one_sender(url: str, token: str, base_url: str, rate: float, redis: str, prefix: str) -> dict[str, Any]:
    standin = StandInProcess(token, base_url)
    return asyncio.run(_run_sender(url, _settings(standin, rate, redis, prefix)))


def _databases(args: argparse.Namespace, *, sqlite: bool = True) -> Iterator[tuple[str, str]]:
    """(backend, URL) of a fresh database for one measurement."""
    if sqlite and not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="tierbot-bench-") as folder:
            yield "sqlite", f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
    if args.postgres:
        with _fresh_postgres(args.postgres) as url:
            yield "postgresql", url


def _print_send(backend: str, f: dict[str, Any]) -> None:
    cpu_ms = f["cpu"] / max(f["sent"], 1) * 1000
    print(f"{backend:<10} configured {f['rate']:6.0f}/s  achieved {f['achieved']:7.2f}/s "
          f"({f['achieved'] / f['rate']:6.1%}, goal {RATE_GOAL:.0%})  busiest second {f['busiest']} (over five "
          f"seconds {f['busiest_5s']:.1f}/s)  429s {f['refused_429']}  sent {f['sent']:,} ({f['accepted']:,} "
          f"accepted)  whole run {f['seconds']:6.1f} s  "
          f"CPU {cpu_ms:.2f} ms a message ({cpu_ms * f['rate'] / 1000:.1%} of a core at the rate)  in flight "
          f"{f['concurrency']}  peak RSS {f['peak_mib']:.0f} MiB", flush=True)
    print(f"{'':<10} outbox {f['outbox']}", flush=True)


def _print_shared(backend: str, f: dict[str, Any]) -> None:
    print(f"{backend:<10} two senders sharing {f['rate']:.0f}/s: achieved together {f['achieved']:7.2f}/s "
          f"({f['achieved'] / f['rate']:6.1%}, goal {RATE_GOAL:.0%})  busiest second {f['busiest']} (over five "
          f"seconds {f['busiest_5s']:.1f}/s; limit {f['rate']:.0f})  429s {f['refused_429']}", flush=True)
    for number, sender in enumerate(f["senders"], 1):
        print(f"{'':<10} sender {number}: sent {sender['sent']:,} ({sender['sent'] / max(f['accepted'], 1):.1%}) in "
              f"{sender['seconds']:.1f} s, CPU {sender['cpu'] / max(sender['sent'], 1) * 1000:.2f} ms a message, "
              f"unknown {sender['unknown']}, failed {sender['failed']}, peak RSS {sender['peak_mib']:.0f} MiB",
              flush=True)
    print(f"{'':<10} outbox {f['outbox']}", flush=True)


# (c) The audience and the outbox fill, on a cached database of scored demo clients bound to Telegram.

async def _prepare(url: str, folder: Path) -> None:
    """Import, score, then bind every client to an account of their own (last: a database with them is
    complete)."""
    engine = create_engine(url)
    await upgrade(engine)
    await import_path(engine, folder, actor="bench")
    await score_clients(engine, load_rules(None), as_of=AS_OF)
    async with engine.begin() as connection:
        clients = (await connection.execute(select(Client.client_id).order_by(Client.client_id))).scalars().all()
        now = datetime.now(UTC)
        for first in range(0, len(clients), 10_000):
            await connection.execute(insert(TelegramAccount), [
                {"telegram_user_id": FIRST_USER_ID + n, "chat_id": FIRST_USER_ID + n, "role": Role.CLIENT,
                 "client_id": client, "bound_at": now}
                for n, client in enumerate(clients[first:first + 10_000], first)])
    await engine.dispose()


async def _complete(url: str) -> bool:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return bool(await connection.scalar(select(func.count()).select_from(TelegramAccount)))
    except Exception:
        return False
    finally:
        await engine.dispose()


async def _audience(url: str, kind: str, template: str) -> dict[str, Any]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    settings = Settings(firm=FirmSettings(default_locale="en"))
    before = rss_mib()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    async with unit_of_work(sessions, commit=True) as work:
        view = await create_campaign(work.session, kind=CampaignKind(kind), template=template, audience="all",
                                     not_before=None, created_by="bench", now=datetime.now(UTC))
    timings["create"] = time.perf_counter() - started
    started = time.perf_counter()
    async with unit_of_work(sessions) as work:
        await preview_campaign(work.session, view.id, settings=settings, now=datetime.now(UTC))
    timings["preview"] = time.perf_counter() - started
    started = time.perf_counter()
    async with unit_of_work(sessions, commit=True) as work:
        await start_campaign(work.session, view.id, settings=settings, now=datetime.now(UTC))
    timings["start"] = time.perf_counter() - started
    async with engine.connect() as connection:
        queued = await connection.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.campaign_id == view.id, OutboxMessage.status == OutboxStatus.PENDING))
        clients = await connection.scalar(select(func.count()).select_from(Client))
    await engine.dispose()
    return {**timings, "queued": queued, "clients": clients, "before_mib": before}


def _print_audience(backend: str, kind: str, f: dict[str, Any]) -> None:
    print(f"{backend:<10} {kind:<8} to all of {f['clients']:,} clients: create {f['create'] * 1000:.0f} ms  "
          f"preview {f['preview']:.2f} s  start {f['start']:.2f} s (goal < {START_GOAL_SECONDS:.0f} s on SQLite, "
          f"{f['start'] / START_GOAL_SECONDS:.0%} of it)  queued {f['queued']:,}  peak RSS {f['peak_mib']:.0f} MiB "
          f"({f['before_mib']:.0f} before the steps)", flush=True)


# The command.

def _part_send(args: argparse.Namespace) -> None:
    print(f"send: a survey campaign to {args.recipients:,} recipients, the Bot API answering after "
          f"{args.latency * 1000:.0f} ms with Telegram's flood limits", flush=True)
    for rate in args.rates:
        for backend, url in _databases(args):
            print(f"{backend:<10} {machine_load()}", flush=True)
            _print_send(backend, in_child(__file__, "send", url, str(rate), str(args.recipients), str(args.latency)))


def _part_shared(args: argparse.Namespace) -> None:
    print("shared: the same campaign by two sender processes sharing the rate through Redis", flush=True)
    if not args.postgres:
        print("           needs PostgreSQL (--postgres, or TIERBOT_TEST_POSTGRES_URL): SQLite runs one sender",
              flush=True)
        return
    for rate in args.rates[:1]:
        for backend, url in _databases(args, sqlite=False):
            print(f"{backend:<10} {machine_load()}", flush=True)
            _print_shared(backend, in_child(__file__, "shared", url, str(rate), str(args.recipients),
                                            str(args.latency), args.redis))


def _part_audience(args: argparse.Namespace) -> None:
    def build(url: str, folder: Path) -> None:
        started = time.perf_counter()
        in_child(__file__, "prepare", url, str(folder))
        print(f"built in {time.perf_counter() - started:.0f} s: {args.clients:,} clients scored at {AS_OF}, each "
              f"bound to Telegram", flush=True)

    def complete(url: str) -> bool:
        return bool(in_child(__file__, "complete", url)["complete"])

    print(f"audience: a campaign to everyone of {args.clients:,} clients, resolved and queued", flush=True)
    for backend, url in cached_databases(args, "push", build, complete):
        for kind, template in ((CampaignKind.SURVEY, SURVEY), (CampaignKind.STRATEGY, STRATEGY)):
            print(f"{backend:<10} {machine_load()}", flush=True)
            with database_copy(url) as copy:
                _print_audience(backend, kind, in_child(__file__, "audience", copy, kind, template))


def _child(part: str, *rest: str) -> None:
    start_child()
    if part in ("send", "shared", "sender"):
        # The renderers read the settings as under `tierbot send` (get_settings): the bench's, quiet hours off.
        os.environ.update({"TIERBOT_DELIVERY_QUIET_HOURS": "off", "TIERBOT_DEFAULT_LOCALE": "en"})
        get_settings.cache_clear()
    if part == "send":
        url, rate, recipients, latency = rest
        report_to_parent(_send(url, float(rate), int(recipients), float(latency)))
    elif part == "shared":
        url, rate, recipients, latency, redis = rest
        report_to_parent(_shared(url, float(rate), int(recipients), float(latency), redis))
    elif part == "sender":
        url, token, base_url, rate, redis, prefix = rest
        report_to_parent(_one_sender(url, token, base_url, float(rate), redis, prefix))
    elif part == "prepare":
        url, folder = rest
        asyncio.run(_prepare(url, Path(folder)))
        report_to_parent({})
    elif part == "complete":
        report_to_parent({"complete": asyncio.run(_complete(rest[0]))})
    elif part == "audience":
        url, kind, template = rest
        with Catalogs("en").activated():  # as a command has them: the service's sentences are in the catalogs
            report_to_parent(asyncio.run(_audience(url, kind, template)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", nargs="?", choices=["send", "shared", "audience", "all"], default="all")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", default="25", help="configured rates to measure, comma-separated (e.g. 25,200)")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds the Bot API takes to answer")
    parser.add_argument("--redis", default=os.environ.get("TIERBOT_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build the audience's database again")
    parser.add_argument("--postgres", default=os.environ.get("TIERBOT_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    args.rates = [float(rate) for rate in args.rate.split(",")]
    if args.part in ("send", "all"):
        _part_send(args)
    if args.part in ("shared", "all"):
        _part_shared(args)
    if args.part in ("audience", "all"):
        _part_audience(args)


if __name__ == "__main__":
    main()
