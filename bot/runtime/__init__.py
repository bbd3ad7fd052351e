"""Composition roots and transports: the dispatcher built from settings, long polling, and the console chat. The
only package that imports `handlers`."""

from bot.runtime.console import ConsoleSession, UnknownPerson, console_chat
from bot.runtime.dispatcher import COMMANDS, MissingToken, bot_defaults, create_bot, create_dispatcher, set_commands
from bot.runtime.polling import run_polling

__all__ = ["COMMANDS", "ConsoleSession", "MissingToken", "UnknownPerson", "bot_defaults", "console_chat",
           "create_bot", "create_dispatcher", "run_polling", "set_commands"]
