"""When a person blocks the bot in Telegram, and unblocks it: kept on their account (`blocked_at`), so that what
the bot would send them later can skip them until they are back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry, TelegramAccount

__all__ = ["record_blocking"]


async def record_blocking(session: AsyncSession, user_id: int, blocked_at: datetime | None) -> bool:
    """Note that the Telegram user `user_id` blocked the bot at `blocked_at` (None: unblocked it), with an audit
    entry. False, and nothing written, when nobody is bound to that account or it was so already (a block keeps
    the time it began)."""
    account = await session.get(TelegramAccount, user_id)
    if account is None or (account.blocked_at is None) == (blocked_at is None):
        return False
    account.blocked_at = blocked_at
    session.add(AuditEntry(at=datetime.now(UTC), actor=f"tg:{user_id}",
                           action="account.block" if blocked_at is not None else "account.unblock",
                           client_id=account.client_id,
                           details={"role": account.role.value, "adviser_id": account.adviser_id}))
    return True
