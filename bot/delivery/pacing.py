"""When each message the sender sends may go: Telegram's limits as turns.

Two pacers, one interface (`turn`, `pause`, `paused_for`, `aclose`):

- `Pacer` keeps the limits within one process: turns evenly spaced at the rate across all chats, at least the
  per-chat interval apart in one chat, and none while Telegram has asked to wait (a 429's retry_after).
- `SharedPacer` shares the rate and the waits among every sender process of one bot through Redis: each turn is a
  slot booked atomically by a Lua script on the Redis server's clock (the next free slot on a grid of 1 / rate: a
  GCRA without bursts), so that several senders together never go faster than the rate; a 429 one of them gets
  holds all of them. The per-chat interval stays with each process: a claim holds a row for one sender only, and a
  campaign has one row per chat, so two senders write to one chat at once only when two different pushes (a
  digest and a survey) meet there, which Telegram's short bursts allow and its 429 corrects. When Redis cannot be
  reached the shared pacer says so in one log line and paces this process alone at the rate divided by the number
  of senders the settings name (`TIERBOT_DELIVERY_SENDERS`) until Redis answers again (one line more).

Both also count the turns as they are taken (the shared pacer in Redis): never more than the rate's worth in any
one second. A slot is exact, but a process may wake for it late (a busy event loop, a busy machine), and a late
turn taken at once would bunch with the next ones; counted, it waits until the second it would overfill has passed.
So the requests Telegram sees, each a moment after its turn, keep to the rate but for those moments.

No aiogram here: the sender calls `pause` with Telegram's wait.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["Pacer", "SharedPacer", "sleep_unless"]

logger = logging.getLogger("tierbot.delivery")


async def sleep_unless(seconds: float, stop: asyncio.Event | None) -> bool:
    """Sleep; False, at once, when `stop` is set before the time is up."""
    if stop is None:
        await asyncio.sleep(seconds)
        return True
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return True
    return False


def _most_in_a_second(rate: float) -> int:
    return max(1, math.floor(rate + 1e-9))


class Pacer:
    """When each piece may go, within one process: evenly spaced at `rate` across all chats, at least
    `per_chat_interval` apart in one chat, and none while Telegram has asked everyone to wait (a 429's
    retry_after)."""

    _REMEMBERED_CHATS = 4096

    def __init__(self, rate: float, per_chat_interval: float) -> None:
        self.rate, self.per_chat_interval = rate, per_chat_interval
        self._gap = 1 / rate
        self._next = -math.inf  # the earliest time of the next send, to any chat
        self._chats: dict[int, float] = {}  # the earliest time of the next send to each chat
        self._paused_until = -math.inf
        self._taken: deque[float] = deque()  # when the turns of the last second were taken
        self._most = _most_in_a_second(rate)

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    @property
    def paused_for(self) -> float:
        """Seconds left of the wait Telegram asked for, as this process knows it."""
        return max(0.0, self._paused_until - self._now())

    def _hold(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._now() + seconds)

    async def pause(self, seconds: float) -> None:
        """Telegram asked to wait `seconds` (a 429): no turn until then."""
        self._hold(seconds)

    async def turn(self, chat_id: int, stop: asyncio.Event | None = None) -> bool:
        """Wait for the next send to `chat_id` the limits allow, and take it; False when `stop` is set first.

        Each turn is booked when asked for, on a grid of `1 / rate` (a late wake-up does not push the next turns
        back), so the rate holds however many sends wait at once; and counted when it is taken, so that turns woken
        for late do not bunch: never more than the rate's worth in any second.
        """
        while stop is None or not stop.is_set():
            now = self._now()
            booked_before = self._chats.get(chat_id, -math.inf)
            at = max(now, self._next, booked_before, self._paused_until)
            self._next, self._chats[chat_id] = at + self._gap, at + self.per_chat_interval
            if at > now and not await sleep_unless(at - now, stop):
                return False
            if self._paused_until <= at:
                taken = await self._count_turn(stop)
                if taken is not None:
                    self._forget(now)
                    return taken
            self._chats[chat_id] = booked_before  # a pause began while waiting: book again after it
        return False

    async def _count_turn(self, stop: asyncio.Event | None) -> bool | None:
        """Count the turn among the last second's, first waiting while that second holds the rate's worth: True
        when it is taken, None when a pause began meanwhile (it is not), False when `stop` is set first."""
        taken = self._taken
        while True:
            now = self._now()
            while taken and taken[0] < now - 1.0:
                taken.popleft()
            if self._paused_until > now:
                return None
            if len(taken) < self._most:
                taken.append(now)
                return True
            if not await sleep_unless(taken[0] + 1.0 - now, stop):
                return False

    def _forget(self, now: float) -> None:
        if len(self._chats) > self._REMEMBERED_CHATS:
            self._chats = {chat: at for chat, at in self._chats.items() if at > now}

    async def aclose(self) -> None:
        """Let go of what the pacer holds open (nothing, in one process); it may be used again afterwards."""


# The Redis side, in whole microseconds on the Redis server's clock (written with "%.0f": Lua's own conversion of a
# number to a string keeps 14 digits, too few for them). The pace is a hash: `next`, the first free slot; `paused`,
# the end of the last wait Telegram asked for; it expires a minute after the last slot or wait it holds.
_PACE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('HGET', KEYS[1], 'next') or '0')
local paused = tonumber(redis.call('HGET', KEYS[1], 'paused') or '0')
local function keep()
  redis.call('HSET', KEYS[1], 'next', string.format('%.0f', free), 'paused', string.format('%.0f', paused))
  redis.call('PEXPIREAT', KEYS[1], string.format('%.0f', math.floor(math.max(free, paused) / 1000) + 60000))
end
"""

# A turn: the slot is max(now, next, paused), and `next` moves one gap (ARGV[1]) past it. Returns {slot, now, paused}.
_BOOK = _PACE + """
local slot = math.max(now, free, paused)
free = slot + tonumber(ARGV[1])
keep()
return {slot, now, paused}
"""

# Telegram asked to wait ARGV[1] microseconds: `paused` moves to now + that, unless a later end is already known.
# Returns {now, paused}.
_PAUSE = _PACE + """
paused = math.max(paused, now + tonumber(ARGV[1]))
keep()
return {now, paused}
"""

# The turn of the slot ARGV[1] comes: {0, now, paused} when a wait that covers it has begun since it was booked; else
# it is counted among the sends of the last second (the sorted set KEYS[2]): {1, now, µs to wait} when that second
# holds ARGV[2] already, else {2, now, 0}, the turn taken.
_TAKE = _PACE + """
if paused > tonumber(ARGV[1]) then
  return {0, now, paused}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. string.format('%.0f', now - 1000000))
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  local oldest = tonumber(redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2])
  return {1, now, math.max(1, oldest + 1000000 - now)}
end
redis.call('ZADD', KEYS[2], string.format('%.0f', now), redis.call('HINCRBY', KEYS[1], 'seq', 1))
redis.call('PEXPIRE', KEYS[2], 2000)
return {2, now, 0}
"""

_MICRO = 1_000_000
_UNREACHABLE = (RedisError, OSError)  # OSError: TimeoutError and refused connections the client lets through


@dataclass(frozen=True, slots=True)
class _Slot:
    at: int  # the slot, in microseconds on the Redis server's clock
    local: float  # the same moment on this process's event loop clock


class SharedPacer(Pacer):
    """The limits of `Pacer` with the rate and Telegram's waits shared through Redis under `key` by every sender of
    one bot (see the module docstring); the per-chat interval stays in this process.

    `senders` is how many sender processes share the rate: when Redis cannot be reached, this one paces itself alone
    at `rate / senders` (the in-process pacer), and asks Redis again every `reconnect_after` seconds.
    """

    def __init__(self, redis: Redis, key: str, rate: float, per_chat_interval: float, *, senders: int = 1,
                 reconnect_after: float = 5.0) -> None:
        super().__init__(rate / senders, per_chat_interval)  # alone, when Redis is out of reach
        self.rate, self.senders, self.key, self._redis = rate, senders, key, redis
        self._shared_gap = round(_MICRO / rate)
        self._book, self._pause = redis.register_script(_BOOK), redis.register_script(_PAUSE)
        self._take = redis.register_script(_TAKE)
        self._shared_most = _most_in_a_second(rate)
        self.reconnect_after = reconnect_after
        self._alone_until = -math.inf  # Redis failed: paced alone until then, then Redis is asked again
        self._asking = False  # one turn at a time finds out whether Redis is back

    @property
    def shared(self) -> bool:
        """Whether the turns are being booked in Redis (False: Redis failed, this process paces itself alone)."""
        return self._alone_until == -math.inf

    async def pause(self, seconds: float) -> None:
        self._hold(seconds)
        if self.shared:
            try:
                now, paused = await self._pause(keys=[self.key], args=[round(seconds * _MICRO)])
            except _UNREACHABLE as error:
                self._lost(error)
            else:
                self._learn(now, paused)

    async def turn(self, chat_id: int, stop: asyncio.Event | None = None) -> bool:
        while stop is None or not stop.is_set():
            if not self._ask_redis():
                return await super().turn(chat_id, stop)
            # The chat's own interval, in this process, and a wait known here: sleep them out, then hold the chat
            # while booking.
            while (free := max(self._chats.get(chat_id, -math.inf), self._paused_until)) > (now := self._now()):
                if not await sleep_unless(free - now, stop):
                    return False
            booked_before = self._chats.get(chat_id, -math.inf)
            self._chats[chat_id] = now + self.per_chat_interval
            slot = await self._take_slot()
            if slot is None:  # Redis failed: the next round paces alone
                self._chats[chat_id] = booked_before
                continue
            self._chats[chat_id] = slot.local + self.per_chat_interval
            wait = slot.local - self._now()
            if wait > 0 and not await sleep_unless(wait, stop):
                return False
            taken = await self._take_turn(slot, stop)
            if taken is not None:
                return taken
            self._chats[chat_id] = booked_before  # a pause began while waiting: book again after it
        return False

    async def _take_slot(self) -> _Slot | None:
        try:
            at, now, paused = await self._book(keys=[self.key], args=[self._shared_gap])
        except _UNREACHABLE as error:
            self._lost(error)
            return None
        finally:
            self._asking = False
        self._back()
        local_now = self._now()
        self._learn(now, paused, local_now)
        return _Slot(int(at), local_now + (int(at) - int(now)) / _MICRO)

    async def _take_turn(self, slot: _Slot, stop: asyncio.Event | None) -> bool | None:
        """Take the turn of `slot`, counted in Redis among the last second's sends (waiting while that second holds
        the rate's worth); None when a wait that covers it has begun since it was booked (by any sender), False when
        `stop` is set first."""
        while True:
            try:
                state, now, value = await self._take(keys=[self.key, f"{self.key}:sent"],
                                                     args=[slot.at, self._shared_most])
            except _UNREACHABLE as error:
                self._lost(error)
                return await self._count_turn(stop)  # counted here alone, then
            if int(state) == 0:
                self._learn(now, value)
                return None
            if int(state) == 2:
                self._forget(self._now())
                return True
            if not await sleep_unless(int(value) / _MICRO, stop):
                return False

    def _learn(self, now: Any, paused: Any, local_now: float | None = None) -> None:
        """Take in the wait in force in Redis (`paused`, read at the server's `now`)."""
        left = (int(paused) - int(now)) / _MICRO
        if left > 0:
            self._paused_until = max(self._paused_until, (local_now or self._now()) + left)

    def _ask_redis(self) -> bool:
        """Whether this turn books its slot in Redis: always while Redis answers; once Redis has failed, one turn
        asks again every `reconnect_after` seconds while the others pace alone."""
        if self.shared:
            return True
        if self._asking or self._now() < self._alone_until:
            return False
        self._asking = True
        return True

    def _lost(self, error: BaseException) -> None:
        if self.shared:
            logger.error("the shared send rate cannot be read from Redis (%s): this sender paces itself alone at "
                         "%.4g/s (the rate divided among %d senders) until Redis answers again",
                         type(error).__name__, self.rate / self.senders, self.senders)
        self._alone_until = self._now() + self.reconnect_after

    def _back(self) -> None:
        if not self.shared:
            logger.warning("Redis answers again: the send rate is shared with the other senders once more")
            self._alone_until = -math.inf

    async def aclose(self) -> None:
        await self._redis.connection_pool.disconnect()
