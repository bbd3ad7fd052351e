"""A firm whose next scoring run raises alerts for several advisers, for the digest tests.

    book = await book_with_upgrades(engine, tmp_path, advisers=3)
    await bind_adviser(engine, book.advisers[0], user_id=9_000_001)
    await score_clients(engine, RULES, schedule=QUIET_OFF)  # each adviser's clients in `book` move up a tier

The demo's clients are scored once; then, for each of the first advisers, a few ordinary clients get a large
holding in each of the last three months, which makes them mid-tier at the next run at once (upgrades are immediate).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts import DigestSchedule
from bot.db.models import Adviser, Balance, Client, Role, TelegramAccount, TierState
from bot.demo import generate_demo_data
from bot.importer import import_path
from bot.scoring import load_rules, score_clients

__all__ = ["AS_OF", "QUIET_OFF", "RULES", "Book", "bind_adviser", "book_with_upgrades"]

AS_OF = date(2026, 10, 31)
RULES = load_rules(None)
QUIET_OFF = DigestSchedule(quiet=None, firm_timezone="Asia/Shanghai")


@dataclass(frozen=True)
class Book:
    advisers: list[str]  # those whose clients move up at the next run, by id
    upgraded: dict[str, list[str]]  # adviser -> their clients that move up


async def book_with_upgrades(engine: AsyncEngine, directory: Path, *, advisers: int = 3, per_adviser: int = 2,
                             clients: int = 600) -> Book:
    generate_demo_data(directory / "demo", clients=clients, seed=3, as_of=AS_OF)
    await import_path(engine, directory / "demo", actor="tests")
    await score_clients(engine, RULES, schedule=QUIET_OFF)
    async with engine.begin() as connection:
        adviser_ids = list((await connection.execute(
            select(Adviser.adviser_id).where(Adviser.left_on.is_(None)).order_by(Adviser.adviser_id).limit(advisers)
        )).scalars())
        upgraded: dict[str, list[str]] = {}
        for adviser_id in adviser_ids:
            upgraded[adviser_id] = list((await connection.execute(
                select(Client.client_id).join(TierState, TierState.client_id == Client.client_id)
                .where(Client.adviser_id == adviser_id, TierState.tier == "ordinary")
                .order_by(Client.client_id).limit(per_adviser)
            )).scalars())
            await connection.execute(
                update(Balance).where(Balance.client_id.in_(upgraded[adviser_id]), Balance.as_of >= date(2026, 8, 1))
                .values(amount=Decimal("800000.00")))
    assert all(len(ids) == per_adviser for ids in upgraded.values())
    return Book(adviser_ids, upgraded)


async def bind_adviser(engine: AsyncEngine, adviser_id: str, *, user_id: int, bound_at: datetime | None = None,
                       locale: str | None = None) -> int:
    """A Telegram account bound to the adviser, as `/start <invite>` leaves it."""
    async with engine.begin() as connection:
        await connection.execute(insert(TelegramAccount).values(
            telegram_user_id=user_id, chat_id=user_id, role=Role.ADVISER, adviser_id=adviser_id, locale=locale,
            bound_at=bound_at or datetime.now(UTC)))
    return user_id
