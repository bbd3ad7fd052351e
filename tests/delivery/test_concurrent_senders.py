"""Several senders on one PostgreSQL database: each row is claimed by one of them only (FOR UPDATE SKIP LOCKED), so
however they race, every message goes once."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from outbox_firm import Outbox

from bot.db.models import OutboxStatus

pytestmark = pytest.mark.db

MESSAGES = 150


async def test_two_senders_on_postgresql_never_send_one_row_twice(firm: Outbox) -> None:
    if firm.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one sender (docs/delivery.md); set TIERBOT_TEST_POSTGRES_URL")
    users = [await firm.adviser() for _ in range(MESSAGES)]
    for n, user in enumerate(users):
        await firm.queue(user, n)
    firm.standin.latency = 0.01

    # Each claims a few rows at a time, as fast as it may: their claims interleave all along.
    tallies = await asyncio.gather(*(firm.sender(rate=400.0, concurrency=4).run(once=True) for _ in range(2)))

    assert sum(tally.sent for tally in tallies) == MESSAGES
    assert all(tally.sent for tally in tallies)  # both took part
    delivered = Counter(call["chat_id"] for call in firm.standin.calls("sendMessage"))
    assert delivered == Counter(users)  # one message to each chat, never two
    assert {row.status for row in (await firm.rows()).values()} == {OutboxStatus.SENT}
