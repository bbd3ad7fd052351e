"""/language: 简体中文, 繁體中文 or English, remembered (in the account when bound, in the chat's state otherwise).

The choice is confirmed only once it is stored: after the commit for a bound reader.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, remember_locale
from bot.db import UnitOfWork
from bot.i18n import LOCALES, render
from bot.telegram import LOCALE_KEY, send, show
from handlers.callbacks import LanguageCb
from handlers.menu import chat_commands, main_menu, set_chat_commands

# Each language named in itself, so that a reader who cannot read the current one still finds theirs.
LANGUAGE_NAMES = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}


def language_picker() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale, name in LANGUAGE_NAMES.items():
        builder.button(text=name, callback_data=LanguageCb(locale=locale))
    return builder.as_markup()


async def language(message: Message) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, render("language/pick.html.j2"), language_picker())


async def language_chosen(callback: CallbackQuery, callback_data: LanguageCb, session: AsyncSession, reader: Reader,
                          state: FSMContext, i18n: I18n, unit_of_work: UnitOfWork) -> None:
    if callback_data.locale not in LOCALES:  # forged: nothing changes
        await show(callback, render("language/pick.html.j2"), language_picker())
        return
    if not await remember_locale(session, reader, callback_data.locale):
        await state.update_data({LOCALE_KEY: callback_data.locale})
    i18n.current_locale = callback_data.locale
    chosen = render("language/chosen.html.j2", language=LANGUAGE_NAMES[callback_data.locale])
    menu_text, menu, commands = render("language/menu.html.j2"), main_menu(reader), chat_commands(reader)
    bot = callback.bot
    assert bot is not None

    async def confirm(bot: Bot = bot) -> None:
        await show(callback, chosen)
        await send(bot, callback.from_user.id, menu_text, menu)
        await set_chat_commands(bot, callback.from_user.id, commands)  # staff: their menu in the new language

    unit_of_work.after_commit(confirm)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(language, Command("language"))
    router.callback_query.register(language_chosen, LanguageCb.filter())
    return router
