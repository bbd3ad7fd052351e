"""Composition roots and transports: the dispatcher built from settings, long polling, the outbox's sender (and a
preview of the digests it would send, and samples of campaigns' messages), and the console chat. The only package
that imports `handlers`."""

from bot.runtime.bot_api import BotApiFailure, bot_api_failures, open_bot
from bot.runtime.console import ConsoleSession, UnknownPerson, console_chat
from bot.runtime.delivery import create_sender, create_sender_bot, run_sender
from bot.runtime.digests import DigestPreview, preview_digests
from bot.runtime.dispatcher import COMMANDS, MissingToken, bot_defaults, create_bot, create_dispatcher, set_commands
from bot.runtime.polling import run_polling
from handlers import CampaignSample, campaign_samples

__all__ = ["COMMANDS", "BotApiFailure", "CampaignSample", "ConsoleSession", "DigestPreview", "MissingToken",
           "UnknownPerson", "bot_api_failures", "bot_defaults", "campaign_samples", "console_chat", "create_bot",
           "create_dispatcher", "create_sender", "create_sender_bot", "open_bot", "preview_digests",
           "run_polling", "run_sender", "set_commands"]
