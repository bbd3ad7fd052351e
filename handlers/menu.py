"""The reply-keyboard menu, the filter that recognises its buttons in either language, and the command menu (the
commands Telegram lists under "/") for each role."""

from __future__ import annotations

from typing import Any, Final

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import BotCommand, BotCommandScopeChat, KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.accounts import Reader, Role
from bot.i18n import LOCALES, render

# The command menu of each role, in its order, set in their chat; a person bound to nobody gets the default menu.
SHARED_COMMANDS: Final = ("faq", "language", "settings", "help")  # what anyone may use, an adviser who left too
CONSENT_COMMANDS: Final = ("unsubscribe", "subscribe")  # a client's no, and yes again, to marketing
COMMAND_MENUS: Final[dict[Role | None, tuple[str, ...]]] = {
    None: ("tier", *SHARED_COMMANDS),
    Role.CLIENT: ("tier", *SHARED_COMMANDS[:-1], *CONSENT_COMMANDS, SHARED_COMMANDS[-1]),
    Role.ADVISER: ("clients", "client", "tier", *SHARED_COMMANDS),
    Role.ADMIN: ("clients", "client", "stats", "audit", "campaigns", "tier", *SHARED_COMMANDS),
}
# The commands that show the firm's clients to staff, refused whole to an adviser who has left the firm.
STAFF_COMMANDS: Final = tuple(command for command in COMMAND_MENUS[Role.ADMIN] if command not in SHARED_COMMANDS)


def _described(commands: tuple[str, ...]) -> list[BotCommand]:
    """The commands, described in the current locale."""
    return [BotCommand(command=command, description=render("commands.html.j2", command=command))
            for command in commands]


def command_menu(role: Role | None) -> list[BotCommand]:
    """The commands of `role`'s menu, described in the current locale."""
    return _described(COMMAND_MENUS[role])


def chat_commands(reader: Reader) -> list[BotCommand] | None:
    """Clients and staff get their own command menu in their chat, in their language, rendered now (it is set after
    the unit of work commits, out of the update's locale): a client's has /unsubscribe and /subscribe; an adviser
    who has left the firm gets the shared commands alone, in place of the staff menu their chat had; a reader bound
    to nobody keeps the default menu the bot sets when it starts."""
    if reader.departed:
        return _described(SHARED_COMMANDS)
    return command_menu(reader.role) if reader.bound else None


async def set_chat_commands(bot: Bot, chat_id: int, commands: list[BotCommand] | None) -> None:
    """Set `chat_commands`' menu in the chat, if there is one."""
    if commands is not None:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))


MENU_KEYS: Final = ("tier", "faq", "settings")  # the reply keyboard's buttons


def _labels() -> dict[str, str]:
    return {key: render("menu_button.html.j2", key=key) for key in MENU_KEYS}


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
