"""The tests' firm, for the outbox: advisers bound to Telegram accounts, messages queued for them as a scoring run
queues its digests, and senders on the Bot API stand-in, their Bot as `tierbot send` builds it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from outbox_notes import RENDERERS
from pydantic import SecretStr
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from support.telegram_standin import BotApiStandIn

from bot.config import DeliverySettings, FirmSettings, Settings, TelegramSettings
from bot.db.models import Adviser, OutboxMessage, Role, TelegramAccount
from bot.delivery import Outgoing, enqueue
from bot.delivery.sender import Renderer, Sender
from bot.runtime import create_sender_bot

__all__ = ["Outbox", "settings_for"]

FIRST_USER = 7_000_001


def settings_for(standin: BotApiStandIn, **delivery: Any) -> Settings:
    """Settings whose Bot API is the stand-in; `delivery` overrides the sender's settings."""
    return Settings(
        telegram=TelegramSettings(token=SecretStr(standin.token), api=standin.base_url),
        firm=FirmSettings(default_locale="en"),
        delivery=DeliverySettings(**{"rate": 50.0, "per_chat_interval": 0.0, **delivery}),
    )


@dataclass
class Outbox:
    """The test's firm, for the outbox: advisers bound to Telegram accounts, and what is queued for them."""

    engine: AsyncEngine
    standin: BotApiStandIn
    bots: list[Bot] = field(default_factory=list)

    async def adviser(self, *, locale: str | None = "en", chosen: str | None = None, known: bool = True,
                      blocked: bool = False) -> int:
        """An adviser (whose record reads `locale`) bound to a new Telegram account (whose own choice of language
        is `chosen`) that has started the bot (`known` to Telegram) and not blocked it (unless `blocked`, as the
        account records it); returns the Telegram user id."""
        async with self.engine.begin() as connection:
            count = len((await connection.execute(select(TelegramAccount.telegram_user_id))).all())
            user_id, adviser_id = FIRST_USER + count, f"A{count + 1:03d}"
            await connection.execute(insert(Adviser).values(adviser_id=adviser_id, name="Adviser", locale=locale))
            await connection.execute(insert(TelegramAccount).values(
                telegram_user_id=user_id, chat_id=user_id, role=Role.ADVISER, adviser_id=adviser_id, locale=chosen,
                bound_at=datetime.now(UTC), blocked_at=datetime.now(UTC) if blocked else None))
        if known:
            self.standin.add_user(user_id)
        return user_id

    async def queue(self, user_id: int, n: int, *, kind: str = "note", key: str | None = None,
                    not_before: datetime | None = None, **payload: Any) -> int | None:
        """Queue message number `n` for `user_id` (in a transaction of its own, as a scoring run does); its id,
        None when its dedupe key was queued before."""
        now = datetime.now(UTC)
        message = Outgoing(kind, user_id, key or f"test:{user_id}:{n}", not_before or now, {"n": n, **payload})
        async with self.engine.begin() as connection:
            queued = await enqueue(connection, [message], now=now)
        return queued.get(message.dedupe_key)

    async def rows(self) -> dict[int, OutboxMessage]:
        async with AsyncSession(self.engine) as session:
            found = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
            return {row.id: row for row in found}

    def sender(self, *, renderers: Mapping[str, Renderer] = RENDERERS, backoff: float = 0.05,
               poll_interval: float = 0.05, concurrency: int | None = None, **delivery: Any) -> Sender:
        """A sender on the stand-in, its Bot as `tierbot send` builds it; quick to retry and to look again."""
        settings = settings_for(self.standin, **delivery)
        self.bots.append(bot := create_sender_bot(settings))
        return Sender(self.engine, bot, renderers, settings=settings.delivery,
                      default_locale="en", backoff=backoff, poll_interval=poll_interval, concurrency=concurrency)
