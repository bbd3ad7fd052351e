"""Whatever no other handler took: an unknown command, a sticker or photo, a stale or forged button."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.i18n import render
from bot.telegram import send


async def unknown_command(message: Message) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, render("errors/unknown_command.html.j2"))


async def not_text(message: Message) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, render("errors/not_text.html.j2"))


async def stale_button(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = render("errors/stale_button.html.j2")


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(not_text)
    router.callback_query.register(stale_button)
    return router
