"""A stand-in for the Telegram Bot API: a real HTTP server on 127.0.0.1 that the bot talks to as it would to Telegram.

For end-to-end tests: point the bot process at `standin.base_url` (aiogram:
`AiohttpSession(api=TelegramAPIServer.from_base(base_url))`, tierbot: `TIERBOT_TELEGRAM_API`), let it long-poll
`getUpdates`, push what a person would do (`send_text`, `press_button`, `block` and `unblock`, each with the update
Telegram sends) and wait for what the bot does (`wait_for`). Nothing ever leaves the machine.

It behaves like Telegram where a bot can tell the difference: parameters come as JSON, urlencoded or multipart
(aiogram sends urlencoded fields whose complex values are JSON text; they are decoded here, so tests see dicts),
method names are case-insensitive, a wrong token is 401, an unknown method 404, errors carry Telegram's
descriptions; getUpdates confirms by offset and long-polls; `parse_mode=HTML` is parsed as Telegram parses it (a
stray "<" or an unsupported tag such as <br> is a 400 "can't parse entities", the stored text is the plain text
with entities); texts over 4096 characters, callback data over 64 bytes, a keyboard button with no action, an
unchanged edit ("message is not modified"), an unknown or twice-answered callback query, an invalid command name
or language code (only two-letter codes) are 400s, as in Telegram. A chat must be known (a user that pushed an
update, or `add_user`), else "chat not found". editMessageText without reply_markup removes the keyboard, as in
Telegram. sendPhoto takes an uploaded image, kept in the sizes Telegram makes of it (bytes that are no image are a
400 "IMAGE_PROCESS_FAILED"), or the file_id of a photo sent before; sendDocument any file. Markdown parse modes are
not parsed (text stored as sent).

For the outbox's sender it can also be slow and strict, both off unless asked: `latency=` seconds before each
answer, and `limits=FloodLimits(...)` for Telegram's flood control (a message to a chat within a second of the
last one to it, or more than 30 in a second overall, is a 429 with retry_after). `stall_next` and `drop_next`
make a call's answer never come or its connection close before the answer, with or without the message having
been delivered; between `stop()` and `start()` the port refuses connections, and `start()` again takes the same
port with everything the stand-in knew. Each call records when it arrived (`ApiCall.at`, the event loop's clock);
`busiest_second()` counts the most calls of a method that arrived within any one second, to hold against a rate.

    async with BotApiStandIn() as tg:
        ...  # start the bot against tg.base_url with tg.token
        tg.send_text(1001, "/start")
        reply = await tg.wait_for("sendMessage", chat_id=1001)
        tg.press_button(1001, reply.result["message_id"], "tier:show")
        await tg.wait_for("answerCallbackQuery")
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import itertools
import json
import math
import re
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web
from aiohttp.web_request import FileField
from PIL import Image

__all__ = ["DEFAULT_TOKEN", "ApiCall", "BotApiStandIn", "FloodLimits", "UploadedFile", "busiest_window", "eventually",
           "parse_html"]

DEFAULT_TOKEN = "123456789:TEST-tierbot-standin-token"

_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_CALLBACK_DATA = 64
_PHOTO_SIDES = (90, 320, 800, 1280)  # the longer side of the sizes Telegram keeps of a photo

# Fields that are strings in the Bot API: never JSON-decoded even if they look like numbers ("123") or JSON.
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url", "language_code",
        "action", "business_connection_id", "message_effect_id", "name", "description", "short_description",
        "title", "query", "emoji", "secret_token", "ip_address", "photo", "document", "audio", "video", "voice",
        "animation", "sticker", "thumbnail", "certificate", "file_id",
    }
)  # fmt: skip

_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip

_BUTTON_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
)  # fmt: skip

# Update types Telegram delivers when allowed_updates is unset or [].
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# What Telegram's flood control counts: the messages a bot sends, not its other calls.
_MESSAGE_METHODS = frozenset(
    {
        "sendmessage", "sendphoto", "senddocument", "sendvideo", "sendaudio", "sendvoice", "sendanimation",
        "sendsticker", "sendmediagroup", "sendlocation", "sendcontact", "sendpoll", "copymessage", "forwardmessage",
    }
)  # fmt: skip

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")



_HTTP_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def api_error(status: int, description: str | None = None, retry_after: int | None = None
              ) -> tuple[str, dict[str, Any] | None]:
    """The description and `parameters` of a Bot API error as Telegram words them: 429 carries retry_after
    (1 s unless given), other statuses their usual description."""
    if status == 429:
        retry_after = 1 if retry_after is None else retry_after
        description = description or f"Too Many Requests: retry after {retry_after}"
    parameters = None if retry_after is None else {"retry_after": retry_after}
    return description or _HTTP_DESCRIPTIONS.get(status, "Error"), parameters


class _ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(reason: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood control as the stand-in enforces it when given: a message to a chat sooner than
    `per_chat_interval` after the last one to it, or past `per_second` messages in the last second, is answered 429
    with retry_after, as Telegram does. `slack` forgives the milliseconds by which a request spaced exactly by the
    bot arrives early (Telegram, too, allows short bursts)."""

    per_chat_interval: float = 1.0
    per_second: int = 30
    slack: float = 0.02


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class ApiCall:
    """One request the bot made. Unpacks as `(method, params)`; `call["text"]` reads a parameter."""

    index: int
    method: str  # the Bot API spelling ("sendMessage"), whatever case the bot used
    params: dict[str, Any]
    http_method: str = "POST"
    content_type: str = ""
    done: bool = False  # False while a long poll is still waiting
    at: float = 0.0  # when the request arrived, on the event loop's clock (before any latency)
    ok: bool | None = None
    result: Any = None  # the "result" the bot received, when ok
    error: dict[str, Any] | None = None  # the error body the bot received, when not ok

    def __iter__(self) -> Any:
        return iter((self.method, self.params))

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


# --- Telegram's HTML -------------------------------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_html_entity(name: str) -> str | None:
    if name.startswith("#"):
        try:
            code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
            return chr(code)
        except (ValueError, OverflowError):
            return None
    return _NAMED_ENTITIES.get(name)


def _unescape(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        decoded = _decode_html_entity(match.group(1))
        return match.group(0) if decoded is None else decoded

    return _HTML_ENTITY_RE.sub(replace, text)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's `parse_mode=HTML`: the plain text and its entities (offsets in UTF-16 code units).

    Raises ValueError with Telegram's reason ("Unsupported start tag "br" at byte offset 5") when Telegram would
    answer 400 "Bad Request: can't parse entities: ...".
    """
    out: list[str] = []
    pos = 0  # in UTF-16 code units
    stack: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def byte_offset(index: int) -> int:
        return len(text[:index].encode())

    while i < n:
        char = text[i]
        if char == "&":
            match = _HTML_ENTITY_RE.match(text, i)
            decoded = _decode_html_entity(match.group(1)) if match else None
            if match is not None and decoded is not None:
                piece, i = decoded, match.end()
            else:  # Telegram keeps an unknown entity as typed
                piece, i = "&", i + 1
            out.append(piece)
            pos += _utf16_len(piece)
            continue
        if char != "<":
            out.append(char)
            pos += 2 if ord(char) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        if text.startswith("</", i):
            end = text.find(">", i)
            if end == -1:
                raise ValueError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise ValueError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            frame = stack.pop()
            if name != frame["tag"]:
                raise ValueError(
                    f'Unmatched end tag at byte offset {byte_offset(begin)}, expected "</{frame["tag"]}>", '
                    f'found "</{name}>"'
                )
            entity = _html_entity(frame, pos, stack)
            if entity is not None:
                entities.append(entity)
            i = end + 1
            continue

        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise ValueError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise ValueError(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        attributes: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise ValueError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[j] == ">":
                j += 1
                break
            k = j
            while k < n and not text[k].isspace() and text[k] not in "=>":
                k += 1
            attribute = text[j:k].lower()
            if not attribute:
                raise ValueError(f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}')
            while k < n and text[k].isspace():
                k += 1
            if k >= n:
                raise ValueError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[k] != "=":
                attributes[attribute] = ""
                j = k
                continue
            k += 1
            while k < n and text[k].isspace():
                k += 1
            if k >= n:
                raise ValueError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[k] in "'\"":
                close = text.find(text[k], k + 1)
                if close == -1:
                    raise ValueError(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
                value, j = text[k + 1 : close], close + 1
            else:
                close = k
                while close < n and not text[close].isspace() and text[close] != ">":
                    close += 1
                value, j = text[k:close], close
            attributes[attribute] = _unescape(value)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise ValueError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}')
        stack.append({"tag": name, "attributes": attributes, "start": pos})
        i = j

    if stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _html_entity(frame: dict[str, Any], end: int, stack: list[dict[str, Any]]) -> dict[str, Any] | None:
    tag, attributes, start = frame["tag"], frame["attributes"], frame["start"]
    if tag == "code" and stack and stack[-1]["tag"] == "pre" and stack[-1]["start"] == start:
        language = attributes.get("class", "")
        if language.startswith("language-"):
            stack[-1]["language"] = language.removeprefix("language-")
            return None
    if end == start:
        return None
    entity: dict[str, Any] = {"type": _HTML_TAGS[tag], "offset": start, "length": end - start}
    if tag == "a":
        href = attributes.get("href", "")
        if not href:
            return None
        if match := re.fullmatch(r"tg://user\?id=(\d+)", href):
            entity["type"] = "text_mention"
            entity["user"] = {"id": int(match.group(1)), "is_bot": False, "first_name": ""}
        else:
            entity["url"] = href
    elif tag == "pre" and frame.get("language"):
        entity["language"] = frame["language"]
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attributes.get("emoji-id", "")
    return entity


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram drops leading and trailing whitespace, clipping the entities to what is left."""
    left = len(text) - len(text.lstrip())
    shift = _utf16_len(text[:left])
    trimmed = text.strip()
    total = _utf16_len(trimmed)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return trimmed, kept


def _normalize(value: Any) -> Any:
    """Drop None values, the way Telegram stores what it was sent."""
    if isinstance(value, dict):
        return {key: _normalize(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_normalize(item) for item in value]
    return value


def _decode_param(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class _LocalSession(AiohttpSession):
    """aiogram's session, closing without the 250 ms it waits for SSL connections (there are none here)."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def busiest_window(times: Iterable[float], window: float = 1.0) -> int:
    """The most of `times` (seconds, on one clock) that fall within any `window` seconds, its ends included: what
    Telegram's flood control would count at its worst moment."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] > window:
            first += 1
        most = max(most, last - first + 1)
    return most


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout: float = 10.0) -> Any:
    """`await check()`'s first true result, asked again until the bot has done what shows only outside its calls
    (in the database): the counterpart of `BotApiStandIn.wait_for`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := await check()):
        if loop.time() >= deadline:
            raise TimeoutError(f"{check!r} still false after {timeout}s")
        await asyncio.sleep(0.05)
    return result


# --- the server --------------------------------------------------------------------------------------------------


class BotApiStandIn:
    """A local Bot API server for one bot (see the module docstring)."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "tierbot_test_bot",
        first_name: str = "Tierbot (test)",
        host: str = "127.0.0.1",
        first_update_id: int = 10_001,
        latency: float = 0.0,
        limits: FloodLimits | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.requests: list[ApiCall] = []
        self.files: dict[str, UploadedFile] = {}
        self._photos: dict[str, list[dict[str, Any]]] = {}  # each size's file_id -> the photo's sizes
        self._push_mark = 0
        self._update_ids = itertools.count(first_update_id)
        self._updates: list[dict[str, Any]] = []
        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._failures: dict[str, deque[_ApiError]] = {}
        self._blocked: set[int] = set()
        self.latency = latency  # seconds each call waits before it is handled (the network's and Telegram's time)
        self.limits = limits  # Telegram's flood control, enforced when set
        self._sent_to: dict[int, float] = {}  # when each chat last got a message (flood control)
        self._sent_recently: deque[float] = deque()  # when the messages of the last second went (flood control)
        self._stalls: dict[str, deque[tuple[str, bool]]] = {}
        self._webhook_url = ""
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._wakeup = asyncio.Event()  # set and replaced whenever an update is pushed or a call completes
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._handlers: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "sendMessage": self._send_message,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "sendChatAction": self._send_chat_action,
                "close": self._true,
                "logOut": self._true,
            }.items()
        }

    # --- lifecycle

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._port or 0))  # started again: the same port
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the stand-in is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """What replaces "https://api.telegram.org"."""
        return f"http://{self.host}:{self.port}"

    def make_bot(self, **kwargs: Any) -> Bot:
        """An aiogram Bot talking to this stand-in (keyword arguments go to Bot; `token=` overrides the token)."""
        session = _LocalSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(kwargs.pop("token", self.token), session=session, **kwargs)

    # --- what people do

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> dict[str, Any]:
        """Make a private chat known (a user who has started the bot); later arguments update the profile."""
        user = self._users.get(user_id) or {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "en"}
        for key, value in (
            ("first_name", first_name),
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
        ):
            if value is not None:
                user[key] = value
        self._users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if key in user:
                chat[key] = user[key]
        self._chats[user_id] = chat
        self._messages.setdefault(user_id, {})
        return copy.deepcopy(user)

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        language_code: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Push a private text message from a user; a leading "/command" gets its bot_command entity.

        language_code (default: the user's last one, "en" for a new user) is what Telegram reports for the client
        ("en", "zh-hans", ...)."""
        user = self.add_user(
            user_id, first_name=first_name, last_name=last_name, username=username, language_code=language_code
        )
        message: dict[str, Any] = {
            "message_id": self._next_message_id(user_id),
            "from": user,
            "chat": copy.deepcopy(self._chats[user_id]),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]
        self._messages[user_id][message["message_id"]] = message
        return self.push_update({"message": copy.deepcopy(message)})

    def send_sticker(self, user_id: int, *, language_code: str | None = None) -> dict[str, Any]:
        """Push a sticker from a user (input the bot does not expect)."""
        user = self.add_user(user_id, language_code=language_code)
        message = {
            "message_id": self._next_message_id(user_id),
            "from": user,
            "chat": copy.deepcopy(self._chats[user_id]),
            "date": int(time.time()),
            "sticker": {
                "file_id": "CAACAgIAAxkBAAEStandInSticker",
                "file_unique_id": "AgADStandIn",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            },
        }
        self._messages[user_id][message["message_id"]] = message
        return self.push_update({"message": copy.deepcopy(message)})

    def press_button(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        language_code: str | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        """Push the callback_query of a user pressing a button on a bot message in their private chat.

        With check (the default) the message must be the bot's and carry a button with this callback_data."""
        message = self._messages.get(user_id, {}).get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in the chat with {user_id}")
        if check:
            if message["from"]["id"] != self.bot_user["id"]:
                raise LookupError(f"message {message_id} in the chat with {user_id} is not the bot's")
            available = [callback for _, callback in self.buttons(user_id, message_id)]
            if data not in available:
                raise LookupError(f"message {message_id} has no button {data!r}; it has {available!r}")
        user = self.add_user(user_id, language_code=language_code)
        query_id = str(next(self._callback_ids))
        self._callback_queries[query_id] = {"user_id": user_id, "data": data, "answer": None}
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": copy.deepcopy(message),
                    "chat_instance": f"-{7_000_000_000 + user_id}",
                    "data": data,
                }
            }
        )

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (an update_id is assigned); returns it."""
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._push_mark = len(self.requests)
        self._wake()
        return copy.deepcopy(update)

    # --- what the bot did

    def mark(self) -> int:
        """A cursor into `requests`: pass it as `after=` to wait only for calls made from now on."""
        return len(self.requests)

    def calls(self, method: str | None = None, *, after: int = 0) -> list[ApiCall]:
        return [call for call in self.requests[after:] if method is None or call.method.lower() == method.lower()]

    def busiest_second(self, method: str = "sendMessage", *, after: int = 0) -> int:
        """The most calls of `method` (answered or refused) that arrived within any one second: to hold against a
        rate the bot must keep."""
        return busiest_window(call.at for call in self.calls(method, after=after))

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        after: int | None = None,
        timeout: float = 10.0,
        **params: Any,
    ) -> ApiCall:
        """The first completed call of `method` (with these parameter values, satisfying predicate) made at or after
        `after`, a `mark()`; by default after the last pushed update, so "push X, then wait for the reply" can't
        pick up a reply to something earlier. To wait for a second reply, pass `after=first.index + 1`."""
        start = self._push_mark if after is None else after
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for call in self.requests[start:]:
                if call.done and self._matches(call, method, predicate, params):
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [(call.method, call.params) for call in self.requests[start:] if call.method != "getUpdates"]
                raise TimeoutError(f"no {method} {params or ''} within {timeout}s; the bot made: {seen!r}")
            await self._wait(remaining)

    async def assert_no_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        after: int | None = None,
        within: float = 0.5,
        **params: Any,
    ) -> None:
        """Fail if the bot makes such a call within `within` seconds (or made one since `after`)."""
        try:
            call = await self.wait_for(method, predicate, after=after, timeout=within, **params)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected {call.method} {call.params!r}")

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they stand now (edits applied, deletions gone), oldest first."""
        bot_id = self.bot_user["id"]
        return [
            copy.deepcopy(message)
            for message in self._messages.get(chat_id, {}).values()
            if message["from"]["id"] == bot_id
        ]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return copy.deepcopy(self._messages[chat_id][message_id])

    def buttons(self, chat_id: int, message_id: int) -> list[tuple[str, str | None]]:
        """(text, callback_data) of each inline button on a message, row by row."""
        markup = self._messages[chat_id][message_id].get("reply_markup") or {}
        return [
            (button["text"], button.get("callback_data")) for row in markup.get("inline_keyboard", []) for button in row
        ]

    def commands(self, *, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, Any]]:
        return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any] | None:
        return copy.deepcopy(self._menu_buttons.get(chat_id))

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """The bot's answerCallbackQuery parameters for a pressed button, None while unanswered."""
        return copy.deepcopy(self._callback_queries[query_id]["answer"])

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        return copy.deepcopy(self._updates)

    # --- how Telegram misbehaves

    def stall_next(self, method: str, *, deliver: bool = True) -> None:
        """The next call of `method` gets no answer until the bot gives up (its timeout); with `deliver`, Telegram
        did send the message (it is in the chat), only its answer is lost."""
        self._stalls.setdefault(method.lower(), deque()).append(("stall", deliver))

    def drop_next(self, method: str, *, deliver: bool = True) -> None:
        """The next call of `method` has its connection closed before the answer; with `deliver`, after the
        message was sent."""
        self._stalls.setdefault(method.lower(), deque()).append(("drop", deliver))

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """The next call of `method` fails: 429 with parameters.retry_after (default 1 s), 403 "bot was blocked by
        the user", or any status with its usual description. Queue several to fail several calls."""
        description, parameters = api_error(status, description, retry_after)
        self._failures.setdefault(method.lower(), deque()).append(_ApiError(status, description, parameters))

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocked the bot: anything sent to their chat is 403 until `unblock`. Telegram tells the bot
        with a `my_chat_member` update (the bot's status in the private chat, "member" -> "kicked"); returns it."""
        self._blocked.add(user_id)
        return self._my_chat_member(user_id, "member", "kicked")

    def unblock(self, user_id: int) -> dict[str, Any]:
        """The user unblocked the bot ("kicked" -> "member"); returns the `my_chat_member` update."""
        self._blocked.discard(user_id)
        return self._my_chat_member(user_id, "kicked", "member")

    def _my_chat_member(self, user_id: int, old: str, new: str) -> dict[str, Any]:
        user = self.add_user(user_id)
        bot = dict(self.bot_user)
        member = {"kicked": {"status": "kicked", "user": bot, "until_date": 0},
                  "member": {"status": "member", "user": bot}}
        return self.push_update({"my_chat_member": {
            "chat": copy.deepcopy(self._chats[user_id]),
            "from": user,
            "date": int(time.time()),
            "old_chat_member": member[old],
            "new_chat_member": member[new],
        }})

    # --- internals

    def _check_flood(self, method: str, params: dict[str, Any], at: float) -> None:
        """Telegram's flood control, when `limits` are set: a 429 for a message past them; one within them is
        counted."""
        limits = self.limits
        if limits is None or method not in _MESSAGE_METHODS:
            return
        chat_id = params.get("chat_id")
        last = self._sent_to.get(chat_id)  # type: ignore[arg-type]
        if last is not None and at - last < limits.per_chat_interval - limits.slack:
            raise _ApiError(429, *api_error(429, retry_after=math.ceil(limits.per_chat_interval - (at - last))))
        recent = self._sent_recently
        while recent and recent[0] <= at - 1.0:
            recent.popleft()
        if len(recent) >= limits.per_second:
            raise _ApiError(429, *api_error(429, retry_after=1))
        recent.append(at)
        if isinstance(chat_id, int):
            self._sent_to[chat_id] = at

    @staticmethod
    async def _never_answer(request: web.Request, call: ApiCall, *, drop: bool) -> None:
        """Hold the call until the bot hangs up, or close its connection first (`drop`)."""
        description = "connection closed by the stand-in" if drop else "no answer: the bot gave up waiting"
        call.error = {"ok": False, "error_code": 499, "description": description}
        if drop and request.transport is not None:
            request.transport.close()
        await asyncio.Event().wait()  # cancelled once the connection is gone

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)

    @staticmethod
    def _matches(
        call: ApiCall, method: str, predicate: Callable[[ApiCall], bool] | None, params: dict[str, Any]
    ) -> bool:
        if call.method.lower() != method.lower():
            return False
        if any(call.params.get(key) != value for key, value in params.items()):
            return False
        return predicate is None or predicate(call)

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        arrived = asyncio.get_running_loop().time()
        name = request.match_info["method"]
        entry = self._handlers.get(name.lower())
        parse_error: _ApiError | None = None
        try:
            params = await self._read_params(request)
        except ValueError as error:
            params, parse_error = {}, _bad_request(f"can't parse request: {error}")
        call = ApiCall(
            index=len(self.requests),
            method=entry[0] if entry else name,
            params=params,
            http_method=request.method,
            content_type=request.content_type,
            at=arrived,
        )
        self.requests.append(call)
        try:
            if parse_error is not None:
                raise parse_error
            if entry is None:
                raise _ApiError(404, "Not Found: method not found")
            if self.latency:
                await asyncio.sleep(self.latency)
            failures = self._failures.get(name.lower())
            if failures:
                raise failures.popleft()
            self._check_flood(name.lower(), params, call.at)
            stalls = self._stalls.get(name.lower())
            stall, deliver = stalls.popleft() if stalls else (None, True)
            result = entry[1](params) if deliver else None
            if asyncio.iscoroutine(result):
                result = await result
            if stall is not None:
                await self._never_answer(request, call, drop=stall == "drop")
        except _ApiError as error:
            call.ok, call.error = False, error.body()
            status, body = error.status, error.body()
        except asyncio.CancelledError:  # the bot hung up (e.g. polling stopped mid long-poll, or it gave up waiting)
            call.ok = False
            call.error = call.error or {"ok": False, "error_code": 499, "description": "client closed request"}
            call.done = True
            self._wake()
            raise
        except (ValueError, TypeError, KeyError) as error:  # a parameter of the wrong shape
            bad = _bad_request(f"wrong parameter in request: {type(error).__name__}: {error}")
            call.ok, call.error = False, bad.body()
            status, body = bad.status, bad.body()
        else:
            call.ok, call.result = True, copy.deepcopy(result)
            status, body = 200, {"ok": True, "result": result}
        call.done = True
        self._wake()
        return web.json_response(body, status=status)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError("the JSON body is not an object")
                raw.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                for key, value in (await request.post()).items():
                    if isinstance(value, FileField):
                        raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                    else:
                        raw[key] = value
        return {key: _decode_param(key, value) for key, value in raw.items()}

    # --- helpers for the methods

    def _chat(self, params: dict[str, Any], *, required: bool = True) -> int | None:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            if required:
                raise _bad_request("chat_id is empty")
            return None
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad_request("chat not found")
        if chat_id in self._blocked:
            raise _ApiError(403, *api_error(403))
        return chat_id

    @staticmethod
    def _formatted(
        params: dict[str, Any], key: str, entities_key: str, limit: int, *, required: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        text = params.get(key)
        if text is None or text == "":
            if required:
                raise _bad_request("message text is empty")
            return "", []
        text = str(text)
        if params.get(entities_key):
            entities = list(params[entities_key])
        elif str(params.get("parse_mode", "")).lower() == "html":
            try:
                text, entities = parse_html(text)
            except ValueError as error:
                raise _bad_request(f"can't parse entities: {error}") from None
        else:
            entities = []
        text, entities = _trim(text, entities)
        if not text and required:
            raise _bad_request("message text is empty")
        if _utf16_len(text) > limit:
            raise _bad_request("message is too long" if key == "text" else "message caption is too long")
        return text, entities

    @staticmethod
    def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        """The inline keyboard to store with a message (other keyboards aren't echoed in a Message)."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or "text" not in button:
                    raise _bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
                actions = [key for key in _BUTTON_ACTIONS if button.get(key) is not None]
                if not actions:
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= _MAX_CALLBACK_DATA:
                    raise _bad_request("BUTTON_DATA_INVALID")
        normalized: dict[str, Any] = _normalize({"inline_keyboard": rows})
        return normalized if any(normalized["inline_keyboard"]) else None

    def _store_bot_message(self, chat_id: int, fields: dict[str, Any], markup: dict[str, Any] | None) -> dict:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": copy.deepcopy(self._chats[chat_id]),
            "date": int(time.time()),
            **fields,
        }
        if markup is not None:
            message["reply_markup"] = markup
        self._messages[chat_id][message["message_id"]] = message
        return copy.deepcopy(message)

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        assert chat_id is not None
        message = self._messages[chat_id].get(params.get("message_id"))  # type: ignore[arg-type]
        if message is None:
            raise _bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _bad_request("message can't be edited")
        return message

    @staticmethod
    def _scope_key(scope: Any) -> str:
        return json.dumps(_normalize(scope or {"type": "default"}), sort_keys=True)

    def _language(self, params: dict[str, Any]) -> str:
        language = params.get("language_code") or ""
        if language and not _LANGUAGE_RE.fullmatch(language):
            raise _bad_request("invalid language code specified")
        return language

    # --- the methods

    def _true(self, params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot_user)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or [])
        if offset > 0:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older long poll still waiting is terminated (409), as in Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            batch = self._deliverable(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch
            await self._wait(remaining)

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        allowed = self._allowed_updates

        def wanted(update: dict[str, Any]) -> bool:
            kind = next(key for key in update if key != "update_id")
            return kind in allowed if allowed else kind not in _NOT_DEFAULT_UPDATES

        self._updates = [update for update in self._updates if wanted(update)]
        return copy.deepcopy(self._updates[:limit])

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self._webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        assert chat_id is not None
        text, entities = self._formatted(params, "text", "entities", _MAX_TEXT, required=True)
        markup = self._inline_markup(params)
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        return self._store_bot_message(chat_id, fields, markup)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        assert chat_id is not None
        document = self._input_file(params, "document")
        caption = self._caption(params)
        number = next(self._file_ids)
        file: dict[str, Any] = {"file_id": f"BQACAgIAAxkBAAIStandIn{number}", "file_unique_id": f"AgADStandIn{number}"}
        if isinstance(document, UploadedFile):
            self.files[file["file_id"]] = document
            file.update(
                {"file_name": document.filename, "mime_type": document.content_type, "file_size": len(document.data)}
            )
        return self._store_bot_message(chat_id, {"document": _normalize(file), **caption}, self._inline_markup(params))

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params)
        assert chat_id is not None
        photo = self._input_file(params, "photo")
        caption = self._caption(params)
        if isinstance(photo, str):
            if photo not in self._photos:
                raise _bad_request(
                    "failed to get HTTP URL content" if photo.startswith(("http://", "https://"))
                    else "wrong file identifier/HTTP URL specified"
                )
            sizes = self._photos[photo]
        else:
            sizes = self._photo_sizes(photo)
        return self._store_bot_message(chat_id, {"photo": copy.deepcopy(sizes), **caption}, self._inline_markup(params))

    def _photo_sizes(self, upload: UploadedFile) -> list[dict[str, Any]]:
        """The sizes Telegram keeps of an uploaded photo: each of its thumbnail sizes that is smaller than the
        photo, then the photo, at most 1280 px on its longer side; the upload is kept under the largest's file_id."""
        try:
            with Image.open(io.BytesIO(upload.data)) as image:
                width, height = image.size
                image.verify()
        except (OSError, SyntaxError, ValueError):  # what Pillow raises for bytes that are no image
            raise _bad_request("IMAGE_PROCESS_FAILED") from None
        if width + height > 10_000 or max(width, height) > 20 * min(width, height):
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        number = next(self._file_ids)
        sizes: list[dict[str, Any]] = []
        for index, side in enumerate(_PHOTO_SIDES):
            scale = min(1.0, side / max(width, height))
            sizes.append({
                "file_id": f"AgACAgIAAxkBAAIStandIn{number}x{index}", "file_unique_id": f"AQADStandIn{number}x{index}",
                "width": round(width * scale), "height": round(height * scale),
                "file_size": len(upload.data) if scale == 1.0 else round(len(upload.data) * scale * scale),
            })
            if scale == 1.0:
                break
        for size in sizes:
            self._photos[size["file_id"]] = sizes
        self.files[sizes[-1]["file_id"]] = upload
        return sizes

    @staticmethod
    def _input_file(params: dict[str, Any], field: str) -> UploadedFile | str:
        """The file a send method names: uploaded in this request (multipart, directly or as "attach://name"), or a
        string (a file_id or a URL)."""
        value = params.get(field)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if value is None or value == "":
            raise _bad_request(f"there is no {field} in the request")
        assert isinstance(value, UploadedFile | str)  # file fields are never JSON-decoded
        return value

    def _caption(self, params: dict[str, Any]) -> dict[str, Any]:
        caption, entities = self._formatted(params, "caption", "caption_entities", _MAX_CAPTION, required=False)
        fields: dict[str, Any] = {}
        if caption:
            fields["caption"] = caption
        if entities:
            fields["caption_entities"] = entities
        return fields

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            self._formatted(params, "text", "entities", _MAX_TEXT, required=True)
            self._inline_markup(params)
            return True
        message = self._editable(params)
        text, entities = self._formatted(params, "text", "entities", _MAX_TEXT, required=True)
        markup = self._inline_markup(params)  # no reply_markup: the keyboard goes, as in Telegram
        if (
            text == message.get("text")
            and entities == message.get("entities", [])
            and markup == message.get("reply_markup")
        ):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a "
                "current content and reply markup of the message"
            )
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._apply_markup(message, markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            return True
        message = self._editable(params)
        markup = self._inline_markup(params)
        if markup == message.get("reply_markup"):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same as a "
                "current content and reply markup of the message"
            )
        self._apply_markup(message, markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    @staticmethod
    def _apply_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params)
        assert chat_id is not None
        if self._messages[chat_id].pop(params.get("message_id"), None) is None:  # type: ignore[arg-type]
            raise _bad_request("message to delete not found")
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query = self._callback_queries.get(str(params.get("callback_query_id", "")))
        if query is None or query["answer"] is not None:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        query["answer"] = {key: value for key, value in params.items() if key != "callback_query_id"}
        return True

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise _bad_request("too many commands specified")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(params.get("scope")), self._language(params))
        if commands:
            self._commands[key] = _normalize(commands)
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self._commands.get((self._scope_key(params.get("scope")), self._language(params)), []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop((self._scope_key(params.get("scope")), self._language(params)), None)
        return True

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params, required=False)
        self._menu_buttons[chat_id] = _normalize(params.get("menu_button") or {"type": "default"})
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params, required=False)
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "default"}
        return copy.deepcopy(button)

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True
