"""/stats: the firm at a glance for admins: clients by tier, the last scoring run's changes as a from → to matrix,
churn risk, and the people the bot cannot reach.

The tables are monospace and fit a phone held upright: tiers are numbered in the first table, and the matrix's rows
and columns name them by those numbers. The template holds their words and lays them out; this passes it the data.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader
from bot.config import Settings
from bot.i18n import render
from bot.telegram import send
from bot.workspace import UNDELIVERED, FirmStats, firm_stats
from tiering import TierRules


def _tiers_shown(stats: FirmStats, rules: TierRules) -> list[str]:
    """The rules' tiers, lowest first, then any tier a client stands in that the rules no longer have."""
    known = [tier.id for tier in rules.tiers]
    present = {t.tier for t in stats.tiers}
    if stats.last_run is not None:
        present |= {tier for change in stats.last_run.changes for tier in change if tier is not None}
    return known + sorted(present - set(known))


async def stats_command(message: Message, session: AsyncSession, reader: Reader, rules: TierRules,
                        settings: Settings) -> None:
    stats = await firm_stats(session, reader)
    text = render(
        "admin/stats.html.j2", stats=stats, run=stats.last_run, rules=rules, tiers=_tiers_shown(stats, rules),
        clients={t.tier: t.clients for t in stats.tiers}, zone=settings.firm.timezone,
        undelivered=[(status, stats.undelivered.get(status, 0)) for status in UNDELIVERED],
    )
    assert message.bot is not None
    await send(message.bot, message.chat.id, text)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(stats_command, Command("stats"))
    return router
