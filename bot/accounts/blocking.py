"""When a person blocks the bot in Telegram, and unblocks it: kept on their account (`blocked_at`), so that what
the bot would send them later can skip them until they are back."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry, TelegramAccount

__all__ = ["record_blocking"]


async def record_blocking(session: AsyncSession, user_id: int, blocked: bool, at: datetime) -> bool:
    """Note that the Telegram user `user_id` blocked the bot (`blocked`) or unblocked it, as Telegram tells it
    happened `at`, with an audit entry. False, and the state left as it is, when nobody is bound to that account,
    it was so already (a block keeps the time it began), or Telegram has since told of a later change: updates
    are handled concurrently, and a block and an unblock in quick succession may arrive in either order."""
    account = TelegramAccount
    # First the clock, which locks the row (PostgreSQL) or the database (SQLite) before anything is decided, so a
    # change handled at the same time waits. Telegram's dates are in seconds: two changes within one are taken in
    # the order they are handled.
    row = (await session.execute(
        update(account)
        .where(account.telegram_user_id == user_id,
               or_(account.membership_changed_at.is_(None), account.membership_changed_at <= at))
        .values(membership_changed_at=at)
        .returning(account.blocked_at, account.role, account.client_id, account.adviser_id)
    )).one_or_none()
    if row is None or (row.blocked_at is not None) == blocked:  # a later word was had, or nothing changes
        return False
    await session.execute(update(account).where(account.telegram_user_id == user_id)
                          .values(blocked_at=at if blocked else None))
    session.add(AuditEntry(at=datetime.now(UTC), actor=f"tg:{user_id}",
                           action="account.block" if blocked else "account.unblock", client_id=row.client_id,
                           details={"role": str(row.role), "adviser_id": row.adviser_id}))
    return True
