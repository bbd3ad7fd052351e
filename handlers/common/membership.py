"""A person blocking the bot, or unblocking it: Telegram's `my_chat_member` of their private chat, recorded on
their account (an account bound to nobody has nothing to record). Nothing is said: a blocked bot cannot speak."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import record_blocking


async def blocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await record_blocking(session, event.from_user.id, True, event.date)


async def unblocked(event: ChatMemberUpdated, session: AsyncSession) -> None:
    await record_blocking(session, event.from_user.id, False, event.date)


def router() -> Router:
    router = Router(name=__name__)
    router.my_chat_member.register(blocked, F.new_chat_member.status == ChatMemberStatus.KICKED)
    router.my_chat_member.register(unblocked, F.new_chat_member.status == ChatMemberStatus.MEMBER)
    return router
