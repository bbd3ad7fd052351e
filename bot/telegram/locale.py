"""The reader's locale, resolved once per update, and aiogram's i18n core running on tierbot's catalogs.

`CatalogI18n` is aiogram's `I18n` whose current locale and catalogs are those of `bot.i18n`, so handlers (through
aiogram's `gettext` and the `i18n` they are given), templates and services all read one current locale.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from gettext import GNUTranslations
from typing import Any, Final

from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.accounts import Reader
from bot.i18n import DOMAIN, Catalogs, current_locale, resolve_locale, set_locale, use_locale
from bot.resources import LOCALES_DIR

__all__ = ["LOCALE_KEY", "CatalogI18n", "LocaleMiddleware", "create_i18n", "locale_of", "reader_locale"]

LOCALE_KEY: Final = "locale"  # where an unbound reader's choice of language is kept in their FSM data
_RESOLVED: Final = "reader_locale"  # where the update's resolved locale is kept in the middleware data


class CatalogI18n(I18n):
    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs
        super().__init__(path=LOCALES_DIR, default_locale=catalogs.default_locale, domain=DOMAIN)

    def find_locales(self) -> dict[str, GNUTranslations]:
        return dict(self.catalogs.translations)

    @property
    def current_locale(self) -> str:
        return current_locale()

    @current_locale.setter
    def current_locale(self, value: str) -> None:
        set_locale(value)

    @contextmanager
    def use_locale(self, locale: str) -> Iterator[None]:
        with use_locale(locale):
            yield

    @contextmanager
    def context(self) -> Iterator[I18n]:
        # aiogram's gettext looks itself up in I18n's own context variable; a subclass's is another one.
        token = I18n.set_current(self)
        try:
            with self.catalogs.activated():
                yield self
        finally:
            I18n.reset_current(token)

    def gettext(self, singular: str, plural: str | None = None, n: int = 1, locale: str | None = None) -> str:
        return self.catalogs.gettext(singular, plural, n, locale)


def create_i18n(default_locale: str) -> CatalogI18n:
    return CatalogI18n(Catalogs(default_locale))


async def reader_locale(reader: Reader | None, state: FSMContext | None, user: User | None, default: str) -> str:
    """The locale a person reads: their own choice (stored when bound, in the conversation state when not), else
    the firm's record of the client or adviser they are bound to, else Telegram's language_code, else the
    default."""
    if reader is not None and reader.locale:
        return reader.locale
    if state is not None and (chosen := (await state.get_data()).get(LOCALE_KEY)):
        return str(chosen)
    if reader is not None and (recorded := resolve_locale(reader.record_locale)):
        return recorded
    return resolve_locale(user.language_code if user else None) or default


async def _resolve(data: dict[str, Any], default: str) -> str:
    return await reader_locale(data.get("reader"), data.get("state"), data.get("event_from_user"), default)


async def locale_of(data: dict[str, Any], default: str) -> str:
    """The update's locale as LocaleMiddleware resolved it; resolved the same way when it has not run yet (the
    reader could not be read)."""
    return data.get(_RESOLVED) or await _resolve(data, default)


class LocaleMiddleware(I18nMiddleware):
    """aiogram's i18n middleware with our own mapping of language tags: `zh-hans` must read Chinese."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        data[_RESOLVED] = locale = await _resolve(data, self.i18n.default_locale)
        return locale
