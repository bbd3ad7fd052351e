"""When an update fails: a refused binding is told why; anything else is logged with the update id (never the
text, nor the chat: `bot.telegram.loggable`) and the person gets an apology, unless Telegram itself refuses to
deliver to them (blocked, or flood control past what `RetryAfterMiddleware` waits). The unit of work has rolled
back by the time these run."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import I18n

from bot.accounts import BindingRefused
from bot.i18n import render
from bot.telegram import locale_of, loggable, send

logger = logging.getLogger("tierbot.handlers")


def _chat_id(update: Update) -> int | None:
    if update.message is not None:
        return update.message.chat.id
    return update.callback_query.from_user.id if update.callback_query is not None else None


async def binding_refused(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> None:
    """A forged, used or expired invite, or an account bound to someone else: nothing of it was kept."""
    assert isinstance(event.exception, BindingRefused)
    chat_id = _chat_id(event.update)
    assert chat_id is not None  # a /start message
    with i18n.context(), i18n.use_locale(await locale_of(data, i18n.default_locale)):
        text = render("start/refused.html.j2", reason=event.exception.refusal.value)
    await send(bot, chat_id, text)


async def apologise(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> None:
    update = event.update
    if isinstance(event.exception, TelegramForbiddenError):  # they blocked the bot: nobody to apologise to
        logger.info("update %s: the person has blocked the bot", update.update_id)
        return
    summary, shown = loggable(event.exception)
    logger.error("update %s failed: %s", update.update_id, summary,
                 exc_info=(type(shown), shown, shown.__traceback__))
    chat_id = _chat_id(update)
    if chat_id is None or isinstance(event.exception, TelegramRetryAfter):  # the apology would be refused too
        return
    with i18n.context(), i18n.use_locale(await locale_of(data, i18n.default_locale)):
        text = render("errors/apology.html.j2")
    try:  # a pressed button was answered already, by CallbackAnswerMiddleware on the way out
        await bot.send_message(chat_id, text)
    except Exception:  # the apology must not raise in turn; the failure is already logged
        logger.warning("update %s: the apology could not be sent either", update.update_id)


def router() -> Router:
    router = Router(name=__name__)
    router.errors.register(binding_refused, ExceptionTypeFilter(BindingRefused))
    router.errors.register(apologise)
    return router
