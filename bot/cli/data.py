"""Commands for the firm's data: `import`, `demo-data`, and `demo` (which ends in the console chat)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.chat import chat_in_console
from bot.cli.common import CommandFailed, err, number, open_database, out, progress, run
from bot.cli.help import N_
from bot.cli.scoring import print_score, rules_or_fail, score_with_progress
from bot.config import get_settings
from bot.demo import generate_demo_data
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.importer import ImportFailed, ImportReport, import_path
from bot.scoring import ScoringReport

__all__ = ["register"]

DEMO_DIR = Path("var") / "demo"
DEMO_CLIENTS = 2_000
DEMO_CLIENT = "C00001"


def _print_import(report: ImportReport) -> None:
    table = Table(_("file"), _("rows"), _("new"), _("changed"), _("unchanged"), show_edge=False)
    for source in report.sources:
        table.add_row(source.label, *(number(n) for n in
                                      (source.rows, source.inserted, source.updated, source.unchanged)))
    out.print(table)
    out.print(ngettext("Imported {rows} row.", "Imported {rows} rows.", report.rows).format(
        rows=number(report.rows)))


async def _import(engine: AsyncEngine, path: Path) -> ImportReport:
    with progress() as bars:
        try:
            return await import_path(engine, path, actor="cli", progress=bars.fraction)
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
) -> None:
    """Import the firm's data files, all or nothing."""

    async def work() -> ImportReport:
        async with open_database() as engine:
            return await _import(engine, path)

    _print_import(run(work))


def _last_month_end() -> date:
    return datetime.now(UTC).date().replace(day=1) - timedelta(days=1)


def _generate(out_dir: Path, clients: int, seed: int, as_of: date) -> None:
    with progress() as bars:
        summary = generate_demo_data(out_dir, clients=clients, seed=seed, as_of=as_of,
                                     progress=bars.advance(_("Generating demo data"), clients))
    out.print(_("Wrote {clients} clients, {advisers} advisers, {products} products, {balances} balances, "
                "{transactions} transactions and {interactions} interactions to {out}.").format(
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


def demo() -> None:
    """Try tierbot on a fresh SQLite database of demo clients (under ./var/demo/)."""
    database = DEMO_DIR / "tierbot.sqlite3"
    for stale in DEMO_DIR.glob("tierbot.sqlite3*"):
        stale.unlink()
    data_dir = DEMO_DIR / "data"
    _generate(data_dir, DEMO_CLIENTS, 1, _last_month_end())
    rules = rules_or_fail(get_settings().firm.rules_file)
    url = f"sqlite+aiosqlite:///{database.as_posix()}"

    async def work() -> tuple[ImportReport, ScoringReport]:
        async with open_database(url, migrate=True) as engine:
            imported = await _import(engine, data_dir)
            return imported, await score_with_progress(engine, rules, dry_run=False, as_of=None)

    imported, scored = run(work)
    _print_import(imported)
    print_score(scored, rules=rules, compare=False)
    out.print(_("The demo database is {path}.").format(path=database))
    chat_in_console(url, DEMO_CLIENT)


def register(app: typer.Typer) -> None:
    app.command("import", help=N_("Import the firm's data files, all or nothing."))(import_command)
    app.command("demo-data", help=N_("Write a realistic, reproducible demo data set in the import format."))(demo_data)
    app.command("demo", help=N_("Try tierbot on a fresh SQLite database of demo clients (under ./var/demo/)."))(demo)
