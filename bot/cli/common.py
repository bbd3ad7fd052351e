"""What every command shares: the consoles it prints to, the runner that turns failures a person can fix into one
sentence, the database opened for a command, progress bars, and numbers in the operator's locale."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, NoReturn, TypeVar

import typer
from babel.numbers import format_decimal
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import get_settings
from bot.db import DatabaseUnreachable, create_engine, ensure_reachable
from bot.db.migrate import current_revision, head_revision, upgrade
from bot.i18n import gettext as _
from bot.scoring import NothingToScore

__all__ = ["CommandFailed", "err", "fail", "number", "open_database", "out", "progress", "run"]

T = TypeVar("T")

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
        fail(_("Cannot reach the database ({reason}). Check TIERBOT_DATABASE_URL and that the server is running.")
             .format(reason=error))


@asynccontextmanager
async def open_database(url: str | None = None, *, migrate: bool = False) -> AsyncIterator[AsyncEngine]:
    """An engine on a reachable database (the configured one unless `url`) whose schema is current, or made
    current when `migrate`; disposed of when the command is done."""
    engine = create_engine(url or get_settings().database.url)
    try:
        await ensure_reachable(engine)
        if migrate:
            await upgrade(engine)
        elif await current_revision(engine) != head_revision():
            raise CommandFailed(_("The database schema is not up to date: run “tierbot db upgrade” first."))
        yield engine
    finally:
        await engine.dispose()


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
