"""Invites, and binding a Telegram account to a client, adviser or admin by redeeming one.

A Telegram account is nobody until it redeems an invite. Tokens are random, shown once, stored as SHA-256,
single-use and expiring; redeeming is one conditional UPDATE, so two people racing for a token cannot both win.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Adviser, AuditEntry, Client, Invite, Role, TelegramAccount

__all__ = ["INVITE_TTL", "BindingRefusal", "BindingRefused", "IssuedInvite", "UnknownTarget", "create_invite",
           "redeem_invite"]

INVITE_TTL = timedelta(days=7)
# Deep-link payloads allow 64 characters of [A-Za-z0-9_-]; 32 random bytes in base64url are 43.
_TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    token: str
    role: Role
    target_id: str | None
    expires_at: datetime


class UnknownTarget(Exception):
    """The client or adviser to invite is not in the database."""


class BindingRefusal(enum.StrEnum):
    UNKNOWN = "unknown"  # no such token: forged, mistyped, or from another installation
    USED = "used"
    EXPIRED = "expired"
    ALREADY_BOUND = "already_bound"  # this Telegram account is bound to someone else


class BindingRefused(Exception):
    def __init__(self, refusal: BindingRefusal) -> None:
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
        raise BindingRefused(BindingRefusal.UNKNOWN)
    now = datetime.now(UTC)
    if invite.used_at is not None:
        raise BindingRefused(BindingRefusal.USED)
    if invite.expires_at <= now:
        raise BindingRefused(BindingRefusal.EXPIRED)
    account = await session.get(TelegramAccount, user_id)
    if account is not None and (account.role, account.client_id, account.adviser_id) != (
        invite.role, invite.client_id, invite.adviser_id
    ):
        raise BindingRefused(BindingRefusal.ALREADY_BOUND)
    claimed = await session.execute(
        update(Invite).where(Invite.id == invite.id, Invite.used_at.is_(None)).values(used_at=now, used_by=user_id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise BindingRefused(BindingRefusal.USED)
    if account is None:
        account = TelegramAccount(telegram_user_id=user_id, chat_id=chat_id, role=invite.role,
                                  client_id=invite.client_id, adviser_id=invite.adviser_id, bound_at=now)
        session.add(account)
        try:
            await session.flush()
        except IntegrityError:  # the same person redeemed another invite at the same moment, and won
            raise BindingRefused(BindingRefusal.ALREADY_BOUND) from None
    account.chat_id, account.blocked_at = chat_id, None
    session.add(AuditEntry(at=now, actor=f"tg:{user_id}", action="account.bind", client_id=invite.client_id,
                           details={"role": invite.role.value, "adviser_id": invite.adviser_id,
                                    "invite": invite.id}))
    return account
