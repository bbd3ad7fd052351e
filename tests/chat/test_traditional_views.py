"""A client and an adviser whose Telegram speaks zh-HK read every view in Traditional Chinese: the test walks every
command and every button it meets, breadth first, and fails on a Simplified-only character or an English sentence
anywhere in a text or a button (people's names excepted: they are the firm's data, as it wrote them; products are
named in Traditional characters)."""

from __future__ import annotations

import re
from collections import deque

import pytest
from sqlalchemy import select, update
from support.chat import Chat
from support.hant import simplified_only
from support.scored_clients import ScoredClients

from bot.db.models import Adviser, Balance, Client, Role

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

LANGUAGE = "zh-hk"
# Commands and what a person types, then every button they lead to.
CLIENT_STEPS = ("/start", "/tier", "/help", "/faq", "/settings", "/language", "/unsubscribe", "/subscribe",
                "我想問下點樣先可以升級", "我嘅客戶經理係邊個", "hello", "/nonsense", "📊 我的等級")
ADVISER_STEPS = ("/start", "/help", "/clients", "/settings", "/language", "/nonsense")
# Buttons that leave the language being checked, or that say each language's name in itself by design.
SKIPPED_PREFIXES = ("lang:",)
MAX_PRESSES = 120
_TAG = re.compile(r"<[^>]+>")
# English words in a row: three or more make a sentence (ids, codes, /commands and single terms do not).
_ENGLISH = re.compile(r"[A-Za-z][A-Za-z'’]+(?:[ ,;:-]+[A-Za-z][A-Za-z'’]+){2,}")
_COMMAND = re.compile(r"/[a-z_]+(?:\s+[A-Za-z0-9_.-]+)?")


# The language picker asks in English too, for a reader who cannot read the language they are in.
BILINGUAL = ("Choose your language",)


def _faults(text: str, names: list[str]) -> list[str]:
    plain = _TAG.sub("", text)
    for name in (*names, *BILINGUAL):
        plain = plain.replace(name, "")
    plain = _COMMAND.sub("", plain)
    return [*simplified_only(plain), *_ENGLISH.findall(plain)]


async def _walk(chat: Chat, user_id: int, steps: tuple[str, ...], names: list[str]) -> dict[str, list[str]]:
    """Every text and button label reached from `steps`, with what is wrong in each (none, when all is well)."""
    faults: dict[str, list[str]] = {}
    seen: set[str] = set()
    queue: deque[str] = deque()

    def read(texts: list[str], where: str) -> None:
        for text in texts:
            if found := _faults(text, names):
                faults[f"{where}: {text[:80]!r}"] = found
        markup = chat.last_keyboard()
        rows = getattr(markup, "inline_keyboard", None) or getattr(markup, "keyboard", None) or []
        for row in rows:
            for button in row:
                data = getattr(button, "callback_data", None)
                if data is not None and data.startswith(SKIPPED_PREFIXES):
                    continue
                if found := _faults(button.text, names):
                    faults[f"{where}: button {button.text!r}"] = found
                if data is not None and data not in seen:
                    seen.add(data)
                    queue.append(data)

    for step in steps:
        read(await chat.send(user_id, step, language_code=LANGUAGE), step)
    presses = 0
    while queue and presses < MAX_PRESSES:
        data = queue.popleft()
        presses += 1
        read(await chat.press(user_id, data, language_code=LANGUAGE), data)
    assert presses > 10, "the walk met too few buttons to have seen the views"
    return faults


async def _names(chat: Chat) -> list[str]:
    """Every person's name, which the views quote as the firm wrote them."""
    async with chat.engine.connect() as connection:
        people = (await connection.execute(select(Client.name).union(select(Adviser.name)))).scalars().all()
    return sorted(set(people), key=len, reverse=True)


async def _unset_locale(chat: Chat, client_id: str) -> str:
    """The client's and their adviser's records name no language, so Telegram's zh-HK decides."""
    async with chat.engine.begin() as connection:
        adviser_id = (await connection.execute(
            select(Client.adviser_id).where(Client.client_id == client_id))).scalar_one()
        await connection.execute(update(Client).where(Client.client_id == client_id).values(locale=None))
        await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(locale=None))
    return adviser_id


async def test_a_client_and_their_adviser_read_every_view_in_traditional_chinese(
    chat: Chat, clients: ScoredClients
) -> None:
    # An international client in Hong Kong, holding Hong Kong dollars, in a tier with one above it.
    abroad = select(Balance.client_id).where(Balance.currency == "HKD")
    client_id = await clients.take(Client.locale == "zh_Hant", Client.timezone == "Asia/Hong_Kong",
                                   Client.client_id.in_(abroad), tier="mid")
    adviser_id = await _unset_locale(chat, client_id)
    names = await _names(chat)

    user_id = await chat.bind(Role.CLIENT, client_id, language_code=LANGUAGE)
    (card,) = await chat.send(user_id, "/tier", language_code=LANGUAGE)
    assert "等級：中端客戶" in card
    assert "按貨幣（您最近一期對帳單）：" in card
    assert "HK$" in card
    client_faults = await _walk(chat, user_id, CLIENT_STEPS, names)

    adviser = await chat.bind(Role.ADVISER, adviser_id, language_code=LANGUAGE)
    adviser_faults = await _walk(chat, adviser, (*ADVISER_STEPS, f"/client {client_id}", f"/tier {client_id}"), names)
    assert (client_faults, adviser_faults) == ({}, {})
