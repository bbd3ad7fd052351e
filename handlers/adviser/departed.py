"""An adviser who has left the firm: every staff command (the book, the search, summaries, tier cards, and /stats
and /audit, which they could not use before either) and every press of a staff view's button, well formed or forged,
gets one sentence, that their access ended when they left and whom to ask; nothing of any client is read. Each
refusal also takes the staff commands off their chat's command menu."""

from __future__ import annotations

from typing import Any, Final

from aiogram import Router
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.accounts import Reader
from bot.i18n import render
from bot.telegram import send, show
from handlers.callbacks import AuditCb, BookCb, BookMenuCb, SummaryCb, TierCb
from handlers.menu import STAFF_COMMANDS, chat_commands, set_chat_commands

# The prefixes of the staff views' callback data: a press carrying one is refused whether its data parses or not.
STAFF_PREFIXES: Final = frozenset(factory.__prefix__ for factory in (BookCb, BookMenuCb, SummaryCb, TierCb, AuditCb))


class Departed(Filter):
    async def __call__(self, event: TelegramObject, reader: Reader, **_data: Any) -> bool:
        return reader.departed


class StaffButton(Filter):
    async def __call__(self, callback: CallbackQuery, **_data: Any) -> bool:
        return (callback.data or "").partition(":")[0] in STAFF_PREFIXES


def departed_notice(reader: Reader) -> str:
    """The one sentence an adviser who has left the firm gets for anything about the firm's clients."""
    return render("workspace/departed.html.j2", left_on=reader.left_on)


async def refuse_command(message: Message, reader: Reader) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, departed_notice(reader))
    await set_chat_commands(message.bot, message.chat.id, chat_commands(reader))


async def refuse_press(callback: CallbackQuery, reader: Reader) -> None:
    await show(callback, departed_notice(reader))  # in place: a book or summary shown before the departure goes too
    assert callback.bot is not None
    await set_chat_commands(callback.bot, callback.from_user.id, chat_commands(reader))


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(refuse_command, Departed(), Command(*STAFF_COMMANDS))
    router.callback_query.register(refuse_press, Departed(), StaffButton())
    return router
