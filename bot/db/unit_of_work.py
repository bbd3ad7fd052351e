"""The unit of work: one session and one transaction per chat update and per command, owned by whoever opens it.

Handlers and services use the session and never commit or roll back. When the work returns, the owner commits it
if anything was written (an update that only reads skips the commit's round trip) and then runs the actions queued
with `after_commit`: a confirmation sent only once what it confirms is durable. When the work raises, it is rolled
back and nothing queued runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState, Session

__all__ = ["UnitOfWork", "session_factory", "unit_of_work"]

_WROTE: Final = "tierbot_wrote"


class _WorkSession(Session):
    """The sessions of units of work: they note that they wrote (see the two listeners below)."""


@event.listens_for(_WorkSession, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    # Core INSERT, UPDATE and DELETE through the session leave no pending objects.
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(_WorkSession, "after_flush")
def _note_flush(session: Session, _context: object) -> None:
    # A flush (an autoflush before a query included) empties `new` and `dirty`; a session flushes only when it has
    # something to write.
    session.info[_WROTE] = True


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=_WorkSession)


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._after_commit: list[Callable[[], Awaitable[object]]] = []

    @property
    def wrote(self) -> bool:
        session = self.session
        return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))

    def after_commit(self, action: Callable[[], Awaitable[object]]) -> None:
        """Run `action` once the work is committed (in order, right after the commit); never if it fails.

        It runs outside the update's locale: render everything it sends (texts, keyboards) before queuing it.
        """
        self._after_commit.append(action)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession], *, commit: bool = False
                       ) -> AsyncIterator[UnitOfWork]:
    """A unit of work: committed on return when it wrote (always, with `commit`), rolled back on an exception."""
    async with sessions() as session:
        work = UnitOfWork(session)
        try:
            yield work
        except BaseException:
            await session.rollback()
            raise
        if commit or work.wrote:
            await session.commit()
    for action in work._after_commit:
        await action()
