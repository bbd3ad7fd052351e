"""aiogram glue with no business rules: the middlewares (private chats, rate limit, unit of work, reader, locale),
role filters, sending replies within Telegram's limits, waiting out Telegram's 429s, and what a log may say of a
failure."""

from bot.telegram.failures import LoggedFailure, loggable
from bot.telegram.filters import RoleFilter
from bot.telegram.locale import LOCALE_KEY, CatalogI18n, LocaleMiddleware, create_i18n, locale_of, reader_locale
from bot.telegram.middlewares import PrivateChatsOnly, ReaderMiddleware, UnitOfWorkMiddleware
from bot.telegram.retry import RetryAfterMiddleware
from bot.telegram.sending import MESSAGE_LIMIT, send, show, split_html
from bot.telegram.throttling import FloodNoticeMiddleware, ThrottlingMiddleware

__all__ = [
    "LOCALE_KEY",
    "MESSAGE_LIMIT",
    "CatalogI18n",
    "FloodNoticeMiddleware",
    "LocaleMiddleware",
    "LoggedFailure",
    "PrivateChatsOnly",
    "ReaderMiddleware",
    "RetryAfterMiddleware",
    "RoleFilter",
    "ThrottlingMiddleware",
    "UnitOfWorkMiddleware",
    "create_i18n",
    "locale_of",
    "loggable",
    "reader_locale",
    "send",
    "show",
    "split_html",
]
