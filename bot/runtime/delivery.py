"""The sender built from settings: a Bot of its own, its pacer, the renderers `handlers` lists, and a run of it.

The sender's Bot does not resend a 429 within its session as the chat's Bot does (`create_bot`): a 429 is the
sender's to wait out for every send at once. And its requests give up after a third of a claim's lease, so that no
row is still being sent when its lease runs out (another sender would then report it unknown).

With Redis configured (`TIERBOT_REDIS_URL`), the pacer shares the rate and Telegram's waits with every other sender
of the same bot, under the key `<TIERBOT_REDIS_PREFIX>:pace:<bot id>`; without it, each sender paces itself at the
rate divided among `TIERBOT_DELIVERY_SENDERS`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.config import Settings
from bot.delivery.pacing import Pacer, SharedPacer
from bot.delivery.sender import Renderer, Sender, Tally
from bot.runtime.bot_api import bot_api_failures, open_bot
from bot.runtime.dispatcher import MissingToken, bot_defaults

__all__ = ["REDIS_TIMEOUT", "create_pacer", "create_sender", "create_sender_bot", "pace_key", "run_sender"]

# Seconds a request to Redis may take: past it the pacer paces alone for a while rather than hold every send.
REDIS_TIMEOUT = 0.5


def create_sender_bot(settings: Settings) -> Bot:
    """A Bot for the sender: no 429s resent by its session, and requests that end well within a lease."""
    if settings.telegram.token is None:
        raise MissingToken
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api),
                             timeout=settings.delivery.lease_seconds / 3)
    return Bot(settings.telegram.token.get_secret_value(), session=session, default=bot_defaults())


def pace_key(settings: Settings, bot_id: int) -> str:
    """The Redis key of the pace every sender of the bot `bot_id` shares."""
    return f"{settings.redis.prefix}:pace:{bot_id}"


def create_pacer(settings: Settings, bot_id: int) -> Pacer:
    """The pacer of the settings for the bot `bot_id`: shared through Redis when it is configured (each request to
    it failing fast, without retries: the pacer falls back on itself), else this process's own."""
    delivery = settings.delivery
    if settings.redis.url is None:
        return Pacer(delivery.rate / delivery.senders, delivery.per_chat_interval)
    redis = Redis.from_url(settings.redis.url.get_secret_value(), socket_timeout=REDIS_TIMEOUT,
                           socket_connect_timeout=REDIS_TIMEOUT, retry=Retry(NoBackoff(), 0))
    return SharedPacer(redis, pace_key(settings, bot_id), delivery.rate, delivery.per_chat_interval,
                       senders=delivery.senders)


def create_sender(engine: AsyncEngine, settings: Settings, bot: Bot, *,
                  renderers: Mapping[str, Renderer] | None = None) -> Sender:
    """The sender of the settings, rendering with `renderers` (by default those `handlers` lists)."""
    return Sender(engine, bot, handlers.renderers() if renderers is None else renderers,
                  settings=settings.delivery, default_locale=settings.firm.default_locale,
                  pacer=create_pacer(settings, bot.id))


async def run_sender(engine: AsyncEngine, settings: Settings, *, once: bool = False,
                     stop: asyncio.Event | None = None) -> Tally:
    """Check the Bot API takes the token, then send until `stop` is set (or, with `once`, until nothing is due).
    Raises MissingToken, or BotApiFailure when the Bot API cannot be used."""
    async with open_bot(settings, create=create_sender_bot) as bot:
        with bot_api_failures(settings):
            return await create_sender(engine, settings, bot).run(once=once, stop=stop)
