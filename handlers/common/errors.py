"""A handler that fails: logged with the update id (never the text), and the person gets an apology."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n

from bot.i18n.rendering import render
from bot.telegram.middlewares import reader_locale

logger = logging.getLogger("tierbot.handlers")


async def apologise(event: ErrorEvent, bot: Bot, i18n: I18n, **data: Any) -> None:
    update = event.update
    if isinstance(event.exception, TelegramForbiddenError):  # they blocked the bot: nobody to apologise to
        logger.info("update %s: the person has blocked the bot", update.update_id)
        return
    logger.error("update %s failed: %s", update.update_id, type(event.exception).__name__,
                 exc_info=(type(event.exception), event.exception, event.exception.__traceback__))
    chat_id = update.message.chat.id if update.message else (
        update.callback_query.from_user.id if update.callback_query else None)
    if chat_id is None:
        return
    locale = await reader_locale(data.get("reader"), data.get("event_from_user"), data.get("state"),
                                 i18n.default_locale)
    with i18n.context(), i18n.use_locale(locale):
        text = render("errors/apology.html.j2")
    try:  # a pressed button was answered already, by CallbackAnswerMiddleware on the way out
        await bot.send_message(chat_id, text)
    except Exception:  # the apology must not raise in turn; the failure is already logged
        logger.warning("update %s: the apology could not be sent either", update.update_id)


def router() -> Router:
    router = Router(name=__name__)
    router.errors.register(apologise)
    return router
