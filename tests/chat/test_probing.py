"""Probing leaves a trace: a staff member's refused look-up of a client (another adviser's, or an id no client has)
is written to the audit log as a refusal, ids only, so that an admin sees an adviser trying ids. The person is told
no more than before."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import select, update
from support.chat import Chat
from support.scored_clients import ScoredClients

from bot.db.models import Adviser, AuditEntry, Client, Role

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]


async def _entries(chat: Chat, user_id: int) -> list[tuple[str, str | None, dict[str, Any] | None]]:
    async with chat.engine.connect() as connection:
        rows = (await connection.execute(
            select(AuditEntry.action, AuditEntry.client_id, AuditEntry.details)
            .where(AuditEntry.actor == f"tg:{user_id}").order_by(AuditEntry.id))).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _refused(because: str) -> dict[str, str]:
    return {"role": "adviser", "refusal": "not_allowed", "because": because}


async def test_an_adviser_probing_ids_is_audited_with_ids_only(chat: Chat, clients: ScoredClients) -> None:
    own = await clients.take(Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(own)
    assert adviser_id is not None
    someone_else_s = await clients.take(Client.adviser_id != adviser_id, tier="ordinary")
    name = (await chat.client_row(someone_else_s))[0]
    user_id = await chat.bind(Role.ADVISER, adviser_id)

    (text,) = await chat.send(user_id, f"/tier {someone_else_s}")
    (unknown,) = await chat.send(user_id, "/tier C99999")
    assert unknown == text  # told the same: "no such client" and "not yours" cannot be told apart
    assert escape(name) not in text
    await chat.press(user_id, f"tier:recs:{someone_else_s}")  # a forged button is a look-up too
    await chat.send(user_id, f"/tier {name}")  # what names no client is not kept: a name,
    await chat.send(user_id, "/tier 13812345678")  # or a phone number typed by mistake
    await chat.send(user_id, f"/tier {own}")

    entries = await _entries(chat, user_id)
    assert entries[0][0] == "account.bind"
    assert entries[1:] == [
        ("client.view_refused", someone_else_s, _refused("not_assigned")),
        ("client.view_refused", None, _refused("no_such_client")),
        ("client.view_refused", someone_else_s, _refused("not_assigned")),
        ("client.view_refused", None, _refused("no_such_client")),
        ("client.view_refused", None, _refused("no_such_client")),
        ("client.view", own, {"role": "adviser"}),
    ]


async def test_an_admin_asking_for_an_unknown_id_is_audited(chat: Chat, clients: ScoredClients) -> None:
    user_id = await chat.bind(Role.ADMIN, None)
    known = await clients.take(tier="ordinary")
    (text,) = await chat.send(user_id, "/tier C99998")
    assert text == "There is no client with that id."
    await chat.send(user_id, f"/tier {known}")
    entries = await _entries(chat, user_id)
    assert entries[0][0] == "account.bind"
    assert entries[1:] == [
        ("client.view_refused", None, {"role": "admin", "refusal": "not_allowed", "because": "no_such_client"}),
        ("client.view", known, {"role": "admin"}),
    ]


async def test_a_client_s_own_refusals_are_not_audited(chat: Chat, clients: ScoredClients) -> None:
    user_id = await chat.bind(Role.CLIENT, await clients.take(tier="ordinary"))
    await chat.send(user_id, f"/tier {await clients.take(tier='ordinary')}")
    await chat.send(user_id, "/tier C99997")
    assert [action for action, _client, _details in await _entries(chat, user_id)] == ["account.bind"]


async def test_an_adviser_is_shown_how_to_look_up_with_one_of_their_own_clients(
    chat: Chat, clients: ScoredClients
) -> None:
    own = await clients.take(Client.adviser_id.is_not(None), tier="ordinary")
    _name, adviser_id = await chat.client_row(own)
    async with chat.engine.connect() as connection:
        first = await connection.scalar(
            select(Client.client_id).where(Client.adviser_id == adviser_id).order_by(Client.client_id).limit(1))
    user_id = await chat.bind(Role.ADVISER, adviser_id)
    await chat.send(user_id, "/language")
    await chat.press(user_id, chat.buttons()["English"])

    (help_text,) = await chat.send(user_id, "/help")
    assert f"/tier {first} — the tier card of a client you look after" in help_text
    (refused,) = await chat.send(user_id, "/tier C99999")
    assert refused.endswith(f"Send /tier followed by one of your clients' ids, for example /tier {first}.")

    async with chat.engine.begin() as connection:  # once they have left, no client is theirs to show
        await connection.execute(
            update(Adviser).where(Adviser.adviser_id == adviser_id).values(left_on=date(2026, 1, 1)))
    try:
        (help_text,) = await chat.send(user_id, "/help")
        (refused,) = await chat.send(user_id, f"/tier {first}")
    finally:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(left_on=None))
    assert "/tier" not in help_text  # nothing they would be refused, and no client of the firm as an example
    assert first not in help_text
    assert refused == ("Your access to the firm's clients ended when you left the firm on Jan 1, 2026. If you still "
                       "need it, please ask the firm's tierbot administrator.")
