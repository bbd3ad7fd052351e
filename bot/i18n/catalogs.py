"""Locales: which one a person reads, and the compiled gettext catalogs behind aiogram's i18n core."""

from __future__ import annotations

from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.resources import LOCALES_DIR

LOCALES = ("en", "zh_Hans")
DOMAIN = "messages"


def resolve_locale(code: str | None) -> str | None:
    """Map a language tag (Telegram's `language_code`, a CSV cell) to a catalog we have, or None.

    Traditional Chinese tags map to zh_Hans until a zh_Hant catalog exists: the closest we can offer.
    """
    if not code:
        return None
    tag = code.strip().replace("_", "-").lower()
    primary = tag.split("-", 1)[0]
    if primary == "zh":
        return "zh_Hans"
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


def create_i18n(default_locale: str) -> I18n:
    compile_catalogs()
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)
