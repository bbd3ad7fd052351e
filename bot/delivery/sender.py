"""The sender: it claims the outbox's due messages, renders each in its recipient's language at send time, sends it
within Telegram's limits and marks how it ended; the one part of delivery that talks to Telegram.

A message is sent at most once. Its claim is committed before anything is sent; a claimed row is pending again
only when nothing of it was sent and its request certainly never reached Telegram (the connection could not be
made) or was never begun (the sender is stopping, its renderer says not now, its campaign was paused or closed
meanwhile). When a send may have happened and its answer is not known (a timeout, a dropped connection, a server
error, a sender that died), the row is reported unknown and never sent again. docs/delivery.md states the whole
guarantee.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.accounts import Reader, load_reader, record_blocking
from bot.config import DeliverySettings
from bot.db import session_factory, unit_of_work
from bot.db.models import OutboxStatus
from bot.delivery import outbox
from bot.delivery.outbox import Queued
from bot.delivery.pacing import Pacer, sleep_unless
from bot.i18n import use_zone
from bot.telegram import create_i18n, loggable, reader_locale, split_html

__all__ = ["HOLD_CHECK", "Postponed", "Rendered", "Renderer", "Sender", "Tally", "default_concurrency"]

logger = logging.getLogger("tierbot.delivery")


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message as its recipient reads it: Telegram HTML (sent in pieces past 4,096 characters, the keyboard
    with the last) and its buttons."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class Postponed:
    """Not now: the row is pending again from `until` (timezone-aware), its attempt not counted; as for a push that
    reaches quiet hours while it waits, or whose campaign was paused after the row was claimed."""

    until: datetime


# Called in a session of its own with the recipient's locale in force. None: nothing is left to say (the news it
# carried is no longer the recipient's), and the row ends without a message.
Renderer = Callable[[AsyncSession, Queued, Reader], Awaitable[Rendered | Postponed | None]]


@dataclass
class Tally:
    """How the messages a run of the sender took ended, and the ids of those an operator should look at."""

    sent: int = 0
    nothing_to_say: int = 0
    unreachable: int = 0
    failed: int = 0
    unknown: list[int] = field(default_factory=list)  # perhaps sent: the answer never came
    abandoned: list[int] = field(default_factory=list)  # claimed by a sender that stopped before marking them
    retried: int = 0  # sends put off, the connection to Telegram could not be made
    postponed: int = 0  # put off by their renderer (quiet hours came), or held: their campaign was paused or closed
    released: int = 0  # claimed, not begun when the sender was stopped: pending again


# How often the campaigns of the rows in flight are read: a row of a campaign paused (or closed) since it was
# claimed is put back, unsent, within this many seconds, however long it has waited for its turn.
HOLD_CHECK = 0.5


def default_concurrency(rate: float) -> int:
    """Sends in flight (each waiting for its turn, rendering, sending or being marked): enough to keep `rate` with
    up to a second per message, as on a busy machine or far from Telegram."""
    return max(2, min(100, math.ceil(rate * 1.0)))


class _Outcome(enum.Enum):
    SENT = "sent"
    NOTHING_TO_SAY = "nothing_to_say"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    UNKNOWN = "unknown"
    RETRY = "retry"  # the connection could not be made: try again later
    RELEASE = "release"  # not begun: pending again, its attempt not counted
    POSTPONE = "postpone"  # not now (its renderer, or its campaign held): pending again from `until` if given
    LOST = "lost"  # no longer this sender's (reported unknown meanwhile): nothing to write


@dataclass(frozen=True, slots=True)
class _Verdict:
    outcome: _Outcome
    error: str | None = None  # what happened, in a few words that quote nothing
    message_id: int | None = None  # the last piece sent, if any
    blocked: bool = False  # Telegram says the person blocked the bot
    until: datetime | None = None  # when a postponed row is due again (None: as it was, a held campaign's)


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    return chain


def _never_left(cause: BaseException) -> bool:
    if isinstance(cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return True  # no connection was made
    # A connection kept alive from an earlier request that the server has since closed: aiohttp refuses to write
    # the request (or the rest of it) to it, so Telegram never had a whole request to act on.
    return isinstance(cause, aiohttp.ClientConnectionResetError) and "closing transport" in str(cause)


def _reached_telegram(error: TelegramNetworkError) -> bool:
    """Whether the request may have reached Telegram: False only when it certainly never left whole."""
    return not any(_never_left(cause) for cause in _causes(error))


def _failure_kind(error: AiogramError) -> str:
    """What went wrong in a few words that quote nothing: Telegram's reason without its details ("Bad Request:
    chat not found"), or the kind of the network error."""
    if isinstance(error, TelegramNetworkError):
        causes = _causes(error)
        return type(causes[1] if len(causes) > 1 else error).__name__
    if isinstance(error, TelegramAPIError):
        return ":".join(error.message.split(":")[:2]).strip()[:64]
    return type(error).__name__


class Sender:
    """Sends the outbox's due messages with `bot` (whose session must not resend 429s itself, and whose requests
    must end within a third of the lease), each rendered by `renderers[kind]`.

    `pacer` keeps Telegram's limits (by default the in-process `Pacer` at the rate divided among
    `settings.senders`; `bot.runtime` gives a `SharedPacer` when Redis is configured). `backoff` is the wait before
    the second try of a message whose connection could not be made, doubled for each try after it; `poll_interval`
    how often the outbox is looked at when nothing is due sooner (a resumed campaign's rows are claimed within it).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        bot: Bot,
        renderers: Mapping[str, Renderer],
        *,
        settings: DeliverySettings,
        default_locale: str,
        concurrency: int | None = None,
        pacer: Pacer | None = None,
        backoff: float = 2.0,
        poll_interval: float = 0.5,
    ) -> None:
        self._engine, self._bot, self._renderers = engine, bot, dict(renderers)
        self._sessions = session_factory(engine)
        self._settings, self._backoff, self._poll_interval = settings, backoff, poll_interval
        self._lease = timedelta(seconds=settings.lease_seconds)
        self._i18n = create_i18n(default_locale)
        self.concurrency = concurrency or default_concurrency(settings.rate)
        self.pacer = pacer or Pacer(settings.rate / settings.senders, settings.per_chat_interval)
        self._ended = asyncio.Event()  # a send has ended: room for another
        # One write of this sender's at a time: SQLite takes one writer, and a writer refused the lock sleeps in
        # SQLite's busy handler for up to 100 ms a go, far longer than the writes it waits for take.
        self._writing = asyncio.Lock()
        self._unwritten: list[tuple[Queued, _Verdict, asyncio.Future[None]]] = []  # marks waiting for the writer
        # Renders reading at once: with the writer and the loop, within the engine's pool (5 connections by
        # default), so that sends in flight never open connections past it (for SQLite, a thread and a file each).
        self._reading = asyncio.Semaphore(3)
        self._tally = Tally()
        self._retrying: set[int] = set()
        self._refused: TelegramUnauthorizedError | None = None
        self._campaigns: Counter[int] = Counter()  # the campaigns of the rows in flight: how many rows each
        self._held: set[int] = set()  # those of them not running (paused, closed) when last read
        self._held_read_at = -math.inf  # when that read began, on the loop's clock

    # --- the loop

    async def run(self, *, once: bool = False, stop: asyncio.Event | None = None) -> Tally:
        """Send until `stop` is set (the sends under way finish, the rows claimed and not begun are put back), or
        with `once` until no row is due and none this run put off is left. Raises TelegramUnauthorizedError when
        the Bot API stops taking the token (what was not sent is put back)."""
        stop = stop or asyncio.Event()
        self._tally, self._retrying, self._refused = Tally(), set(), None
        loop = asyncio.get_running_loop()
        in_flight: set[asyncio.Task[None]] = set()
        expired_at = -math.inf
        done = asyncio.Event()
        watching = asyncio.create_task(self._watch_campaigns(done))
        try:
            while not stop.is_set() and self._refused is None:
                self._ended.clear()
                try:
                    if loop.time() - expired_at >= self._settings.lease_seconds:
                        self._tally.abandoned += await self._expire_leases()
                        expired_at = loop.time()
                    room = self.concurrency - len(in_flight)
                    # Claimed a quarter of the sends at a time: one claim per message sent would take the writer
                    # from the marks.
                    refill = not in_flight or room >= max(1, self.concurrency // 4)
                    claimed = await self._claim(room) if refill and not self.pacer.paused_for else []
                    for row in claimed:
                        task = asyncio.create_task(self._deliver(row, stop))
                        in_flight.add(task)
                        task.add_done_callback(in_flight.discard)
                        task.add_done_callback(lambda _: self._ended.set())
                    if claimed and len(claimed) == room:
                        continue  # more may be due
                    wait = await self._idle_time(refill, once=once, busy=bool(in_flight))
                except (SQLAlchemyError, OSError) as error:
                    if once:
                        raise
                    summary, failure = loggable(error)
                    logger.error("the outbox cannot be read: %s; trying again", summary, exc_info=failure)
                    wait = self._poll_interval
                if wait is None:
                    break
                await self._nap(stop, wait)
        finally:
            if in_flight:
                await asyncio.gather(*in_flight)
            done.set()
            await watching
            await self.pacer.aclose()
        if self._refused is not None:
            raise self._refused
        return self._tally

    async def _idle_time(self, refill: bool, *, once: bool, busy: bool) -> float | None:
        """How long to wait before looking at the outbox again; None when a run `once` is done."""
        if not refill or self.pacer.paused_for:
            return self.pacer.paused_for or self._poll_interval  # until a send ends, or the pause does
        async with self._engine.connect() as connection:
            due = await outbox.next_due(connection)
            # A claim may take fewer rows than are due (another sender's claim held them a moment), so only the
            # outbox can say whether a run `once` is done: nothing due now, and nothing of its own put off.
            wait = self._poll_interval if due is None else max(0.0, (due - datetime.now(UTC)).total_seconds())
            if once and not busy and wait > 0:
                self._retrying = await outbox.pending_among(connection, self._retrying)
                if not self._retrying:
                    return None
        return min(self._poll_interval, wait)

    async def _nap(self, stop: asyncio.Event, seconds: float) -> None:
        """Wait `seconds`, or until the sender is stopped or a send ends."""
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._ended.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()

    async def _watch_campaigns(self, done: asyncio.Event) -> None:
        """Every HOLD_CHECK seconds until `done`, read which campaigns of the rows in flight are no longer running."""
        loop = asyncio.get_running_loop()
        while not done.is_set():
            if self._campaigns:
                read_at = loop.time()
                try:
                    async with self._reading, self._engine.connect() as connection:
                        self._held = await outbox.held_campaigns(connection, list(self._campaigns))
                    self._held_read_at = read_at
                except (SQLAlchemyError, OSError):
                    pass  # the last answer stands; the loop reports a database that cannot be read
            await sleep_unless(HOLD_CHECK, done)

    def _holds(self, row: Queued, claimed_at: float) -> bool:
        """Whether the row's campaign was found paused or closed by a read begun after the row was claimed (an
        older read may predate a resume that the claim itself has seen)."""
        return row.campaign_id in self._held and self._held_read_at > claimed_at

    async def _expire_leases(self) -> list[int]:
        async with self._writing, self._engine.begin() as connection:
            expired = await outbox.expire_leases(connection, now=datetime.now(UTC))
        for outbox_id in expired:
            logger.warning("outbox %d: its sender stopped before marking it; reported unknown, not sent again",
                           outbox_id)
        return expired

    async def _claim(self, limit: int) -> list[Queued]:
        async with self._writing, self._engine.begin() as connection:  # committed before any of them is sent
            return await outbox.claim(connection, now=datetime.now(UTC), lease=self._lease, limit=limit)

    # --- one message

    async def _deliver(self, row: Queued, stop: asyncio.Event) -> None:
        if row.campaign_id is not None:
            self._campaigns[row.campaign_id] += 1
        try:
            verdict = await self._attempt(row, stop)
        finally:
            if row.campaign_id is not None:
                self._campaigns[row.campaign_id] -= 1
                if not self._campaigns[row.campaign_id]:
                    del self._campaigns[row.campaign_id]
        try:
            await self._conclude(row, verdict)
        except (SQLAlchemyError, OSError) as error:  # the row stays claimed: its lease's end reports it unknown
            summary, failure = loggable(error)
            logger.error("outbox %d (%s): could not be marked %s: %s", row.id, row.kind, verdict.outcome.value,
                         summary, exc_info=failure)

    async def _attempt(self, row: Queued, stop: asyncio.Event) -> _Verdict:
        claimed_at = asyncio.get_running_loop().time()
        try:
            prepared = await self._prepare(row)
        except Exception as error:  # a renderer's fault: nothing was sent
            summary, failure = loggable(error)
            logger.error("outbox %d (%s): rendering failed: %s", row.id, row.kind, summary, exc_info=failure)
            return _Verdict(_Outcome.FAILED, f"render: {type(error).__name__}")
        if isinstance(prepared, _Verdict):
            return prepared
        chat_id, rendered = prepared
        try:
            return await self._send(row, chat_id, rendered, stop, claimed_at)
        except Exception as error:  # not Telegram's answer: whether it was sent is not known
            summary, failure = loggable(error)
            logger.error("outbox %d (%s): sending failed: %s", row.id, row.kind, summary, exc_info=failure)
            return _Verdict(_Outcome.UNKNOWN, type(error).__name__)

    async def _prepare(self, row: Queued) -> tuple[int, Rendered] | _Verdict:
        """The chat and the message in the recipient's language as it stands now, or how the row ends unsent."""
        renderer = self._renderers.get(row.kind)
        if renderer is None:
            return _Verdict(_Outcome.FAILED, "no renderer for this kind")
        async with self._reading, unit_of_work(self._sessions) as work:
            to = await outbox.recipient(work.session, row.telegram_user_id)
            if to is None:
                return _Verdict(_Outcome.UNREACHABLE, "no such account")
            if to.blocked:
                return _Verdict(_Outcome.UNREACHABLE, "blocked")
            reader = await load_reader(work.session, row.telegram_user_id)
            locale = await reader_locale(reader, None, None, self._i18n.default_locale)
            with self._i18n.context(), self._i18n.use_locale(locale), use_zone(reader.timezone):
                rendered = await renderer(work.session, row, reader)
        if rendered is None:
            return _Verdict(_Outcome.NOTHING_TO_SAY, "nothing_to_say")
        if isinstance(rendered, Postponed):
            return _Verdict(_Outcome.POSTPONE, until=rendered.until)
        return to.chat_id, rendered

    async def _send(self, row: Queued, chat_id: int, rendered: Rendered, stop: asyncio.Event, claimed_at: float
                    ) -> _Verdict:
        loop = asyncio.get_running_loop()
        pieces = split_html(rendered.text) or [rendered.text]
        held_since, delivered = claimed_at, None
        for number, piece in enumerate(pieces, 1):
            markup = rendered.reply_markup if number == len(pieces) else None
            while True:
                # Once a piece is out, the message is finished even when stopping: it cannot be taken back.
                if delivered is None and self._holds(row, claimed_at):
                    return _Verdict(_Outcome.POSTPONE)  # its campaign was paused or closed: put back as it is
                if not await self.pacer.turn(chat_id, stop if delivered is None else None):
                    return _Verdict(_Outcome.RELEASE)
                if loop.time() - held_since > self._settings.lease_seconds / 3:
                    if not await self._renew_lease(row):
                        return _Verdict(_Outcome.LOST, message_id=delivered)
                    held_since = loop.time()
                if delivered is None and self._holds(row, claimed_at):
                    return _Verdict(_Outcome.POSTPONE)  # paused while it waited for its turn
                try:
                    message = await self._bot.send_message(chat_id, piece, reply_markup=markup)
                except TelegramRetryAfter as error:  # Telegram did nothing with it: every send waits, then again
                    await self.pacer.pause(error.retry_after)
                    logger.warning("outbox %d (%s): Telegram asks to wait %s s; every send waits",
                                   row.id, row.kind, error.retry_after)
                    continue
                except AiogramError as error:
                    return self._judge(row, error, delivered)
                delivered = message.message_id
                break
        return _Verdict(_Outcome.SENT, message_id=delivered)

    def _judge(self, row: Queued, error: AiogramError, delivered: int | None) -> _Verdict:
        """How a row ends after Telegram's error (or none): `delivered` is the last piece that did go, if any."""
        kind = _failure_kind(error)
        if isinstance(error, TelegramNetworkError):
            if _reached_telegram(error):
                return _Verdict(_Outcome.UNKNOWN, kind, delivered)
            if delivered is None and row.attempts < self._settings.max_attempts:
                return _Verdict(_Outcome.RETRY, kind)
            return _Verdict(_Outcome.FAILED, kind, delivered)  # tries used up, or a retry would repeat a piece
        if isinstance(error, TelegramForbiddenError):
            return _Verdict(_Outcome.UNREACHABLE, kind, delivered, blocked=True)
        if isinstance(error, TelegramBadRequest) and "chat not found" in error.message.lower():
            return _Verdict(_Outcome.UNREACHABLE, kind, delivered)
        if isinstance(error, TelegramUnauthorizedError):  # the token is no longer the bot's: nothing can be sent
            self._refused = error
            return _Verdict(_Outcome.RELEASE) if delivered is None else _Verdict(_Outcome.FAILED, kind, delivered)
        if isinstance(error, TelegramServerError | ClientDecodeError):  # Telegram had it, and may have sent it
            return _Verdict(_Outcome.UNKNOWN, kind, delivered)
        return _Verdict(_Outcome.FAILED, kind, delivered)

    async def _renew_lease(self, row: Queued) -> bool:
        async with self._writing, self._engine.begin() as connection:
            kept = await outbox.renew_lease(connection, row.id, now=datetime.now(UTC), lease=self._lease)
        if not kept:
            logger.warning("outbox %d (%s): reported unknown while it waited; not sent", row.id, row.kind)
        return kept

    async def _conclude(self, row: Queued, verdict: _Verdict) -> None:
        """Write how the row ended, and count it. The marks that wait for this sender's writer meanwhile are
        written with it, in one short transaction (a group commit): one transaction per mark would keep the
        database's one writer (SQLite's) busy past 100 messages a second."""
        written = asyncio.get_running_loop().create_future()
        self._unwritten.append((row, verdict, written))
        async with self._writing:
            if not written.done():
                batch, self._unwritten = self._unwritten, []
                await self._write_marks(batch)
        await written  # raises what writing it raised
        self._count(row, verdict)

    async def _write_marks(self, batch: list[tuple[Queued, _Verdict, asyncio.Future[None]]]) -> None:
        """Write the batch's marks in one transaction; each mark's future tells its sender how it went."""
        now = datetime.now(UTC)
        try:
            async with unit_of_work(self._sessions, commit=True) as work:
                connection = await work.session.connection()
                for row, verdict, _written in batch:
                    await self._write_mark(work.session, connection, row, verdict, now)
        except Exception as error:
            for *_, written in batch:
                written.set_exception(error)
        else:
            for *_, written in batch:
                written.set_result(None)
        finally:
            for *_, written in batch:
                written.cancel()  # cancelled while writing: not known to be written

    async def _write_mark(self, session: AsyncSession, connection: AsyncConnection, row: Queued, verdict: _Verdict,
                          now: datetime) -> None:
        outcome = verdict.outcome
        if outcome in (_Outcome.SENT, _Outcome.NOTHING_TO_SAY):
            await outbox.mark_sent(connection, row.id, now=now, message_id=verdict.message_id, error=verdict.error)
        elif outcome is _Outcome.RETRY:
            delay = self._backoff * 2 ** (row.attempts - 1)
            await outbox.reschedule(connection, row.id, at=now + timedelta(seconds=delay), error=verdict.error or "")
        elif outcome is _Outcome.RELEASE:
            await outbox.release(connection, row.id)
        elif outcome is _Outcome.POSTPONE:
            await outbox.release(connection, row.id, until=verdict.until)
        elif outcome is not _Outcome.LOST:
            await outbox.mark(connection, row.id, OutboxStatus(outcome.value), error=verdict.error or "",
                              message_id=verdict.message_id)
        if verdict.blocked:
            await record_blocking(session, row.telegram_user_id, True, now)

    def _count(self, row: Queued, verdict: _Verdict) -> None:
        outcome, tally = verdict.outcome, self._tally
        if outcome is _Outcome.RETRY:
            self._retrying.add(row.id)
        else:
            self._retrying.discard(row.id)
        match outcome:
            case _Outcome.SENT:
                tally.sent += 1
            case _Outcome.NOTHING_TO_SAY:
                tally.nothing_to_say += 1
            case _Outcome.UNREACHABLE:
                tally.unreachable += 1
            case _Outcome.FAILED:
                tally.failed += 1
            case _Outcome.UNKNOWN:
                tally.unknown.append(row.id)
            case _Outcome.RETRY:
                tally.retried += 1
            case _Outcome.RELEASE:
                tally.released += 1
            case _Outcome.POSTPONE:
                tally.postponed += 1
        log = logger.warning if outcome in (_Outcome.FAILED, _Outcome.UNKNOWN) else logger.info
        log("outbox %d (%s): %s%s", row.id, row.kind, outcome.value, f" ({verdict.error})" if verdict.error else "")
