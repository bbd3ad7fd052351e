"""/stats, /audit and /campaigns from anyone but an admin: a client or an adviser is told these are for admins, a
reader bound to nobody is told, as for a /tier, that the account is not linked yet. A forged admin button from them
finds no handler here and gets the fallback's answer: it changes nothing and tells nothing."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.accounts import Reader, Refusal, Role
from bot.i18n import render
from bot.telegram import RoleFilter, send

ADMIN_COMMANDS = ("stats", "audit", "campaigns")


async def not_an_admin(message: Message, command: CommandObject, reader: Reader) -> None:
    if reader.bound:
        text = render("admin/refused.html.j2", command=command.command)
    else:
        text = render("tier/unavailable.html.j2", reason=Refusal.NOT_LINKED, role=None)
    assert message.bot is not None
    await send(message.bot, message.chat.id, text)


def router() -> Router:
    router = Router(name=__name__)
    router.message.filter(RoleFilter(Role.CLIENT, Role.ADVISER, None))
    router.message.register(not_an_admin, Command(*ADMIN_COMMANDS))
    return router
