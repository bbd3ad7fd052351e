"""Long polling: the bot answers updates it asks the Bot API for, and the sender sends the outbox's messages next
to it, until it is stopped (SIGTERM, SIGINT)."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.runtime.bot_api import bot_api_failures, open_bot
from bot.runtime.delivery import create_sender, create_sender_bot
from bot.runtime.dispatcher import create_dispatcher, set_commands

__all__ = ["run_polling"]


async def run_polling(engine: AsyncEngine, settings: Settings) -> None:
    """Check the Bot API takes the token, set the command menu, then poll for the update types the routers handle
    while the sender runs. A signal stops polling (aiogram's own handlers), then the sender, whose sends under way
    finish.

    Raises MissingToken or BotApiFailure before polling starts, or when the Bot API stops taking the token; once
    polling has started, aiogram retries a Bot API that stops answering.
    """
    async with open_bot(settings) as bot, open_bot(settings, create=create_sender_bot) as sender_bot:
        dispatcher = create_dispatcher(engine, settings)
        with bot_api_failures(settings):
            await set_commands(bot, dispatcher["i18n"])
        stop = asyncio.Event()
        sending = asyncio.create_task(create_sender(engine, settings, sender_bot).run(stop=stop))
        polling = asyncio.create_task(
            dispatcher.start_polling(bot, allowed_updates=dispatcher.resolve_used_update_types()))
        await asyncio.wait({sending, polling}, return_when=asyncio.FIRST_COMPLETED)
        if sending.done():  # the sender cannot go on (the token refused): neither can the bot
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
            with bot_api_failures(settings):
                sending.result()
            return
        stop.set()
        try:
            await polling
        finally:
            await sending
