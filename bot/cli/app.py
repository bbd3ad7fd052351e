"""The `tierbot` command line (also `python -m bot`)."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import aiohttp
import typer
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts import INVITE_TTL, IssuedInvite, UnknownTarget, create_invite
from bot.config import Settings, get_settings
from bot.db import DatabaseUnreachable, create_engine, ensure_reachable, session_factory
from bot.db.migrate import current_revision, head_revision, upgrade
from bot.db.models import Client, Role
from bot.demo import generate_demo_data
from bot.faq import FaqError, default_faq
from bot.i18n import create_i18n, resolve_locale
from bot.importer import ImportFailed, ImportReport, import_path
from bot.runtime.console import UnknownPerson, console_chat
from bot.runtime.dispatcher import MissingToken, create_bot, create_dispatcher, set_commands
from bot.scoring import NothingToScore, ScoringReport, load_rules, score_clients
from tiering import RulesError, TierRules

T = TypeVar("T")

app = typer.Typer(
    help="tierbot: client tiers for a wealth-management firm, in Telegram.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DEMO_DIR = Path("var") / "demo"
DEMO_CLIENTS = 2_000
DEMO_CLIENT = "C00001"


class CommandFailed(Exception):
    """A failure a person can fix; its message is shown as it is, without a traceback."""


def main() -> None:
    # Startup leaves hundreds of thousands of long-lived objects (aiogram's types, SQLAlchemy's mappings):
    # frozen, the collector stops rescanning them on every full collection while a batch runs.
    gc.freeze()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    i18n = create_i18n(settings.default_locale)
    with i18n.context():
        app()


def _locale() -> str:
    return get_settings().default_locale


def _number(value: int, *, signed: bool = False) -> str:
    return ("+" if signed and value > 0 else "") + format_decimal(value, locale=_locale())


def _fail(sentence: str) -> NoReturn:
    # Not markup: file labels ("book.xlsx[clients]") and URLs ("[::1]") hold brackets.
    err.print(sentence, style="red", markup=False)
    raise typer.Exit(1)


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(work())
    except CommandFailed as error:
        _fail(str(error))
    except NothingToScore:
        _fail(_("There are no balances in the database: import the firm's data first."))
    except DatabaseUnreachable as error:
        _fail(_("Cannot reach the database ({reason}). Check TIERBOT_DATABASE_URL and that the server is running.")
              .format(reason=error))


async def _open_database(url: str, *, migrate: bool = False) -> AsyncEngine:
    """An engine on a reachable database whose schema is current (or made current when `migrate`)."""
    engine = create_engine(url)
    try:
        await ensure_reachable(engine)
        if migrate:
            await upgrade(engine)
        elif await current_revision(engine) != head_revision():
            raise CommandFailed(_("The database schema is not up to date: run “tierbot db upgrade” first."))
    except BaseException:
        await engine.dispose()
        raise
    return engine


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database schema, or upgrade it to the newest version."""

    async def work() -> str | None:
        engine = await _open_database(get_settings().database_url, migrate=True)
        try:
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = _run(work)
    out.print(_("The database schema is up to date (revision {revision}).").format(revision=revision))


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, float], None]]:
    """A progress bar per source on a terminal; nothing when output goes to a file or a pipe."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(label: str, fraction: float) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=1.0)
            progress.update(tasks[label], completed=fraction)

        yield report


def _print_import(report: ImportReport) -> None:
    table = Table(_("file"), _("rows"), _("new"), _("changed"), _("unchanged"), show_edge=False)
    for source in report.sources:
        table.add_row(source.label, *(_number(n) for n in
                                      (source.rows, source.inserted, source.updated, source.unchanged)))
    out.print(table)
    out.print(ngettext("Imported {rows} row.", "Imported {rows} rows.", report.rows).format(
        rows=_number(report.rows)))


async def _import(engine: AsyncEngine, path: Path) -> ImportReport:
    with _progress_bar() as report:
        try:
            return await import_path(engine, path, actor="cli", progress=report)
        except ImportFailed as failure:
            for problem in failure.problems.shown:
                err.print(str(problem), markup=False)
            total = failure.problems.total
            raise CommandFailed(ngettext("One problem; nothing was imported.",
                                         "{count} problems in all; nothing was imported.", total).format(
                count=_number(total))) from None


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="A folder of data files (advisers.csv, clients.csv, ...), "
                                               "or one .csv or .xlsx file.")],
) -> None:
    """Import the firm's data files, all or nothing."""

    async def work() -> ImportReport:
        engine = await _open_database(get_settings().database_url)
        try:
            return await _import(engine, path)
        finally:
            await engine.dispose()

    _print_import(_run(work))


def _last_month_end() -> date:
    return datetime.now(UTC).date().replace(day=1) - timedelta(days=1)


def _generate(out_dir: Path, clients: int, seed: int, as_of: date) -> None:
    with Progress(
        TextColumn(_("Generating demo data")), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("", total=clients)
        summary = generate_demo_data(out_dir, clients=clients, seed=seed, as_of=as_of,
                                     progress=lambda n: progress.advance(task, n))
    out.print(_("Wrote {clients} clients, {advisers} advisers, {products} products, {balances} balances, "
                "{transactions} transactions and {interactions} interactions to {out}.").format(
        clients=_number(summary.clients), advisers=_number(summary.advisers),
        products=_number(summary.products), balances=_number(summary.balances),
        transactions=_number(summary.transactions), interactions=_number(summary.interactions), out=out_dir))


@app.command("demo-data")
def demo_data(
    clients: Annotated[int, typer.Option(min=1, help="How many clients.")] = DEMO_CLIENTS,
    seed: Annotated[int, typer.Option(min=0, help="Random seed: the same seed gives the same files.")] = 1,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the CSV files to.")] = Path("demo-data"),
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day of the data (default: the last month end)."),
    ] = None,
) -> None:
    """Write a realistic, reproducible demo data set in the import format."""
    _generate(out_dir, clients, seed, as_of.date() if as_of else _last_month_end())


def _rules(path: Path | None) -> TierRules:
    try:
        return load_rules(path)
    except OSError as error:
        _fail(_("Cannot read the rules file {path} ({reason}).").format(path=path, reason=error.strerror))
    except RulesError as error:
        _fail(_("The rules are not valid, nothing was scored: {problem}").format(problem=error))


async def _score(engine: AsyncEngine, rules: TierRules, *, dry_run: bool, as_of: date | None) -> ScoringReport:
    async with engine.connect() as connection:
        total = (await connection.execute(select(func.count()).select_from(Client))).scalar_one()
    with Progress(
        TextColumn(_("Scoring clients")), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("", total=total)
        return await score_clients(engine, rules, as_of=as_of, dry_run=dry_run,
                                   progress=lambda n: progress.advance(task, n))


def _print_score(report: ScoringReport, *, compare: bool) -> None:
    model = report.churn_model
    out.print(_("Scored {clients} clients as of {as_of} under rules {version}.").format(
        clients=_number(report.scored), as_of=format_date(report.as_of, locale=_locale()),
        version=report.rules_version))
    for reason, count in sorted(report.rejected.items()):
        out.print(_("Not scored: {count} clients ({reason}).").format(count=_number(count), reason=reason))
    if model is not None:
        out.print(_("Churn model (BG/NBD): r={r:.3f}, alpha={alpha:.3f}, a={a:.3f}, b={b:.3f}.").format(
            r=model.r, alpha=model.alpha, a=model.a, b=model.b))
    else:
        out.print(_("The churn model could not be fitted ({problem}); loyalty goes without P(alive).").format(
            problem=report.churn_model_problem))
    before, after = report.distribution(before=True), report.distribution(before=False)
    tiers = [t for t in report.tier_order if before[t] or after[t]]
    unscored = _("unscored")
    table = Table(_("tier"), _("now"), _("under these rules") if compare else _("after"), _("change"),
                  show_edge=False)
    for tier in [t for t in [None, *tiers] if before[t] or after[t]]:
        table.add_row(tier or unscored, _number(before[tier]), _number(after[tier]),
                      _number(after[tier] - before[tier], signed=True))
    out.print(table)
    matrix = Table(_("from \\ to"), *tiers, show_edge=False)
    for old in [t for t in [None, *tiers] if before[t]]:
        matrix.add_row(old or unscored, *(_number(report.transitions[(old, new)]) for new in tiers))
    out.print(matrix)
    if report.dry_run:
        out.print(_("Dry run: nothing was written."))
    else:
        out.print(_("{snapshots} tier snapshots written; {changes} tier changes.").format(
            snapshots=_number(report.snapshots_written), changes=_number(report.tier_changes)))


@app.command("score")
def score(
    rules_file: Annotated[Path | None, typer.Option("--rules", help="Tier rules (TOML) to apply instead of "
                                                    "the configured ones.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute and compare, write nothing.")] = False,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Score as of this day (default: the latest balance date)."),
    ] = None,
) -> None:
    """Score every client and keep the tier history; with --dry-run, show what the rules would change."""
    settings = get_settings()
    rules = _rules(rules_file or settings.rules_file)

    async def work() -> ScoringReport:
        engine = await _open_database(settings.database_url)
        try:
            return await _score(engine, rules, dry_run=dry_run, as_of=as_of.date() if as_of else None)
        finally:
            await engine.dispose()

    _print_score(_run(work), compare=dry_run)


@app.command("demo")
def demo() -> None:
    """Try tierbot on a fresh SQLite database of demo clients (under ./var/demo/)."""
    database = DEMO_DIR / "tierbot.sqlite3"
    for stale in DEMO_DIR.glob("tierbot.sqlite3*"):
        stale.unlink()
    data_dir = DEMO_DIR / "data"
    _generate(data_dir, DEMO_CLIENTS, 1, _last_month_end())

    rules = _rules(get_settings().rules_file)

    async def work() -> tuple[ImportReport, ScoringReport]:
        engine = await _open_database(f"sqlite+aiosqlite:///{database.as_posix()}", migrate=True)
        try:
            imported = await _import(engine, data_dir)
            return imported, await _score(engine, rules, dry_run=False, as_of=None)
        finally:
            await engine.dispose()

    imported, scored = _run(work)
    _print_import(imported)
    _print_score(scored, compare=False)
    out.print(_("The demo database is {path}.").format(path=database))
    _chat_in_console(f"sqlite+aiosqlite:///{database.as_posix()}", DEMO_CLIENT)


INVITE_ROLES = {"client": Role.CLIENT, "adviser": Role.ADVISER, "admin": Role.ADMIN}


@app.command("invite")
def invite(
    role: Annotated[str, typer.Argument(help="client, adviser or admin.", metavar="ROLE")],
    target_id: Annotated[str, typer.Argument(help="The client's or adviser's id; for an admin, who they are "
                                                  "(kept in the audit log).", metavar="ID")],
    days: Annotated[int, typer.Option(min=1, max=30, help="Days before the invite expires.")] = INVITE_TTL.days,
) -> None:
    """Make a single-use invite link that binds a Telegram account to a client, adviser or admin."""
    if role not in INVITE_ROLES:
        _fail(_("The role must be client, adviser or admin, not “{role}”.").format(role=role))
    settings = get_settings()

    async def work() -> tuple[IssuedInvite, str | None]:
        username = await _bot_username(settings)  # first: a Bot API failure must not leave a token no one saw
        engine = await _open_database(settings.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                try:
                    issued = await create_invite(
                        session, INVITE_ROLES[role], None if role == "admin" else target_id,
                        created_by="cli" if role != "admin" else f"cli:{target_id}", ttl=timedelta(days=days))
                except UnknownTarget:
                    missing = (_("There is no client with the id {id}.") if role == "client"
                               else _("There is no adviser with the id {id}."))
                    raise CommandFailed(missing.format(id=target_id)) from None
        finally:
            await engine.dispose()
        return issued, username

    issued, username = _run(work)
    when = format_datetime(issued.expires_at, format="medium", locale=_locale())
    if username:
        out.print(_("Invite link (single use, expires {when}):").format(when=when))
        out.print(f"https://t.me/{username}?start={issued.token}", markup=False)
    else:
        out.print(_("Set TIERBOT_BOT_TOKEN (or TIERBOT_BOT_USERNAME) to get the invite link; the token alone "
                    "works with “/start TOKEN”. It expires {when}.").format(when=when))
    out.print(_("Token: {token}").format(token=issued.token), markup=False)


async def _bot_username(settings: Settings) -> str | None:
    """The bot's username, from the settings or from the Bot API (getMe); None when neither can tell."""
    if settings.bot_username:
        return settings.bot_username
    if settings.bot_token is None:
        return None
    bot = create_bot(settings)
    try:
        return (await bot.me()).username
    except (aiohttp.ClientError, TelegramNetworkError, TimeoutError) as error:  # TelegramAPIError's subclass first
        raise CommandFailed(_("Cannot reach the Bot API at {url} ({reason}).").format(
            url=settings.telegram_api, reason=type(error).__name__)) from None
    except TelegramAPIError as error:
        raise CommandFailed(_("The Bot API did not accept the bot token ({reason}).").format(
            reason=error.message)) from None
    finally:
        await bot.session.close()


@app.command("run")
def run() -> None:
    """Run the bot: poll the Bot API (TIERBOT_TELEGRAM_API) and answer until stopped."""
    settings = get_settings()
    logging.getLogger("tierbot").setLevel(logging.INFO)
    logging.getLogger("aiogram").setLevel(logging.INFO)

    async def work() -> None:
        engine = await _open_database(settings.database_url)
        try:
            bot = create_bot(settings)
        except MissingToken:
            await engine.dispose()
            raise CommandFailed(_("TIERBOT_BOT_TOKEN is not set: the bot needs its token from @BotFather.")) from None
        dispatcher = create_dispatcher(engine, settings)
        try:
            await set_commands(bot, dispatcher["i18n"])
            await dispatcher.start_polling(bot, allowed_updates=dispatcher.resolve_used_update_types())
        finally:
            await bot.session.close()
            await engine.dispose()

    _run(work)


def _chat_in_console(database_url: str, target_id: str) -> None:
    settings = get_settings()
    terminal = sys.stdin.isatty()

    def read() -> str | None:
        try:
            return input("> ") if terminal else sys.stdin.readline().removesuffix("\n") or None
        except (EOFError, KeyboardInterrupt):
            return None

    async def work() -> None:
        engine = await _open_database(database_url)
        try:
            dispatcher = create_dispatcher(engine, settings, rate_limit=False)
            out.print(_("Chatting as {id}. Type a message, or the number of a button; /quit ends.").format(
                id=target_id))
            await console_chat(engine, dispatcher, target_id, language_code=settings.default_locale,
                               read=read, show=lambda line: out.print(line, markup=False))
        except UnknownPerson:
            raise CommandFailed(_("There is no client or adviser with the id {id}.").format(id=target_id)) from None
        finally:
            await engine.dispose()

    _run(work)


@app.command("console")
def console(
    as_id: Annotated[str, typer.Option("--as", help="The client's or adviser's id to chat as.", metavar="ID")],
) -> None:
    """Chat with the bot in this terminal as a client or adviser, without Telegram."""
    _chat_in_console(get_settings().database_url, as_id)


faq_app = typer.Typer(help="The FAQ content.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")


@faq_app.command("match")
def faq_match(
    text: Annotated[str, typer.Argument(help="A question as a client would write it.")],
    locale: Annotated[str, typer.Option(help="The reader's locale (en, zh, zh-hans, ...); the answer's language."
                                        )] = "en",
) -> None:
    """Show which FAQ entry a question matches, and how surely (for content editors)."""
    resolved = resolve_locale(locale)
    if resolved is None:
        _fail(_("Unknown locale “{locale}”: use en or zh.").format(locale=locale))
    try:
        faq = default_faq()
    except FaqError as error:
        _fail(str(error))
    match = faq.match(text)
    if match.entry_id is not None:
        out.print(_("{id}  score {score}  “{title}”").format(
            id=match.entry_id, score=f"{match.score:.3f}", title=faq.title(match.entry_id, resolved)), markup=False)
    else:
        out.print(_("No confident match (best score {score}).").format(score=f"{match.score:.3f}"))
    for entry_id, score in match.closest:
        out.print(f"  {entry_id}  {score:.3f}", markup=False)
