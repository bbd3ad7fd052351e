"""Names of the people behind readers, for greetings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader
from bot.db.models import Adviser, Client


async def display_name(session: AsyncSession, reader: Reader) -> str | None:
    """The firm's name for the bound client or adviser; None for an admin or an unbound reader."""
    if reader.client_id is not None:
        return await session.scalar(select(Client.name).where(Client.client_id == reader.client_id))
    if reader.adviser_id is not None:
        return await session.scalar(select(Adviser.name).where(Adviser.adviser_id == reader.adviser_id))
    return None
