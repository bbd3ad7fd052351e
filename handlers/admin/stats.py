"""/stats: the firm at a glance for admins: clients by tier, the last scoring run's changes as a from → to matrix,
churn risk, and the people the bot cannot reach.

The tables are monospace and fit a phone held upright: tiers are numbered in the first table, and the matrix's rows
and columns name them by those numbers.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import Reader
from bot.config import Settings
from bot.i18n import gettext as _
from bot.i18n import render
from bot.i18n.rendering import format_number, format_ratio
from bot.i18n.vocabulary import tier_name
from bot.telegram import send
from bot.workspace import UNDELIVERED, FirmStats, LastRun, firm_stats
from handlers.admin.formatting import moment, text_table
from tiering import TierRules

_NO_CHANGE = "-"  # a cell of the matrix's diagonal: staying in a tier is no change


def _tiers_shown(stats: FirmStats, rules: TierRules) -> list[str]:
    """The rules' tiers, lowest first, then any tier a client stands in that the rules no longer have."""
    known = [tier.id for tier in rules.tiers]
    present = {t.tier for t in stats.tiers}
    if stats.last_run is not None:
        present |= {tier for change in stats.last_run.changes for tier in change if tier is not None}
    return known + sorted(present - set(known))


def _name(rules: TierRules, tier: str) -> str:
    # A tier that rules applied before no longer have keeps its id.
    return tier_name(rules, tier) if rules.rank(tier) is not None else tier


def distribution(stats: FirmStats, tiers: list[str], rules: TierRules) -> str:
    clients = {t.tier: t.clients for t in stats.tiers}
    total = stats.clients

    def share(n: int) -> str:
        return format_ratio(n / total, 1) if total else "-"

    rows = [[_("Tier"), _("Clients"), _("Share")]]
    rows += [[f"{number} {_name(rules, tier)}", format_number(clients.get(tier, 0)), share(clients.get(tier, 0))]
             for number, tier in enumerate(tiers, 1)]
    rows.append([_("All"), format_number(total), share(total)])
    return text_table(rows)


def changes(run: LastRun, tiers: list[str]) -> str | None:
    """The run's changes as a matrix, rows from, columns to, tiers by their numbers; None when it changed none."""
    if not run.changes:
        return None
    numbers = {tier: str(number) for number, tier in enumerate(tiers, 1)}
    rows = [[_("from\\to"), *numbers.values()]]
    for before in ([None] if run.first_placements else []) + tiers:
        label = _("unscored") if before is None else numbers[before]
        rows.append([label, *(_NO_CHANGE if before == after else format_number(run.changes.get((before, after), 0))
                              for after in tiers)])
    return text_table(rows)


async def stats_command(message: Message, session: AsyncSession, reader: Reader, rules: TierRules,
                        settings: Settings) -> None:
    stats = await firm_stats(session, reader)
    tiers = _tiers_shown(stats, rules)
    run = stats.last_run
    text = render(
        "admin/stats.html.j2", stats=stats, run=run, distribution=distribution(stats, tiers, rules),
        changes=changes(run, tiers) if run else None,
        finished=moment(run.finished_at, settings.firm.timezone) if run else None,
        zone=settings.firm.timezone, undelivered=[(status, stats.undelivered.get(status, 0)) for status in UNDELIVERED],
    )
    assert message.bot is not None
    await send(message.bot, message.chat.id, text)


def router() -> Router:
    router = Router(name=__name__)
    router.message.register(stats_command, Command("stats"))
    return router
