"""What every update goes through before a handler: private chats only, a rate limit, a database session, the
reader and their locale.

Registered on the dispatcher's update observer in this order (bot/app.py), after aiogram's own error and user
context middlewares; callback queries are also answered by aiogram's CallbackAnswerMiddleware.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.fsm.context import FSMContext
from aiogram.types import Chat, TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

from bot.accounts import Reader, load_reader
from bot.i18n import resolve_locale
from bot.i18n.rendering import render

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
LOCALE_KEY: Final = "locale"  # where an unbound reader's choice of language is kept in their FSM data


_WROTE: Final = "tierbot_wrote"


@event.listens_for(Session, "do_orm_execute")
def _note_writes(state: ORMExecuteState) -> None:
    """Statements that write (Core INSERT, UPDATE, DELETE through a session) mark it as having written."""
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


class DatabaseMiddleware(BaseMiddleware):
    """One session per update, committed when the handler returns having written, rolled back when it raises.

    Most updates only read: they skip the commit's round trip to the database.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessions() as session:
            data["session"] = session
            result = await handler(event, data)
            if session.new or session.dirty or session.deleted or session.sync_session.info.pop(_WROTE, False):
                await session.commit()
            return result


class PrivateChatsOnly(BaseMiddleware):
    """Only a person in their private chat with the bot is served: in a group, a tier card would show a client's
    figures to everyone in it. Nothing is said in groups, not even a refusal."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or user.is_bot or (chat is not None and chat.type != ChatType.PRIVATE):
            return None
        return await handler(event, data)


class ReaderMiddleware(BaseMiddleware):
    """`reader`: the sender as bound (or not) in the database."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User = data["event_from_user"]
        data["reader"] = await load_reader(data["session"], user.id)
        return await handler(event, data)


async def reader_locale(reader: Reader | None, user: User | None, state: FSMContext | None, default: str) -> str:
    """Their choice (stored when bound, in FSM data when not), else Telegram's language_code, else the default."""
    if reader is not None and reader.locale:
        return reader.locale
    if state is not None and (chosen := (await state.get_data()).get(LOCALE_KEY)):
        return str(chosen)
    return resolve_locale(user.language_code if user else None) or default


class LocaleMiddleware(I18nMiddleware):
    """aiogram's i18n core with our own mapping of language tags: `zh-hans` must read Chinese."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return await reader_locale(data.get("reader"), data.get("event_from_user"), data.get("state"),
                                   self.i18n.default_locale)


class ThrottlingMiddleware(BaseMiddleware):
    """A token bucket per person: `burst` updates at once, then `rate` a second.

    Runs first: past the limit, an update is dropped before it costs a database read. The first dropped update
    of a flood gets a polite notice in the person's language (a toast for a button), the rest nothing; other
    people's updates never wait on it.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, burst: int = 8, rate: float = 1.0,
                 remember: int = 100_000) -> None:
        self.sessions = sessions
        self.burst, self.rate, self.remember = burst, rate, remember
        # user id -> (tokens, time of last update, noticed in this flood)
        self._buckets: OrderedDict[int, tuple[float, float, bool]] = OrderedDict()

    def _take(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, notice due) for an update from `user_id` now."""
        now = time.monotonic()
        tokens, last, noticed = self._buckets.pop(user_id, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens, noticed, notice = tokens - 1, False, False
        else:
            notice, noticed = not noticed, True
        self._buckets[user_id] = (tokens, now, noticed)
        if len(self._buckets) > self.remember:
            self._buckets.popitem(last=False)
        return allowed, notice

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User = data["event_from_user"]
        allowed, notice = self._take(user.id)
        if allowed:
            return await handler(event, data)
        assert isinstance(event, Update)
        if notice:
            i18n: I18n = data["i18n"]
            async with self.sessions() as session:
                reader = await load_reader(session, user.id)
            with i18n.context(), i18n.use_locale(await reader_locale(reader, user, data.get("state"),
                                                                     i18n.default_locale)):
                text = render("errors/slow_down.html.j2")
        if event.callback_query is not None:  # a button must stop spinning, notice or not
            await event.callback_query.answer(text if notice else None)
        elif notice and event.message is not None:
            await data["bot"].send_message(event.message.chat.id, text)
        return None
