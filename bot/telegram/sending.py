"""Sending rendered HTML to Telegram: split past the 4,096-character limit, edited in place where asked."""

from __future__ import annotations

from typing import Final

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup

MESSAGE_LIMIT: Final = 4096
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut between paragraphs, else lines, else words.

    Templates keep every tag within one line, so no cut falls inside a tag pair.
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max(window.rfind("\n\n"), 0) or max(window.rfind("\n"), 0) or max(window.rfind(" "), 0) or limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


async def send(bot: Bot, chat_id: int, text: str, reply_markup: Markup = None) -> Message:
    """Send `text`, split if it must be; the keyboard goes with the last piece."""
    *first, last = split_html(text) or [text]
    for piece in first:
        await bot.send_message(chat_id, piece)
    return await bot.send_message(chat_id, last, reply_markup=reply_markup)


async def show(callback: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the message whose button was pressed; a message too old to edit gets a new one instead."""
    message = callback.message
    pieces = split_html(text)
    if isinstance(message, Message) and len(pieces) == 1:
        try:
            await message.edit_text(text, reply_markup=reply_markup)
        except TelegramBadRequest as error:
            if "message is not modified" not in error.message:
                raise
        return
    assert callback.bot is not None
    await send(callback.bot, callback.from_user.id, text, reply_markup)
