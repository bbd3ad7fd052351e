"""`tierbot score`: score every client under the rules in force or others, or try other rules (--dry-run)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from babel.dates import format_date
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts import DigestSchedule
from bot.cli.common import CommandFailed, DatabaseOption, err, fail, number, open_database, out, progress, run
from bot.cli.digest import print_queued
from bot.cli.help import N_
from bot.config import get_settings
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.i18n.vocabulary import rejection_name, tier_name
from bot.scoring import (
    AsOfRefused,
    RulesVersionReused,
    ScoringReport,
    VersionReused,
    count_clients,
    load_rules,
    score_clients,
    version_reused,
)
from tiering import RulesError, TierRules

__all__ = ["print_score", "register", "rules_or_fail", "score_with_progress"]


def rules_or_fail(path: Path | None) -> TierRules:
    try:
        return load_rules(path)
    except OSError as error:
        fail(_("Cannot read the rules file {path} ({reason}).").format(path=path, reason=error.strerror))
    except RulesError as error:
        fail(_("The rules are not valid, nothing was scored: {problem}").format(problem=error))


async def score_with_progress(engine: AsyncEngine, rules: TierRules, *, dry_run: bool, as_of: date | None
                              ) -> ScoringReport:
    total = await count_clients(engine)
    try:
        with progress() as bars:
            return await score_clients(engine, rules, as_of=as_of, dry_run=dry_run,
                                       progress=bars.advance(_("Scoring clients"), total),
                                       schedule=DigestSchedule.from_settings(get_settings()))
    except AsOfRefused as refused:
        locale = get_settings().firm.default_locale
        day = format_date(refused.as_of, locale=locale)
        if refused.latest is not None:
            raise CommandFailed(_("Nothing was scored: the data's latest statement is of {latest}, so there is "
                                  "nothing to score as of {day}; --dry-run shows such a run without applying it.")
                                .format(latest=format_date(refused.latest, locale=locale), day=day)) from None
        last = refused.last_run or refused.as_of
        raise CommandFailed(_("Nothing was scored: a run as of {last} has been applied, and a run as of {day} would "
                              "move the tier history back in time; --dry-run shows such a run without applying it.")
                            .format(last=format_date(last, locale=locale), day=day)) from None
    except RulesVersionReused as refused:
        # Applied, the history would hold two sets of rules under one name.
        raise CommandFailed(_("Nothing was scored: the rules file says version {version}, like the rules applied "
                              "on {day}, but its content differs: give it a new version before applying it.")
                            .format(**_reuse_fields(refused.reused))) from None


def _reuse_fields(reused: VersionReused) -> dict[str, str]:
    day = format_date(reused.applied_on, locale=get_settings().firm.default_locale)
    return {"version": reused.version, "day": day}


def warn_of_reused_version(reused: VersionReused) -> None:
    err.print(_("The rules file says version {version}, like the rules applied on {day}, but its content differs: "
                "give it a new version before applying it.").format(**_reuse_fields(reused)),
              style="yellow", markup=False)


def print_score(report: ScoringReport, *, rules: TierRules, compare: bool) -> None:
    """What a scoring run did, in the CLI's language; `rules` name the tiers (those the run applied)."""
    model = report.churn_model
    out.print(_("Scored {clients} clients as of {as_of} under rules {version}.").format(
        clients=number(report.scored), as_of=format_date(report.as_of, locale=get_settings().firm.default_locale),
        version=report.rules_version))
    for reason, count in sorted(report.rejected.items()):
        out.print(ngettext("Not scored: {count} client ({reason}).", "Not scored: {count} clients ({reason}).", count)
                  .format(count=number(count), reason=rejection_name(reason)))
    if model is not None:
        out.print(_("Churn model (BG/NBD): r={r:.3f}, alpha={alpha:.3f}, a={a:.3f}, b={b:.3f}.").format(
            r=model.r, alpha=model.alpha, a=model.a, b=model.b))
    else:
        out.print(_("The churn model could not be fitted ({problem}); loyalty goes without P(alive).").format(
            problem=report.churn_model_problem))
    before, after = report.distribution(before=True), report.distribution(before=False)
    tiers = [t for t in report.tier_order if before[t] or after[t]]
    unscored = _("unscored")

    def name(tier: str | None) -> str:
        # A tier the rules tried no longer have (a dry run under other rules) keeps its id.
        return unscored if tier is None else tier_name(rules, tier) if rules.rank(tier) is not None else tier

    table = Table(_("tier"), _("now"), _("under these rules") if compare else _("after"), _("change"),
                  show_edge=False)
    for tier in [t for t in [None, *tiers] if before[t] or after[t]]:
        table.add_row(name(tier), number(before[tier]), number(after[tier]),
                      number(after[tier] - before[tier], signed=True))
    out.print(table)
    matrix = Table(_("from \\ to"), *(name(t) for t in tiers), show_edge=False)
    for old in [t for t in [None, *tiers] if before[t]]:
        matrix.add_row(name(old), *(number(report.transitions[(old, new)]) for new in tiers))
    out.print(matrix)
    if report.dry_run:
        out.print(_("Dry run: nothing was written."))
    else:
        out.print(_("{snapshots} tier snapshots written; {changes} tier changes.").format(
            snapshots=number(report.snapshots_written), changes=number(report.tier_changes)))
        if report.digests is not None:
            print_queued(report.digests)


def score(
    rules_file: Annotated[Path | None, typer.Option("--rules", metavar="FILE", help=N_(
        "Tier rules (TOML) to apply instead of the configured ones."))] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=N_("Compute and compare, write nothing."))] = False,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                     help=N_("Score as of this day (default: the latest balance date).")),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Score, or with --dry-run compare, under the rules in force or --rules."""
    rules = rules_or_fail(rules_file or get_settings().firm.rules_file)

    async def work() -> tuple[ScoringReport, VersionReused | None]:
        async with open_database(database) as engine:
            reused = await version_reused(engine, rules) if dry_run else None  # a real run refuses it
            report = await score_with_progress(engine, rules, dry_run=dry_run, as_of=as_of.date() if as_of else None)
            return report, reused

    report, reused = run(work)
    print_score(report, rules=rules, compare=dry_run)
    if reused is not None:
        warn_of_reused_version(reused)


def register(app: typer.Typer) -> None:
    app.command("score", help=N_("Score every client and keep the tier history; with --dry-run, show what the rules "
                                 "would change."))(score)
