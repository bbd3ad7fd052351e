"""What the adviser's workspace refuses: another adviser's client by id, by name, by a forged button and through the
book, all with the sentence an id of nobody gets; an adviser who has left the firm; a client; an account linked to
nobody."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from aiogram.methods import AnswerCallbackQuery, SetMyCommands
from markupsafe import escape
from sqlalchemy import func, select, update
from support.chat import Chat, new_user_id
from support.scored_clients import ADVISER_READS_ENGLISH, READS_ENGLISH, ScoredClients

from bot.db.models import Adviser, AuditEntry, Client, Role

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

DEPARTED = ("Your access to the firm's clients ended when you left the firm on Nov 1, 2026. If you still need it, "
            "please ask the firm's tierbot administrator.")


async def _audit_entries(chat: Chat) -> int:
    async with chat.engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(AuditEntry))).scalar_one()


async def _adviser_and_someone_else_s(chat: Chat, clients: ScoredClients) -> tuple[int, str, str]:
    """An adviser reading English, a client of theirs, and a client of another adviser."""
    own = await clients.take(ADVISER_READS_ENGLISH, Client.adviser_id.is_not(None), tier="mid")
    _name, adviser_id = await chat.client_row(own)
    assert adviser_id is not None
    other = await clients.take(Client.adviser_id != adviser_id, Client.adviser_id.is_not(None))
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()["English"])
    return user_id, own, other


async def test_another_adviser_s_client_is_no_client_at_all(chat: Chat, clients: ScoredClients) -> None:
    user_id, _own, other = await _adviser_and_someone_else_s(chat, clients)
    name = (await chat.client_row(other))[0]
    nobody = "C99999"

    (by_id,) = await chat.send(user_id, f"/client {other}")
    (no_such_id,) = await chat.send(user_id, f"/client {nobody}")
    assert by_id == f"No client of yours matches “{other}”."
    assert no_such_id == f"No client of yours matches “{nobody}”."

    (pressed,) = await chat.press(user_id, f"sum:{other}")  # a forged summary button
    (pressed_nobody,) = await chat.press(user_id, f"sum:{nobody}")
    assert pressed == by_id
    assert pressed_nobody == no_such_id

    async with chat.engine.connect() as connection:
        own_names = (await connection.execute(select(Client.name).where(
            Client.adviser_id == (select(Client.adviser_id).where(Client.client_id == _own).scalar_subquery()))
        )).scalars().all()
    if not any(name in own for own in own_names):  # the name reaches no client of their own
        (by_name,) = await chat.send(user_id, f"/client {name}")
        assert by_name == f"No client of yours matches “{escape(name)}”."
    for text in (by_id, pressed):
        assert escape(name) not in text
        assert "CN¥" not in text

    async with chat.engine.connect() as connection:
        refused = (await connection.execute(select(AuditEntry.client_id, AuditEntry.details).where(
            AuditEntry.action == "client.view_refused", AuditEntry.actor == f"tg:{user_id}"))).all()
    assert (other, {"role": "adviser", "refusal": "not_allowed", "because": "not_assigned"}) in refused
    assert (None, {"role": "adviser", "refusal": "not_allowed", "because": "no_such_client"}) in refused


async def test_a_search_lists_none_of_another_adviser_s_clients(chat: Chat, clients: ScoredClients) -> None:
    user_id, own, _other = await _adviser_and_someone_else_s(chat, clients)
    _name, adviser_id = await chat.client_row(own)
    async with chat.engine.connect() as connection:
        names = (await connection.execute(select(Client.name))).scalars().all()
        surname, count = Counter(name[0] for name in names).most_common(1)[0]
        theirs = set((await connection.execute(select(Client.client_id).where(
            Client.adviser_id == adviser_id, Client.name.like(f"%{surname}%")))).scalars().all())
    assert count > len(theirs)  # the firm has more of them than the adviser's book
    texts = await chat.send(user_id, f"/client {surname}")
    if len(theirs) > 1:
        listed = {data.removeprefix("sum:") for data in chat.buttons().values()}
        assert listed <= theirs
        assert len(listed) == min(len(theirs), 20)
    else:
        assert len(texts) == 1


async def test_an_adviser_who_left_is_told_their_access_ended(chat: Chat, clients: ScoredClients) -> None:
    user_id, own, _other = await _adviser_and_someone_else_s(chat, clients)
    _name, adviser_id = await chat.client_row(own)
    (book,) = await chat.send(user_id, "/clients")
    assert "<b>Your clients</b>" in book  # while with the firm
    async with chat.engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(
            left_on=date(2026, 11, 1)))
    try:
        told = ("Your access to the firm's clients ended when you left the firm on Nov 1, 2026. If you still need "
                "it, please ask the firm's tierbot administrator.")
        for command in ("/clients", f"/client {own}", "/client chen", f"/tier {own}"):
            assert await chat.send(user_id, command) == [told], command
        for button in (f"sum:{own}", "book:all::value:1:", "bookm:value:", f"tier:card:{own}", f"tier:dims:{own}"):
            assert await chat.press(user_id, button) == [told], button
        (text,) = await chat.send(user_id, f"/client {own}", language_code="zh-hans")
        assert text == told  # the language they chose, as ever
        await chat.send(user_id, "/language")
        await chat.press(user_id, chat.buttons()["简体中文"])
        (in_chinese,) = await chat.send(user_id, "/clients")
        assert in_chinese == ("您已于 2026年11月1日 离职，查看本机构客户的权限已随之终止。"
                              "如仍需访问，请联系本机构的 tierbot 管理员。")
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(left_on=None))


async def test_an_adviser_who_left_is_refused_everything_of_the_firm_s_clients_and_keeps_the_rest(
    chat: Chat, clients: ScoredClients
) -> None:
    user_id, own, _other = await _adviser_and_someone_else_s(chat, clients)
    _name, adviser_id = await chat.client_row(own)
    async with chat.engine.begin() as connection:
        await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(
            left_on=date(2026, 11, 1)))
    try:
        before = await _audit_entries(chat)
        for command in ("/stats", f"/audit {own}", "/tier", "/client"):
            assert await chat.send(user_id, command) == [DEPARTED], command
        # Any button of a staff view, as sent before the departure or forged, well formed or not.
        for button in (f"audit:{own}:0:99", "audit:garbage", "book:garbage", "bookm:", "sum:", "tier:bogus",
                       f"tier:gap:{own}", f"tier:recs:{own}", "book:changed::aum:0:"):
            assert await chat.press(user_id, button) == [DEPARTED], button
        # The FAQ's answers about what their account may see, typed or pressed.
        assert await chat.send(user_id, "Which tier am I in?") == [DEPARTED]
        for entry in ("my_tier", "contact_adviser"):
            (answer,) = await chat.press(user_id, f"faq:{entry}")
            assert answer == DEPARTED, entry
        (general,) = await chat.press(user_id, "faq:what_is_tiering")  # the rest of the FAQ, as for anyone
        assert "<b>Client tiering</b>" in general
        assert await _audit_entries(chat) == before  # nothing of any client was looked up

        (help_text,) = await chat.send(user_id, "/help")
        for command in ("/clients", "/client ", "/tier", "/stats", "/audit"):
            assert command not in help_text, command
        for command in ("/faq", "/language", "/settings", "/help"):
            assert f"{command} — " in help_text, command
        assert help_text.endswith(DEPARTED)
        (settings,) = await chat.send(user_id, "/settings")
        assert "Language: English" in settings

        chat.bot.session.clear()
        await chat.send(user_id, "/clients")  # the menu their chat had as staff goes with the first refusal
        (menu,) = chat.bot.session.sent(SetMyCommands)
        assert [c.command for c in menu.commands] == ["faq", "language", "settings", "help"]
        await chat.send(user_id, "/language")
        await chat.press(user_id, chat.buttons()["简体中文"])
        (menu,) = chat.bot.session.sent(SetMyCommands)
        assert [c.command for c in menu.commands] == ["faq", "language", "settings", "help"]
        assert menu.commands[0].description == "常见问题"
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(left_on=None))


async def test_a_client_is_told_these_commands_are_for_advisers(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(READS_ENGLISH, tier="mid")
    other = await clients.take(tier="mid")
    user_id = await chat.bind(Role.CLIENT, client_id)
    told = "/clients and /client are for the firm's advisers. To see your own tier, send /tier."
    for command in ("/clients", f"/client {other}", f"/client {client_id}", "/client"):
        assert await chat.send(user_id, command) == [told], command
    for button in (f"sum:{other}", f"sum:{client_id}", "book:all::value:0:", "bookm:value:"):
        (text,) = await chat.press(user_id, button)
        assert text == told, button
    (in_chinese,) = await chat.send(user_id, "/clients", language_code="zh-hans")
    assert in_chinese == told  # the record reads English
    chinese = await chat.bind(Role.CLIENT, await clients.take(Client.locale == "zh_Hans", tier="mid"))
    (text,) = await chat.send(chinese, "/clients", language_code="zh-hans")
    assert text == "/clients 和 /client 仅供本机构客户经理使用。查看您本人的等级，请发送 /tier。"


async def test_an_account_linked_to_nobody_is_told_it_is_not_linked(chat: Chat, clients: ScoredClients) -> None:
    other = await clients.take(tier="mid")
    stranger = new_user_id()
    for command in ("/clients", f"/client {other}", "/client chen"):
        (text,) = await chat.send(stranger, command)
        assert "not linked" in text, command
        assert "CN¥" not in text
    for button in (f"sum:{other}", "book:all::value:0:", "bookm:value:"):
        (text,) = await chat.press(stranger, button)
        assert "not linked" in text, button
    (in_chinese,) = await chat.send(new_user_id(), "/clients", language_code="zh-hans")
    assert "尚未关联" in in_chinese


async def test_a_forged_page_of_another_adviser_s_book_shows_nothing(chat: Chat, clients: ScoredClients) -> None:
    user_id, _own, other = await _adviser_and_someone_else_s(chat, clients)
    _name, other_adviser = await chat.client_row(other)
    for page in (0, 1):
        assert await chat.press(user_id, f"book:all::value:{page}:{other_adviser}") == []
        (answered,) = chat.bot.session.sent(AnswerCallbackQuery)
        assert answered.text == "This button is no longer valid. Send /help to start again."
