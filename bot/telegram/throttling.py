"""A rate limit per person: a token bucket checked before anything else, and one notice per flood (a flood ends
after a quiet interval).

The gate runs first, so an update past the limit is dropped before it costs a database read. The first dropped
update of a flood is let through the session, reader and locale middlewares instead, and the notice middleware
that follows them answers it with a polite sentence in the person's language (a toast for a button) in place of
a handler; other people's updates never wait on it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from bot.i18n import render

__all__ = ["FloodNoticeMiddleware", "ThrottlingMiddleware"]

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
_NOTICE: Final = "flood_notice"  # set in the middleware data of the update that gets the notice


class ThrottlingMiddleware(BaseMiddleware):
    """`burst` updates at once, then `rate` a second, per person; one notice per flood.

    A flood is a run of updates past the limit; it ends once none has come past it for `quiet` seconds, so a
    sustained flood (updates let through as the bucket refills, between the dropped ones) is noticed once, and a
    person who floods again after a pause is told again. `clock` gives the time in seconds (tests drive their own).
    """

    def __init__(self, *, burst: int = 8, rate: float = 1.0, quiet: float = 20.0, remember: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.rate, self.quiet, self.remember, self.clock = burst, rate, quiet, remember, clock
        # user id -> (tokens, time of their last update, time of their last update past the limit)
        self._buckets: OrderedDict[int, tuple[float, float, float | None]] = OrderedDict()

    def _take(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, notice due) for an update from `user_id` now."""
        now = self.clock()
        tokens, last, dropped = self._buckets.pop(user_id, (float(self.burst), now, None))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        notice = False
        if allowed:
            tokens -= 1
        else:
            notice = dropped is None or now - dropped >= self.quiet  # the first past the limit in this flood
            dropped = now
        self._buckets[user_id] = (tokens, now, dropped)
        if len(self._buckets) > self.remember:
            self._buckets.popitem(last=False)
        return allowed, notice

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if event.my_chat_member is not None:  # Telegram telling of a block or unblock, not the person typing
            return await handler(event, data)
        user: User = data["event_from_user"]
        allowed, notice = self._take(user.id)
        if allowed:
            return await handler(event, data)
        if notice:
            data[_NOTICE] = True
            return await handler(event, data)
        if event.callback_query is not None:  # a button must stop spinning
            await event.callback_query.answer()
        return None


class FloodNoticeMiddleware(BaseMiddleware):
    """Answers the update the gate marked with the notice, in the reader's locale, instead of a handler."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not data.get(_NOTICE):
            return await handler(event, data)
        assert isinstance(event, Update)
        text = render("errors/slow_down.html.j2")
        if event.callback_query is not None:
            await event.callback_query.answer(text)
        elif event.message is not None:
            await data["bot"].send_message(event.message.chat.id, text)
        return None
