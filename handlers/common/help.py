"""/help and /settings."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, display_name, example_client
from bot.campaigns.consent import marketing_allowed
from bot.i18n import render
from bot.telegram import send
from handlers.common.language import LANGUAGE_NAMES, language_picker
from handlers.menu import MenuButton, main_menu


async def help_command(message: Message, reader: Reader, session: AsyncSession) -> None:
    assert message.bot is not None
    text = render("help.html.j2", reader=reader, example=await example_client(session, reader))
    await send(message.bot, message.chat.id, text, main_menu(reader))


async def settings(message: Message, reader: Reader, session: AsyncSession, i18n: I18n) -> None:
    assert message.bot is not None
    name = await display_name(session, reader)
    text = render("settings.html.j2", reader=reader, name=name, language=LANGUAGE_NAMES[i18n.current_locale],
                  marketing=await marketing_allowed(session, reader))
    await send(message.bot, message.chat.id, text, language_picker())


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(help_command, Command("help"))
    router.message.register(settings, Command("settings"))
    router.message.register(settings, MenuButton("settings"))
    return router
