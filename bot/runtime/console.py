"""`tierbot console --as ID`: chat with the bot in a terminal, through the same dispatcher and handlers.

The Bot's session answers locally instead of calling Telegram and prints what the bot sends. A message's inline
buttons become numbered choices under it; the reply-keyboard menu is shown once, on a line of its own when it is
set or changes, its buttons chosen by letter. A photo is written to a file in a folder of the session's own under
the system's temporary folder and shown as a line with the file's path. The console user is a Telegram account of
its own (an id above any Telegram gives out) bound to the client or adviser through an invite like anyone else, so
the audit log shows it; an admin's console account is bound the same way, one per id the operator gives for the
admin (a staff number: kept in the audit log as the invite's maker, as by `tierbot invite admin ID`).
"""

from __future__ import annotations

import itertools
import string
import tempfile
import zlib
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, GetMe, SendMessage, SendPhoto, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    PhotoSize,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts import BindingRefused, create_invite, redeem_invite
from bot.db import session_factory, unit_of_work
from bot.db.models import Adviser, Client, Role, TelegramAccount
from bot.i18n import gettext as _
from bot.i18n import plain
from bot.runtime.dispatcher import bot_defaults

__all__ = ["Choice", "ConsoleSession", "UnknownPerson", "bind_console_user", "console_chat"]

BOT_USER = User(id=1, is_bot=True, first_name="tierbot", username="tierbot_console_bot")


class UnknownPerson(Exception):
    """No client or adviser has that id."""


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    callback_data: str | None  # None: a menu button, sent as its text
    message_id: int | None



class ConsoleSession(BaseSession):
    """Answers the bot's API calls locally and shows messages and buttons through `show`.

    `choices` are the inline buttons of the last message shown, by number from 1; `menu` the buttons of the
    reply-keyboard menu in force, by letter from "a", shown as one line (`menu_line`, whose {buttons} are the
    buttons) when the menu is set or changes. A photo is saved under `photo_folder` (made when the first comes)
    and shown as `photo_line`, whose {path} is the file's, then its caption and buttons.
    """

    def __init__(self, chat: Chat, show: Callable[[str], None], *, menu_line: str = "Menu: {buttons}",
                 photo_line: str = "🖼 Picture: {path}", photo_folder: Path | None = None) -> None:
        super().__init__()
        self.chat, self.show, self.menu_line, self.photo_line = chat, show, menu_line, photo_line
        self.photo_folder = photo_folder
        self.choices: list[Choice] = []
        self.menu: dict[str, Choice] = {}
        self._message_ids = itertools.count(1)
        self._photos: dict[str, tuple[Path, PhotoSize]] = {}  # file_id -> the file saved and its size

    def message(self, message_id: int, text: str) -> Message:
        return Message(message_id=message_id, date=datetime.now(UTC), chat=self.chat, from_user=BOT_USER, text=text)

    def choose(self, line: str) -> Choice | None:
        """The button that `line` picks: the number of one of the last message's buttons, or the letter of a menu
        button; None when it picks none (it is a message)."""
        if line.isdigit() and 0 < int(line) <= len(self.choices):
            return self.choices[int(line) - 1]
        return self.menu.get(line)

    def _display(self, text: str, markup: Any, message_id: int) -> None:
        if text:  # a photo may come without a caption
            self.show(plain(text))
        self.choices = [
            Choice(button.text, button.callback_data, message_id)
            for row in (markup.inline_keyboard if isinstance(markup, InlineKeyboardMarkup) else [])
            for button in row if button.callback_data
        ]
        for number, choice in enumerate(self.choices, 1):
            self.show(f"  [{number}] {choice.label}")
        if isinstance(markup, ReplyKeyboardRemove):
            self.menu = {}
        elif isinstance(markup, ReplyKeyboardMarkup):
            labels = [button.text for row in markup.keyboard for button in row]
            if labels != [choice.label for choice in self.menu.values()]:
                letters = string.ascii_lowercase[:len(labels)]
                self.menu = {letter: Choice(label, None, None) for letter, label in zip(letters, labels, strict=True)}
                self.show(self.menu_line.format(buttons="  ".join(
                    f"[{letter}] {choice.label}" for letter, choice in self.menu.items())))

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> Any:
        if isinstance(method, SendMessage):
            message_id = next(self._message_ids)
            self._display(method.text, method.reply_markup, message_id)
            return self.message(message_id, method.text)
        if isinstance(method, SendPhoto):
            path, size = await self._saved_photo(bot, method)
            message_id = next(self._message_ids)
            self.show(self.photo_line.format(path=path))
            self._display(method.caption or "", method.reply_markup, message_id)
            return Message(message_id=message_id, date=datetime.now(UTC), chat=self.chat, from_user=BOT_USER,
                           photo=[size], caption=method.caption)
        if isinstance(method, EditMessageText):
            message_id = method.message_id or 0
            self._display(method.text or "", method.reply_markup, message_id)
            return self.message(message_id, method.text or "")
        if isinstance(method, AnswerCallbackQuery):
            if method.text:
                self.show(f"({method.text})")
            return True
        if isinstance(method, GetMe):
            return BOT_USER
        return True  # setMyCommands, sendChatAction and the like have nothing to show here

    async def _saved_photo(self, bot: Bot, method: SendPhoto) -> tuple[Path, PhotoSize]:
        """The file a photo is shown as: a new one for an upload, the one saved before for a photo sent again by its
        file_id; a file_id the console did not give is refused as Telegram refuses it."""
        photo = method.photo
        if isinstance(photo, str):
            if photo not in self._photos:
                raise TelegramBadRequest(method, "Bad Request: wrong file identifier/HTTP URL specified")
            return self._photos[photo]
        data = b"".join([chunk async for chunk in photo.read(bot)])
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
        if self.photo_folder is None:
            self.photo_folder = Path(tempfile.mkdtemp(prefix="tierbot-console-"))
        number = len(self._photos) + 1
        path = self.photo_folder / f"{number}-{Path(photo.filename or 'photo.png').name}"
        path.write_bytes(data)
        file_id = f"console-photo-{number}"
        size = PhotoSize(file_id=file_id, file_unique_id=file_id, width=width, height=height, file_size=len(data))
        self._photos[file_id] = (path, size)
        return path, size

    async def stream_content(
        self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30, chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover - the bot downloads no files
        raise NotImplementedError
        yield b""

    async def close(self) -> None:
        return None


# Telegram ids (users, and chats, negative) stay below 2**52; from 2**60 on, an id can only be the console's, so
# nothing meant for a console account can ever reach a real person or group.
CONSOLE_IDS_FROM = 1 << 60


def console_user_id(role: Role, target_id: str) -> int:
    return CONSOLE_IDS_FROM + zlib.crc32(f"{role}:{target_id}".encode())


async def bind_console_user(engine: AsyncEngine, target_id: str, *, admin: bool = False) -> int:
    """The console's Telegram account for the client or adviser `target_id`, or with `admin` for the admin the
    operator calls `target_id`, bound by an invite if new."""
    async with unit_of_work(session_factory(engine), commit=True) as work:
        session = work.session
        if admin:
            role, invited, created_by = Role.ADMIN, None, f"console:{target_id}"
        elif await session.get(Client, target_id) is not None:
            role, invited, created_by = Role.CLIENT, target_id, "console"
        elif await session.get(Adviser, target_id) is not None:
            role, invited, created_by = Role.ADVISER, target_id, "console"
        else:
            raise UnknownPerson(target_id)
        user_id = console_user_id(role, target_id)
        if await session.get(TelegramAccount, user_id) is None:
            invite = await create_invite(session, role, invited, created_by=created_by)
            try:
                await redeem_invite(session, invite.token, user_id=user_id, chat_id=user_id)
            except BindingRefused as refused:  # pragma: no cover - a fresh invite for a fresh account
                raise AssertionError(refused) from refused
    return user_id


async def console_chat(
    engine: AsyncEngine,
    dispatcher: Dispatcher,
    target_id: str,
    *,
    read: Callable[[], str | None],
    show: Callable[[str], None],
    language_code: str | None = None,
    intro: str | None = None,
    admin: bool = False,
) -> None:
    """Chat as `target_id` (with `admin`, as the admin the operator calls so) until `read` gives None (end of input)
    or "/quit"; `intro` is shown first, once the person is known.

    The console's Telegram app tells no language (unless `language_code`): the bot speaks the language the firm's
    records give the person, else the default, until they choose another with /language.
    """
    user_id = await bind_console_user(engine, target_id, admin=admin)
    if intro is not None:
        show(intro)
    user = User(id=user_id, is_bot=False, first_name="Console", language_code=language_code)
    chat = Chat(id=user_id, type="private")
    # In the language of the console's own lines, whatever language the bot speaks to the person.
    session = ConsoleSession(chat, show, menu_line=_("Menu: {buttons}"), photo_line=_("🖼 Picture: {path}"))
    bot = Bot("1:console", session=session, default=bot_defaults())
    update_ids, message_ids = itertools.count(1), itertools.count(1_000_000)
    await dispatcher.feed_update(bot, _text_update(next(update_ids), next(message_ids), user, chat, "/start"))
    while (line := read()) is not None:
        line = line.strip()
        if line in {"/quit", "/exit"}:
            break
        if not line:
            continue
        choice = session.choose(line)
        if choice is None and line.isdigit() and len(line) <= 2:  # meant as a button ("500000" is a message)
            show(_("There is no button {number} here.").format(number=line))
            continue
        if choice is not None and choice.callback_data is not None:
            update = Update(update_id=next(update_ids), callback_query=CallbackQuery(
                id=str(next(message_ids)), from_user=user, chat_instance=str(user_id), data=choice.callback_data,
                message=session.message(choice.message_id or 0, ""),
            ))
        else:
            text = choice.label if choice is not None else line
            update = _text_update(next(update_ids), next(message_ids), user, chat, text)
        await dispatcher.feed_update(bot, update)
    await bot.session.close()


def _text_update(update_id: int, message_id: int, user: User, chat: Chat, text: str) -> Update:
    entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))] if text[0] == "/" else None
    return Update(update_id=update_id, message=Message(
        message_id=message_id, date=datetime.now(UTC), chat=chat, from_user=user, text=text, entities=entities,
    ))
