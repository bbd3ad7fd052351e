"""Who is writing: invites, binding a Telegram account to a client, adviser or admin, and the reader's locale.

A Telegram account is nobody until it redeems an invite. Tokens are random, shown once, stored as SHA-256,
single-use and expiring; redeeming is one conditional UPDATE, so two people racing for a token cannot both win.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Adviser, AuditEntry, Client, Invite, Role, TelegramAccount

__all__ = [
    "INVITE_TTL",
    "BindingRefused",
    "IssuedInvite",
    "Reader",
    "Refusal",
    "UnknownTarget",
    "create_invite",
    "load_reader",
    "may_view",
    "redeem_invite",
    "remember_locale",
]

INVITE_TTL = timedelta(days=7)
# Deep-link payloads allow 64 characters of [A-Za-z0-9_-]; 32 random bytes in base64url are 43.
_TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class Reader:
    """The person behind an update: who they are bound as, if anyone, and the locale they chose, if any."""

    user_id: int
    role: Role | None = None
    client_id: str | None = None
    adviser_id: str | None = None
    locale: str | None = None

    @property
    def bound(self) -> bool:
        return self.role is not None


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    token: str
    role: Role
    target_id: str | None
    expires_at: datetime


class UnknownTarget(Exception):
    """The client or adviser to invite is not in the database."""


class Refusal(enum.StrEnum):
    UNKNOWN = "unknown"  # no such token: forged, mistyped, or from another installation
    USED = "used"
    EXPIRED = "expired"
    ALREADY_BOUND = "already_bound"  # this Telegram account is bound to someone else


class BindingRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_invite(
    session: AsyncSession, role: Role, target_id: str | None, *, created_by: str, ttl: timedelta = INVITE_TTL
) -> IssuedInvite:
    """A new invite for the client or adviser `target_id` (None for an admin); the token is never stored."""
    model = {Role.CLIENT: Client, Role.ADVISER: Adviser}.get(role)
    if model is not None and (target_id is None or await session.get(model, target_id) is None):
        raise UnknownTarget(target_id)
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    now = datetime.now(UTC)
    invite = Invite(
        token_hash=_hash(token),
        role=role,
        client_id=target_id if role is Role.CLIENT else None,
        adviser_id=target_id if role is Role.ADVISER else None,
        created_by=created_by,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invite)
    session.add(AuditEntry(at=now, actor=created_by, action="invite.create",
                           client_id=invite.client_id, details={"role": role.value, "adviser_id": invite.adviser_id}))
    return IssuedInvite(token, role, target_id, invite.expires_at)


async def redeem_invite(session: AsyncSession, token: str, *, user_id: int, chat_id: int) -> TelegramAccount:
    """Bind the Telegram account to the invite's person; raises BindingRefused and changes nothing otherwise."""
    invite = await session.scalar(select(Invite).where(Invite.token_hash == _hash(token)))
    if invite is None:
        raise BindingRefused(Refusal.UNKNOWN)
    now = datetime.now(UTC)
    if invite.used_at is not None:
        raise BindingRefused(Refusal.USED)
    if invite.expires_at <= now:
        raise BindingRefused(Refusal.EXPIRED)
    account = await session.get(TelegramAccount, user_id)
    if account is not None and (account.role, account.client_id, account.adviser_id) != (
        invite.role, invite.client_id, invite.adviser_id
    ):
        raise BindingRefused(Refusal.ALREADY_BOUND)
    claimed = await session.execute(
        update(Invite).where(Invite.id == invite.id, Invite.used_at.is_(None)).values(used_at=now, used_by=user_id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise BindingRefused(Refusal.USED)
    if account is None:
        account = TelegramAccount(telegram_user_id=user_id, chat_id=chat_id, role=invite.role,
                                  client_id=invite.client_id, adviser_id=invite.adviser_id, bound_at=now)
        session.add(account)
        try:
            await session.flush()
        except IntegrityError:  # the same person redeemed another invite at the same moment, and won
            raise BindingRefused(Refusal.ALREADY_BOUND) from None
    account.chat_id, account.blocked_at = chat_id, None
    session.add(AuditEntry(at=now, actor=f"tg:{user_id}", action="account.bind", client_id=invite.client_id,
                           details={"role": invite.role.value, "adviser_id": invite.adviser_id,
                                    "invite": invite.id}))
    return account


_READER = select(TelegramAccount.role, TelegramAccount.client_id, TelegramAccount.adviser_id,
                 TelegramAccount.locale).where(TelegramAccount.telegram_user_id == bindparam("user_id"))


async def load_reader(session: AsyncSession, user_id: int) -> Reader:
    """Read on every update: a plain row, not an ORM object."""
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


async def may_view(session: AsyncSession, reader: Reader, client_id: str) -> bool:
    """A client sees only themselves, an adviser still with the firm only the clients assigned to them, an admin
    every client there is."""
    if reader.role is Role.CLIENT:
        return reader.client_id == client_id
    if reader.role is Role.ADMIN:
        return await session.get(Client, client_id) is not None
    if reader.role is Role.ADVISER:
        row = (await session.execute(
            select(Client.adviser_id, Adviser.left_on)
            .join(Adviser, Adviser.adviser_id == Client.adviser_id)
            .where(Client.client_id == client_id)
        )).one_or_none()
        return row is not None and row.adviser_id == reader.adviser_id and (
            row.left_on is None or row.left_on > datetime.now(UTC).date())
    return False
