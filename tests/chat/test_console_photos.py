"""`tierbot console`: a photo the bot sends is saved to a file and shown as a line with its path, in the console's
language, then its caption and its buttons; a photo sent again by its file_id is the same file."""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncEngine
from support.scored_clients import READS_ENGLISH, ScoredClients

from bot.i18n import Catalogs
from bot.runtime import ConsoleSession, console_chat

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

CONSOLE_CHAT = Chat(id=1 << 60, type="private")


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _photo_bot() -> Dispatcher:
    """A bot that answers "chart" with a photo, its caption and a button, "again" with the same photo by file_id,
    and anything else with a line of text."""
    router = Router()
    sent: list[Message] = []

    @router.message()
    async def answer(message: Message) -> None:
        if message.text == "chart":
            markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Card", callback_data="c")]])
            sent.append(await message.answer_photo(BufferedInputFile(_png(1000, 500), filename="chart.png"),
                                                   caption="<b>C0042</b> this month", reply_markup=markup))
        elif message.text == "again":
            assert sent[-1].photo is not None
            await message.answer_photo(sent[-1].photo[-1].file_id)
        else:
            await message.answer("Hello")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


async def _console(engine: AsyncEngine, client_id: str, typed: list[str], locale: str) -> list[str]:
    shown: list[str] = []
    lines = iter(typed)
    with Catalogs(locale).activated():
        await console_chat(engine, _photo_bot(), client_id, read=lambda: next(lines, None), show=shown.append)
    return shown


async def test_a_photo_is_saved_and_shown_as_its_path_in_the_console_s_language(
    scored_engine: AsyncEngine, clients: ScoredClients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the system's temporary folder, for this test
    client_id = await clients.take(READS_ENGLISH, tier="ordinary")
    shown = await _console(scored_engine, client_id, ["chart", "again"], "en")
    pictures = [line for line in shown if line.startswith("🖼")]
    assert len(pictures) == 2
    match = re.fullmatch(r"🖼 Picture: (.+)", pictures[0])
    assert match is not None
    path = Path(match.group(1))
    assert (path.parent.parent, path.parent.name.startswith("tierbot-console-"), path.name) == (tmp_path, True,
                                                                                                "1-chart.png")
    with Image.open(path) as image:
        assert (image.format, image.size) == ("PNG", (1000, 500))
    assert shown[shown.index(pictures[0]) + 1:shown.index(pictures[0]) + 3] == ["C0042 this month", "  [1] Card"]
    assert pictures[1] == pictures[0]  # sent again by its file_id: the same file, no caption, no buttons
    assert shown[-1] == pictures[1]

    chinese = await _console(scored_engine, client_id, ["chart"], "zh_Hans")
    assert next(line for line in chinese if line.startswith("🖼")).startswith("🖼 图片：")


async def test_a_file_id_the_console_never_gave_is_refused_as_telegram_refuses_it(tmp_path: Path) -> None:
    shown: list[str] = []
    bot = Bot("1:console", session=ConsoleSession(CONSOLE_CHAT, shown.append, photo_folder=tmp_path))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(CONSOLE_CHAT.id, "AgACAgIAAxkBAAIBfromTelegram")
    sent = await bot.send_photo(CONSOLE_CHAT.id, BufferedInputFile(_png(320, 160), filename="../../x.png"))
    assert sent.photo is not None
    assert [(size.width, size.height) for size in sent.photo] == [(320, 160)]
    assert _names(tmp_path) == ["1-x.png"]  # the upload's name, never its folders
    assert shown == [f"🖼 Picture: {tmp_path / '1-x.png'}"]
