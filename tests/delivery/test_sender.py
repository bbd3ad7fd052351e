"""The sender against the Bot API stand-in over HTTP: every way a message ends, Telegram's limits, and the guarantee
that no message is sent twice (a send whose outcome is not known is reported unknown, never repeated)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from aiogram.exceptions import TelegramUnauthorizedError
from outbox_firm import Outbox
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from support.telegram_standin import FloodLimits, eventually

from bot.db.models import Alert, AlertKind, AuditEntry, Client, OutboxMessage, OutboxStatus, TelegramAccount
from bot.delivery import outbox

pytestmark = pytest.mark.db

MY_TIER = {"en": "My tier and how to move up", "zh_Hans": "我的等级及升级方法"}  # commands.html.j2 for /tier


async def test_due_messages_are_sent_rendered_at_send_time_with_their_buttons(firm: Outbox) -> None:
    first, second = await firm.adviser(), await firm.adviser(locale="zh_Hans")
    one, two = await firm.queue(first, 1), await firm.queue(second, 2)
    later = await firm.queue(first, 3, not_before=datetime.now(UTC) + timedelta(hours=9))  # quiet hours hold it

    tally = await firm.sender().run(once=True)

    assert (tally.sent, tally.unreachable, tally.failed, tally.unknown) == (2, 0, 0, [])
    [to_first], [to_second] = firm.standin.messages_to(first), firm.standin.messages_to(second)
    assert to_first["text"] == f"{MY_TIER['en']} #1"
    assert to_second["text"] == f"{MY_TIER['zh_Hans']} #2"  # the adviser's record reads Chinese
    assert to_first["reply_markup"] == {"inline_keyboard": [[{"text": "#1", "callback_data": f"note:{one}"}]]}
    rows = await firm.rows()
    assert [(rows[i].status, rows[i].message_id, rows[i].attempts) for i in (one, two)] == [
        (OutboxStatus.SENT, to_first["message_id"], 1), (OutboxStatus.SENT, to_second["message_id"], 1)]
    assert rows[one].sent_at is not None
    assert rows[one].lease_until is None
    assert later is not None
    assert (rows[later].status, rows[later].attempts) == (OutboxStatus.PENDING, 0)


async def test_a_sent_digest_marks_the_alerts_it_carried_as_sent(firm: Outbox) -> None:
    adviser_user = await firm.adviser()
    digest, other = await firm.queue(adviser_user, 1), await firm.queue(adviser_user, 2, silent=True)
    async with firm.engine.begin() as connection:
        adviser_id = (await connection.execute(select(TelegramAccount.adviser_id).where(
            TelegramAccount.telegram_user_id == adviser_user))).scalar_one()
        await connection.execute(insert(Client).values(client_id="C1", name="Client", adviser_id=adviser_id,
                                                       onboarded_on=date(2020, 1, 1)))
        await connection.execute(insert(Alert), [
            {"adviser_id": adviser_id, "client_id": "C1", "kind": AlertKind.TIER_CHANGE,
             "created_at": datetime.now(UTC), "outbox_id": outbox_id} for outbox_id in (digest, other)])

    tally = await firm.sender().run(once=True)

    assert (tally.sent, tally.nothing_to_say) == (1, 1)
    async with firm.engine.connect() as connection:
        sent_at = dict((await connection.execute(select(Alert.outbox_id, Alert.sent_at))).all())
    assert sent_at[digest] is not None
    assert sent_at[other] is None  # its digest found nothing left to say: the adviser was not told


async def test_nothing_left_to_say_ends_the_row_without_a_message(firm: Outbox) -> None:
    user = await firm.adviser()
    silent = await firm.queue(user, 1, silent=True)

    tally = await firm.sender().run(once=True)

    assert (tally.sent, tally.nothing_to_say) == (0, 1)
    assert firm.standin.calls("sendMessage") == []
    row = (await firm.rows())[silent or 0]
    assert (row.status, row.message_id, row.error) == (OutboxStatus.SENT, None, "nothing_to_say")


async def test_the_recipients_language_is_read_when_the_message_is_sent_not_when_it_was_queued(firm: Outbox) -> None:
    user = await firm.adviser(locale="en")
    await firm.queue(user, 1)
    async with firm.engine.begin() as connection:  # they choose Chinese with /language after it was queued
        await connection.execute(update(TelegramAccount).where(TelegramAccount.telegram_user_id == user)
                                 .values(locale="zh_Hans"))

    await firm.sender().run(once=True)

    assert [message["text"] for message in firm.standin.messages_to(user)] == [f"{MY_TIER['zh_Hans']} #1"]


async def test_429_pauses_every_send_then_the_message_goes_without_counting_an_attempt(firm: Outbox) -> None:
    users = [await firm.adviser() for _ in range(4)]
    ids = [await firm.queue(user, n) for n, user in enumerate(users)]
    firm.standin.fail_next("sendMessage", 429, retry_after=1)

    tally = await firm.sender(rate=5.0).run(once=True)  # 200 ms apart: the 429 is answered before the next goes

    assert (tally.sent, tally.failed, tally.unknown) == (4, 0, [])
    calls = firm.standin.calls("sendMessage")
    refused = next(call for call in calls if not call.ok)
    assert (refused.error or {}).get("error_code") == 429
    after = calls[refused.index - calls[0].index + 1:]
    assert len(after) == 4  # the refused one again, and the three others
    assert all(call.at >= refused.at + 1.0 for call in after)  # nobody sent during the pause
    assert refused["chat_id"] in [call["chat_id"] for call in after]
    rows = await firm.rows()
    assert {rows[i or 0].attempts for i in ids} == {1}
    assert all(len(firm.standin.messages_to(user)) == 1 for user in users)


async def test_a_blocked_bot_makes_the_recipient_unreachable_and_the_account_remembers(firm: Outbox) -> None:
    blocker, blocked_before = await firm.adviser(), await firm.adviser(blocked=True)
    firm.standin.block(blocker)  # Telegram knows; the bot has not been told yet
    first, second = await firm.queue(blocker, 1), await firm.queue(blocked_before, 2)

    tally = await firm.sender().run(once=True)

    assert (tally.sent, tally.unreachable) == (0, 2)
    assert [call["chat_id"] for call in firm.standin.calls("sendMessage")] == [blocker]  # the other not tried
    rows = await firm.rows()
    assert (rows[first or 0].status, rows[first or 0].error) == (
        OutboxStatus.UNREACHABLE, "Forbidden: bot was blocked by the user")
    assert (rows[second or 0].status, rows[second or 0].error) == (OutboxStatus.UNREACHABLE, "blocked")
    async with AsyncSession(firm.engine) as session:
        account = await session.get(TelegramAccount, blocker)
        assert account is not None
        assert account.blocked_at is not None
        actions = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor == f"tg:{blocker}"))).all()
    assert actions == ["account.block"]


async def test_a_chat_telegram_does_not_know_is_unreachable_and_another_bad_request_fails(firm: Outbox) -> None:
    stranger, adviser = await firm.adviser(known=False), await firm.adviser()
    lost = await firm.queue(stranger, 1)
    broken = await firm.queue(adviser, 2, text="line<br>break")  # HTML Telegram cannot parse

    tally = await firm.sender().run(once=True)

    assert (tally.unreachable, tally.failed) == (1, 1)
    rows = await firm.rows()
    assert (rows[lost or 0].status, rows[lost or 0].error) == (OutboxStatus.UNREACHABLE, "Bad Request: chat not found")
    assert (rows[broken or 0].status, rows[broken or 0].error) == (
        OutboxStatus.FAILED, "Bad Request: can't parse entities")
    assert len(firm.standin.calls("sendMessage")) == 2  # neither is tried again


async def test_a_kind_nobody_renders_fails_without_a_call(firm: Outbox) -> None:
    user = await firm.adviser()
    unknown_kind = await firm.queue(user, 1, kind="survey")

    tally = await firm.sender().run(once=True)

    assert tally.failed == 1
    assert firm.standin.calls("sendMessage") == []
    row = (await firm.rows())[unknown_kind or 0]
    assert (row.status, row.error) == (OutboxStatus.FAILED, "no renderer for this kind")


async def test_a_connection_that_cannot_be_made_is_retried_later_then_sent(firm: Outbox) -> None:
    user = await firm.adviser()
    queued = await firm.queue(user, 1) or 0
    await firm.standin.stop()
    sending = asyncio.create_task(firm.sender(backoff=1.0).run(once=True))

    async def put_off() -> bool:
        row = (await firm.rows())[queued]
        return row.status is OutboxStatus.PENDING and row.attempts == 1

    await eventually(put_off)
    row = (await firm.rows())[queued]
    assert row.error == "ClientConnectorError"
    assert row.next_attempt_at > datetime.now(UTC)  # backed off
    await firm.standin.start()
    tally = await sending

    assert (tally.sent, tally.retried) == (1, 1)
    row = (await firm.rows())[queued]
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert len(firm.standin.messages_to(user)) == 1


async def test_connections_that_cannot_be_made_fail_the_message_after_the_last_attempt(firm: Outbox) -> None:
    user = await firm.adviser()
    queued = await firm.queue(user, 1) or 0
    await firm.standin.stop()

    tally = await firm.sender(max_attempts=3).run(once=True)

    assert (tally.sent, tally.retried, tally.failed) == (0, 2, 1)
    row = (await firm.rows())[queued]
    assert (row.status, row.attempts, row.error) == (OutboxStatus.FAILED, 3, "ClientConnectorError")


@pytest.mark.parametrize(("fault", "error"), [("stall_next", "TimeoutError"),
                                              ("drop_next", "ServerDisconnectedError")])
async def test_a_send_whose_answer_never_comes_is_unknown_and_never_repeated(
    firm: Outbox, fault: str, error: str
) -> None:
    user = await firm.adviser()
    queued = await firm.queue(user, 1) or 0
    getattr(firm.standin, fault)("sendMessage")  # Telegram delivers it; the answer is lost

    tally = await firm.sender(lease_seconds=1.5).run(once=True)  # requests give up after 0.5 s
    again = await firm.sender().run(once=True)

    assert (tally.sent, tally.unknown, again.sent) == (0, [queued], 0)
    row = (await firm.rows())[queued]
    assert (row.status, row.error, row.attempts) == (OutboxStatus.UNKNOWN, error, 1)
    assert len(firm.standin.messages_to(user)) == 1  # delivered once, and not again
    assert len(firm.standin.calls("sendMessage")) == 1


async def test_a_server_error_is_unknown_telegram_may_have_sent_it(firm: Outbox) -> None:
    user = await firm.adviser()
    queued = await firm.queue(user, 1) or 0
    firm.standin.fail_next("sendMessage", 500)

    tally = await firm.sender().run(once=True)

    assert tally.unknown == [queued]
    row = (await firm.rows())[queued]
    assert (row.status, row.error) == (OutboxStatus.UNKNOWN, "Internal Server Error")


async def test_rows_a_dead_sender_left_claimed_are_reported_unknown_and_not_sent(firm: Outbox) -> None:
    user = await firm.adviser()
    five_minutes_ago = datetime.now(UTC) - timedelta(minutes=5)
    claimed = await firm.queue(user, 1, not_before=five_minutes_ago) or 0
    waiting = await firm.queue(user, 2) or 0
    async with firm.engine.begin() as connection:  # a sender claims it, then dies (SIGKILL) before marking it
        [row] = await outbox.claim(connection, now=five_minutes_ago, lease=timedelta(seconds=60), limit=1)
    assert row.id == claimed

    tally = await firm.sender().run(once=True)

    assert (tally.abandoned, tally.sent) == ([claimed], 1)
    rows = await firm.rows()
    assert (rows[claimed].status, rows[claimed].error) == (OutboxStatus.UNKNOWN, "lease_expired")
    assert rows[waiting].status is OutboxStatus.SENT
    assert [message["text"] for message in firm.standin.messages_to(user)] == [f"{MY_TIER['en']} #2"]


async def test_a_claim_still_held_by_a_live_sender_is_left_alone(firm: Outbox) -> None:
    user = await firm.adviser()
    claimed = await firm.queue(user, 1) or 0
    async with firm.engine.begin() as connection:
        await outbox.claim(connection, now=datetime.now(UTC), lease=timedelta(seconds=60), limit=1)

    tally = await firm.sender().run(once=True)

    assert (tally.abandoned, tally.sent) == ([], 0)
    assert (await firm.rows())[claimed].status is OutboxStatus.SENDING


async def test_the_same_news_is_queued_once(firm: Outbox) -> None:
    user = await firm.adviser()
    first = await firm.queue(user, 1, key="digest:A001:run-7")
    again = await firm.queue(user, 1, key="digest:A001:run-7")

    await firm.sender().run(once=True)

    assert first is not None
    assert again is None
    assert len(await firm.rows()) == 1
    assert len(firm.standin.messages_to(user)) == 1


async def test_one_message_a_second_per_chat_a_long_message_in_pieces_within_telegrams_limits(firm: Outbox) -> None:
    busy, long_reader = await firm.adviser(), await firm.adviser()
    for n in range(3):
        await firm.queue(busy, n)
    paragraph = "word " * 600
    long_text = "\n\n".join([paragraph.strip()] * 2)  # over 4,096 characters: two pieces
    long_one = await firm.queue(long_reader, 9, text=long_text) or 0
    firm.standin.limits = FloodLimits()  # Telegram's own: 1 s per chat, 30/s overall

    tally = await firm.sender(rate=25.0, per_chat_interval=1.0).run(once=True)

    assert tally.sent == 4
    calls = firm.standin.calls("sendMessage")
    assert all(call.ok for call in calls)  # no 429
    for chat in (busy, long_reader):
        times = [call.at for call in calls if call["chat_id"] == chat]
        assert all(later - earlier >= 1.0 - 0.02 for earlier, later in itertools.pairwise(times))
    pieces = firm.standin.messages_to(long_reader)
    assert len(pieces) == 2
    assert [piece["text"] for piece in pieces] == [paragraph.strip()] * 2
    assert ["reply_markup" in piece for piece in pieces] == [False, True]  # the buttons go with the last piece
    assert (await firm.rows())[long_one].message_id == pieces[1]["message_id"]


async def test_stopping_finishes_the_sends_under_way_and_puts_back_the_rest(firm: Outbox) -> None:
    users = [await firm.adviser() for _ in range(6)]
    for n, user in enumerate(users):
        await firm.queue(user, n)
    firm.standin.latency = 0.2
    stop = asyncio.Event()
    sender = firm.sender(rate=2.0, concurrency=6)  # all claimed at once; one every half second
    sending = asyncio.create_task(sender.run(stop=stop))
    await firm.standin.wait_for("sendMessage", after=0, timeout=5)  # the first has been answered
    stop.set()

    tally = await sending

    rows = await firm.rows()
    statuses = [row.status for row in rows.values()]
    assert OutboxStatus.SENDING not in statuses
    assert tally.sent + tally.released == 6
    assert tally.sent == statuses.count(OutboxStatus.SENT) == len(firm.standin.calls("sendMessage"))
    assert tally.released == statuses.count(OutboxStatus.PENDING) >= 3
    assert all(row.attempts == 0 for row in rows.values() if row.status is OutboxStatus.PENDING)

    again = await firm.sender().run(once=True)  # the next run sends the rest, and nothing twice
    assert again.sent == tally.released
    assert all(len(firm.standin.messages_to(user)) == 1 for user in users)


async def test_a_token_telegram_no_longer_takes_stops_the_sender_and_sends_nothing(firm: Outbox) -> None:
    user = await firm.adviser()
    queued = await firm.queue(user, 1) or 0
    firm.standin.fail_next("sendMessage", 401, description="Unauthorized")

    with pytest.raises(TelegramUnauthorizedError):
        await firm.sender().run(once=True)

    row = (await firm.rows())[queued]
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)


async def test_a_claim_takes_at_most_its_limit_oldest_due_first(firm: Outbox) -> None:
    user = await firm.adviser()
    now = datetime.now(UTC)
    ids = [await firm.queue(user, n, not_before=now - timedelta(minutes=n)) or 0 for n in range(10)]
    async with firm.engine.begin() as connection:
        claimed = await outbox.claim(connection, now=now, lease=timedelta(seconds=60), limit=3)
    assert [row.id for row in claimed] == ids[9:6:-1]  # due longest ago first
    assert [row.attempts for row in claimed] == [1, 1, 1]
    statuses = [row.status for row in (await firm.rows()).values()]
    assert statuses.count(OutboxStatus.SENDING) == 3


async def test_a_message_whose_later_piece_is_refused_is_not_sent_again_from_the_start(firm: Outbox) -> None:
    user = await firm.adviser()
    first_piece = ("word " * 700).strip()
    queued = await firm.queue(user, 1, text=f"{first_piece}\n\n{first_piece} <br>") or 0  # the second piece is bad

    tally = await firm.sender().run(once=True)

    assert tally.failed == 1
    [delivered] = firm.standin.messages_to(user)
    row = (await firm.rows())[queued]
    assert (row.status, row.message_id, row.error) == (
        OutboxStatus.FAILED, delivered["message_id"], "Bad Request: can't parse entities")
    assert len(firm.standin.calls("sendMessage")) == 2


async def test_a_row_reported_unknown_while_it_waited_out_a_pause_is_not_sent(firm: Outbox) -> None:
    user = await firm.adviser()
    queued = await firm.queue(user, 1) or 0
    firm.standin.fail_next("sendMessage", 429, retry_after=1)
    # Requests give up after 0.5 s, and a row held past that is renewed before it is sent.
    sending = asyncio.create_task(firm.sender(lease_seconds=1.5).run(once=True))
    await firm.standin.wait_for("sendMessage", after=0)  # the 429
    async with firm.engine.begin() as connection:  # meanwhile another sender's recovery reports it unknown
        await connection.execute(update(OutboxMessage).where(OutboxMessage.id == queued)
                                 .values(status=OutboxStatus.UNKNOWN, error="lease_expired"))

    tally = await sending

    assert (tally.sent, tally.unknown) == (0, [])
    assert len(firm.standin.calls("sendMessage")) == 1  # the refused one only
    assert (await firm.rows())[queued].status is OutboxStatus.UNKNOWN
