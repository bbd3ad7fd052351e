"""The send rate shared through Redis: several senders of one bot together never go faster than the configured rate,
a 429 one of them gets holds all of them, and a Redis that cannot be reached leaves each sender pacing itself at its
share (one log line), until Redis answers again (one more). And turns that come late do not bunch.

The bounds are logical ones on the recorded schedule (the stand-in's `ApiCall.at`, the pacers' turns, on one clock):
never more than the rate in any second, allowing one for the window's two ends; no turn inside a wait. Nothing here
measures speed: bench/push.py does.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from outbox_firm import Outbox, settings_for
from outbox_notes import RENDERERS
from pydantic import SecretStr
from redis.asyncio import Redis
from support.telegram_standin import BotApiStandIn, FloodLimits, busiest_window, eventually

from bot.config import DeliverySettings, RedisSettings, Settings
from bot.db.models import OutboxStatus
from bot.delivery.pacing import Pacer, SharedPacer
from bot.delivery.sender import Sender
from bot.runtime import create_sender_bot
from bot.runtime.delivery import create_pacer, create_sender, pace_key

REDIS_URL = "redis://127.0.0.1:6379/15"
# A turn is taken, and its send arrives at the stand-in, a few milliseconds after its slot (on a busy machine tens of
# them), so one second may hold a send that is late from the second before. At 8 a second (125 ms apart), that is at
# most the one allowed for the window's two ends.
RATE = 8.0
BOT_ID = 123456789  # the stand-in's token's


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"tierbot-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def _settings(prefix: str, *, standin: BotApiStandIn | None = None, url: str = REDIS_URL, **delivery: Any
              ) -> Settings:
    """Settings sharing the rate through Redis under `prefix`, their Bot API the stand-in when given."""
    redis = RedisSettings(url=SecretStr(url), prefix=prefix)
    delivery = {"rate": RATE, "per_chat_interval": 0.0, **delivery}
    if standin is None:
        return Settings(redis=redis, delivery=DeliverySettings(**delivery))
    return settings_for(standin, **delivery).model_copy(update={"redis": redis})


def _pacer(prefix: str, **options: Any) -> SharedPacer:
    pacer = create_pacer(_settings(prefix, **options), BOT_ID)
    assert isinstance(pacer, SharedPacer)
    return pacer


async def _turns(pacer: Pacer, chats: range) -> list[float]:
    """One turn for each chat, all asked for at once; when each was given, on the loop's clock."""
    loop = asyncio.get_running_loop()

    async def one(chat: int) -> float:
        assert await pacer.turn(chat)
        return loop.time()

    return list(await asyncio.gather(*(one(chat) for chat in chats)))


def _sender(firm: Outbox, settings: Settings) -> Sender:
    """A sender as `tierbot send` builds it from the settings (its pacer included), with the tests' renderer."""
    firm.bots.append(bot := create_sender_bot(settings))
    return create_sender(firm.engine, settings, bot, renderers=RENDERERS)


async def test_two_pacers_sharing_redis_never_go_faster_than_the_rate_together(prefix: str) -> None:
    first, second = _pacer(prefix), _pacer(prefix)
    assert first.key == pace_key(_settings(prefix), BOT_ID) == f"{prefix}:pace:{BOT_ID}"

    # Connected first (a connection and the scripts' loading, slow on a busy machine, are no turn's business).
    await asyncio.gather(first.turn(90), second.turn(190))
    # Each as busy as it can be: alone, each would take the whole rate.
    one, other = await asyncio.gather(_turns(first, range(12)), _turns(second, range(100, 112)))

    assert busiest_window(one + other) <= RATE + 1
    assert first.shared
    assert second.shared
    await first.aclose()
    await second.aclose()


async def test_turns_a_busy_process_wakes_late_for_do_not_bunch() -> None:
    # In one process, where a turn is taken when it is counted. (Through Redis it is counted on the server, a
    # round trip before the process has it; the same Lua count holds, on the server's clock.)
    pacer = Pacer(RATE, 0.0)

    async def busy() -> None:  # the event loop held for a while, as a busy process holds it: turns come late
        await asyncio.sleep(0.3)
        time.sleep(0.6)  # noqa: ASYNC251 - holding the loop is the point

    turns, _ = await asyncio.gather(_turns(pacer, range(20)), busy())

    # The late ones go at once only as far as the last second has room: no burst of all that were due.
    assert busiest_window(turns) <= RATE + 1
    await pacer.aclose()


async def test_a_wait_telegram_asks_of_one_pacer_holds_every_pacer_of_the_bot(prefix: str) -> None:
    told, others = _pacer(prefix), [_pacer(prefix) for _ in range(2)]
    loop = asyncio.get_running_loop()
    await _turns(others[0], range(3))  # it has booked turns before the 429 came
    asked = loop.time()

    await told.pause(1.0)
    waited = await asyncio.gather(*(_turns(pacer, range(10, 13)) for pacer in others))

    assert min(min(times) for times in waited) >= asked + 1.0
    assert others[1].paused_for == 0  # it learnt of the wait from Redis, and it is over
    for pacer in (told, *others):
        await pacer.aclose()


async def test_redis_lost_mid_run_each_sender_paces_alone_at_its_share_then_shares_again(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    relay = await _Relay.open()
    pacer = _pacer(prefix, url=f"redis://127.0.0.1:{relay.port}/15", senders=2)
    pacer.reconnect_after = 0.2
    redis = Redis.from_url(REDIS_URL)
    await _turns(pacer, range(3))
    assert await redis.exists(pacer.key)

    with caplog.at_level(logging.INFO, logger="tierbot.delivery"):
        await relay.cut()
        alone = await _turns(pacer, range(10, 16))
        assert not pacer.shared
        await relay.restore()
        await eventually(lambda: _shared_after_a_turn(pacer))

    lines = [record for record in caplog.records if record.name == "tierbot.delivery"]
    assert [record.levelname for record in lines] == ["ERROR", "WARNING"]
    assert "paces itself alone at 4/s (the rate divided among 2 senders)" in lines[0].getMessage()
    assert "Redis answers again" in lines[1].getMessage()
    assert busiest_window(alone) <= RATE / 2 + 1  # its share: at the whole rate, all six would fall in a second
    await pacer.aclose()
    await redis.aclose()
    await relay.cut()


async def test_without_redis_each_sender_paces_itself_at_its_share() -> None:
    pacer = create_pacer(Settings(delivery=DeliverySettings(rate=RATE, senders=2, per_chat_interval=0.0)), BOT_ID)

    turns = await _turns(pacer, range(6))

    assert not isinstance(pacer, SharedPacer)
    assert busiest_window(turns) <= RATE / 2 + 1  # at the whole rate, all six would fall in a second


async def _shared_after_a_turn(pacer: SharedPacer) -> bool:
    await pacer.turn(99)
    return pacer.shared


@pytest.mark.db
async def test_a_sender_sharing_redis_leaves_room_for_another_senders_turns(firm: Outbox, prefix: str) -> None:
    users = [await firm.adviser() for _ in range(12)]
    for n, user in enumerate(users):
        await firm.queue(user, n)
    settings = _settings(prefix, standin=firm.standin)
    other = create_pacer(settings, BOT_ID)  # another sender's, busy all along

    tally, turns = await asyncio.gather(_sender(firm, settings).run(once=True), _turns(other, range(12)))

    assert tally.sent == len(users)
    sent = [call.at for call in firm.standin.calls("sendMessage")]
    assert busiest_window(sent + turns) <= RATE + 1
    assert Counter(call["chat_id"] for call in firm.standin.calls("sendMessage")) == Counter(users)
    await other.aclose()


@pytest.mark.db
async def test_a_429_to_one_sender_is_waited_out_by_every_sender(firm: Outbox, prefix: str) -> None:
    users = [await firm.adviser() for _ in range(4)]
    for n, user in enumerate(users):
        await firm.queue(user, n)
    firm.standin.fail_next("sendMessage", 429, retry_after=1)
    settings = _settings(prefix, standin=firm.standin, rate=5.0)
    sending = asyncio.create_task(_sender(firm, settings).run(once=True))
    refused = await firm.standin.wait_for("sendMessage", after=0)  # the 429, answered

    turns = await _turns(create_pacer(settings, BOT_ID), range(2))  # a sender that never got it

    assert (refused.error or {}).get("error_code") == 429
    assert min(turns) >= refused.at + 1.0
    tally = await sending
    assert tally.sent == len(users)
    assert all(call.at >= refused.at + 1.0 for call in firm.standin.calls("sendMessage")[1:])


@pytest.mark.db
async def test_two_senders_on_one_postgresql_database_send_each_row_once_within_the_rate(
    firm: Outbox, prefix: str
) -> None:
    if firm.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one sender (docs/delivery.md); set TIERBOT_TEST_POSTGRES_URL")
    users = [await firm.adviser() for _ in range(24)]
    for n, user in enumerate(users):
        await firm.queue(user, n)
    firm.standin.latency = 0.02
    firm.standin.limits = FloodLimits(per_second=int(RATE) + 1)  # a 429 for any send past the rate
    settings = _settings(prefix, standin=firm.standin)

    tallies = await asyncio.gather(*(_sender(firm, settings).run(once=True) for _ in range(2)))

    assert sum(tally.sent for tally in tallies) == len(users)
    assert all(tally.sent for tally in tallies)  # both took part
    calls = firm.standin.calls("sendMessage")
    assert Counter(call["chat_id"] for call in calls) == Counter(users)  # each row once
    assert all(call.ok for call in calls)  # no 429
    assert firm.standin.busiest_second() <= RATE + 1
    assert {row.status for row in (await firm.rows()).values()} == {OutboxStatus.SENT}


class _Relay:
    """A TCP relay to the Redis server that a test cuts (its connections closed, its port refusing) and restores on
    the same port, as a network would."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @classmethod
    async def open(cls) -> _Relay:
        relay = cls()
        await relay.restore()
        return relay

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self._writers += [writer, upstream_writer]
        await asyncio.gather(self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
