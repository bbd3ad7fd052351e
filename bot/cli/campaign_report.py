"""`tierbot campaign report ID [--csv FILE] [--chart FILE] [--force]`: a campaign's results as text in the CLI's
language, and on request the CSV of its recipients (UTF-8 with a BOM, so that Excel reads Chinese) and the PNG of
its NPS by tier. A file that exists is never replaced without --force."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.campaigns import campaign_number
from bot.campaigns.report import CampaignNotFound, Report, campaign_report, write_csv
from bot.cli.campaign import campaign_app
from bot.cli.common import CommandFailed, DatabaseOption, fail, number, open_database, out, run
from bot.cli.help import N_
from bot.cli.scoring import rules_or_fail
from bot.config import get_settings
from bot.i18n import gettext as _
from bot.i18n import ngettext, plain, render

__all__ = ["report"]



def _exists(path: Path) -> str:
    return _("{path} exists: give another file, or add --force to replace it.").format(path=path)


@contextmanager
def _replacing(path: Path, *, force: bool) -> Iterator[Path]:
    """A temporary file beside `path` to write, moved onto `path` once whole: a failure leaves no half-written
    file, and with `force` the old one stays until the new one is complete. Without `force` the name is taken first
    (created empty, exclusively), so a file that appears meanwhile is not replaced either."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    reserved = False
    try:
        if not force:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            reserved = True
        yield temporary
        os.replace(temporary, path)
        reserved = False
    except FileExistsError:
        raise CommandFailed(_exists(path)) from None
    except OSError as error:
        raise CommandFailed(_("Cannot write {path} ({reason}).").format(path=path, reason=error.strerror)) from None
    finally:
        temporary.unlink(missing_ok=True)
        if reserved:
            path.unlink(missing_ok=True)


def _campaign_id(given: str) -> int:
    """The number typed, or 0 (no campaign's) for anything else."""
    return campaign_number(given) or 0


def _not_found(given: str, missing: CampaignNotFound) -> str:
    if missing.latest is None:
        return _("There is no campaign “{id}”: no campaign has been created yet.").format(id=given[:40])
    return _("There is no campaign “{id}”: campaigns are numbered 1 to {latest}.").format(
        id=given[:40], latest=number(missing.latest))


@campaign_app.command("report", help=N_(
    "A campaign's results: delivery, and a survey's response rate and scores by tier, language, adviser and "
    "segment, or a strategy message's unsubscribes; with --csv a row per recipient, with --chart NPS by tier."))
def report(
    campaign: Annotated[str, typer.Argument(metavar="ID", show_default=False, help=N_("The campaign's number."))],
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", metavar="FILE", show_default=False, dir_okay=False,
        help=N_("Also write a row per recipient to FILE (CSV, UTF-8; client ids, no names)."))] = None,
    chart_file: Annotated[Path | None, typer.Option(
        "--chart", metavar="FILE", show_default=False, dir_okay=False,
        help=N_("Also draw the survey's NPS by tier to FILE (PNG)."))] = None,
    force: Annotated[bool, typer.Option("--force", help=N_("Replace a FILE that exists."))] = False,
    database: DatabaseOption = None,
) -> None:
    settings = get_settings()
    rules = rules_or_fail(settings.firm.rules_file)
    zone, locale, now = settings.firm.timezone, settings.firm.default_locale, datetime.now(UTC)
    for path in (csv_file, chart_file):
        if path is not None and path.exists() and not force:
            fail(_exists(path))

    async def work() -> tuple[Report, int | None]:
        async with open_database(database) as engine, engine.connect() as connection:
            result = await campaign_report(connection, _campaign_id(campaign), now=now, rules=rules)
            if chart_file is not None and result.nps_by_tier() is None:
                raise CommandFailed(_("Campaign {id} has no NPS answers to chart (no NPS question, or none answered "
                                      "yet): nothing was written.").format(id=result.campaign_id))
            rows = None
            if csv_file is not None:
                # utf-8-sig starts the file with the byte order mark Excel needs to read UTF-8 as such.
                with (_replacing(csv_file, force=force) as temporary,
                      temporary.open("w", encoding="utf-8-sig", newline="") as stream):
                    rows = await write_csv(connection, result.campaign_id, stream, now=now, zone=zone)
            return result, rows

    try:
        result, rows = run(work)
    except CampaignNotFound as missing:
        fail(_not_found(campaign, missing))
    out.print(plain(render("campaigns/report.html.j2", report=result, rules=rules, zone=zone)), markup=False)
    if rows is not None:
        out.print(ngettext("Wrote {count} recipient's row to {path}.", "Wrote {count} recipients' rows to {path}.",
                           rows).format(count=number(rows), path=csv_file), markup=False)
    groups = result.nps_by_tier()
    if chart_file is not None and groups is not None:
        try:
            with _replacing(chart_file, force=force) as temporary:
                from bot.workspace.charts import nps_by_tier_chart  # matplotlib: only when a chart is asked for

                temporary.write_bytes(nps_by_tier_chart(groups, locale, rules=rules))
        except CommandFailed as error:
            fail(str(error))
        out.print(_("Drew NPS by tier to {path}.").format(path=chart_file), markup=False)
