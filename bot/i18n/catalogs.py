"""The gettext catalogs, the locale a person reads, and `gettext` for whatever runs in that locale.

This module imports nothing of aiogram, so the importer, scoring and any later worker translate the same way as
the chat: the current locale lives in a context variable of its own (`use_locale`), and the catalogs in force in
another (`Catalogs.activated`). aiogram's i18n core is adapted to these in `bot.telegram.locale`.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Final

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.resources import LOCALES_DIR

__all__ = [
    "DOMAIN",
    "LOCALES",
    "Catalogs",
    "compile_catalogs",
    "current_locale",
    "current_zone",
    "gettext",
    "ngettext",
    "resolve_locale",
    "set_locale",
    "use_locale",
    "use_zone",
]

LOCALES = ("en", "zh_Hans", "zh_Hant")
# Traditional Chinese tags: a script subtag, or a region that writes Traditional characters.
_TRADITIONAL: Final = frozenset({"hant", "tw", "hk", "mo"})
DOMAIN = "messages"

_catalogs: ContextVar[Catalogs | None] = ContextVar("tierbot_catalogs", default=None)
_locale: ContextVar[str | None] = ContextVar("tierbot_locale", default=None)
_zone: ContextVar[str | None] = ContextVar("tierbot_zone", default=None)


def resolve_locale(code: str | None) -> str | None:
    """Map a language tag (Telegram's `language_code`, a CSV cell) to a catalog we have, or None.

    Chinese is Traditional (zh_Hant) with the script `Hant` or a region that writes it (Taiwan, Hong Kong, Macau),
    unless the tag names `Hans` ("zh-Hans-HK"); any other Chinese tag is Simplified (zh_Hans). Cantonese (`yue`)
    reads Traditional unless it names `Hans`.
    """
    if not code:
        return None
    tag = code.strip().replace("_", "-").lower()
    primary = tag.split("-", 1)[0]
    if primary == "yue":  # Cantonese, written in Traditional characters in Hong Kong and Macau
        return "zh_Hans" if "hans" in tag.split("-") else "zh_Hant"
    if primary == "zh":
        subtags = set(tag.split("-")[1:])
        return "zh_Hant" if subtags & {*_TRADITIONAL, "yue"} and "hans" not in subtags else "zh_Hans"
    if primary == "en":
        return "en"
    return None


def compile_catalogs(directory: Path = LOCALES_DIR) -> None:
    """Compile every .po whose .mo is missing or older (images compile at build time, so this is a no-op)."""
    for po_path in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


class Catalogs:
    """Every locale's compiled catalog, and the locale for readers whose own is unknown."""

    def __init__(self, default_locale: str, directory: Path = LOCALES_DIR) -> None:
        compile_catalogs(directory)
        self.default_locale = default_locale
        self.translations: dict[str, stdlib_gettext.GNUTranslations] = {}
        for locale in LOCALES:
            with (directory / locale / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as mo_file:
                self.translations[locale] = stdlib_gettext.GNUTranslations(mo_file)

    @contextmanager
    def activated(self) -> Iterator[Catalogs]:
        """These catalogs for `gettext` and the templates, within the block."""
        token = _catalogs.set(self)
        try:
            yield self
        finally:
            _catalogs.reset(token)

    def gettext(self, singular: str, plural: str | None = None, n: int = 1, locale: str | None = None) -> str:
        translations = self.translations.get(locale or current_locale())
        if translations is None:
            return singular if plural is None or n == 1 else plural
        return translations.gettext(singular) if plural is None else translations.ngettext(singular, plural, n)


def _active() -> Catalogs:
    catalogs = _catalogs.get()
    if catalogs is None:
        raise LookupError("no catalogs are active: enter Catalogs.activated() first")
    return catalogs


def current_locale() -> str:
    """The locale of the person being served, else the default of the catalogs in force."""
    return _locale.get() or _active().default_locale


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    token = _locale.set(locale)
    try:
        yield
    finally:
        _locale.reset(token)


def set_locale(locale: str) -> None:
    """Switch the current locale for the rest of the block already entered (a person who just chose another)."""
    _locale.set(locale)


def current_zone() -> str | None:
    """The IANA time zone of the person being served, when their record gives one (else the firm's is theirs)."""
    return _zone.get()


@contextmanager
def use_zone(zone: str | None) -> Iterator[None]:
    """Dates and times read in `zone` within the block (None: the firm's)."""
    token = _zone.set(zone)
    try:
        yield
    finally:
        _zone.reset(token)


def gettext(message: str) -> str:
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active().gettext(singular, plural, n)
