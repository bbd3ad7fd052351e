"""The reply-keyboard menu, and the filter that recognises its buttons in either language."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.accounts import Reader, Role
from bot.i18n import LOCALES


def _labels() -> dict[str, str]:
    return {"tier": _("📊 My tier"), "faq": _("❓ Questions"), "settings": _("⚙️ Settings")}


def main_menu(reader: Reader) -> ReplyKeyboardMarkup:
    labels = _labels()
    first_row = [KeyboardButton(text=labels["tier"])] if reader.role is Role.CLIENT else []
    return ReplyKeyboardMarkup(
        keyboard=[row for row in (first_row, [KeyboardButton(text=labels["faq"]),
                                               KeyboardButton(text=labels["settings"])]) if row],
        resize_keyboard=True,
        is_persistent=True,
    )


class MenuButton(Filter):
    """The text of menu button `key` in any of our languages: a keyboard sent before /language still works."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._texts: frozenset[str] | None = None  # the label in every language, read once from the catalogs

    async def __call__(self, message: Message, i18n: I18n, **_data: Any) -> bool:
        if self._texts is None:
            texts = set()
            for locale in LOCALES:
                with i18n.use_locale(locale):
                    texts.add(_labels()[self.key])
            self._texts = frozenset(texts)
        return message.text in self._texts
