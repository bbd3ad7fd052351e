"""Text a person reads: the gettext catalogs, the reader's locale, rendering of templates, and the names of the
engine's ids."""

from bot.i18n.catalogs import DOMAIN, LOCALES, compile_catalogs, create_i18n, resolve_locale

__all__ = ["DOMAIN", "LOCALES", "compile_catalogs", "create_i18n", "resolve_locale"]
