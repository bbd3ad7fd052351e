"""Raising alerts: a row per alert due, for the client's adviser while they are with the firm."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.alerts.policy import StandingChange, alerts_due
from bot.db.models import Adviser, Alert, Client

__all__ = ["raise_alerts"]


async def raise_alerts(connection: AsyncConnection, changes: Sequence[StandingChange], *, as_of: date,
                       now: datetime) -> int:
    """Write the alerts the changes call for, in the caller's transaction; returns how many."""
    due = {change.client_id: alerts for change in changes if (alerts := alerts_due(change))}
    if not due:
        return 0
    advisers: dict[str, str | None] = {client_id: adviser_id for client_id, adviser_id in await connection.execute(
        select(Client.client_id, Client.adviser_id)
        .join(Adviser, Adviser.adviser_id == Client.adviser_id)
        .where(Client.client_id.in_(due), Adviser.with_the_firm_on(as_of))
    )}
    rows = [
        {"adviser_id": advisers[client_id], "client_id": client_id, "kind": kind, "details": details,
         "created_at": now}
        for client_id, alerts in due.items() if client_id in advisers
        for kind, details in alerts
    ]
    if rows:
        await connection.execute(insert(Alert), rows)
    return len(rows)
