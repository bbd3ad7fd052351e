"""Commands for the firm's data: `import`, `demo-data`, and `demo` (which ends in the console chat)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.chat import chat_in_console
from bot.cli.common import (
    DEMO_DATABASE,
    CommandFailed,
    DatabaseOption,
    command_line,
    err,
    fail,
    number,
    open_database,
    out,
    progress,
    run,
)
from bot.cli.help import N_
from bot.cli.scoring import print_score, rules_or_fail, score_with_progress
from bot.config import firm_today, get_settings
from bot.demo import SCORED_MONTHS, Showcase, generate_demo_data, pick_showcase, scoring_dates
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.i18n.vocabulary import tier_name
from bot.importer import DEFAULT_ENCODING, ImportFailed, ImportReport, SourceError, import_path, text_encoding
from bot.scoring import ScoringReport
from tiering import TierRules

__all__ = ["register"]

DEMO_CLIENTS = 2_000
DEMO_CLIENT = "C00001"  # the demo chats as this client when the book has no showcase client


def _print_import(report: ImportReport) -> None:
    table = Table(_("file"), _("rows"), _("new"), _("changed"), _("unchanged"), show_edge=False)
    for source in report.sources:
        table.add_row(source.label, *(number(n) for n in
                                      (source.rows, source.inserted, source.updated, source.unchanged)))
    out.print(table)
    out.print(ngettext("Imported {rows} row.", "Imported {rows} rows.", report.rows).format(
        rows=number(report.rows)))


async def _import(engine: AsyncEngine, path: Path, encoding: str = DEFAULT_ENCODING) -> ImportReport:
    with progress() as bars:
        try:
            return await import_path(engine, path, actor="cli", encoding=encoding, progress=bars.fraction)
        except ImportFailed as failure:
            for problem in failure.problems.shown:
                err.print(str(problem), markup=False)
            total = failure.problems.total
            raise CommandFailed(ngettext("One problem; nothing was imported.",
                                         "{count} problems in all; nothing was imported.", total).format(
                count=number(total))) from None


def import_command(
    path: Annotated[Path, typer.Argument(metavar="PATH", help=N_(
        "A folder of data files (advisers.csv, clients.csv, ...), or one .csv or .xlsx file."))],
    encoding: Annotated[str, typer.Option(metavar="ENCODING", help=N_(
        "The encoding of the CSV files: gb18030 for what Excel in Chinese saves; any Python codec name. "
        "Excel .xlsx files are read as they are."))] = DEFAULT_ENCODING,
    database: DatabaseOption = None,
) -> None:
    """Import the firm's data files, all or nothing."""
    try:
        text_encoding(encoding)
    except SourceError as error:
        fail(str(error))

    async def work() -> ImportReport:
        async with open_database(database) as engine:
            return await _import(engine, path, encoding)

    _print_import(run(work))


def _last_month_end() -> date:
    return firm_today().replace(day=1) - timedelta(days=1)


def _generate(out_dir: Path, clients: int, seed: int, as_of: date) -> None:
    with progress() as bars:
        summary = generate_demo_data(out_dir, clients=clients, seed=seed, as_of=as_of,
                                     progress=bars.advance(_("Generating demo data"), clients))
    out.print(_("Wrote the demo data to {out}: clients {clients}, advisers {advisers}, products {products}, "
                "balances {balances}, transactions {transactions}, interactions {interactions}.").format(
        clients=number(summary.clients), advisers=number(summary.advisers),
        products=number(summary.products), balances=number(summary.balances),
        transactions=number(summary.transactions), interactions=number(summary.interactions), out=out_dir))


def demo_data(
    clients: Annotated[int, typer.Option(min=1, metavar="N", help=N_("How many clients."))] = DEMO_CLIENTS,
    seed: Annotated[int, typer.Option(min=0, metavar="N", help=N_(
        "Random seed: the same seed gives the same files."))] = 1,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help=N_(
        "Folder to write the CSV files to."))] = Path("demo-data"),
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                     help=N_("Last day of the data (default: the last month end).")),
    ] = None,
) -> None:
    """Write a realistic, reproducible demo data set in the import format."""
    _generate(out_dir, clients, seed, as_of.date() if as_of else _last_month_end())


def _print_showcase(showcase: Showcase, client: str, rules: TierRules) -> None:
    """The ids worth trying, and the commands to go on with, written to work as printed from this folder."""
    database = DEMO_DATABASE.as_posix()
    out.print(_("The demo database is {path}. Ids worth trying:").format(path=database))
    ids = [
        (showcase.client, _("{tier}, in growth, with a gap to the next tier and recommendations suited to their "
                            "risk level: the client the demo chats as").format(
            tier=tier_name(rules, showcase.client_tier or rules.tiers[0].id))),
        (showcase.high_net_worth, _("in the top tier ({tier})").format(tier=tier_name(rules, rules.tiers[-1].id))),
        (showcase.in_grace, _("in the downgrade grace: kept in a tier their figures no longer reach")),
        (showcase.unassessed, _("without a risk assessment: asked to take one, shown no products")),
        (showcase.adviser, ngettext("an adviser with {count} client", "an adviser with {count} clients",
                                    showcase.adviser_clients).format(count=number(showcase.adviser_clients))),
    ]
    for shown, what in ids:
        if shown is not None:
            out.print(f"  {shown:<8}{what}", markup=False)
    commands = [(command_line("console", "--database", database, "--as", client), _("chat as the client:"))]
    if showcase.adviser is not None:
        commands.append((command_line("console", "--database", database, "--as", showcase.adviser),
                         _("chat as the adviser:")))
    commands += [
        (command_line("score", "--database", database, "--dry-run"), _("score again, writing nothing:")),
        (command_line("invite", "client", client, "--database", database), _("an invite link, to chat in Telegram:")),
    ]
    out.print(_("To go on, from this folder:"))
    for command, what in commands:
        out.print(f"  {what}", markup=False)
        out.print(f"    {command}", markup=False)


def demo() -> None:
    """Try tierbot on a fresh SQLite database of demo clients (under ./var/demo/)."""
    for stale in DEMO_DATABASE.parent.glob(f"{DEMO_DATABASE.name}*"):
        stale.unlink()
    data_dir = DEMO_DATABASE.parent / "data"
    as_of = _last_month_end()
    _generate(data_dir, DEMO_CLIENTS, 1, as_of)
    rules = rules_or_fail(get_settings().firm.rules_file)
    database = DEMO_DATABASE.as_posix()

    async def work() -> tuple[ImportReport, ScoringReport, Showcase]:
        async with open_database(database, migrate=True) as engine:
            imported = await _import(engine, data_dir)
            for month_end in scoring_dates(as_of):  # the last run's report is the one shown
                scored = await score_with_progress(engine, rules, dry_run=False, as_of=month_end)
            return imported, scored, await pick_showcase(engine, rules, reads=get_settings().firm.default_locale)

    imported, scored, showcase = run(work)
    _print_import(imported)
    out.print(ngettext("The demo scores its last month-end:",
                       "The demo scores its last {count} month-ends, as a firm does each month; this is the last "
                       "run:", SCORED_MONTHS).format(count=number(SCORED_MONTHS)))
    print_score(scored, rules=rules, compare=False)
    client = showcase.client or DEMO_CLIENT
    _print_showcase(showcase, client, rules)
    chat_in_console(database, client)


def register(app: typer.Typer) -> None:
    app.command("import", help=N_("Import the firm's data files, all or nothing."))(import_command)
    app.command("demo-data", help=N_("Write a realistic, reproducible demo data set in the import format."))(demo_data)
    app.command("demo", help=N_("Try tierbot on a fresh SQLite database of demo clients (under ./var/demo/)."))(demo)
