"""Whom a client contacts: their adviser while the adviser is with the firm, and how to reach them as the firm's
file gives it (advisers.csv's optional phone and email)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts.access import Refusal, grant_access
from bot.accounts.readers import Reader
from bot.config import firm_today
from bot.db.models import Adviser, Client, Role, with_the_firm

__all__ = ["AdviserContact", "adviser_contact"]


@dataclass(frozen=True, slots=True)
class AdviserContact:
    """A client's adviser as the client may reach them. `adviser` is None when the client has no adviser now:
    none was assigned, or theirs has left the firm (`left`); the firm's client service is whom they contact then."""

    adviser: str | None
    phone: str | None = None
    email: str | None = None
    left: bool = False


async def adviser_contact(session: AsyncSession, reader: Reader) -> AdviserContact | None:
    """The adviser of the reader when they are a client; None for anyone else (staff have no adviser)."""
    if reader.role is not Role.CLIENT:
        return None
    allowed = await grant_access(session, reader, None)
    if isinstance(allowed, Refusal):
        return None
    row = (await session.execute(
        select(Adviser.name, Adviser.phone, Adviser.email, Adviser.left_on)
        .select_from(Client)
        .join(Adviser, Adviser.adviser_id == Client.adviser_id)
        .where(Client.client_id == allowed.client_id)
    )).one_or_none()
    if row is None:
        return AdviserContact(None)
    if not with_the_firm(row.left_on, firm_today()):
        return AdviserContact(None, left=True)
    return AdviserContact(row.name, row.phone or None, row.email or None)
