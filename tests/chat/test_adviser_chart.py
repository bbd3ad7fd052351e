"""The summary's chart: a PNG photo sent with the summary, above it, drawn once per client, figures and language."""

from __future__ import annotations

from collections.abc import Iterator

import noto_cjk_sans_otc
import pytest
from aiogram.methods import SendChatAction, SendPhoto
from aiogram.types import BufferedInputFile
from matplotlib import font_manager
from support.chat import Chat
from support.scored_clients import ADVISER_READS_ENGLISH, ScoredClients

from bot.db.models import Client, Role
from bot.workspace import charts

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def cjk_font() -> Iterator[None]:
    """A CJK font for Chinese labels, whatever ran before: the system's, else the one the test extras install (as in
    tests/workspace/test_charts.py); without one a Chinese reader's chart is drawn with English labels."""
    charts.cjk_font_family.cache_clear()
    if charts._find_cjk_family() is None:
        font_manager.fontManager.addfont(str(noto_cjk_sans_otc.FONT_PATH))
    yield
    charts.cjk_font_family.cache_clear()


def _photos(chat: Chat) -> list[bytes]:
    photos = []
    for request in chat.bot.session.requests:
        if isinstance(request, SendPhoto):
            assert isinstance(request.photo, BufferedInputFile)
            photos.append(request.photo.data)
    return photos


def _actions(chat: Chat) -> list[str]:
    return [str(r.action) for r in chat.bot.session.requests if isinstance(r, SendChatAction)]


async def test_the_summary_comes_with_its_chart_drawn_once(chat: Chat, clients: ScoredClients,
                                                           monkeypatch: pytest.MonkeyPatch, cjk_font: None) -> None:
    client_id = await clients.take(ADVISER_READS_ENGLISH, tier="mid")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    drawn: list[str] = []
    draw = charts._render
    monkeypatch.setattr(charts, "_render", lambda *args: drawn.append(args[-1]) or draw(*args))

    (text,) = await chat.send(user_id, f"/client {client_id}")
    (png,) = _photos(chat)
    assert png.startswith(PNG_SIGNATURE)
    assert drawn == ["en"]
    assert "upload_photo" in _actions(chat)  # "sending a photo…" while it is drawn
    order = [type(r).__name__ for r in chat.bot.session.requests if type(r).__name__ in ("SendPhoto", "SendMessage")]
    assert order == ["SendPhoto", "SendMessage"]  # the chart above the summary and its button
    assert client_id in text

    await chat.send(user_id, f"/client {client_id}")
    assert _photos(chat) == [png]
    assert drawn == ["en"]  # the second view: no drawing, and no "sending a photo…"
    assert "upload_photo" not in _actions(chat)

    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()["简体中文"])
    await chat.send(user_id, f"/client {client_id}")
    (chinese,) = _photos(chat)
    assert drawn == ["en", "zh_Hans"]
    assert chinese != png  # the labels in the reader's language


async def test_a_refused_summary_sends_no_chart(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(ADVISER_READS_ENGLISH, tier="mid")
    _name, adviser_id = await chat.client_row(client_id)
    assert adviser_id is not None
    other = await clients.take(Client.adviser_id != adviser_id, tier="mid")  # another adviser's client
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    await chat.send(user_id, f"/client {other}")
    assert _photos(chat) == []
