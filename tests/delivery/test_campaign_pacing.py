"""A campaign's messages through the sender: a pause holds them, even those already claimed and waiting for their
turn, while other pushes go on; a resume sends the rest, each once; a sender killed mid-campaign (SIGKILL) and
started again loses nothing and doubles nothing: every row ends sent once, or unknown (claimed by the dead sender,
perhaps delivered), never sent twice.

The campaign's rows are written as a start writes them (one outbox row per recipient, the campaign's id on it, kind
rendered here by the tests' renderer); its pause and resume are the status the campaign commands set.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from outbox_firm import Outbox
from outbox_notes import WITH_NOTES
from sqlalchemy import insert, update
from support.paths import REPOSITORY
from support.telegram_standin import eventually

from bot.db.models import Campaign, CampaignKind, CampaignStatus, OutboxStatus
from bot.delivery import Outgoing, enqueue

pytestmark = pytest.mark.db

HERE = Path(__file__).parent


async def _campaign(firm: Outbox, users: list[int]) -> tuple[int, list[int]]:
    """A running campaign to `users`, one outbox row each: its id and the rows' ids, in the order of `users`."""
    now = datetime.now(UTC)
    async with firm.engine.begin() as connection:
        campaign = (await connection.execute(insert(Campaign).values(
            kind=CampaignKind.SURVEY, template="relationship_nps", audience="all", status=CampaignStatus.RUNNING,
            created_by="tests", created_at=now, started_at=now).returning(Campaign.id))).scalar_one()
        queued = await enqueue(connection, [
            Outgoing("note", user, f"campaign:{campaign}:{user}", now, {"n": n, "campaign_id": campaign},
                     campaign_id=campaign) for n, user in enumerate(users)], now=now)
    return campaign, list(queued.values())


async def _set(firm: Outbox, campaign: int, status: CampaignStatus) -> None:
    async with firm.engine.begin() as connection:
        await connection.execute(update(Campaign).where(Campaign.id == campaign).values(status=status))


async def _statuses(firm: Outbox, ids: list[int]) -> Counter[OutboxStatus]:
    rows = await firm.rows()
    return Counter(rows[i].status for i in ids)


async def test_rows_claimed_before_a_pause_go_back_unsent_however_long_they_waited(firm: Outbox) -> None:
    users = [await firm.adviser() for _ in range(4)]
    campaign, ids = await _campaign(firm, users)
    stop = asyncio.Event()
    sender = firm.sender(rate=1.0, concurrency=4)  # all four claimed and rendered at once, their turns a second apart
    sending = asyncio.create_task(sender.run(stop=stop))
    await firm.standin.wait_for("sendMessage", after=0)

    await _set(firm, campaign, CampaignStatus.PAUSED)
    paused = firm.standin.mark()

    async def put_back() -> bool:
        return OutboxStatus.SENDING not in await _statuses(firm, ids)

    await eventually(put_back)
    # At most the one whose turn came before the sender read the pause: the others waited, and went back.
    assert len(firm.standin.calls("sendMessage", after=paused)) <= 1
    rows = await firm.rows()
    held = [rows[i] for i in ids if rows[i].status is OutboxStatus.PENDING]
    assert len(held) >= 2
    assert {row.attempts for row in held} == {0}  # put back as they were: nothing was tried

    await _set(firm, campaign, CampaignStatus.RUNNING)

    async def all_sent() -> bool:
        return await _statuses(firm, ids) == Counter({OutboxStatus.SENT: len(ids)})

    await eventually(all_sent)
    stop.set()
    tally = await sending
    assert tally.sent == len(ids)
    assert tally.postponed == len(held)
    assert Counter(call["chat_id"] for call in firm.standin.calls("sendMessage")) == Counter(users)


async def test_a_paused_campaign_waits_while_other_pushes_go_and_a_resume_sends_the_rest_once(firm: Outbox) -> None:
    users, others = [await firm.adviser() for _ in range(30)], [await firm.adviser() for _ in range(3)]
    campaign, ids = await _campaign(firm, users)
    firm.standin.latency = 0.01
    stop = asyncio.Event()
    sender = firm.sender(rate=20.0)
    sending = asyncio.create_task(sender.run(stop=stop))
    await eventually(lambda: _sent_at_least(firm, 5))

    await _set(firm, campaign, CampaignStatus.PAUSED)
    paused = firm.standin.mark()
    for n, other in enumerate(others):  # a digest queued meanwhile goes all the same
        await firm.queue(other, 100 + n)
    for other in others:
        await firm.standin.wait_for("sendMessage", after=paused, chat_id=other)

    async def held() -> bool:
        return OutboxStatus.SENDING not in await _statuses(firm, ids)

    await eventually(held)
    during = [call for call in firm.standin.calls("sendMessage", after=paused) if call["chat_id"] in users]
    assert len(during) <= sender.concurrency  # the rows in flight at most; then none
    left = (await _statuses(firm, ids))[OutboxStatus.PENDING]
    assert left >= len(ids) - 5 - sender.concurrency

    await _set(firm, campaign, CampaignStatus.RUNNING)

    async def all_sent() -> bool:
        return await _statuses(firm, ids) == Counter({OutboxStatus.SENT: len(ids)})

    await eventually(all_sent)
    stop.set()
    await sending
    assert Counter(call["chat_id"] for call in firm.standin.calls("sendMessage")) == Counter(users + others)


async def _sent_at_least(firm: Outbox, count: int) -> bool:
    return len(firm.standin.calls("sendMessage")) >= count


async def test_a_sender_killed_mid_campaign_and_started_again_loses_nothing_and_doubles_nothing(
    firm: Outbox, tmp_path: Path
) -> None:
    users = [await firm.adviser() for _ in range(30)]
    _campaign_id, ids = await _campaign(firm, users)
    firm.standin.latency = 0.01
    killed = await _tierbot(firm, "send", cwd=tmp_path)
    await firm.standin.wait_for("sendMessage", lambda call: call.index >= 8, after=0, timeout=60)
    killed.send_signal(signal.SIGKILL)  # no chance to mark or put back anything
    await killed.wait()
    rows = await firm.rows()
    claimed = {i for i in ids if rows[i].status is OutboxStatus.SENDING}
    finished = {i for i in ids if rows[i].status is OutboxStatus.SENT}
    assert claimed  # it died holding rows, as a sender at work always does
    leases = [rows[i].lease_until for i in claimed]
    if leases:  # the restart reports them once their lease is over: let it run out
        latest = max(lease.replace(tzinfo=UTC) if lease.tzinfo is None else lease for lease in leases)
        await asyncio.sleep(max(0.0, (latest - datetime.now(UTC)).total_seconds()) + 0.2)

    tally = await firm.sender().run(once=True)  # started again

    rows = await firm.rows()
    delivered = Counter(call["chat_id"] for call in firm.standin.calls("sendMessage") if call.ok)
    assert max(delivered.values()) == 1  # nobody got it twice
    for user, outbox_id in zip(users, ids, strict=True):
        row = rows[outbox_id]
        if row.status is OutboxStatus.SENT:
            assert delivered[user] == 1
        else:  # claimed by the killed sender: perhaps delivered, reported, never sent again
            assert (row.status, row.error) == (OutboxStatus.UNKNOWN, "lease_expired")
            assert outbox_id in claimed
    unknown = sorted(i for i in ids if rows[i].status is OutboxStatus.UNKNOWN)
    assert unknown == sorted(claimed) == tally.abandoned  # what `tierbot send` lists for the operator
    assert tally.sent == len(ids) - len(claimed) - len(finished)  # the restart sent all the rest


async def _tierbot(firm: Outbox, *args: str, cwd: Path) -> asyncio.subprocess.Process:
    """`tierbot ARGS` started with the tests' renderer, on the test's database and stand-in: ten messages a second, a
    lease of three seconds (requests give up after one)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("TIERBOT_")}
    env.update({
        "TIERBOT_DATABASE_URL": firm.engine.url.render_as_string(hide_password=False),
        "TIERBOT_TELEGRAM_TOKEN": firm.standin.token,
        "TIERBOT_TELEGRAM_API": firm.standin.base_url,
        "TIERBOT_DEFAULT_LOCALE": "en",
        "TIERBOT_DELIVERY_RATE": "10",
        "TIERBOT_DELIVERY_PER_CHAT_INTERVAL": "0",
        "TIERBOT_DELIVERY_LEASE_SECONDS": "3",
        "PYTHONPATH": os.pathsep.join([str(HERE), str(REPOSITORY)]),
    })
    return await asyncio.create_subprocess_exec(sys.executable, "-c", WITH_NOTES, *args, cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
