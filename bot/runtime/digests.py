"""Digests as the sender would send them next, rendered by the same renderer in each adviser's language, without
sending or writing anything (`tierbot digest --dry-run`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import handlers
from bot.accounts import load_reader
from bot.alerts import DIGEST_KIND, DigestSchedule, digests_to_queue, pending_digests
from bot.config import Settings
from bot.delivery.outbox import Queued
from bot.delivery.sender import Postponed, Rendered
from bot.i18n import use_locale, use_zone
from bot.telegram import reader_locale

__all__ = ["DigestPreview", "preview_digests"]


@dataclass(frozen=True, slots=True)
class DigestPreview:
    """One digest as its adviser would read it; `rendered` None: nothing left to say, so nothing would be sent."""

    adviser_id: str | None
    telegram_user_id: int
    locale: str
    not_before: datetime
    outbox_id: int | None  # None: not queued yet; `tierbot digest` or the next scoring run queues it
    rendered: Rendered | None


async def preview_digests(engine: AsyncEngine, settings: Settings, *, now: datetime | None = None
                          ) -> list[DigestPreview]:
    """The digests waiting in the outbox, then those `tierbot digest` would queue now, in the order they would go."""
    now = now or datetime.now(UTC)
    render = handlers.renderers()[DIGEST_KIND]
    # Read on one connection that is rolled back when it closes.
    async with engine.connect() as connection:
        digests: list[tuple[int | None, Queued, datetime]] = [
            (digest.outbox_id, Queued(digest.outbox_id, DIGEST_KIND, digest.telegram_user_id, digest.payload,
                                      digest.attempts), digest.not_before)
            for digest in await pending_digests(connection)]
        digests += [
            (None, Queued(0, DIGEST_KIND, message.telegram_user_id, message.payload, 0), message.not_before)
            for message in await digests_to_queue(connection, schedule=DigestSchedule.from_settings(settings), now=now)]
        session = AsyncSession(bind=connection)
        previews = []
        for outbox_id, queued, not_before in sorted(digests, key=lambda digest: digest[2]):
            reader = await load_reader(session, queued.telegram_user_id)
            locale = await reader_locale(reader, None, None, settings.firm.default_locale)
            with use_locale(locale), use_zone(reader.timezone):
                rendered = await render(session, queued, reader)
            assert not isinstance(rendered, Postponed)  # quiet hours hold a digest when it is queued, not after
            previews.append(DigestPreview(reader.adviser_id, queued.telegram_user_id, locale, not_before, outbox_id,
                                          rendered))
    return previews
