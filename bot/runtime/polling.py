"""Long polling: the bot answers updates it asks the Bot API for, until it is stopped (SIGTERM, SIGINT)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.runtime.dispatcher import create_bot, create_dispatcher, set_commands

__all__ = ["run_polling"]


async def run_polling(engine: AsyncEngine, settings: Settings) -> None:
    """Set the command menu, then poll for the update types the routers handle; raises MissingToken first."""
    bot = create_bot(settings)
    dispatcher = create_dispatcher(engine, settings)
    try:
        await set_commands(bot, dispatcher["i18n"])
        await dispatcher.start_polling(bot, allowed_updates=dispatcher.resolve_used_update_types())
    finally:
        await bot.session.close()
