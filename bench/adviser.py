"""The adviser's workspace, measured part by part. Today: `sender`, the outbox's sender delivering alert digests.

    .venv/bin/python bench/adviser.py sender [--messages 2000] [--rates 25,100] [--latency 0.02]
                                             [--postgres URL] [--no-sqlite]

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
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from harness import _fresh_postgres, in_child, report_to_parent, start_child
from pydantic import SecretStr
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader
from bot.config import DeliverySettings, FirmSettings, Settings, TelegramSettings
from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.db.models import Adviser, OutboxMessage, OutboxStatus, Role, TelegramAccount
from bot.delivery import Outgoing, enqueue
from bot.delivery.outbox import Queued
from bot.delivery.sender import Rendered
from bot.runtime import create_sender, create_sender_bot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.telegram_standin import BotApiStandIn, FloodLimits

FIRST_USER_ID = 20_000_000
TELEGRAM_BULK_LIMIT = 30  # messages a second, Telegram's limit for a bot's bulk notifications
PAID_BROADCAST_LIMIT = 1_000


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", nargs="?", choices=["sender"], default="sender")
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
        return
    _sender(args)


if __name__ == "__main__":
    main()
