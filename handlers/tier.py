"""My tier: the tier card, and in its place on a button press: how to move up, recommendations, the dimensions."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader
from bot.clients import ClientView, TierView, client_view
from bot.messages import send, show
from bot.rendering import render
from handlers.menu import MenuButton
from tiering import TierRules


class TierCb(CallbackData, prefix="tier"):
    view: TierView
    client_id: str


def _keyboard(view: ClientView, shown: TierView) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    labels = {
        TierView.CARD: render("tier/button.html.j2", view="card"),
        TierView.GAP: render("tier/button.html.j2", view="gap"),
        TierView.RECOMMENDATIONS: render("tier/button.html.j2", view="recommendations"),
        TierView.DIMENSIONS: render("tier/button.html.j2", view="dimensions"),
    }
    for target, label in labels.items():
        if target is not shown and (target is not TierView.GAP or view.has_gap):
            builder.button(text=label, callback_data=TierCb(view=target, client_id=view.client_id))
    builder.adjust(1)
    return builder.as_markup()


async def _render(session: AsyncSession, reader: Reader, rules: TierRules, client_id: str | None, shown: TierView,
                  ) -> tuple[str, InlineKeyboardMarkup | None]:
    view = await client_view(session, reader, rules, client_id)
    if view.refusal is not None:
        return render("tier/unavailable.html.j2", reason=view.refusal), None
    return view.render(shown), _keyboard(view, shown)


async def send_tier_card(message: Message, session: AsyncSession, reader: Reader, rules: TierRules,
                         client_id: str | None = None) -> None:
    """The card of `client_id`, or of the reader when a client; also what "what tier am I" in free text gets."""
    text, keyboard = await _render(session, reader, rules, client_id or reader.client_id, TierView.CARD)
    assert message.bot is not None
    await send(message.bot, message.chat.id, text, keyboard)


async def tier_command(message: Message, command: CommandObject, session: AsyncSession, reader: Reader,
                       rules: TierRules) -> None:
    await send_tier_card(message, session, reader, rules, command.args.strip() if command.args else None)


async def tier_button(message: Message, session: AsyncSession, reader: Reader, rules: TierRules) -> None:
    await send_tier_card(message, session, reader, rules)


async def tier_view(callback: CallbackQuery, callback_data: TierCb, session: AsyncSession, reader: Reader,
                    rules: TierRules) -> None:
    text, keyboard = await _render(session, reader, rules, callback_data.client_id, callback_data.view)
    await show(callback, text, keyboard)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(tier_command, Command("tier"))
    router.message.register(tier_button, MenuButton("tier"))
    router.callback_query.register(tier_view, TierCb.filter())
    return router
