"""Telegram's "too many requests" (429) answered by waiting, not by failing the reply.

Telegram refuses a request past its flood limits with `retry_after`, the seconds to wait before the same request
is accepted; it has done nothing with the refused one, so sending it again is safe. The session middleware here
sends it again after that wait, a few times and for a bounded time in all; past that the `TelegramRetryAfter`
goes on to the caller (for a reply: to `handlers.common.errors`), so nothing waits forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

__all__ = ["RetryAfterMiddleware"]

logger = logging.getLogger("tierbot.telegram")


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Repeat a request Telegram answered 429, after the `retry_after` it gave: at most `retries` times, and only
    while the waits add up to no more than `patience` seconds. `sleep` is how to wait (tests pass their own)."""

    def __init__(
        self,
        *,
        retries: int = 3,
        patience: float = 30.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.retries, self.patience, self.sleep = retries, patience, sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        retried, waited = 0, 0.0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if retried >= self.retries or waited + error.retry_after > self.patience:
                    raise
                retried, waited = retried + 1, waited + error.retry_after
                # The method's name only: the exception's own text names the chat.
                logger.warning("%s: Telegram asks to wait %s s; sending again (%d of %d)",
                               method.__api_method__, error.retry_after, retried, self.retries)
                await self.sleep(error.retry_after)
