"""A Bot that never reaches Telegram: its session records every method and answers with a plausible result.

aiogram's own tests use this pattern (tests/mocked_bot.py: a BaseSession subclass behind a Bot). Here the session
also invents a result for the methods a handler usually calls, so a handler test needs no queuing:

    bot = MockedBot()
    await dispatcher.feed_update(bot, message_update(1001, "/start"))
    assert bot.session.texts() == ["Welcome!"]

Every answer, invented or queued, goes through aiogram's own `check_response`, as a real response would: results
are bound to the bot (`message.answer(...)` works) and a queued API error becomes the exception aiogram raises
for it (`queue_api_error(403)` -> TelegramForbiddenError, `queue_api_error(429, retry_after=5)` ->
TelegramRetryAfter).

The update builders make what Telegram would deliver in a private chat.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    Close,
    DeleteMessage,
    DeleteMyCommands,
    DeleteWebhook,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    GetMyCommands,
    GetUpdates,
    LogOut,
    SendChatAction,
    SendMessage,
    SendPhoto,
    SetChatMenuButton,
    SetMyCommands,
    SetWebhook,
    TelegramMethod,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, TelegramObject, Update, User
from PIL import Image

from support.telegram_standin import api_error, parse_html

__all__ = [
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USERNAME",
    "MockedBot",
    "RecordingSession",
    "callback_update",
    "message_update",
    "sticker_update",
]

BOT_TOKEN = "42:TEST"
BOT_ID = 42
BOT_USERNAME = "tierbot_test_bot"

_TRUE_METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    AnswerCallbackQuery,
    SetMyCommands,
    DeleteMyCommands,
    SendChatAction,
    DeleteWebhook,
    SetWebhook,
    SetChatMenuButton,
    DeleteMessage,
    Close,
    LogOut,
)



def _bot_user(bot_id: int = BOT_ID) -> dict[str, Any]:
    return {"id": bot_id, "is_bot": True, "first_name": "Tierbot (test)", "username": BOT_USERNAME}


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Test"}
    return {"id": chat_id, "type": "supergroup", "title": "Test group"}


class RecordingSession(BaseSession):
    """Records each method in `requests` and answers without a network.

    The next answer can be forced with `queue(result)`, `queue_error(exception)` or `queue_api_error(status)`,
    optionally only for the next call of one method type (`method=EditMessageText`). Otherwise it makes one up:
    sendMessage gets a Message with a growing message_id per chat echoing the text, entities and an inline
    reply_markup; sendPhoto one with the photo (uploaded as a BufferedInputFile, or the file_id of a photo sent
    before) in its own size, the caption and the keyboard; editMessageText the edited Message (True for an inline
    message); getMe the bot user;
    getMyCommands and getUpdates []; answerCallbackQuery, setMyCommands, deleteMyCommands, sendChatAction,
    deleteWebhook, setChatMenuButton and the like True. Anything else must be queued (LookupError otherwise).

    With parse_mode HTML (passed or the bot's default) the text or caption is parsed as Telegram parses it: invalid
    HTML raises TelegramBadRequest "can't parse entities", and the returned Message holds the plain text and
    entities (`requests` and `texts()` keep the text as sent). An empty or over-long text is a 400 too, as in
    Telegram, and so is a photo that is no image.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.requests: list[TelegramMethod[Any]] = []
        self.closed = False
        self._queued: list[tuple[type[TelegramMethod[Any]] | None, str, Any]] = []
        self._message_ids: dict[int | str, int] = {}
        self._photos: dict[str, dict[str, Any]] = {}  # file_id -> the PhotoSize sent

    # --- forcing answers

    def queue(self, result: Any, *, method: type[TelegramMethod[Any]] | None = None) -> None:
        """The next request (of `method`'s type, if given) gets this result: a TelegramObject, a list of them, a
        dict/list in Bot API JSON, a bool..."""
        self._queued.append((method, "result", result))

    def queue_error(self, exception: BaseException, *, method: type[TelegramMethod[Any]] | None = None) -> None:
        """The next request (of `method`'s type, if given) raises this exception."""
        self._queued.append((method, "exception", exception))

    def queue_api_error(
        self,
        status: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        method: type[TelegramMethod[Any]] | None = None,
    ) -> None:
        """The next request (of `method`'s type, if given) gets this Bot API error, raised as aiogram raises it:
        403 -> TelegramForbiddenError ("bot was blocked by the user"), 429 -> TelegramRetryAfter, 400 ->
        TelegramBadRequest..."""
        description, parameters = api_error(status, description, retry_after)
        body: dict[str, Any] = {
            "ok": False,
            "error_code": status,
            "description": description,
        }
        if parameters:
            body["parameters"] = parameters
        self._queued.append((method, "error", (status, body)))

    def _raise(self, bot: Bot, method: TelegramMethod[Any], status: int, body: dict[str, Any]) -> None:
        """Raise what aiogram raises for this error response."""
        self.check_response(bot, method, status, self.json_dumps(body))
        raise AssertionError("unreachable: check_response raises for an error")  # pragma: no cover

    def _bad_request(self, bot: Bot, method: TelegramMethod[Any], reason: str) -> None:
        description = f"Bad Request: {reason}"
        self._raise(bot, method, 400, {"ok": False, "error_code": 400, "description": description})

    # --- reading what was sent

    def sent(self, method_type: type[TelegramMethod[Any]]) -> list[Any]:
        """The requests of this type, in order."""
        return [request for request in self.requests if isinstance(request, method_type)]

    def texts(self) -> list[str]:
        """The text of every sendMessage and editMessageText, in order."""
        return [
            str(request.text)
            for request in self.requests
            if isinstance(request, SendMessage | EditMessageText) and request.text is not None
        ]

    def clear(self) -> None:
        """Forget the recorded requests and any queued answers."""
        self.requests.clear()
        self._queued.clear()

    # --- BaseSession

    async def close(self) -> None:
        self.closed = True

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,
    ) -> Any:
        self.closed = False
        self.requests.append(method)
        for position, (method_type, kind, value) in enumerate(self._queued):
            if method_type is None or isinstance(method, method_type):
                del self._queued[position]
                if kind == "exception":
                    raise value
                if kind == "error":
                    self._raise(bot, method, *value)
                return self._respond(bot, method, self._plain(bot, value))
        return self._respond(bot, method, self._invent(bot, method))

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover
        yield b""

    # --- internals

    def _respond(self, bot: Bot, method: TelegramMethod[Any], result: Any) -> Any:
        response = self.check_response(bot, method, 200, self.json_dumps({"ok": True, "result": result}))
        return response.result

    def _plain(self, bot: Bot, value: Any) -> Any:
        """A value as Bot API JSON would carry it (what aiogram itself sends: no None fields, unix dates)."""
        if isinstance(value, TelegramObject | list | dict):
            return self.prepare_value(value, bot=bot, files={}, _dumps_json=False)
        return value

    def _next_message_id(self, chat_id: int | str) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _invent(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return _bot_user(bot.id)
        if isinstance(method, GetMyCommands | GetUpdates):
            return []
        if isinstance(method, _TRUE_METHODS):
            return True
        if isinstance(method, SendMessage):
            text, entities = self._formatted(bot, method)
            return self._message(
                bot,
                chat_id=method.chat_id,
                message_id=self._next_message_id(method.chat_id),
                text=text,
                entities=entities,
                reply_markup=method.reply_markup,
            )
        if isinstance(method, SendPhoto):
            return self._photo_message(bot, method)
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            if method.inline_message_id:
                return True
            if method.chat_id is None or method.message_id is None:
                raise LookupError(f"{type(method).__name__} without chat_id and message_id")
            text, entities = self._formatted(bot, method) if isinstance(method, EditMessageText) else ("…", None)
            message = self._message(
                bot,
                chat_id=method.chat_id,
                message_id=method.message_id,
                text=text,
                entities=entities,
                reply_markup=method.reply_markup,
            )
            message["edit_date"] = int(time.time())
            return message
        raise LookupError(f"RecordingSession has no made-up answer for {method.__api_method__}: queue() one")

    def _formatted(self, bot: Bot, method: SendMessage | EditMessageText) -> tuple[str, Any]:
        """The text and entities Telegram would store: HTML parsed as Telegram parses it (bad HTML is the 400
        Telegram answers), other parse modes left as sent."""
        text = method.text or ""
        if not text.strip():
            self._bad_request(bot, method, "message text is empty")
        text, entities = self._parsed(bot, method, text, method.entities)
        if len(text.strip().encode("utf-16-le")) // 2 > 4096:
            self._bad_request(bot, method, "message is too long")
        return text, entities

    def _parsed(self, bot: Bot, method: SendMessage | EditMessageText | SendPhoto, text: str, entities: Any
                ) -> tuple[str, Any]:
        parse_mode = self.prepare_value(method.parse_mode, bot=bot, files={})
        if not entities and isinstance(parse_mode, str) and parse_mode.lower() == "html":
            try:
                return parse_html(text)
            except ValueError as error:
                self._bad_request(bot, method, f"can't parse entities: {error}")
        return text, entities

    def _photo_message(self, bot: Bot, method: SendPhoto) -> dict[str, Any]:
        if isinstance(method.photo, str):
            if method.photo not in self._photos:
                self._bad_request(bot, method, "wrong file identifier/HTTP URL specified")
            size = self._photos[method.photo]
        elif isinstance(method.photo, BufferedInputFile):
            try:
                with Image.open(io.BytesIO(method.photo.data)) as image:
                    width, height = image.size
            except OSError:
                self._bad_request(bot, method, "IMAGE_PROCESS_FAILED")
            number = len(self._photos) + 1
            size = {"file_id": f"AgACMockedPhoto{number}", "file_unique_id": f"AQADMocked{number}", "width": width,
                    "height": height, "file_size": len(method.photo.data)}
            self._photos[size["file_id"]] = size
        else:
            raise LookupError("RecordingSession makes up photos sent as a BufferedInputFile or a file_id: queue() one")
        caption, entities = self._parsed(bot, method, method.caption or "", method.caption_entities)
        if len(caption.strip().encode("utf-16-le")) // 2 > 1024:
            self._bad_request(bot, method, "message caption is too long")
        message = self._message(bot, chat_id=method.chat_id, message_id=self._next_message_id(method.chat_id),
                                text=None, entities=None, reply_markup=method.reply_markup)
        message["photo"] = [size]
        if caption.strip():
            message["caption"] = caption.strip()
        if entities:
            message["caption_entities"] = self._plain(bot, entities)
        return message

    def _message(
        self,
        bot: Bot,
        *,
        chat_id: int | str,
        message_id: int,
        text: str | None,
        entities: Any,
        reply_markup: Any,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id) if isinstance(chat_id, int) else {"id": -100, "type": "channel", "title": chat_id},
            "from": _bot_user(bot.id),
        }
        if text is not None:  # None: a photo's message, which has a caption instead
            message["text"] = text
        if entities:
            message["entities"] = self._plain(bot, entities)
        if isinstance(reply_markup, InlineKeyboardMarkup):
            message["reply_markup"] = self._plain(bot, reply_markup)
        return message


class MockedBot(Bot):
    """A Bot (token "42:TEST", id 42, @tierbot_test_bot) whose session is a RecordingSession."""

    if TYPE_CHECKING:
        session: RecordingSession

    def __init__(self, token: str = BOT_TOKEN, **kwargs: Any) -> None:
        super().__init__(token, session=RecordingSession(), **kwargs)
        # Bot.me() is cached; set it so filters that check the bot's username don't record a getMe.
        self._me = User.model_validate(_bot_user(self.id), context={"bot": self})


# --- update builders -------------------------------------------------------------------------------------------

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)
_callback_ids = itertools.count(1)


def _user(user_id: int, *, first_name: str, language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def _update(update_id: int | None, **event: Any) -> Update:
    return Update.model_validate({"update_id": next(_update_ids) if update_id is None else update_id, **event})


def message_update(
    user_id: int,
    text: str,
    *,
    language_code: str | None = "en",
    first_name: str = "Test",
    update_id: int | None = None,
    chat_id: int | None = None,
) -> Update:
    """A text message from a user, in their private chat (or in group `chat_id` if negative). A leading "/command"
    gets the bot_command entity Telegram adds (aiogram's Command filters parse the text itself, entities or not;
    "/start payload" is how a deep link arrives)."""
    user = _user(user_id, first_name=first_name, language_code=language_code)
    chat = {"id": user_id, "type": "private", "first_name": first_name} if chat_id is None else _chat(chat_id)
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2},
        ]
    return _update(update_id, message=message)


def callback_update(
    user_id: int,
    data: str,
    *,
    message_id: int,
    text: str = "…",
    language_code: str | None = "en",
    first_name: str = "Test",
    reply_markup: InlineKeyboardMarkup | dict[str, Any] | None = None,
    update_id: int | None = None,
) -> Update:
    """A user pressing a button with this callback data on bot message `message_id` in their private chat."""
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": first_name},
        "from": _bot_user(),
        "text": text,
    }
    if reply_markup is not None:
        message["reply_markup"] = (
            reply_markup.model_dump(exclude_none=True) if isinstance(reply_markup, TelegramObject) else reply_markup
        )
    query = {
        "id": str(9_000_000_000_000 + next(_callback_ids)),
        "from": _user(user_id, first_name=first_name, language_code=language_code),
        "message": message,
        "chat_instance": str(-7_000_000_000 - user_id),
        "data": data,
    }
    return _update(update_id, callback_query=query)


def sticker_update(user_id: int, *, language_code: str | None = "en", update_id: int | None = None) -> Update:
    """A sticker from a user in their private chat: input the bot doesn't expect."""
    message = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Test"},
        "from": _user(user_id, first_name="Test", language_code=language_code),
        "sticker": {
            "file_id": "CAACAgIAAxkBAAEMockedSticker",
            "file_unique_id": "AgADMocked",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        },
    }
    return _update(update_id, message=message)
