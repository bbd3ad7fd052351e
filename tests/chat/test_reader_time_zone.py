"""Dates and times a person reads are on their own clock: the time zone of their record, else the firm's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select, update
from support.chat import Chat
from support.scored_clients import ADVISER_READS_ENGLISH, ScoredClients

from bot.db.models import Adviser, Client, Interaction, Role

pytestmark = [pytest.mark.db, pytest.mark.asyncio(loop_scope="session")]

# Half past five on 31 October in London is half past one on 1 November in Hong Kong.
LATE = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)


async def test_an_adviser_reads_a_clients_contacts_on_their_own_clock(chat: Chat, clients: ScoredClients) -> None:
    client_id = await clients.take(ADVISER_READS_ENGLISH)
    async with chat.engine.begin() as connection:
        adviser_id = (await connection.execute(
            select(Client.adviser_id).where(Client.client_id == client_id))).scalar_one()
        await connection.execute(insert(Interaction).values(client_id=client_id, at=LATE, channel="wechat",
                                                            kind="consultation"))
    user_id = await chat.bind(Role.ADVISER, adviser_id)

    async def latest_contact(zone: str | None) -> str:
        async with chat.engine.begin() as connection:
            await connection.execute(update(Adviser).where(Adviser.adviser_id == adviser_id).values(timezone=zone))
        (summary,) = await chat.send(user_id, f"/client {client_id}")
        return summary.split("<b>Last contacts</b>\n", 1)[1].split("\n", 1)[0]

    assert (await latest_contact("Asia/Hong_Kong")).startswith("• Nov 1, 2026 · ")
    assert (await latest_contact("Europe/London")).startswith("• Oct 31, 2026 · ")
    # No zone of their own: the firm's (TIERBOT_TIMEZONE, Asia/Shanghai by default), where it is 1 November too.
    assert (await latest_contact(None)).startswith("• Nov 1, 2026 · ")
