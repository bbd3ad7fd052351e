"""/client ID|NAME and the summary buttons (a row of the book, a search result, an alert digest): a client's
summary written for staff, with a button to their tier card.

`/client C00042` opens that client's summary; `/client 张` or `/client chen` searches the names of the reader's own
clients (an admin's: all) and lists the matches, or opens the one match. Another adviser's client, by id, by name or
by a forged button, gets the sentence an id of nobody gets: nothing tells that the client exists.
"""

from __future__ import annotations

import asyncio
from functools import cache

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, Refusal, example_client, grant_book
from bot.db import UnitOfWork
from bot.i18n import current_locale, render
from bot.telegram import send
from bot.workspace import (
    SEARCH_LIMIT,
    ClientSummary,
    chart_cached,
    names_an_id,
    open_summary,
    search_by_name,
    summary_chart,
)
from handlers.callbacks import SummaryCb, TierCb, TierView
from tiering import Dimension, TierRules


@cache
def _card_label(locale: str) -> str:
    """The label in `locale`, which must be the current one."""
    return render("workspace/button.html.j2", which="card", value="")


def _not_found(reader: Reader, asked: str) -> str:
    return render("workspace/not_found.html.j2", role=reader.role, asked=asked)


def render_summary(summary: ClientSummary | Refusal, reader: Reader, rules: TierRules, client_id: str
                   ) -> tuple[str, InlineKeyboardMarkup | None]:
    """The summary and its keyboard, or the sentence that says why not."""
    if summary is Refusal.NOT_ALLOWED:
        return _not_found(reader, client_id), None
    if isinstance(summary, Refusal):
        return render("tier/unavailable.html.j2", reason=summary, role=reader.role, example=None), None
    text = render("workspace/summary.html.j2", s=summary, card=summary.card, a=summary.assessment, rules=rules,
                  reader=reader, Dimension=Dimension)
    card = InlineKeyboardButton(text=_card_label(current_locale()),
                                callback_data=TierCb(view=TierView.CARD, client_id=client_id).pack())
    return text, InlineKeyboardMarkup(inline_keyboard=[[card]])


async def _send_summary(bot: Bot, chat_id: int, session: AsyncSession, reader: Reader, rules: TierRules,
                        client_id: str, unit_of_work: UnitOfWork) -> None:
    """The summary, its chart above it, sent once the view's audit entry is committed: nothing of a client is shown
    that the audit log does not hold."""
    async with ChatActionSender.typing(chat_id=chat_id, bot=bot, initial_sleep=0):
        summary = await open_summary(session, reader, rules, client_id)
        text, keyboard = render_summary(summary, reader, rules, client_id)
    chart = await _chart(bot, chat_id, summary) if isinstance(summary, ClientSummary) else None

    async def deliver() -> None:
        if chart is not None:  # the chart first: the summary and its button are read below it
            await bot.send_photo(chat_id, chart)
        await send(bot, chat_id, text, keyboard)

    unit_of_work.after_commit(deliver)


async def _chart(bot: Bot, chat_id: int, summary: ClientSummary) -> BufferedInputFile:
    """The summary's chart as a photo: from the cache, else drawn in a thread ("sending a photo…" meanwhile), so
    the event loop never waits for a drawing, this one's or another adviser's."""
    locale = current_locale()
    png = chart_cached(summary.chart_key, locale)
    if png is None:
        async with ChatActionSender.upload_photo(chat_id=chat_id, bot=bot, initial_sleep=0):
            png = await asyncio.to_thread(summary_chart, summary.dimension_scores, summary.aum_trend,
                                          key=summary.chart_key, locale=locale)
    return BufferedInputFile(png, filename=f"{summary.chart_key[0]}.png")


async def client_command(message: Message, command: CommandObject, session: AsyncSession, reader: Reader,
                         rules: TierRules, unit_of_work: UnitOfWork) -> None:
    assert message.bot is not None
    asked = (command.args or "").strip()
    if not asked:
        example = await example_client(session, reader)
        await send(message.bot, message.chat.id, render("workspace/client_usage.html.j2", example=example))
        return
    if names_an_id(asked):
        await _send_summary(message.bot, message.chat.id, session, reader, rules, asked, unit_of_work)
        return
    book = await grant_book(session, reader)
    found = () if isinstance(book, Refusal) else await search_by_name(session, book, asked)
    if len(found) == 1:
        await _send_summary(message.bot, message.chat.id, session, reader, rules, found[0].client_id, unit_of_work)
        return
    if not found:
        await send(message.bot, message.chat.id, _not_found(reader, asked))
        return
    shown = found[:SEARCH_LIMIT]
    keyboard = InlineKeyboardMarkup(inline_keyboard=[
        [InlineKeyboardButton(text=f"{row.name} · {row.client_id}",
                              callback_data=SummaryCb(client_id=row.client_id).pack())]
        for row in shown
    ])
    text = render("workspace/search.html.j2", asked=asked, found=shown, more=len(found) > SEARCH_LIMIT, rules=rules)
    await send(message.bot, message.chat.id, text, keyboard)


async def summary_press(callback: CallbackQuery, callback_data: SummaryCb, session: AsyncSession, reader: Reader,
                        rules: TierRules, unit_of_work: UnitOfWork) -> None:
    """A summary in a message of its own: the book, the search or the digest it was opened from stays."""
    assert callback.bot is not None
    await _send_summary(callback.bot, callback.from_user.id, session, reader, rules, callback_data.client_id,
                        unit_of_work)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(client_command, Command("client"))
    router.callback_query.register(summary_press, SummaryCb.filter())
    return router
