"""What every update goes through before a handler, besides the rate limit and the locale: private chats only,
the unit of work, and the reader.

Registered on the dispatcher's update observer by `bot.runtime`, in the order given there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.accounts import load_reader
from bot.db import unit_of_work
from bot.i18n import use_zone

__all__ = ["PrivateChatsOnly", "ReaderMiddleware", "UnitOfWorkMiddleware"]

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class PrivateChatsOnly(BaseMiddleware):
    """Only a person in their private chat with the bot is served: in a group, a tier card would show a client's
    figures to everyone in it. Nothing is said in groups, not even a refusal."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or user.is_bot or (chat is not None and chat.type != ChatType.PRIVATE):
            return None
        return await handler(event, data)


class UnitOfWorkMiddleware(BaseMiddleware):
    """The update's unit of work (`bot.db.unit_of_work`): `session` and `unit_of_work` for handlers and services.

    Committed when the handler returns having written, rolled back when it raises; the replies a handler queued
    with `unit_of_work.after_commit` are sent after the commit.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with unit_of_work(self.sessions) as work:
            data["session"], data["unit_of_work"] = work.session, work
            return await handler(event, data)


class ReaderMiddleware(BaseMiddleware):
    """`reader`: the sender as bound (or not) in the database."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User = data["event_from_user"]
        data["reader"] = reader = await load_reader(data["session"], user.id)
        with use_zone(reader.timezone):  # the dates and times they read, on their own clock
            return await handler(event, data)
