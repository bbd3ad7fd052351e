"""A renderer for the tests of the outbox's sender, registered by them as `handlers` registers the real ones (and,
for the command line, by a process that starts `tierbot` with it)."""

from __future__ import annotations

from collections.abc import Mapping

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader
from bot.delivery.outbox import Queued
from bot.delivery.sender import Rendered, Renderer
from bot.i18n import render

__all__ = ["RENDERERS", "WITH_NOTES", "note"]


async def note(session: AsyncSession, queued: Queued, reader: Reader) -> Rendered | None:
    """A test renderer: says which message it is in the reader's language, as the text the command menu gives
    /tier (a message both catalogs have), with a button; `payload["text"]` replaces it (long texts, bad HTML),
    `payload["silent"]` means there is nothing left to say."""
    if queued.payload.get("silent"):
        return None
    text = queued.payload.get("text") or f"{render('commands.html.j2', command='tier')} #{queued.payload['n']}"
    button = InlineKeyboardButton(text=f"#{queued.payload.get('n')}", callback_data=f"note:{queued.id}")
    return Rendered(text, InlineKeyboardMarkup(inline_keyboard=[[button]]))


RENDERERS: Mapping[str, Renderer] = {"note": note}

# `python -c WITH_NOTES ARGS` is `tierbot ARGS` with the "note" renderer registered (this folder on PYTHONPATH).
WITH_NOTES = ("import sys, handlers, outbox_notes; handlers.renderers = lambda: dict(outbox_notes.RENDERERS); "
              "from bot.cli import main; sys.argv[0] = 'tierbot'; main()")
