"""/start: a greeting, or with an invite token from a deep link, binding this Telegram account.

A refused binding raises: the unit of work rolls it back and `handlers.common.errors` says why. A binding is
confirmed only once it is committed.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, display_name, load_reader, redeem_invite
from bot.db import UnitOfWork
from bot.i18n import render
from bot.telegram import reader_locale, send
from handlers.menu import chat_commands, main_menu, set_chat_commands


async def start_with_token(message: Message, command: CommandObject, session: AsyncSession,
                           unit_of_work: UnitOfWork, state: FSMContext, i18n: I18n) -> None:
    assert message.bot is not None
    assert message.from_user is not None
    await redeem_invite(session, command.args or "", user_id=message.from_user.id, chat_id=message.chat.id)
    bound = await load_reader(session, message.from_user.id)
    # Bound now: the firm's record of the person may give their language.
    i18n.current_locale = await reader_locale(bound, state, message.from_user, i18n.default_locale)
    text = render("start/bound.html.j2", reader=bound, name=await display_name(session, bound))
    bot, chat_id, menu, commands = message.bot, message.chat.id, main_menu(bound), chat_commands(bound)

    async def confirm() -> None:
        await send(bot, chat_id, text, menu)
        await set_chat_commands(bot, chat_id, commands)

    unit_of_work.after_commit(confirm)


async def start(message: Message, session: AsyncSession, reader: Reader) -> None:
    assert message.bot is not None
    name = await display_name(session, reader)
    await send(message.bot, message.chat.id, render("start/greeting.html.j2", reader=reader, name=name),
               main_menu(reader))


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(start_with_token, CommandStart(deep_link=True))
    router.message.register(start, CommandStart())
    return router
