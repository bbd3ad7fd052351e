"""The two fake Telegrams behave as the real one does for aiogram 3.31: the HTTP stand-in and the recording session."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, SendPhoto
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    Message,
)
from PIL import Image
from support.mocked_bot import BOT_ID, MockedBot, callback_update, message_update, sticker_update
from support.telegram_standin import BotApiStandIn, parse_html

USER = 1001


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)] for text, data in pairs]
    )


def buttons(markup: InlineKeyboardMarkup | None) -> list[tuple[str, str | None]]:
    """A received keyboard's (text, callback_data) pairs (received objects carry their bot, so `==` won't do)."""
    assert markup is not None
    return [(button.text, button.callback_data) for row in markup.inline_keyboard for button in row]


@pytest.fixture
async def tg() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn() as standin:
        yield standin


@pytest.fixture
async def bot(tg: BotApiStandIn) -> AsyncIterator[Bot]:
    bot = tg.make_bot()
    yield bot
    await bot.session.close()


# --- the HTTP stand-in, through aiogram's real Bot and session ---------------------------------------------------


async def test_get_me_wrong_token_and_unknown_method(tg: BotApiStandIn, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456789, True, "tierbot_test_bot")

    stranger = tg.make_bot(token="987:WRONG")
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await stranger.get_me()
    await stranger.session.close()

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{tg.base_url}/bot{tg.token}/GETME") as response:  # method names are case-insensitive
            assert (response.status, (await response.json())["result"]["id"]) == (200, 123456789)
        async with http.post(f"{tg.base_url}/bot{tg.token}/sendPigeon") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
    assert [call.method for call in tg.requests] == ["getMe", "getMe", "sendPigeon"]  # the wrong token isn't a call


async def test_send_message_round_trip_with_inline_keyboard(tg: BotApiStandIn, bot: Bot) -> None:
    tg.add_user(USER, first_name="Ada")
    sent = await bot.send_message(
        USER,
        "<b>Gold</b> tier &amp; 🎉 <i>perks</i>",
        parse_mode="HTML",
        reply_markup=keyboard(("Details", "tier:details")),
    )
    assert sent.message_id == 1
    assert sent.chat.id == USER
    assert sent.from_user is not None
    assert sent.from_user.id == bot.id
    assert sent.text == "Gold tier & 🎉 perks"  # Telegram returns the plain text and its entities
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 4), ("italic", 15, 5)]
    assert buttons(sent.reply_markup) == [("Details", "tier:details")]

    method, params = tg.requests[-1]
    assert method == "sendMessage"
    assert tg.requests[-1].content_type == "application/x-www-form-urlencoded"  # what aiogram sends without files
    assert params == {  # form fields decoded: ints are ints, the keyboard a dict
        "chat_id": USER,
        "text": "<b>Gold</b> tier &amp; 🎉 <i>perks</i>",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "Details", "callback_data": "tier:details"}]]},
    }
    assert tg.buttons(USER, 1) == [("Details", "tier:details")]
    assert [message["text"] for message in tg.messages_to(USER)] == ["Gold tier & 🎉 perks"]

    second = await bot.send_message(USER, "123")  # a numeric text stays a string
    assert (second.message_id, tg.requests[-1]["text"]) == (2, "123")

    with pytest.raises(TelegramBadRequest, match=r"can't parse entities: Unsupported start tag \"br\""):
        await bot.send_message(USER, "a<br>b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(USER + 1, "who?")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "long data", reply_markup=keyboard(("Go", "x" * 65)))
    assert len(tg.messages_to(USER)) == 2


async def test_edit_message_text(tg: BotApiStandIn, bot: Bot) -> None:
    tg.add_user(USER)
    sent = await bot.send_message(USER, "Pick one", reply_markup=keyboard(("A", "a"), ("B", "b")))

    edited = await bot.edit_message_text(
        "Picked <b>A</b>",
        chat_id=USER,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=keyboard(("B", "b")),
    )
    assert isinstance(edited, Message)
    assert (edited.message_id, edited.text, edited.edit_date is not None) == (sent.message_id, "Picked A", True)
    assert tg.buttons(USER, sent.message_id) == [("B", "b")]

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Picked <b>A</b>",
            chat_id=USER,
            message_id=sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard(("B", "b")),
        )

    await bot.edit_message_text("Done", chat_id=USER, message_id=sent.message_id)  # no reply_markup: keyboard goes
    assert tg.message(USER, sent.message_id)["text"] == "Done"
    assert "reply_markup" not in tg.message(USER, sent.message_id)

    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=99)


async def test_long_poll_returns_when_an_update_is_pushed_and_empty_after_the_timeout(
    tg: BotApiStandIn, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    pushed = tg.send_text(USER, "/start ref_42", language_code="zh-hans", first_name="Li")
    updates = await poll
    assert loop.time() - started < 1
    assert [update.update_id for update in updates] == [pushed["update_id"]]
    message = updates[0].message
    assert message is not None
    assert message.from_user is not None
    assert (message.text, message.from_user.language_code, message.chat.type) == ("/start ref_42", "zh-hans", "private")
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [("bot_command", 0, 6)]

    started = loop.time()
    assert await bot.get_updates(offset=pushed["update_id"] + 1, timeout=1) == []
    assert 0.9 < loop.time() - started < 2


async def test_get_updates_offset_confirms_and_limit(tg: BotApiStandIn, bot: Bot) -> None:
    ids = [tg.send_text(USER, "one")["update_id"], tg.send_sticker(USER)["update_id"]]
    ids.append(tg.send_text(USER, "three")["update_id"])
    assert ids == list(range(ids[0], ids[0] + 3))  # update ids are sequential

    async def polled(**kwargs: Any) -> list[int]:
        return [update.update_id for update in await bot.get_updates(**kwargs)]

    assert await polled() == ids
    assert await polled() == ids  # nothing is confirmed without an offset
    assert await polled(offset=ids[1], limit=1) == [ids[1]]  # confirms ids[0]
    assert [update["update_id"] for update in tg.pending_updates] == ids[1:]
    assert await polled(offset=-1) == [ids[2]]  # the last one; the ones before are forgotten
    assert await polled(offset=ids[2] + 1) == []
    assert tg.pending_updates == []


async def test_a_second_poller_terminates_the_first_with_409(tg: BotApiStandIn, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first
    tg.send_text(USER, "hi")
    assert len(await second) == 1


async def test_429_and_403(tg: BotApiStandIn, bot: Bot) -> None:
    tg.add_user(USER)
    tg.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "flood")
    assert caught.value.retry_after == 7
    assert tg.requests[-1].error == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }

    tg.fail_next("sendmessage", 403)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello?")
    assert (await bot.send_message(USER, "third time")).text == "third time"  # a failure is for one call

    tg.block(USER)
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError):
            await bot.send_chat_action(USER, "typing")
    tg.unblock(USER)
    assert await bot.send_chat_action(USER, "typing") is True


async def test_callback_answers_commands_menu_button_and_documents(tg: BotApiStandIn, bot: Bot) -> None:
    tg.add_user(USER)
    sent = await bot.send_message(USER, "Menu", reply_markup=keyboard(("FAQ", "faq")))
    with pytest.raises(LookupError, match="no button 'nope'"):
        tg.press_button(USER, sent.message_id, "nope")
    update = tg.press_button(USER, sent.message_id, "faq")
    query_id = update["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="Opening FAQ") is True
    assert tg.callback_answer(query_id) == {"text": "Opening FAQ"}
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)

    scope = BotCommandScopeAllPrivateChats()
    commands = [BotCommand(command="start", description="开始"), BotCommand(command="tier", description="我的等级")]
    assert await bot.set_my_commands(commands, scope=scope, language_code="zh") is True
    got = await bot.get_my_commands(scope=scope, language_code="zh")
    assert [(command.command, command.description) for command in got] == [("start", "开始"), ("tier", "我的等级")]
    assert await bot.get_my_commands() == []
    assert tg.commands(scope={"type": "all_private_chats"}, language_code="zh")[0] == {
        "command": "start",
        "description": "开始",
    }
    with pytest.raises(TelegramBadRequest, match="invalid language code specified"):
        await bot.set_my_commands(commands, language_code="zh_Hans")
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="/Start", description="x")])
    assert await bot.delete_my_commands(scope=scope, language_code="zh") is True
    assert tg.commands(scope={"type": "all_private_chats"}, language_code="zh") == []

    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands()) is True
    assert tg.menu_button() == {"type": "commands"}

    document = await bot.send_document(
        USER,
        BufferedInputFile(b"id,tier\n1,gold\n", filename="tiers.csv"),
        caption="<b>Export</b>",
        parse_mode="HTML",
        reply_markup=keyboard(("Again", "export")),
    )
    call = tg.requests[-1]
    assert call.content_type == "multipart/form-data"  # aiogram switches to multipart for files
    assert call["reply_markup"] == {"inline_keyboard": [[{"text": "Again", "callback_data": "export"}]]}
    assert document.document is not None
    assert document.document.file_name == "tiers.csv"
    assert document.caption == "Export"
    assert tg.files[document.document.file_id].data == b"id,tier\n1,gold\n"


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_send_photo_uploads_an_image_kept_in_telegram_s_sizes(tg: BotApiStandIn, bot: Bot) -> None:
    tg.add_user(USER)
    chart = _png(1000, 500)
    assert await bot.send_chat_action(USER, "upload_photo") is True
    sent = await bot.send_photo(
        USER,
        BufferedInputFile(chart, filename="chart.png"),
        caption="<b>Chen</b> · C0042",
        parse_mode="HTML",
        reply_markup=keyboard(("Card", "card")),
    )
    call = tg.requests[-1]
    assert (call.method, call.content_type) == ("sendPhoto", "multipart/form-data")
    assert call["reply_markup"] == {"inline_keyboard": [[{"text": "Card", "callback_data": "card"}]]}
    assert sent.photo is not None
    assert [(size.width, size.height) for size in sent.photo] == [(90, 45), (320, 160), (800, 400), (1000, 500)]
    assert sent.caption == "Chen · C0042"
    assert [(e.type, e.offset, e.length) for e in sent.caption_entities or []] == [("bold", 0, 4)]
    assert buttons(sent.reply_markup) == [("Card", "card")]
    largest = sent.photo[-1].file_id
    assert tg.files[largest].data == chart
    assert tg.messages_to(USER)[-1]["photo"][-1]["file_id"] == largest

    again = await bot.send_photo(USER, largest)  # sent again by its file_id, no upload: no caption, no keyboard
    assert again.photo is not None
    assert [size.file_id for size in again.photo] == [size.file_id for size in sent.photo]
    assert (again.caption, again.reply_markup) == (None, None)
    big = await bot.send_photo(USER, BufferedInputFile(_png(2000, 100), filename="wide.png"))
    assert big.photo is not None
    assert [(size.width, size.height) for size in big.photo] == [(90, 4), (320, 16), (800, 40), (1280, 64)]

    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER, BufferedInputFile(b"id,tier\n1,gold\n", filename="tiers.csv"))
    with pytest.raises(TelegramBadRequest, match="PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(USER, BufferedInputFile(_png(2100, 100), filename="thin.png"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(USER, "AgACNoSuchPhoto")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(USER, largest, caption="x" * 1025)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_photo(USER + 1, BufferedInputFile(chart, filename="chart.png"))
    assert len(tg.messages_to(USER)) == 3


async def test_json_bodies_and_query_strings(tg: BotApiStandIn) -> None:
    tg.add_user(USER)
    async with aiohttp.ClientSession() as http:
        markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
        url = f"{tg.base_url}/bot{tg.token}/sendMessage"
        async with http.post(url, json={"chat_id": USER, "text": "json", "reply_markup": markup}) as response:
            body = await response.json()
        assert body["ok"] is True
        assert body["result"]["reply_markup"] == markup
        async with http.get(url, params={"chat_id": str(USER), "text": "query"}) as response:
            assert (await response.json())["result"]["text"] == "query"
        async with http.post(url, json={"chat_id": USER}) as response:
            assert (response.status, (await response.json())["description"]) == (
                400,
                "Bad Request: message text is empty",
            )
    assert [call.http_method for call in tg.requests] == ["POST", "GET", "POST"]


def test_parse_html_as_telegram() -> None:
    assert parse_html('<a href="https://x.example/?a=1&amp;b=2">link</a> &lt;3 &#39;q&#x27; &nbsp;') == (
        "link <3 'q' &nbsp;",
        [{"type": "text_link", "offset": 0, "length": 4, "url": "https://x.example/?a=1&b=2"}],
    )
    text, entities = parse_html('🎉<b>x<i>y</i></b><pre><code class="language-python">z</code></pre>')
    assert text == "🎉xyz"
    assert entities == [
        {"type": "bold", "offset": 2, "length": 2},  # offsets count UTF-16 code units: 🎉 is two
        {"type": "italic", "offset": 3, "length": 1},
        {"type": "pre", "offset": 4, "length": 1, "language": "python"},
    ]
    for html, reason in [
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ]:
        with pytest.raises(ValueError, match="^" + reason.replace("(", r"\(")):
            parse_html(html)


async def test_a_dispatcher_polling_the_standin_echoes_and_answers_buttons(tg: BotApiStandIn, bot: Bot) -> None:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"welcome, {command.args}")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(
            f"echo: <b>{message.text}</b>", parse_mode="HTML", reply_markup=keyboard(("Again", "again"))
        )

    @router.callback_query(F.data == "again")
    async def again(callback: CallbackQuery) -> None:
        await callback.answer("pressed")
        assert isinstance(callback.message, Message)
        await callback.message.edit_text("pressed once")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=5))
    try:
        tg.send_text(USER, "/start invite_7")
        assert (await tg.wait_for("sendMessage", chat_id=USER))["text"] == "welcome, invite_7"

        tg.send_text(USER, "hello")
        reply = await tg.wait_for("sendMessage", chat_id=USER)
        assert reply["text"] == "echo: <b>hello</b>"
        assert reply.result["text"] == "echo: hello"

        tg.press_button(USER, reply.result["message_id"], "again")
        await tg.wait_for("answerCallbackQuery", text="pressed")
        edit = await tg.wait_for("editMessageText", message_id=reply.result["message_id"])
        assert edit.ok
        assert edit.result["text"] == "pressed once"
        assert "reply_markup" not in tg.message(USER, reply.result["message_id"])

        tg.send_sticker(USER)
        await tg.assert_no_call("sendMessage", within=0.2)
    finally:
        await dispatcher.stop_polling()
        await polling

    get_updates = tg.calls("getUpdates")[0]
    assert sorted(get_updates["allowed_updates"]) == ["callback_query", "message"]  # resolved from the handlers
    assert get_updates["timeout"] == 5
    assert tg.calls("getMe")  # start_polling asks who it is first


# --- the recording session ---------------------------------------------------------------------------------------


async def test_mocked_bot_with_a_router_and_feed_update() -> None:
    bot = MockedBot()
    router = Router()
    seen: dict[str, Any] = {}

    @router.message(Command("tier"))
    async def tier(message: Message) -> None:
        seen["language"] = message.from_user.language_code if message.from_user else None
        sent = await message.answer("Gold", reply_markup=keyboard(("Why?", "why")))
        seen["sent"] = sent

    @router.callback_query(F.data == "why")
    async def why(callback: CallbackQuery) -> None:
        await callback.answer()
        assert isinstance(callback.message, Message)
        edited = await callback.message.edit_text("Because", reply_markup=keyboard(("Back", "back")))
        seen["edited"] = edited

    dispatcher = Dispatcher()
    dispatcher.include_router(router)

    await dispatcher.feed_update(bot, message_update(USER, "/tier", language_code="zh-hans"))
    await dispatcher.feed_update(bot, callback_update(USER, "why", message_id=seen["sent"].message_id, text="Gold"))
    sent, edited = seen["sent"], seen["edited"]
    assert seen["language"] == "zh-hans"
    assert isinstance(sent, Message)
    assert sent.bot is bot
    assert (sent.chat.id, sent.text, sent.from_user.id if sent.from_user else None) == (USER, "Gold", BOT_ID)
    assert buttons(sent.reply_markup) == [("Why?", "why")]
    assert isinstance(edited, Message)
    assert edited.message_id == sent.message_id
    assert buttons(edited.reply_markup) == [("Back", "back")]
    assert bot.session.texts() == ["Gold", "Because"]
    assert [type(request) for request in bot.session.requests] == [SendMessage, AnswerCallbackQuery, EditMessageText]
    assert bot.session.sent(SendMessage)[0].chat_id == USER

    assert (await bot.send_message(USER, "next")).message_id == sent.message_id + 1
    assert await bot.me() == await bot.get_me()

    bot.session.clear()
    assert await dispatcher.feed_update(bot, sticker_update(USER)) is UNHANDLED  # no handler, no request
    assert bot.session.requests == []


async def test_mocked_bot_queued_answers_and_errors() -> None:
    bot = MockedBot()
    bot.session.queue_api_error(403, method=SendMessage)
    assert await bot.answer_callback_query("1") is True  # the error waits for a SendMessage
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hi")

    bot.session.queue_api_error(429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "hi")
    assert caught.value.retry_after == 3

    bot.session.queue_api_error(400, "Bad Request: message to edit not found")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=5)

    bot.session.queue_error(TimeoutError("slow"))
    with pytest.raises(TimeoutError):
        await bot.get_me()

    queued = message_update(USER, "x").message
    assert queued is not None
    bot.session.queue(queued)
    got = await bot.send_message(USER, "anything")
    assert (got.message_id, got.text, got.bot) == (queued.message_id, "x", bot)

    with pytest.raises(LookupError, match="queue"):
        await bot.get_chat(USER)


async def test_mocked_bot_parses_html_as_telegram() -> None:
    bot = MockedBot(default=DefaultBotProperties(parse_mode="HTML"))
    sent = await bot.send_message(USER, "<b>Gold</b> &amp; more")
    assert sent.text == "Gold & more"
    assert [(e.type, e.offset, e.length) for e in sent.entities or []] == [("bold", 0, 4)]
    with pytest.raises(TelegramBadRequest, match=r"can't parse entities: Unsupported start tag \"\" at byte offset 2"):
        await bot.send_message(USER, "1 < 2")
    assert (await bot.send_message(USER, "1 < 2", parse_mode=None)).text == "1 < 2"
    assert bot.session.texts() == ["<b>Gold</b> &amp; more", "1 < 2", "1 < 2"]  # as sent


async def test_mocked_bot_sends_photos() -> None:
    bot = MockedBot(default=DefaultBotProperties(parse_mode="HTML"))
    sent = await bot.send_photo(USER, BufferedInputFile(_png(1000, 500), filename="chart.png"),
                                caption="<b>Chen</b> · C0042", reply_markup=keyboard(("Card", "card")))
    assert sent.photo is not None
    assert [(size.width, size.height) for size in sent.photo] == [(1000, 500)]
    assert (sent.caption, sent.text) == ("Chen · C0042", None)
    assert [(e.type, e.offset, e.length) for e in sent.caption_entities or []] == [("bold", 0, 4)]
    assert buttons(sent.reply_markup) == [("Card", "card")]
    again = await bot.send_photo(USER, sent.photo[-1].file_id)
    assert again.photo is not None
    assert (again.message_id, again.photo[-1].file_id, again.caption) == (2, sent.photo[-1].file_id, None)
    assert [request.chat_id for request in bot.session.sent(SendPhoto)] == [USER, USER]
    assert bot.session.texts() == []  # captions are no texts

    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(USER, BufferedInputFile(b"not an image", filename="x.png"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(USER, "AgACNoSuchPhoto")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(USER, sent.photo[-1].file_id, caption="x" * 1025)
