"""The reader: the person behind an update, as bound (or not) to a client, adviser or admin, and their choices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import firm_today
from bot.db.models import Adviser, Client, Role, TelegramAccount, with_the_firm

__all__ = ["Reader", "display_name", "load_reader", "remember_locale"]


@dataclass(frozen=True, slots=True)
class Reader:
    """Who they are bound as, if anyone, the locale they chose, if any, the locale the firm's records give the
    client or adviser they are bound to, if any, and the day an adviser left the firm, if they have."""

    user_id: int
    role: Role | None = None
    client_id: str | None = None
    adviser_id: str | None = None
    locale: str | None = None
    record_locale: str | None = None
    left_on: date | None = None
    # The IANA time zone of the client's or adviser's record: the dates and times they read are on its clock.
    timezone: str | None = None

    @property
    def bound(self) -> bool:
        return self.role is not None

    @property
    def departed(self) -> bool:
        """An adviser who has left the firm (as of today on its calendar): refused everything an adviser may do."""
        return self.role is Role.ADVISER and not with_the_firm(self.left_on, firm_today())

    @property
    def staff(self) -> bool:
        return self.role in (Role.ADVISER, Role.ADMIN)


# An account is bound to a client or to an adviser (or to neither, an admin): at most one of the joins finds a row.
_READER = (
    select(TelegramAccount.role, TelegramAccount.client_id, TelegramAccount.adviser_id, TelegramAccount.locale,
           func.coalesce(Client.locale, Adviser.locale), Adviser.left_on,
           func.coalesce(Client.timezone, Adviser.timezone))
    .outerjoin(Client, Client.client_id == TelegramAccount.client_id)
    .outerjoin(Adviser, Adviser.adviser_id == TelegramAccount.adviser_id)
    .where(TelegramAccount.telegram_user_id == bindparam("user_id"))
)


async def load_reader(session: AsyncSession, user_id: int) -> Reader:
    """Read on every update, the record's locale with it in the same query: a plain row, not an ORM object."""
    row = (await session.execute(_READER, {"user_id": user_id})).one_or_none()
    return Reader(user_id) if row is None else Reader(user_id, *row)


async def remember_locale(session: AsyncSession, reader: Reader, locale: str) -> bool:
    """Store a bound reader's choice of language; False for an unbound reader (whose choice the caller keeps in
    the conversation state)."""
    account = await session.get(TelegramAccount, reader.user_id)
    if account is None:
        return False
    account.locale = locale
    return True


async def display_name(session: AsyncSession, reader: Reader) -> str | None:
    """The firm's name for the reader themselves, a bound client or adviser; None for an admin or an unbound
    reader."""
    if reader.client_id is not None:
        return await session.scalar(select(Client.name).where(Client.client_id == reader.client_id))
    if reader.adviser_id is not None:
        return await session.scalar(select(Adviser.name).where(Adviser.adviser_id == reader.adviser_id))
    return None
