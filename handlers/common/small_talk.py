"""Small talk: a message that is only a greeting, thanks or a goodbye ("你好", "thanks", "再见") gets a friendly
reply saying what the bot can do for this reader (a client, staff, or someone not linked yet), and the menu."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader, display_name
from bot.faq import SmallTalk, small_talk
from bot.i18n import render
from bot.telegram import send
from handlers.menu import main_menu


class IsSmallTalk(Filter):
    """Text that is small talk and nothing else; the handler is given what it says as `small_talk`."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        said = small_talk(message.text) if message.text else None
        return False if said is None else {"small_talk": said}


async def reply(message: Message, small_talk: SmallTalk, session: AsyncSession, reader: Reader) -> None:
    assert message.bot is not None
    name = await display_name(session, reader) if small_talk is SmallTalk.GREETING else None
    text = render("small_talk/reply.html.j2", kind=small_talk.value, reader=reader, name=name)
    await send(message.bot, message.chat.id, text, main_menu(reader))


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(reply, F.text, IsSmallTalk())
    return router
