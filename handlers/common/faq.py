"""The FAQ: /faq as buttons, and free text matched to the closest entry in either language."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, adviser_contact
from bot.faq import Faq
from bot.i18n import render, render_string
from bot.standing import reader_figures
from bot.telegram import send, show
from handlers.adviser.departed import departed_notice
from handlers.callbacks import FaqCb
from handlers.menu import MenuButton
from tiering import TierRules

LIST = "-"  # the entry value that asks for the list of questions
CONTACT_ADVISER = "contact_adviser"
OFFER_FROM = 0.1  # below this, a "did you mean" suggestion is noise


def _questions(faq: Faq, locale: str, entry_ids: list[str] | None = None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for entry_id in entry_ids if entry_ids is not None else list(faq.entries):
        builder.button(text=faq.title(entry_id, locale), callback_data=FaqCb(entry=entry_id))
    builder.adjust(1)
    return builder.as_markup()


def _back() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=render("questions/more.html.j2"), callback_data=FaqCb(entry=LIST))
    return builder.as_markup()


async def _answer(faq: Faq, entry_id: str, session: AsyncSession, reader: Reader, rules: TierRules,
                  locale: str) -> str:
    uses = faq.entries[entry_id].uses  # the reader's figures and adviser are read only for answers that show them
    if reader.departed and "role" in uses:  # an answer by role tells staff what they may see: nothing, now
        return departed_notice(reader)
    me = await reader_figures(session, reader, rules) if "me" in uses else None
    contact = await adviser_contact(session, reader) if "contact" in uses else None
    return render_string(faq.answer(entry_id, locale), me=me, contact=contact, rules=rules,
                         role=reader.role and reader.role.value)


async def faq_list(message: Message, faq: Faq, i18n: I18n) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, render("questions/list.html.j2"), _questions(faq, i18n.current_locale))


async def faq_entry(callback: CallbackQuery, callback_data: FaqCb, faq: Faq, i18n: I18n, session: AsyncSession,
                    reader: Reader, rules: TierRules) -> None:
    if callback_data.entry not in faq.entries:  # the list, or a forged entry
        await show(callback, render("questions/list.html.j2"), _questions(faq, i18n.current_locale))
        return
    text = await _answer(faq, callback_data.entry, session, reader, rules, i18n.current_locale)
    await show(callback, text, _back())


async def free_text(message: Message, faq: Faq, i18n: I18n, session: AsyncSession, reader: Reader,
                    rules: TierRules) -> None:
    assert message.bot is not None
    assert message.text is not None
    match = faq.match(message.text)
    if match.entry_id is not None:
        text = await _answer(faq, match.entry_id, session, reader, rules, i18n.current_locale)
        await send(message.bot, message.chat.id, text, _back())
        return
    offered = [entry_id for entry_id, score in match.closest if score >= OFFER_FROM and entry_id != CONTACT_ADVISER]
    contact = [] if reader.staff else [CONTACT_ADVISER]  # staff have no adviser of their own to reach
    await send(message.bot, message.chat.id, render("questions/unsure.html.j2", offered=bool(offered), reader=reader),
               _questions(faq, i18n.current_locale, [*offered, *contact]))


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(faq_list, Command("faq"))
    router.message.register(faq_list, MenuButton("faq"))
    router.callback_query.register(faq_entry, FaqCb.filter())
    router.message.register(free_text, F.text, ~F.text.startswith("/"))
    return router
