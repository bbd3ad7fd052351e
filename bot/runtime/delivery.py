"""The sender built from settings: a Bot of its own, the renderers `handlers` lists, and a run of it.

The sender's Bot does not resend a 429 within its session as the chat's Bot does (`create_bot`): a 429 is the
sender's to wait out for every send at once. And its requests give up after a third of a claim's lease, so that no
row is still being sent when its lease runs out (another sender would then report it unknown).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.config import Settings
from bot.delivery.sender import Renderer, Sender, Tally
from bot.runtime.bot_api import bot_api_failures, open_bot
from bot.runtime.dispatcher import MissingToken, bot_defaults

__all__ = ["create_sender", "create_sender_bot", "run_sender"]


def create_sender_bot(settings: Settings) -> Bot:
    """A Bot for the sender: no 429s resent by its session, and requests that end well within a lease."""
    if settings.telegram.token is None:
        raise MissingToken
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api),
                             timeout=settings.delivery.lease_seconds / 3)
    return Bot(settings.telegram.token.get_secret_value(), session=session, default=bot_defaults())


def create_sender(engine: AsyncEngine, settings: Settings, bot: Bot, *,
                  renderers: Mapping[str, Renderer] | None = None) -> Sender:
    """The sender of the settings, rendering with `renderers` (by default those `handlers` lists)."""
    return Sender(engine, bot, handlers.renderers() if renderers is None else renderers,
                  settings=settings.delivery, default_locale=settings.firm.default_locale)


async def run_sender(engine: AsyncEngine, settings: Settings, *, once: bool = False,
                     stop: asyncio.Event | None = None) -> Tally:
    """Check the Bot API takes the token, then send until `stop` is set (or, with `once`, until nothing is due).
    Raises MissingToken, or BotApiFailure when the Bot API cannot be used."""
    async with open_bot(settings, create=create_sender_bot) as bot:
        with bot_api_failures(settings):
            return await create_sender(engine, settings, bot).run(once=once, stop=stop)
