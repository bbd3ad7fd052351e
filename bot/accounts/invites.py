"""Invites, and binding a Telegram account to a client, adviser or admin by redeeming one.

A Telegram account is nobody until it redeems an invite. Tokens are random, shown once, stored as SHA-256,
single-use and expiring; redeeming is one conditional UPDATE, so two people racing for a token cannot both win.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Adviser, AuditEntry, Client, Invite, Role, TelegramAccount

__all__ = ["INVITE_TTL", "INVITE_TTL_RANGE", "BindingRefusal", "BindingRefused", "IssuedInvite", "UnknownTarget",
           "create_invite", "create_invites", "redeem_invite"]

INVITE_TTL = timedelta(days=7)
# How long an operator may make an invite live, least and most (tests make them already expired).
INVITE_TTL_RANGE = (timedelta(hours=1), timedelta(days=30))
_ID_QUERY_CHUNK = 1_000  # ids per IN (...): well under SQLite's and PostgreSQL's limits on bound parameters
# Deep-link payloads allow 64 characters of [A-Za-z0-9_-]; 32 random bytes in base64url are 43.
_TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    token: str
    role: Role
    target_id: str | None
    expires_at: datetime


class UnknownTarget(Exception):
    """Clients or advisers to invite that are not in the database: `ids`, in the order asked."""

    def __init__(self, *ids: str | None) -> None:
        super().__init__(*ids)
        self.ids = ids


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


def _issue(session: AsyncSession, role: Role, target_id: str | None, *, created_by: str, now: datetime,
           ttl: timedelta) -> IssuedInvite:
    token = secrets.token_urlsafe(_TOKEN_BYTES)
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


async def create_invites(
    session: AsyncSession, role: Role, target_ids: Sequence[str], *, created_by: str, ttl: timedelta = INVITE_TTL
) -> list[IssuedInvite]:
    """New invites for the clients or advisers `target_ids`, one each in their order, all or none: raises
    UnknownTarget naming every id that is not in the database, and adds nothing then. Tokens are never stored."""
    if role is Role.ADMIN:
        raise ValueError("an admin's invite names no one in the database: use create_invite")
    key = Client.client_id if role is Role.CLIENT else Adviser.adviser_id
    wanted = list(dict.fromkeys(target_ids))
    known: set[str] = set()
    for start in range(0, len(wanted), _ID_QUERY_CHUNK):
        known.update(await session.scalars(select(key).where(key.in_(wanted[start:start + _ID_QUERY_CHUNK]))))
    missing = [target_id for target_id in target_ids if target_id not in known]
    if missing:
        raise UnknownTarget(*missing)
    now = datetime.now(UTC)
    return [_issue(session, role, target_id, created_by=created_by, now=now, ttl=ttl) for target_id in target_ids]


async def create_invite(
    session: AsyncSession, role: Role, target_id: str | None, *, created_by: str, ttl: timedelta = INVITE_TTL
) -> IssuedInvite:
    """A new invite for the client or adviser `target_id` (None for an admin); the token is never stored."""
    if role is Role.ADMIN:
        return _issue(session, role, None, created_by=created_by, now=datetime.now(UTC), ttl=ttl)
    if target_id is None:
        raise UnknownTarget(None)
    return (await create_invites(session, role, [target_id], created_by=created_by, ttl=ttl))[0]


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
