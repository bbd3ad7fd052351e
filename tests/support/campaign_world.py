"""A small firm of the campaign tests' own: advisers, clients with the tier states a scoring run leaves, their
Telegram accounts, products, and the runs that changed tiers, each written as the importer, the scoring run and
`/start <invite>` write them, with only what a test varies spelled out.

    world = World(engine)
    await world.adviser("A001")
    await world.client("C001", tier="mid", lifecycle="growth", locale="zh_Hans")
    await world.client("C002", bound=False)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.models import (
    Adviser,
    Client,
    OutboxMessage,
    OutboxStatus,
    Product,
    ProductCategory,
    Role,
    ScoringRun,
    TelegramAccount,
    TierSnapshot,
    TierState,
)

__all__ = ["EVALUATED_ON", "World", "strategy_file"]

EVALUATED_ON = date(2026, 10, 31)  # the day of the world's latest scoring run
_users = itertools.count(6_100_001)


def strategy_file(directory: Path, template_id: str, *, strategy: str, products: tuple[str, ...]) -> Path:
    """A strategy message of `strategy` naming `products`, in every locale, under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    named = ", ".join(f'"{product}"' for product in products)
    (directory / f"{template_id}.toml").write_text(
        f'strategy = "{strategy}"\nproducts = [{named}]\n\n'
        '[en]\ntitle = "Products for you"\nbody = "Dear {{ client_name }}, see {{ products|length }} products."\n\n'
        '[zh_Hans]\ntitle = "为您推荐"\nbody = "尊敬的{{ client_name }}，请看 {{ products|length }} 款产品。"\n\n'
        '[zh_Hant]\ntitle = "為您推薦"\nbody = "{{ client_name }}您好，請看 {{ products|length }} 款產品。"\n',
        encoding="utf-8")
    return directory


@dataclass
class World:
    engine: AsyncEngine
    accounts: dict[str, int] = field(default_factory=dict)  # client id -> Telegram user id

    async def adviser(self, adviser_id: str, *, left_on: date | None = None) -> str:
        async with self.engine.begin() as connection:
            await connection.execute(insert(Adviser).values(adviser_id=adviser_id, name=f"Adviser {adviser_id}",
                                                            left_on=left_on))
        return adviser_id

    async def product(self, product_id: str, *, risk_level: int) -> str:
        async with self.engine.begin() as connection:
            await connection.execute(insert(Product).values(
                product_id=product_id, name_en=f"Product {product_id}", name_zh=f"产品{product_id}",
                category=ProductCategory.FUND, risk_level=risk_level, min_investment=Decimal("1000.00")))
        return product_id

    async def client(
        self, client_id: str, *, tier: str = "mid", adviser: str | None = "A001", locale: str | None = "en",
        risk_level: int | None = 3, assessed_on: date | None = date(2026, 1, 15), timezone: str | None = None,
        complaint_open: bool | None = None, bound: bool = True, blocked: bool = False, chosen: str | None = None,
        asset_size: str = "mid", activity: str = "low_frequency", lifecycle: str = "mature",
        complexity: str = "single_need", loyalty: str = "loyal",
    ) -> str:
        """A scored client (their latest tier state: `tier` and the five segments), bound to a Telegram account
        unless not `bound` (one that blocked the bot if `blocked`, whose own choice of language is `chosen`)."""
        async with self.engine.begin() as connection:
            await connection.execute(insert(Client).values(
                client_id=client_id, name=f"Client {client_id}", adviser_id=adviser, onboarded_on=date(2020, 3, 1),
                locale=locale, risk_level=risk_level, risk_assessed_on=assessed_on, timezone=timezone,
                complaint_open=complaint_open))
            await connection.execute(insert(TierState).values(
                client_id=client_id, tier=tier, months_below=0, evaluated_on=EVALUATED_ON, qualified_tier=tier,
                value_score=50.0, monthly_avg_aum=Decimal("800000.00"), asset_segment=asset_size,
                activity_segment=activity, lifecycle_segment=lifecycle, complexity_segment=complexity,
                loyalty_segment=loyalty))
        if bound:
            await self.bind(client_id, blocked=blocked, chosen=chosen)
        return client_id

    async def bind(self, client_id: str, *, blocked: bool = False, chosen: str | None = None,
                   bound_at: datetime | None = None) -> int:
        """A Telegram account bound to the client, as `/start <invite>` leaves it."""
        user_id = next(_users)
        now = datetime.now(UTC)
        async with self.engine.begin() as connection:
            await connection.execute(insert(TelegramAccount).values(
                telegram_user_id=user_id, chat_id=user_id, role=Role.CLIENT, client_id=client_id, locale=chosen,
                bound_at=bound_at or now, blocked_at=now if blocked else None))
        self.accounts[client_id] = user_id
        return user_id

    async def tier_changed(self, client_id: str, *, run_on: date, before: str, after: str) -> None:
        """A scoring run of `run_on` that moved the client from `before` to `after`."""
        at = datetime.combine(run_on, datetime.min.time(), UTC)
        async with self.engine.begin() as connection:
            run_id = (await connection.execute(insert(ScoringRun).values(
                rules_version="test", as_of=run_on, started_at=at, finished_at=at + timedelta(minutes=1),
                clients_scored=1, snapshots_written=1).returning(ScoringRun.id))).scalar_one()
            await connection.execute(insert(TierSnapshot).values(
                client_id=client_id, scoring_run_id=run_id, tier=after, previous_tier=before, value_score=50.0,
                monthly_avg_aum=Decimal("800000.00"), asset_score=50.0, asset_segment="mid", activity_score=50.0,
                activity_segment="low_frequency", lifecycle_score=50.0, lifecycle_segment="mature",
                complexity_score=50.0, complexity_segment="single_need", loyalty_score=50.0, loyalty_segment="loyal",
                explanation={}, rules_version="test", computed_at=at))

    async def end_message(self, campaign_id: int, client_id: str, status: OutboxStatus, *,
                          message_id: int | None = None, sent_at: datetime | None = None) -> None:
        """The campaign's message to the client ends as the sender would have ended it."""
        async with self.engine.begin() as connection:
            await connection.execute(
                update(OutboxMessage).where(OutboxMessage.dedupe_key == f"campaign:{campaign_id}:{client_id}")
                .values(status=status, message_id=message_id, sent_at=sent_at))

    async def outbox(self) -> list[OutboxMessage]:
        async with AsyncSession(self.engine) as session:
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
