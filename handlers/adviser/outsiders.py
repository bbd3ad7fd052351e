"""The adviser's commands and buttons reached by someone else: a client is told they are for advisers, a reader
linked to nobody gets the "not linked" answer of every client view. Nothing of any client is read."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, or_f
from aiogram.types import CallbackQuery, Message

from bot.accounts import Reader, Refusal, Role
from bot.i18n import render
from bot.telegram import RoleFilter, send, show
from handlers.callbacks import BookCb, BookMenuCb, SummaryCb


def _text(reader: Reader) -> str:
    if reader.role is Role.CLIENT:
        return render("workspace/staff_only.html.j2")
    return render("tier/unavailable.html.j2", reason=Refusal.NOT_LINKED, role=None)


async def staff_command(message: Message, reader: Reader) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, _text(reader))


async def staff_button(callback: CallbackQuery, reader: Reader) -> None:
    await show(callback, _text(reader))


def router() -> Router:
    router = Router(name=__name__)
    outsiders = RoleFilter(Role.CLIENT, None)
    router.message.filter(outsiders)
    router.callback_query.filter(outsiders)
    router.message.register(staff_command, Command("clients", "client"))
    router.callback_query.register(staff_button, or_f(BookCb.filter(), BookMenuCb.filter(), SummaryCb.filter()))
    return router
