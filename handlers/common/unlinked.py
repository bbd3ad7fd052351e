"""What a reader bound to nobody is told when they ask for a client's views (a /tier, an old menu, a forged
button): that this account is not linked yet, and how to get linked."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.accounts import Refusal
from bot.i18n import render
from bot.telegram import RoleFilter, send, show
from handlers.callbacks import TierCb
from handlers.menu import MenuButton


def _text() -> str:
    return render("tier/unavailable.html.j2", reason=Refusal.NOT_LINKED, role=None)


async def tier_command(message: Message) -> None:
    assert message.bot is not None
    await send(message.bot, message.chat.id, _text())


async def tier_button(callback: CallbackQuery) -> None:
    await show(callback, _text())


def router() -> Router:
    router = Router(name=__name__)
    unlinked = RoleFilter(None)
    router.message.filter(unlinked)
    router.callback_query.filter(unlinked)
    router.message.register(tier_command, Command("tier"))
    router.message.register(tier_command, MenuButton("tier"))  # a menu kept from before an unbinding
    router.callback_query.register(tier_button, TierCb.filter())
    return router
