"""An adviser's book of business: their clients a page at a time, sorted and filtered, and a search by name.

A page is two queries, a count and one page with LIMIT/OFFSET, over the clients' adviser index joined to the tier
states by key ("tier changed lately" through the partial index of tier changes by run): what the latest scoring
run stored, never assessed afresh. The count is exact and reads only the tables its filter needs: the whole firm's
clients are counted without visiting their tier states, the firm's tiers and segments from the tier states alone.
Every read takes the `AllowedBook` that `bot.accounts.grant_book` returns, so an adviser lists their own clients
only.
"""

from __future__ import annotations

import calendar
import enum
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, UnaryExpression, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.accounts import AllowedBook
from bot.config import firm_today
from bot.db.models import RECORD_ID, Adviser, Client, Role, ScoringRun, TierSnapshot, TierState
from tiering import Segment, TierRules

__all__ = [
    "ASSESSMENT_WARNING_DAYS",
    "CHANGED_WITHIN_DAYS",
    "LIFECYCLE_STAGES",
    "PAGE_SIZE",
    "SEARCH_LIMIT",
    "BookFilter",
    "BookPage",
    "BookQuery",
    "BookRow",
    "BookSort",
    "assessment_expiry",
    "assessment_lapsed_on",
    "book_page",
    "expired_by",
    "names_an_id",
    "search_by_name",
    "tier_changed_since",
]

PAGE_SIZE: Final = 10
SEARCH_LIMIT: Final = 20  # name matches listed at most; more asks for a longer part of the name
CHANGED_WITHIN_DAYS: Final = 30  # "tier changed lately": within this many days of the latest scoring run
ASSESSMENT_WARNING_DAYS: Final = 60  # a risk assessment expiring within this many days needs renewing now
LIFECYCLE_STAGES: Final = (Segment.NEW, Segment.GROWTH, Segment.MATURE, Segment.DECLINE)


class BookSort(enum.StrEnum):
    VALUE = "value"  # value score, highest first
    AUM = "aum"  # monthly average assets, largest first


class BookFilter(enum.StrEnum):
    ALL = "all"
    TIER = "tier"  # with the tier id as the filter's value
    STAGE = "stage"  # with the lifecycle segment as the value
    CHURN = "churn"  # loyalty segment "potential_churn": any of the rules' warning signs
    CHANGED = "changed"  # the tier changed in a run within CHANGED_WITHIN_DAYS of the latest
    RISK = "risk"  # risk assessment missing, expired, or expiring within ASSESSMENT_WARNING_DAYS


@dataclass(frozen=True, slots=True)
class BookQuery:
    """Which page of the book, sorted how, filtered by what (`value` is the tier or stage of those filters)."""

    filter: BookFilter = BookFilter.ALL
    value: str = ""
    sort: BookSort = BookSort.VALUE
    page: int = 0

    def valid(self, rules: TierRules) -> bool:
        """False for what no button of ours carries (a forged or stale one): an unknown tier or stage, a value on
        a filter without one, a negative page."""
        if self.page < 0:
            return False
        if self.filter is BookFilter.TIER:
            return rules.rank(self.value) is not None
        if self.filter is BookFilter.STAGE:
            return self.value in LIFECYCLE_STAGES
        return self.value == ""


@dataclass(frozen=True, slots=True)
class BookRow:
    client_id: str
    name: str
    tier: str | None  # None: not scored yet
    value_score: float | None
    avg_aum: Decimal | None


@dataclass(frozen=True, slots=True)
class BookPage:
    """One page of the book: `page` counts from 0 of `pages` (at least 1), `total` clients meet the filter."""

    book: AllowedBook
    query: BookQuery
    rows: tuple[BookRow, ...]
    total: int
    pages: int
    adviser_name: str | None  # the name of the book's adviser, for an admin's view of one adviser's book

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def beyond(self) -> bool:
        """The page asked for lies past the last one (a forged button, or one from before the book shrank)."""
        return self.page >= self.pages


_ROW = (
    select(Client.client_id, Client.name, TierState.tier, TierState.value_score, TierState.monthly_avg_aum)
    .outerjoin(TierState, TierState.client_id == Client.client_id)
)


def _scope(book: AllowedBook) -> ColumnElement[bool]:
    return true() if book.adviser_id is None else Client.adviser_id == book.adviser_id


def _figure(sort: BookSort) -> InstrumentedAttribute[Any]:
    return TierState.value_score if sort is BookSort.VALUE else TierState.monthly_avg_aum


def _order(sort: BookSort) -> tuple[UnaryExpression[Any], UnaryExpression[str]]:
    return _figure(sort).desc().nulls_last(), Client.client_id.asc()


def assessment_expiry(assessed_on: date, valid_months: int) -> date:
    """The first day a risk assessment taken on `assessed_on` is no longer valid (`valid_months` whole months on,
    as `tiering.risk_assessment_status` counts them)."""
    month = assessed_on.month - 1 + valid_months
    year, month = assessed_on.year + month // 12, month % 12 + 1
    if assessed_on.day > calendar.monthrange(year, month)[1]:  # that month has no such day: the next month's first
        return date(year, month, calendar.monthrange(year, month)[1]) + timedelta(days=1)
    return date(year, month, assessed_on.day)


def expired_by(day: date, valid_months: int) -> date:
    """The latest assessment day whose assessment is no longer valid on `day`: `valid_months` whole months
    before it (the same day of the month, or the month's last day when it has no such day)."""
    month = day.month - 1 - valid_months
    year, month = day.year + month // 12, month % 12 + 1
    # A day past the end of that (shorter) month: every day of it is whole months before `day` by then.
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def _latest_run_day(session: AsyncSession) -> date | None:
    return await session.scalar(select(func.max(ScoringRun.as_of)).where(ScoringRun.finished_at.is_not(None)))


def tier_changed_since(day: date) -> ColumnElement[bool]:
    """The client's tier changed in a run after `day`: read from the partial index of tier changes by run."""
    return Client.client_id.in_(
        select(TierSnapshot.client_id)
        .where(TierSnapshot.scoring_run_id.in_(select(ScoringRun.id).where(ScoringRun.as_of > day)),
               TierSnapshot.previous_tier.is_not(None), TierSnapshot.previous_tier != TierSnapshot.tier)
    )


def assessment_lapsed_on(rules: TierRules, day: date) -> ColumnElement[bool]:
    """SQL: the client has no valid risk assessment on `day` (no level, never assessed, or assessed `valid_months`
    whole months before it or longer): `tiering.risk_assessment_status` is not None."""
    by = expired_by(day, rules.suitability.assessment_valid_months)
    return or_(Client.risk_level.is_(None), Client.risk_assessed_on.is_(None), Client.risk_assessed_on <= by)


def _assessment_due(rules: TierRules, today: date) -> ColumnElement[bool]:
    return assessment_lapsed_on(rules, today + timedelta(days=ASSESSMENT_WARNING_DAYS))


async def _condition(session: AsyncSession, query: BookQuery, rules: TierRules) -> ColumnElement[bool]:
    match query.filter:
        case BookFilter.TIER:
            return TierState.tier == query.value
        case BookFilter.STAGE:
            return TierState.lifecycle_segment == query.value
        case BookFilter.CHURN:
            return TierState.loyalty_segment == Segment.POTENTIAL_CHURN.value
        case BookFilter.CHANGED:
            latest = await _latest_run_day(session)
            return false() if latest is None else tier_changed_since(latest - timedelta(days=CHANGED_WITHIN_DAYS))
        case BookFilter.RISK:
            return _assessment_due(rules, firm_today())
    return true()


_ON_THE_STATE: Final = frozenset({BookFilter.TIER, BookFilter.STAGE, BookFilter.CHURN})  # tier state columns only
_SORTED_FROM_THE_STATE: Final = _ON_THE_STATE | {BookFilter.ALL}


def _count(book: AllowedBook, query: BookQuery, condition: ColumnElement[bool]) -> Select[int]:
    """The clients of `book` that meet `condition`, counted from the tables it needs. A filter on the tier state
    holds only where there is one, so the join is an inner one; for the whole firm it needs no client at all (every
    state is of one client)."""
    if query.filter not in _ON_THE_STATE:
        return select(func.count()).select_from(Client).where(_scope(book), condition)
    if book.whole_firm:
        return select(func.count()).select_from(TierState).where(condition)
    return (select(func.count()).select_from(Client).join(TierState, TierState.client_id == Client.client_id)
            .where(_scope(book), condition))


async def book_page(session: AsyncSession, book: AllowedBook, query: BookQuery, rules: TierRules) -> BookPage:
    """The page of `book` that `query` asks for; `query` must be valid for `rules` (BookQuery.valid)."""
    condition = await _condition(session, query, rules)
    if book.whole_firm:
        total = await session.scalar(_count(book, query, condition)) or 0
        read = _firm_rows if query.filter in _SORTED_FROM_THE_STATE else _rows
        rows = await read(session, book, query, condition) if query.page * PAGE_SIZE < total else ()
    else:
        rows, total = await _rows_and_count(session, book, query, condition)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    adviser_name = None
    if book.adviser_id is not None and book.reader.role is Role.ADMIN:
        adviser_name = await session.scalar(select(Adviser.name).where(Adviser.adviser_id == book.adviser_id))
    return BookPage(book, query, rows, total, pages, adviser_name)


def _page(book: AllowedBook, query: BookQuery, condition: ColumnElement[bool], *columns: Any) -> Select[Any]:
    return (_ROW.add_columns(*columns).where(_scope(book), condition).order_by(*_order(query.sort))
            .limit(PAGE_SIZE).offset(query.page * PAGE_SIZE))


async def _rows(session: AsyncSession, book: AllowedBook, query: BookQuery, condition: ColumnElement[bool]
                ) -> tuple[BookRow, ...]:
    return tuple(BookRow(*row) for row in await session.execute(_page(book, query, condition)))


async def _firm_rows(session: AsyncSession, book: AllowedBook, query: BookQuery, condition: ColumnElement[bool]
                     ) -> tuple[BookRow, ...]:
    """A page of the whole firm whose filter reads the tier state alone, in the order of `_order`: the clients with
    the figure sorted by are sorted from their tier states alone and named for the page only (joining every client
    before the sort cost most of the page); those without it (not scored yet) follow, by id, where a page reaches
    past them."""
    figure, offset = _figure(query.sort), query.page * PAGE_SIZE
    ranked = (select(TierState.client_id, TierState.tier, TierState.value_score, TierState.monthly_avg_aum)
              .where(figure.is_not(None), condition).order_by(figure.desc(), TierState.client_id)
              .limit(PAGE_SIZE).offset(offset).subquery())
    rows = [BookRow(*row) for row in await session.execute(
        select(Client.client_id, Client.name, ranked.c.tier, ranked.c.value_score, ranked.c.monthly_avg_aum)
        .join(ranked, ranked.c.client_id == Client.client_id)
        .order_by(ranked.c[figure.key].desc(), Client.client_id))]
    if len(rows) < PAGE_SIZE:
        sorted_count = await session.scalar(
            select(func.count()).select_from(TierState).where(figure.is_not(None), condition)) or 0
        unsorted = (_ROW.where(or_(TierState.client_id.is_(None), figure.is_(None)), condition)
                    .order_by(Client.client_id).limit(PAGE_SIZE - len(rows)).offset(max(offset - sorted_count, 0)))
        rows += [BookRow(*row) for row in await session.execute(unsorted)]
    return tuple(rows)


async def _rows_and_count(session: AsyncSession, book: AllowedBook, query: BookQuery, condition: ColumnElement[bool]
                          ) -> tuple[tuple[BookRow, ...], int]:
    """One adviser's page and its count in one query, the count riding on each row: over a book of a few thousand
    clients the window costs what the page's sort does (over the whole firm it would keep every row: the firm's
    count is read apart). A page with no rows (past the end, or a filter no client meets) is counted apart."""
    found = (await session.execute(_page(book, query, condition, func.count().over()))).all()
    if not found:
        return (), await session.scalar(_count(book, query, condition)) or 0
    return tuple(BookRow(*row[:-1]) for row in found), found[0][-1]


def names_an_id(text: str) -> bool:
    """`/client TEXT` asks for a client by id when TEXT could be one and holds a digit (ids such as C00042 do,
    people's names do not); otherwise it searches names."""
    return RECORD_ID.fullmatch(text) is not None and any(character.isdigit() for character in text)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_by_name(session: AsyncSession, book: AllowedBook, text: str) -> tuple[BookRow, ...]:
    """The clients of `book` whose name holds `text` (any case), by name: at most SEARCH_LIMIT + 1, so that the
    caller can tell there are more."""
    result = await session.execute(
        _ROW.where(_scope(book), Client.name.ilike(_like_pattern(text.strip()), escape="\\"))
        .order_by(Client.name, Client.client_id).limit(SEARCH_LIMIT + 1))
    return tuple(BookRow(*row) for row in result)
