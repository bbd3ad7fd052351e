"""What every command shares: the consoles it prints to, the runner that turns failures a person can fix into one
sentence, the database a command opens (and its --database option), progress bars, numbers in the operator's locale,
and the command line as the person typed it."""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from babel.numbers import format_decimal
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InvalidRequestError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli.help import N_
from bot.config import get_settings
from bot.db import DatabaseUnreachable, create_engine, ensure_reachable, sqlite_file
from bot.db.migrate import current_revision, head_revision, upgrade
from bot.i18n import gettext as _
from bot.scoring import NothingToScore

__all__ = ["DEMO_DATABASE", "CommandFailed", "DatabaseOption", "command_line", "err", "fail", "number",
           "open_database", "out", "progress", "run"]

T = TypeVar("T")

# Where `tierbot demo` builds its database, relative to the folder it is run in.
DEMO_DATABASE = Path("var") / "demo" / "tierbot.sqlite3"

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database", metavar="URL_OR_PATH", show_default=False,
        help=N_("The database: a SQLAlchemy URL, or a SQLite file's path (default: TIERBOT_DATABASE_URL)."),
    ),
]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CommandFailed(Exception):
    """A failure a person can fix; its message is shown as it is, without a traceback."""


def number(value: int, *, signed: bool = False) -> str:
    return ("+" if signed and value > 0 else "") + format_decimal(value, locale=get_settings().firm.default_locale)


def fail(sentence: str) -> NoReturn:
    # Not markup: file labels ("book.xlsx[clients]") and URLs ("[::1]") hold brackets.
    err.print(sentence, style="red", markup=False)
    raise typer.Exit(1)


def run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's work; a failure a person can fix is one sentence on stderr and exit status 1."""
    try:
        return asyncio.run(work())
    except CommandFailed as error:
        fail(str(error))
    except NothingToScore:
        fail(_("There are no balances in the database: import the firm's data first."))
    except DatabaseUnreachable as error:
        fail(_("Cannot reach the database ({reason}). Check the database (--database or TIERBOT_DATABASE_URL) and "
               "that the server is running.")
             .format(reason=error))


def _url(database: str | None) -> URL:
    """The URL of `database` (a SQLAlchemy URL, or a SQLite file's path), else of the configured database."""
    given = database or get_settings().database.url
    try:
        return make_url(given)
    except ArgumentError:  # not a URL: a file's path
        return URL.create("sqlite+aiosqlite", database=given)


def _where(url: URL) -> str:
    file = sqlite_file(url)
    return str(file) if file is not None else url.render_as_string(hide_password=True)


async def _has_tables(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        return bool(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


@asynccontextmanager
async def open_database(
    database: str | None = None, *, migrate: bool = False, create: bool = False
) -> AsyncIterator[AsyncEngine]:
    """An engine on a reachable database (`database`, a URL or a SQLite file's path, else the configured one) whose
    schema is current; disposed of when the command is done. Only with `migrate` is a database created (a SQLite
    file and its folder) and its schema made current, and with `create` created and left as it is, for the caller
    to migrate: a command that fails otherwise leaves nothing behind."""
    url = _url(database)
    try:
        engine = create_engine(url)
    except (ArgumentError, InvalidRequestError, NoSuchModuleError, ImportError):
        raise CommandFailed(_("tierbot cannot open “{url}”: give a SQLite file's path, or a URL such as "
                              "sqlite+aiosqlite:///var/tierbot.sqlite3 or postgresql+asyncpg://user@host/firm.").format(
            url=url.render_as_string(hide_password=True))) from None
    try:
        file = sqlite_file(url)
        if file is not None and (migrate or create):
            file.parent.mkdir(parents=True, exist_ok=True)
        elif file is not None and not file.is_file():
            raise CommandFailed(_("There is no tierbot database at {path}: run “tierbot db upgrade” first (or "
                                  "“tierbot demo”, and give its database with --database {demo}).").format(
                path=file, demo=DEMO_DATABASE))
        await ensure_reachable(engine)
        if migrate:
            await upgrade(engine)
        elif not create and await current_revision(engine) != head_revision():
            if not await _has_tables(engine):
                raise CommandFailed(_("The database {where} is empty: run “tierbot db upgrade” first.").format(
                    where=_where(url)))
            raise CommandFailed(_("The database schema is not up to date: run “tierbot db upgrade” first."))
        yield engine
    finally:
        await engine.dispose()


def _as_typed(program: str) -> str:
    """`program` as a person types it in this folder: its bare name when that is what PATH finds."""
    on_path = shutil.which(os.path.basename(program))
    if on_path is not None and os.path.abspath(on_path) == os.path.abspath(program):
        return os.path.basename(program)
    return program


def command_line(*args: str) -> str:
    """The command `tierbot ARGS`, written as this program was started, so it works as printed from this folder:
    `tierbot` when it is the one on PATH, else the path it was started by (`.venv/bin/tierbot`), or
    `python -m bot`."""
    if os.path.basename(sys.argv[0]) == "__main__.py":
        program = [_as_typed(sys.executable), "-m", "bot"]
    else:
        program = [_as_typed(sys.argv[0])]
    return shlex.join([*program, *args])


class _Bars:
    """Report what a task has done; a bar per task label."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def _task(self, label: str, total: float) -> TaskID:
        if label not in self._tasks:
            self._tasks[label] = self._progress.add_task(label, total=total)
        return self._tasks[label]

    def fraction(self, label: str, done: float) -> None:
        """`label` is `done` (0..1) of the way."""
        self._progress.update(self._task(label, 1.0), completed=done)

    def advance(self, label: str, total: int) -> Callable[[int], None]:
        """A callback that moves `label` on by the count it is given, out of `total`."""
        task = self._task(label, total)
        return lambda count: self._progress.advance(task, count)


@contextmanager
def progress() -> Iterator[_Bars]:
    """Progress bars on a terminal; nothing when output goes to a file or a pipe."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    ) as bars:
        yield _Bars(bars)
