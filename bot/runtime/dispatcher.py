"""The composition root: the Bot and the Dispatcher built from settings, with the routers `handlers` lists.

Nothing else imports `handlers`.
"""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommandScopeAllPrivateChats
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.config import Settings
from bot.db import session_factory
from bot.faq import Faq, default_faq
from bot.i18n import LOCALES
from bot.scoring import load_rules
from bot.telegram import (
    CatalogI18n,
    FloodNoticeMiddleware,
    LocaleMiddleware,
    PrivateChatsOnly,
    ReaderMiddleware,
    RetryAfterMiddleware,
    ThrottlingMiddleware,
    UnitOfWorkMiddleware,
    create_i18n,
)
from tiering import TierRules

__all__ = ["COMMANDS", "MissingToken", "bot_defaults", "create_bot", "create_dispatcher", "set_commands"]

# The default command menu, in its order; staff get theirs in their chat when they bind.
COMMANDS = handlers.COMMAND_MENUS[None]


class MissingToken(Exception):
    """TIERBOT_TELEGRAM_TOKEN is not set."""


def bot_defaults() -> DefaultBotProperties:
    return DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)


def create_bot(settings: Settings, *, retry: RetryAfterMiddleware | None = None) -> Bot:
    """A Bot talking HTML to the Bot API server of the settings, sending again what Telegram answered 429 (after
    the wait it asks for, within `retry`'s bounds)."""
    if settings.telegram.token is None:
        raise MissingToken
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api))
    session.middleware(retry or RetryAfterMiddleware())
    return Bot(settings.telegram.token.get_secret_value(), session=session, default=bot_defaults())


def _storage(settings: Settings) -> BaseStorage:
    # Conversation state (an unbound person's choice of language): in Redis when configured, so that it survives
    # restarts and is shared by several bot processes; in memory otherwise.
    if settings.redis.url is not None:
        return RedisStorage.from_url(settings.redis.url.get_secret_value())
    return MemoryStorage()


def create_dispatcher(
    engine: AsyncEngine,
    settings: Settings,
    *,
    i18n: CatalogI18n | None = None,
    rules: TierRules | None = None,
    faq: Faq | None = None,
    throttling: ThrottlingMiddleware | None = None,
    rate_limit: bool = True,
) -> Dispatcher:
    i18n = i18n or create_i18n(settings.firm.default_locale)
    dispatcher = Dispatcher(
        storage=_storage(settings), rules=rules or load_rules(settings.firm.rules_file), faq=faq or default_faq(),
        settings=settings, i18n=i18n,
    )
    # After aiogram's own error, user-context and FSM middlewares: private chats only, then the rate limit, so that
    # a flood costs no database reads, then the unit of work, the reader, their locale, and the flood's notice in it.
    dispatcher.update.outer_middleware(PrivateChatsOnly())
    if rate_limit:  # off for the console, where one person types for themselves
        dispatcher.update.outer_middleware(throttling or ThrottlingMiddleware())
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(session_factory(engine)))
    dispatcher.update.outer_middleware(ReaderMiddleware())
    dispatcher.update.outer_middleware(LocaleMiddleware(i18n))
    dispatcher.update.outer_middleware(FloodNoticeMiddleware())
    dispatcher.callback_query.middleware(CallbackAnswerMiddleware())
    dispatcher.include_routers(*handlers.routers())
    return dispatcher


async def set_commands(bot: Bot, i18n: CatalogI18n) -> None:
    """The command menu in each language (Telegram picks it by the user's language_code), and a default.

    Telegram keys these menus by a two-letter code, so "zh" gets one: Simplified Chinese, the first of LOCALES to
    claim it. A reader of Traditional Chinese gets a menu in their own chat, in their language, once bound
    (`handlers.menu.chat_commands`); before that, the Simplified one."""
    menus: dict[str | None, str] = {None: i18n.default_locale}
    for locale in LOCALES:
        menus.setdefault(locale.split("_")[0], locale)
    for language_code, locale in menus.items():
        with i18n.context(), i18n.use_locale(locale):
            commands = handlers.command_menu(None)
        await bot.set_my_commands(commands, scope=BotCommandScopeAllPrivateChats(), language_code=language_code)
