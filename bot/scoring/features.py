"""Client facts from the database with set-based SQL: a handful of GROUP BY queries per chunk of clients.

Clients are read in chunks of consecutive ids, so every query is a range scan of an index that starts with
client_id, and memory holds one chunk at a time whatever the size of the firm. The statements are built once, their
period and clients bound at each execution: a chunk of one client (a client's details in chat) costs the queries'
round trips, not the building of their expressions again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.models import (
    Adviser,
    Balance,
    Client,
    Interaction,
    Product,
    SurveyAnswer,
    SurveyScale,
    Transaction,
    TransactionKind,
    with_the_firm,
)
from bot.scoring.calendar import month_number, month_of, month_start, week_number, week_of
from bot.scoring.fx import in_base, with_month_rates
from tiering import BetaGeo, ClientFacts

TRADES = (TransactionKind.BUY, TransactionKind.SELL, TransactionKind.TRANSFER_IN, TransactionKind.TRANSFER_OUT)
MONEY_IN = (TransactionKind.DEPOSIT, TransactionKind.TRANSFER_IN)
MONEY_OUT = (TransactionKind.WITHDRAW, TransactionKind.TRANSFER_OUT)
# A purchase for the churn model: the client putting money in (BG/NBD counts repeat "purchases").
PURCHASES = (TransactionKind.BUY, TransactionKind.DEPOSIT)
ZERO = Decimal(0)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Window:
    """The period the facts cover: `months` calendar months ending with the month of `as_of`."""

    as_of: date
    months: int

    @property
    def last_month(self) -> int:
        return month_number(self.as_of)

    @property
    def first_month(self) -> int:
        return self.last_month - self.months + 1

    @property
    def start(self) -> date:
        return month_start(self.first_month)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        """The first moment after as_of."""
        return datetime.combine(self.as_of + timedelta(days=1), time(), UTC)

    def parameters(self, first: str, last: str) -> dict[str, Any]:
        """The values of the feature statements' parameters: this period, the clients with ids in [first, last]."""
        return {"first": first, "last": last, "start": self.start, "as_of": self.as_of,
                "last_month_start": month_start(self.last_month), "start_at": self.start_at, "end_at": self.end_at}


def _purchase_histories(one_client: bool) -> Select[*tuple[Any, ...]]:
    week = week_of(Transaction.at).label("week")
    purchases = select(Transaction.client_id, week).where(
        Transaction.kind.in_(PURCHASES), Transaction.at < bindparam("end_at")
    )
    if one_client:
        purchases = purchases.where(Transaction.client_id == bindparam("client_id"))
    weeks = purchases.group_by(Transaction.client_id, week).subquery()
    return select(
        weeks.c.client_id,
        (func.count() - 1).label("frequency"),
        (func.max(weeks.c.week) - func.min(weeks.c.week)).label("recency"),
        (bindparam("week", type_=Integer) - func.min(weeks.c.week)).label("age"),
    ).group_by(weeks.c.client_id)


_EVERY_PURCHASE_HISTORY: Final = _purchase_histories(one_client=False)
_ONE_PURCHASE_HISTORY: Final = _purchase_histories(one_client=True)


async def purchase_histories(connection: AsyncConnection, window: Window, client_id: str | None = None
                             ) -> Sequence[Row[Any]]:
    """Per client with a purchase (or just `client_id`'s): the churn model's x, t_x and T, in weeks since their
    first purchase ever."""
    parameters = {"end_at": window.end_at, "week": week_number(window.as_of), "client_id": client_id}
    statement = _EVERY_PURCHASE_HISTORY if client_id is None else _ONE_PURCHASE_HISTORY
    rows: Sequence[Row[Any]] = (await connection.execute(statement, parameters)).all()
    return rows


@dataclass(frozen=True)
class ChurnOutlook:
    """The churn model fitted on every client's purchase history, and each client's P(alive) under it."""

    model: BetaGeo | None
    problem: str | None  # why there is no model
    p_alive: dict[str, float]


async def churn_outlook(connection: AsyncConnection, window: Window) -> ChurnOutlook:
    """Fit BG/NBD on the distinct (x, t_x, T) with their counts, then score every client with a purchase."""
    rows = await purchase_histories(connection, window)
    if not rows:
        return ChurnOutlook(None, "no purchases to learn from", {})
    histories = np.array([row[1:] for row in rows], dtype=np.float64)
    distinct, counts = np.unique(histories, axis=0, return_counts=True)
    try:
        model = BetaGeo.fit(distinct[:, 0], distinct[:, 1], distinct[:, 2], weights=counts)
    except ValueError as error:  # ChurnModelFitError included: the data cannot pin the model down
        return ChurnOutlook(None, str(error), {})
    chances = model.p_alive(histories[:, 0], histories[:, 1], histories[:, 2])
    return ChurnOutlook(model, None, dict(zip((row[0] for row in rows), chances.tolist(), strict=True)))


async def client_id_chunks(connection: AsyncConnection, size: int) -> AsyncIterator[tuple[str, str]]:
    """(first, last) client ids of consecutive chunks of `size` clients, by keyset pagination."""
    after: str | None = None
    while True:
        query = select(Client.client_id).order_by(Client.client_id).limit(size)
        if after is not None:
            query = query.where(Client.client_id > after)
        ids = (await connection.execute(query)).scalars().all()
        if not ids:
            return
        yield ids[0], ids[-1]
        after = ids[-1]


class _Months:
    """Per-client monthly series over the window, zero where nothing happened."""

    def __init__(self, window: Window, zero: Any) -> None:
        self.first_month, self.count, self.zero = window.first_month, window.months, zero
        self.series: dict[str, list[Any]] = {}

    def set(self, client_id: str, month: int, value: Any) -> None:
        index = month - self.first_month
        if 0 <= index < self.count:
            self.series.setdefault(client_id, [self.zero] * self.count)[index] = value

    def of(self, client_id: str) -> tuple[Any, ...]:
        values = self.series.get(client_id)
        return tuple(values) if values else (self.zero,) * self.count


_CLIENTS: Final = (
    select(Client.client_id, Client.onboarded_on, Client.risk_level, Client.risk_assessed_on,
           Client.adviser_id, Adviser.left_on)
    .outerjoin(Adviser, Adviser.adviser_id == Client.adviser_id)
    .where(Client.client_id >= bindparam("first"), Client.client_id <= bindparam("last")).order_by(Client.client_id)
)


async def chunk_facts(
    connection: AsyncConnection, window: Window, first: str, last: str, p_alive: dict[str, float]
) -> list[ClientFacts]:
    """The facts of the clients with ids in [first, last]."""
    parameters = window.parameters(first, last)
    clients = (await connection.execute(_CLIENTS, parameters)).all()
    aum, statement_days = await _monthly_aum(connection, window, parameters)
    category_aum = await _category_aum(connection, parameters, statement_days)
    last_activity: dict[str, date] = {}
    trades, net_flow = await _monthly_transactions(connection, window, parameters, last_activity)
    interactions = await _monthly_interactions(connection, window, parameters, last_activity)
    traded = await _categories_traded(connection, parameters)
    survey_scores = await _survey_scores(connection, parameters)

    advised = {
        client_id
        for client_id, _onboarded, _level, _assessed, adviser_id, left_on in clients
        if adviser_id is not None and with_the_firm(left_on, window.as_of)
    }
    return [
        ClientFacts(
            client_id=client_id,
            as_of=window.as_of,
            onboarded_on=onboarded_on,
            monthly_aum=aum.of(client_id),
            monthly_trades=trades.of(client_id),
            monthly_interactions=interactions.of(client_id),
            monthly_net_flow=net_flow.of(client_id),
            category_aum=category_aum.get(client_id, {}),
            categories_traded=frozenset(traded.get(client_id, ())),
            last_activity_on=last_activity.get(client_id),
            p_alive=p_alive.get(client_id),
            survey_score=survey_scores.get(client_id),
            risk_level=risk_level,
            risk_assessed_on=risk_assessed_on,
            has_adviser=client_id in advised,
        )
        for client_id, onboarded_on, risk_level, risk_assessed_on, _adviser, _left in clients
    ]


def _clients_balances(since: str) -> ColumnElement[bool]:
    return and_(Balance.client_id >= bindparam("first"), Balance.client_id <= bindparam("last"),
                Balance.as_of >= bindparam(since), Balance.as_of <= bindparam("as_of"))


_DAY_TOTALS: Final = (
    with_month_rates(select(Balance.client_id, Balance.as_of, func.sum(in_base(Balance.amount))),
                     Balance.currency, Balance.as_of)
    .where(_clients_balances("start"))
    .group_by(Balance.client_id, Balance.as_of)  # in key order: no sort
)


async def _monthly_aum(
    connection: AsyncConnection, window: Window, parameters: dict[str, Any]
) -> tuple[_Months, dict[str, int]]:
    """The monthly average of each client's total balance, and their statement dates in the last month."""
    # (client, month) -> [sum of the day totals, number of statement days]
    totals: dict[tuple[str, int], list[Any]] = {}
    for client_id, day, total in (await connection.execute(_DAY_TOTALS, parameters)).all():
        key = (client_id, month_number(day))
        if (entry := totals.get(key)) is None:
            totals[key] = [Decimal(total), 1]
        else:
            entry[0] += Decimal(total)
            entry[1] += 1
    aum = _Months(window, ZERO)
    statement_days: dict[str, int] = {}
    last_month = window.last_month
    for (client_id, month), (total, days) in totals.items():
        aum.set(client_id, month, (total / days).quantize(CENT))
        if month == last_month:
            statement_days[client_id] = days
    return aum, statement_days


_CATEGORY_TOTALS: Final = (
    with_month_rates(select(Balance.client_id, Product.category, func.sum(in_base(Balance.amount))),
                     Balance.currency, Balance.as_of)
    .join(Product, Product.product_id == Balance.product_id)
    .where(_clients_balances("last_month_start"))
    .group_by(Balance.client_id, Product.category)
)


async def _category_aum(
    connection: AsyncConnection, parameters: dict[str, Any], statement_days: dict[str, int]
) -> dict[str, dict[str, Decimal]]:
    """The last month's balances per product category, averaged over that month's statement dates."""
    category_aum: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for client_id, category, total in await connection.execute(_CATEGORY_TOTALS, parameters):
        if total and total > 0:
            category_aum[client_id][str(category)] = (Decimal(total) / statement_days[client_id]).quantize(CENT)
    return category_aum


def _transactions_in() -> ColumnElement[bool]:
    return and_(Transaction.client_id >= bindparam("first"), Transaction.client_id <= bindparam("last"),
                Transaction.at >= bindparam("start_at"), Transaction.at < bindparam("end_at"))


def _monthly_transactions_statement() -> Select[*tuple[Any, ...]]:
    month = month_of(Transaction.at).label("month")
    amount = in_base(Transaction.amount)
    signed = case(
        (Transaction.kind.in_(MONEY_IN), amount),
        (Transaction.kind.in_(MONEY_OUT), -amount),
        else_=literal(0),
    )
    statement = select(Transaction.client_id, month, func.sum(case((Transaction.kind.in_(TRADES), 1), else_=0)),
                       func.sum(signed), type_coerce(func.max(Transaction.at), String))
    return (
        with_month_rates(statement, Transaction.currency, Transaction.at)
        .where(_transactions_in()).group_by(Transaction.client_id, month)
    )


_MONTHLY_TRANSACTIONS: Final = _monthly_transactions_statement()


async def _monthly_transactions(
    connection: AsyncConnection, window: Window, parameters: dict[str, Any], last_activity: dict[str, date]
) -> tuple[_Months, _Months]:
    """Trades and net money in per month; notes each client's latest transaction."""
    trades, net_flow = _Months(window, 0), _Months(window, ZERO)
    for client_id, month_no, trade_count, flow, latest in (
            await connection.execute(_MONTHLY_TRANSACTIONS, parameters)).all():
        trades.set(client_id, month_no, int(trade_count))
        net_flow.set(client_id, month_no, Decimal(flow).quantize(CENT))
        _note_latest(last_activity, client_id, latest)
    return trades, net_flow


_CATEGORIES_TRADED: Final = (
    select(Transaction.client_id, Product.category).distinct()
    .join(Product, Product.product_id == Transaction.product_id)
    .where(_transactions_in(), Transaction.kind.in_((TransactionKind.BUY, TransactionKind.SELL)))
)


async def _categories_traded(connection: AsyncConnection, parameters: dict[str, Any]) -> dict[str, set[str]]:
    traded: dict[str, set[str]] = defaultdict(set)
    for client_id, category in await connection.execute(_CATEGORIES_TRADED, parameters):
        traded[client_id].add(str(category))
    return traded


def _monthly_interactions_statement() -> Select[*tuple[Any, ...]]:
    month = month_of(Interaction.at).label("month")
    return (
        select(Interaction.client_id, month, func.count(), type_coerce(func.max(Interaction.at), String))
        .where(Interaction.client_id >= bindparam("first"), Interaction.client_id <= bindparam("last"),
               Interaction.at >= bindparam("start_at"), Interaction.at < bindparam("end_at"))
        .group_by(Interaction.client_id, month)
    )


_MONTHLY_INTERACTIONS: Final = _monthly_interactions_statement()


async def _monthly_interactions(
    connection: AsyncConnection, window: Window, parameters: dict[str, Any], last_activity: dict[str, date]
) -> _Months:
    """Contacts per month; notes each client's latest contact."""
    interactions = _Months(window, 0)
    for client_id, month_no, count, latest in (await connection.execute(_MONTHLY_INTERACTIONS, parameters)).all():
        interactions.set(client_id, month_no, int(count))
        _note_latest(last_activity, client_id, latest)
    return interactions


def _note_latest(latest: dict[str, date], client_id: str, at: datetime | str) -> None:
    # Read raw, skipping the UTC conversion of every row: SQLite gives ISO text (UTC), PostgreSQL a datetime.
    day = at.astimezone(UTC).date() if isinstance(at, datetime) else date.fromisoformat(at[:10])
    if client_id not in latest or day > latest[client_id]:
        latest[client_id] = day


def _survey_scores_statement() -> Select[*tuple[Any, ...]]:
    """The answers of each client's latest survey up to the run's day (the campaign of their latest answer)."""
    answered = and_(SurveyAnswer.client_id >= bindparam("first"), SurveyAnswer.client_id <= bindparam("last"),
                    SurveyAnswer.answered_at < bindparam("end_at"))
    ranked = (
        select(
            SurveyAnswer.client_id, SurveyAnswer.campaign_id,
            func.row_number().over(partition_by=SurveyAnswer.client_id,
                                   order_by=(SurveyAnswer.answered_at.desc(), SurveyAnswer.id.desc())).label("rank"),
        )
        .where(answered)
        .subquery()
    )
    latest = select(ranked.c.client_id, ranked.c.campaign_id).where(ranked.c.rank == 1).subquery()
    return (
        select(SurveyAnswer.client_id, SurveyAnswer.rating, SurveyAnswer.scale)
        .join(latest, and_(latest.c.client_id == SurveyAnswer.client_id,
                           latest.c.campaign_id == SurveyAnswer.campaign_id))
        .where(answered)
    )


_SURVEY_SCORES: Final = _survey_scores_statement()


async def _survey_scores(connection: AsyncConnection, parameters: dict[str, Any]) -> dict[str, float]:
    """Each client's latest survey score up to the run's day: the mean of that survey's answers, each scaled to 0..1
    by its scale (NPS 0-10, CSAT 1-5, CES 1-7)."""
    scaled: dict[str, list[float]] = {}
    for client_id, rating, scale in await connection.execute(_SURVEY_SCORES, parameters):
        low, high = SurveyScale(scale).bounds
        scaled.setdefault(client_id, []).append(min(max((rating - low) / (high - low), 0.0), 1.0))
    scores = {client_id: sum(values) / len(values) for client_id, values in scaled.items()}
    return scores
