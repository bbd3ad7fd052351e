"""Text a person reads: the gettext catalogs and the current locale, templates rendered in it, money, numbers and
dates formatted for it, and the names of the engine's ids. Imports nothing of aiogram."""

from bot.i18n.catalogs import (
    DOMAIN,
    LOCALES,
    Catalogs,
    compile_catalogs,
    current_locale,
    current_zone,
    gettext,
    ngettext,
    resolve_locale,
    set_locale,
    use_locale,
    use_zone,
)
from bot.i18n.rendering import format_money, plain, render, render_string

__all__ = [
    "DOMAIN",
    "LOCALES",
    "Catalogs",
    "compile_catalogs",
    "current_locale",
    "current_zone",
    "format_money",
    "gettext",
    "ngettext",
    "plain",
    "render",
    "render_string",
    "resolve_locale",
    "set_locale",
    "use_locale",
    "use_zone",
]
