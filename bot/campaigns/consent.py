"""The consent ledger: a client's yes or no to marketing (strategy messages), as records that are only ever added.

The latest record is in force; a client with none has the consent they gave the firm at onboarding, so marketing
may reach them until they refuse it. Refusing is as easy as allowing: /unsubscribe, the words 退订 and "stop", or
the button under every marketing message; each record keeps when, by which channel and which wording was shown.
Service messages (surveys, alerts) are not marketing and do not ask this ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from bot.db.models import Client, ConsentPurpose, ConsentRecord

__all__ = ["has_consent", "record_consent", "refused"]


def _latest(purpose: ConsentPurpose) -> Select[str, bool]:
    later = aliased(ConsentRecord)
    newer = exists().where(
        later.client_id == ConsentRecord.client_id, later.purpose == purpose,
        (later.at > ConsentRecord.at) | and_(later.at == ConsentRecord.at, later.id > ConsentRecord.id))
    return select(ConsentRecord.client_id, ConsentRecord.granted).where(ConsentRecord.purpose == purpose, ~newer)


def refused(purpose: ConsentPurpose = ConsentPurpose.MARKETING) -> ColumnElement[bool]:
    """SQL: the client (`Client.client_id`) has refused `purpose` by their latest record."""
    latest = _latest(purpose).subquery()
    return exists().where(latest.c.client_id == Client.client_id, latest.c.granted.is_(False))


async def has_consent(connection: AsyncConnection, client_id: str,
                      purpose: ConsentPurpose = ConsentPurpose.MARKETING) -> bool:
    """Whether `purpose` may reach the client now: their latest record says yes, or there is none."""
    row = (await connection.execute(_latest(purpose).where(ConsentRecord.client_id == client_id))).first()
    return row is None or bool(row.granted)


async def record_consent(connection: AsyncConnection, client_id: str, *, granted: bool, channel: str,
                         text_version: str, now: datetime, telegram_user_id: int | None = None,
                         purpose: ConsentPurpose = ConsentPurpose.MARKETING) -> bool:
    """Add a record; returns whether it changed anything (False: the client's latest record already said so, and
    nothing is added)."""
    if await has_consent(connection, client_id, purpose) == granted:
        return False
    await connection.execute(ConsentRecord.__table__.insert().values(  # type: ignore[attr-defined]
        client_id=client_id, purpose=purpose, granted=granted, at=now, channel=channel[:32],
        text_version=text_version[:64], telegram_user_id=telegram_user_id))
    return True
