"""The outbox in SQL: queueing in the caller's transaction, so that a message is queued if and only if the change
that calls for it lands; and the sender's side, each step a short transaction of its own: claim the due rows
(committed before anything is sent), mark each as it ends, put back what was claimed and not sent, and report as
unknown the rows a sender claimed and never marked.

Several senders may run on PostgreSQL: a claim locks the rows it takes and skips those another claim holds (FOR
UPDATE SKIP LOCKED). SQLite has no row locks, and its one writer at a time serialises claims: run one sender there.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Update, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.db.models import Alert, Campaign, CampaignStatus, OutboxMessage, OutboxStatus, TelegramAccount

__all__ = ["Outgoing", "Queued", "Recipient", "claim", "delivered", "enqueue", "enqueue_many", "expire_leases",
           "held_campaigns", "mark", "mark_sent", "next_due", "pending_among", "recipient", "release", "renew_lease",
           "reschedule"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to queue: what renders it (`kind`), to whom, the ids it speaks of, and a key naming the news it
    carries, so that the same news is queued once however often it is offered."""

    kind: str
    telegram_user_id: int
    dedupe_key: str
    not_before: datetime  # timezone-aware: not sent before (quiet hours hold a digest until morning)
    payload: dict[str, Any] = field(default_factory=dict)  # ids and codes only, never names or text
    campaign_id: int | None = None  # the campaign it belongs to: held while that campaign is paused


@dataclass(frozen=True, slots=True)
class Queued:
    """A claimed row, handed to its renderer: `attempts` counts this one."""

    id: int
    kind: str
    telegram_user_id: int
    payload: dict[str, Any]
    attempts: int
    campaign_id: int | None = None  # the campaign it belongs to, if any


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a message goes: the account's private chat, unless the person has blocked the bot."""

    chat_id: int
    blocked: bool


def _insert(connection: AsyncConnection) -> Any:
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    return dialect_insert(OutboxMessage).on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])


def _row(message: Outgoing, now: datetime) -> dict[str, Any]:
    return {"kind": message.kind, "telegram_user_id": message.telegram_user_id, "payload": message.payload,
            "dedupe_key": message.dedupe_key, "status": OutboxStatus.PENDING, "attempts": 0,
            "next_attempt_at": message.not_before, "created_at": now, "campaign_id": message.campaign_id}


async def enqueue_many(connection: AsyncConnection, messages: Sequence[Outgoing], *, now: datetime) -> None:
    """Queue many messages at once (a campaign's), those whose dedupe key is new; in batches of one statement each
    (executemany), without the ids: read them back by dedupe key when needed."""
    for first in range(0, len(messages), 5000):
        await connection.execute(_insert(connection), [_row(m, now) for m in messages[first:first + 5000]])


async def enqueue(connection: AsyncConnection, messages: Sequence[Outgoing], *, now: datetime) -> dict[str, int]:
    """Queue the messages whose dedupe key is new; returns the id of each one queued, by dedupe key (a key queued
    before is left out: its news is already on its way)."""
    if not messages:
        return {}
    statement = _insert(connection).returning(OutboxMessage.dedupe_key, OutboxMessage.id)
    queued: dict[str, int] = {}
    # One statement per row: RETURNING with ON CONFLICT over executemany is not portable.
    for row in (_row(m, now) for m in messages):
        result = (await connection.execute(statement, row)).one_or_none()
        if result is not None:
            queued[result.dedupe_key] = result.id
    return queued


def delivered() -> ColumnElement[bool]:
    """SQL: the row's message reached Telegram (sent, with Telegram's id of it); a row closed unsent or with nothing
    left to say is sent without one."""
    return and_(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.message_id.is_not(None))


def _claimable() -> ColumnElement[bool]:
    """A pending row a sender may take: one of no campaign, or of a campaign that is not paused."""
    paused = select(Campaign.id).where(Campaign.status == CampaignStatus.PAUSED)
    return and_(OutboxMessage.status == OutboxStatus.PENDING,
                or_(OutboxMessage.campaign_id.is_(None), OutboxMessage.campaign_id.not_in(paused.scalar_subquery())))


async def claim(connection: AsyncConnection, *, now: datetime, lease: timedelta, limit: int) -> list[Queued]:
    """Take up to `limit` due rows, oldest due first, for `lease`: they are 'sending' and their attempt is counted
    once the caller commits, which it does before sending any of them."""
    # Materialised: as a plain subquery PostgreSQL may run it again for each row it updates, and each run would
    # lock `limit` more rows, past the limit.
    due = (
        select(OutboxMessage.id)
        .where(_claimable(), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's compiler leaves it out
        .cte("due")
        .prefix_with("MATERIALIZED")
    )
    claimed = (await connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == due.c.id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.telegram_user_id, OutboxMessage.payload,
                   OutboxMessage.attempts, OutboxMessage.next_attempt_at, OutboxMessage.campaign_id)
    )).all()
    rows = sorted(claimed, key=lambda row: (row.next_attempt_at, row.id))  # RETURNING keeps no order
    return [Queued(row.id, row.kind, row.telegram_user_id, row.payload, row.attempts, row.campaign_id)
            for row in rows]


def _claimed(outbox_id: int) -> Update:
    return update(OutboxMessage).where(OutboxMessage.id == outbox_id, OutboxMessage.status == OutboxStatus.SENDING)


async def renew_lease(connection: AsyncConnection, outbox_id: int, *, now: datetime, lease: timedelta) -> bool:
    """Keep a claimed row for another `lease`; False when it is no longer claimed (reported unknown meanwhile):
    then it must not be sent."""
    result = await connection.execute(_claimed(outbox_id).values(lease_until=now + lease))
    return bool(result.rowcount)


async def release(connection: AsyncConnection, outbox_id: int, *, until: datetime | None = None) -> None:
    """Put back a claimed row none of which was sent (the sender is stopping, or its renderer says not before
    `until`): pending again, its attempt not counted."""
    values: dict[str, Any] = {"status": OutboxStatus.PENDING, "lease_until": None,
                              "attempts": OutboxMessage.attempts - 1}
    if until is not None:
        values["next_attempt_at"] = until
    await connection.execute(_claimed(outbox_id).values(values))


async def reschedule(connection: AsyncConnection, outbox_id: int, *, at: datetime, error: str) -> None:
    """Try a claimed row again at `at`: its request certainly did not reach Telegram."""
    await connection.execute(_claimed(outbox_id).values(
        status=OutboxStatus.PENDING, lease_until=None, next_attempt_at=at, error=error))


async def mark_sent(connection: AsyncConnection, outbox_id: int, *, now: datetime, message_id: int | None,
                    error: str | None = None) -> None:
    """The row is sent (`message_id` of its last piece; None with `error` when there was nothing left to say), and
    so are the alerts it carries. A row reported unknown meanwhile is sent all the same: now it is known."""
    await connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id,
               OutboxMessage.status.in_((OutboxStatus.SENDING, OutboxStatus.UNKNOWN)))
        .values(status=OutboxStatus.SENT, sent_at=now, message_id=message_id, lease_until=None, error=error))
    if message_id is not None:
        await connection.execute(update(Alert).where(Alert.outbox_id == outbox_id).values(sent_at=now))


async def mark(connection: AsyncConnection, outbox_id: int, status: OutboxStatus, *, error: str,
               message_id: int | None = None) -> None:
    """End a claimed row as unreachable, failed or unknown, with the kind of what happened (never its text) and
    the id of the last piece that did go, if any."""
    await connection.execute(_claimed(outbox_id).values(
        status=status, lease_until=None, error=error[:64], message_id=message_id))


async def expire_leases(connection: AsyncConnection, *, now: datetime) -> list[int]:
    """Rows still claimed whose lease has run out: their sender stopped without marking them, perhaps after
    sending. They become unknown, never pending again; returns their ids."""
    rows = await connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now)
        .values(status=OutboxStatus.UNKNOWN, lease_until=None, error="lease_expired")
        .returning(OutboxMessage.id))
    return sorted(rows.scalars())


async def next_due(connection: AsyncConnection) -> datetime | None:
    """When the next pending row a sender may take falls due; None when none is pending."""
    return await connection.scalar(select(func.min(OutboxMessage.next_attempt_at)).where(_claimable()))


async def held_campaigns(connection: AsyncConnection, ids: Collection[int]) -> set[int]:
    """Those of the campaigns `ids` that are no longer running (paused or closed): a sender puts back the rows of
    theirs it claimed and has not begun to send."""
    if not ids:
        return set()
    return set((await connection.execute(select(Campaign.id).where(
        Campaign.id.in_(ids), Campaign.status != CampaignStatus.RUNNING))).scalars())


async def pending_among(connection: AsyncConnection, ids: Collection[int]) -> set[int]:
    """Those of `ids` still pending (a sender waiting for the retries it put off)."""
    if not ids:
        return set()
    return set((await connection.execute(select(OutboxMessage.id).where(
        OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING))).scalars())


async def recipient(session: AsyncSession, telegram_user_id: int) -> Recipient | None:
    """The account a row is for; None when nobody is bound to it any more."""
    row = (await session.execute(
        select(TelegramAccount.chat_id, TelegramAccount.blocked_at)
        .where(TelegramAccount.telegram_user_id == telegram_user_id))).one_or_none()
    return None if row is None else Recipient(row.chat_id, row.blocked_at is not None)
