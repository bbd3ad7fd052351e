"""Writing to the outbox: in the caller's transaction, so that a message is queued if and only if the change that
calls for it lands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.models import OutboxMessage, OutboxStatus

__all__ = ["Outgoing", "enqueue"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to queue: what renders it (`kind`), to whom, the ids it speaks of, and a key naming the news it
    carries, so that the same news is queued once however often it is offered."""

    kind: str
    telegram_user_id: int
    dedupe_key: str
    not_before: datetime  # timezone-aware: not sent before (quiet hours hold a digest until morning)
    payload: dict[str, Any] = field(default_factory=dict)  # ids and codes only, never names or text


async def enqueue(connection: AsyncConnection, messages: Sequence[Outgoing], *, now: datetime) -> dict[str, int]:
    """Queue the messages whose dedupe key is new; returns the id of each one queued, by dedupe key (a key queued
    before is left out: its news is already on its way)."""
    if not messages:
        return {}
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    statement = (
        dialect_insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        .returning(OutboxMessage.dedupe_key, OutboxMessage.id)
    )
    rows = [
        {"kind": m.kind, "telegram_user_id": m.telegram_user_id, "payload": m.payload, "dedupe_key": m.dedupe_key,
         "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": m.not_before, "created_at": now}
        for m in messages
    ]
    queued: dict[str, int] = {}
    for row in rows:  # one statement per row: RETURNING with ON CONFLICT over executemany is not portable
        result = (await connection.execute(statement, row)).one_or_none()
        if result is not None:
            queued[result.dedupe_key] = result.id
    return queued
