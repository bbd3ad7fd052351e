"""An adviser who has left the firm: every adviser's command and button (the book, the search, summaries, tier
cards) gets one sentence, that their access ended when they left and whom to ask; nothing of any client is read."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, Filter, or_f
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.accounts import Reader
from bot.i18n import render
from bot.telegram import send, show
from handlers.callbacks import BookCb, BookMenuCb, SummaryCb, TierCb


class Departed(Filter):
    async def __call__(self, event: TelegramObject, reader: Reader, **_data: Any) -> bool:
        return reader.departed


def _text(reader: Reader) -> str:
    return render("workspace/departed.html.j2", left_on=reader.left_on)


async def refuse_command(message: Message, reader: Reader) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, _text(reader))


async def refuse_press(callback: CallbackQuery, reader: Reader) -> None:
    await show(callback, _text(reader))  # in place: a book or summary shown before the departure goes too


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(refuse_command, Departed(), Command("clients", "client", "tier"))
    router.callback_query.register(
        refuse_press, Departed(), or_f(BookCb.filter(), BookMenuCb.filter(), SummaryCb.filter(), TierCb.filter()))
    return router
