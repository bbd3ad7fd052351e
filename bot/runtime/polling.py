"""Long polling: the bot answers updates it asks the Bot API for, until it is stopped (SIGTERM, SIGINT)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.runtime.bot_api import bot_api_failures, open_bot
from bot.runtime.dispatcher import create_dispatcher, set_commands

__all__ = ["run_polling"]


async def run_polling(engine: AsyncEngine, settings: Settings) -> None:
    """Check the Bot API takes the token, set the command menu, then poll for the update types the routers handle.

    Raises MissingToken or BotApiFailure before polling starts; once it has, aiogram retries a Bot API that
    stops answering.
    """
    async with open_bot(settings) as bot:
        dispatcher = create_dispatcher(engine, settings)
        with bot_api_failures(settings):
            await set_commands(bot, dispatcher["i18n"])
        await dispatcher.start_polling(bot, allowed_updates=dispatcher.resolve_used_update_types())
