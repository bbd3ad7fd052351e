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
    # Telegram's dates are in seconds: two changes within one are taken in the order they are handled.
    newer = (account.telegram_user_id == user_id,
             or_(account.membership_changed_at.is_(None), account.membership_changed_at <= at))
    changed = (await session.execute(
        update(TelegramAccount)
        .where(*newer, account.blocked_at.is_(None) if blocked else account.blocked_at.is_not(None))
        .values(blocked_at=at if blocked else None, membership_changed_at=at)
        .returning(account.role, account.client_id, account.adviser_id)
    )).one_or_none()
    if changed is None:  # as it was already: still the latest word, so that an older one arriving later loses
        await session.execute(update(TelegramAccount).where(*newer).values(membership_changed_at=at))
        return False
    session.add(AuditEntry(at=datetime.now(UTC), actor=f"tg:{user_id}",
                           action="account.block" if blocked else "account.unblock", client_id=changed.client_id,
                           details={"role": str(changed.role), "adviser_id": changed.adviser_id}))
    return True
