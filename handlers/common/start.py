"""/start: a greeting, or with an invite token from a deep link, binding this Telegram account."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import BindingRefused, Reader, load_reader, redeem_invite
from bot.accounts.people import display_name
from bot.i18n.rendering import render
from bot.telegram.sending import send
from handlers.common.menu import main_menu


async def start_with_token(message: Message, command: CommandObject, session: AsyncSession) -> None:
    assert message.bot is not None
    assert message.from_user is not None
    try:
        await redeem_invite(session, command.args or "", user_id=message.from_user.id, chat_id=message.chat.id)
    except BindingRefused as refused:
        await session.rollback()  # nothing of a refused binding stays
        await send(message.bot, message.chat.id, render("start/refused.html.j2", reason=refused.refusal.value))
        return
    await session.commit()  # bound before it is confirmed
    bound = await load_reader(session, message.from_user.id)
    name = await display_name(session, bound)
    await send(message.bot, message.chat.id, render("start/bound.html.j2", reader=bound, name=name),
               main_menu(bound))


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
