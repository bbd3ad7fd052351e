"""Chat throughput: tierbot's /tier against a bare aiogram echo handler, on a database of scored demo clients.

    .venv/bin/python bench/chat.py [--clients 100000] [--updates 5000] [--seed 1] [--postgres URL] [--no-sqlite]

For each database: demo data imported and scored (in child processes), then, in one more child process, the same
number of private-chat updates fed through `Dispatcher.feed_update` to (a) a dispatcher whose one handler echoes
the text and (b) tierbot's dispatcher (all its middlewares, rate limit included) with "/tier" from Telegram
users bound to random clients. The Bot's session answers locally (the console's), so no network is involved.
It prints updates per second of both, their ratio, and the p50 and p99 latency of (b); and, for scale, the rate
of tierbot's /help, which passes the same middlewares (one read of the reader) and reads nothing else.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.types import Chat, Message, Update, User
from harness import AS_OF, child_step, demo_databases, in_child, parse_arguments
from sqlalchemy import insert, select

from bot.config import FirmSettings, Settings
from bot.db import create_engine
from bot.db.migrate import upgrade
from bot.db.models import Client, Role, TelegramAccount
from bot.importer import import_path
from bot.runtime import ConsoleSession, bot_defaults, create_dispatcher
from bot.scoring import load_rules, score_clients

BOUND_USERS = 5_000
FIRST_USER_ID = 10_000_000


async def _prepare(url: str, folder: Path) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    await import_path(engine, folder, actor="bench")
    await score_clients(engine, load_rules(None), as_of=AS_OF)
    async with engine.begin() as connection:
        client_ids = (await connection.execute(select(Client.client_id))).scalars().all()
        chosen = random.Random(1).sample(list(client_ids), min(BOUND_USERS, len(client_ids)))
        now = datetime.now(UTC)
        await connection.execute(insert(TelegramAccount), [
            {"telegram_user_id": FIRST_USER_ID + i, "chat_id": FIRST_USER_ID + i, "role": Role.CLIENT,
             "client_id": client_id, "bound_at": now}
            for i, client_id in enumerate(chosen)
        ])
    await engine.dispose()


def _updates(count: int, users: int, text: str) -> list[Update]:
    pick = random.Random(2)
    updates = []
    for update_id in range(1, count + 1):
        user_id = FIRST_USER_ID + pick.randrange(users)
        user = User(id=user_id, is_bot=False, first_name="Bench", language_code=pick.choice(["en", "zh-hans"]))
        updates.append(Update(update_id=update_id, message=Message(
            message_id=update_id, date=datetime.now(UTC), chat=Chat(id=user_id, type="private"), from_user=user,
            text=text)))
    return updates


async def _feed(dispatcher: Dispatcher, bot: Bot, updates: list[Update]) -> tuple[float, list[float]]:
    latencies = []
    started = time.perf_counter()
    for update in updates:
        begun = time.perf_counter()
        await dispatcher.feed_update(bot, update)
        latencies.append(time.perf_counter() - begun)
    return time.perf_counter() - started, latencies


async def _measure(url: str, count: int) -> dict[str, Any]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        bound = len((await connection.execute(select(TelegramAccount.telegram_user_id))).all())
    sent: list[str] = []
    bot = Bot("1:bench", session=ConsoleSession(Chat(id=1, type="private"), sent.append), default=bot_defaults())

    echo = Router()

    @echo.message()
    async def repeat(message: Message) -> None:
        await message.answer(message.text or "")

    bare = Dispatcher()
    bare.include_router(echo)
    bare_seconds, _ = await _feed(bare, bot, _updates(count, bound, "hello"))

    tierbot = create_dispatcher(engine, Settings(firm=FirmSettings(default_locale="en")))
    await _feed(tierbot, bot, _updates(50, bound, "/tier"))  # warm up: templates compiled, caches filled
    # For scale: /help goes through the same middlewares (the reader read from the database) and reads nothing else.
    help_seconds, _ = await _feed(tierbot, bot, _updates(count, bound, "/help"))
    sent.clear()
    tier_seconds, latencies = await _feed(tierbot, bot, _updates(count, bound, "/tier"))
    cards = sum(1 for text in sent if "/100" in text)  # the card lists five scores "n/100" in either language
    await engine.dispose()
    cut = statistics.quantiles(latencies, n=100)
    return {"bare_rate": count / bare_seconds, "help_rate": count / help_seconds, "tier_rate": count / tier_seconds,
            "p50_ms": cut[49] * 1000, "p99_ms": cut[98] * 1000, "cards": cards, "updates": count}


def main() -> None:
    args = parse_arguments(__doc__ or "", ("STEP", "URL", "FOLDER", "COUNT"), {"updates": 5_000})
    count = str(args.updates)
    if args.child:
        child_step(_prepare, _measure, *args.child)
        return

    for backend, url, folder in demo_databases(args):
        in_child(__file__, "prepare", url, str(folder), count)
        f = in_child(__file__, "measure", url, str(folder), count)
        print(f"{backend:<10} {f['updates']:,} updates  echo {f['bare_rate']:8,.0f}/s  "
              f"/help {f['help_rate']:8,.0f}/s ({f['help_rate'] / f['bare_rate']:.2f} of echo)  "
              f"/tier {f['tier_rate']:8,.0f}/s ({f['tier_rate'] / f['bare_rate']:.2f} of echo)  "
              f"p50 {f['p50_ms']:.2f} ms  p99 {f['p99_ms']:.2f} ms  "
              f"({f['cards']:,} cards shown)  peak RSS {f['peak_mib']:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
