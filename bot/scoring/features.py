"""Client facts from the database with set-based SQL: a handful of GROUP BY queries per chunk of clients.

Clients are read in chunks of consecutive ids, so every query is a range scan of an index that starts with
client_id, and memory holds one chunk at a time whatever the size of the firm.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Select, String, and_, case, func, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.models import (
    Adviser,
    Balance,
    Client,
    Delivery,
    Interaction,
    Product,
    Response,
    SurveyQuestion,
    Transaction,
    TransactionKind,
)
from bot.scoring.calendar import month_number, month_of, month_start, week_number, week_of
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


def purchase_histories(window: Window) -> Select[Any]:
    """Per client with a purchase: the churn model's x, t_x and T, in weeks since their first purchase ever."""
    week = week_of(Transaction.at).label("week")
    weeks = (
        select(Transaction.client_id, week)
        .where(Transaction.kind.in_(PURCHASES), Transaction.at < window.end_at)
        .group_by(Transaction.client_id, week)
        .subquery()
    )
    return select(
        weeks.c.client_id,
        (func.count() - 1).label("frequency"),
        (func.max(weeks.c.week) - func.min(weeks.c.week)).label("recency"),
        (literal(week_number(window.as_of)) - func.min(weeks.c.week)).label("age"),
    ).group_by(weeks.c.client_id)


@dataclass(frozen=True)
class ChurnOutlook:
    """The churn model fitted on every client's purchase history, and each client's P(alive) under it."""

    model: BetaGeo | None
    problem: str | None  # why there is no model
    p_alive: dict[str, float]


async def churn_outlook(connection: AsyncConnection, window: Window) -> ChurnOutlook:
    """Fit BG/NBD on the distinct (x, t_x, T) with their counts, then score every client with a purchase."""
    rows = (await connection.execute(purchase_histories(window))).all()
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


def _empty_months(count: int, zero: Any) -> list[Any]:
    return [zero] * count


@dataclass(frozen=True)
class Chunk:
    facts: list[ClientFacts]
    # The adviser of each client who has one still with the firm, to alert.
    advisers: dict[str, str]


async def chunk_facts(
    connection: AsyncConnection, window: Window, first: str, last: str, p_alive: dict[str, float]
) -> Chunk:
    """The facts of the clients with ids in [first, last]."""
    months = window.months
    first_month = window.first_month

    def in_chunk(column: Any) -> Any:
        return and_(column >= first, column <= last)

    clients = (await connection.execute(
        select(Client.client_id, Client.onboarded_on, Client.risk_level, Client.risk_assessed_on,
               Client.adviser_id, Adviser.left_on)
        .outerjoin(Adviser, Adviser.adviser_id == Client.adviser_id)
        .where(in_chunk(Client.client_id)).order_by(Client.client_id)
    )).all()

    # Balances: the total per statement date (in key order, no sort), averaged per month here.
    monthly_aum: dict[str, list[Decimal]] = defaultdict(lambda: _empty_months(months, ZERO))
    statement_days: dict[str, int] = {}
    day_totals = (
        select(Balance.client_id, Balance.as_of, func.sum(Balance.amount))
        .where(in_chunk(Balance.client_id), Balance.as_of >= window.start, Balance.as_of <= window.as_of)
        .group_by(Balance.client_id, Balance.as_of)
    )
    sums: dict[tuple[str, int], list[Decimal]] = defaultdict(list)
    for client_id, day, total in await connection.execute(day_totals):
        sums[(client_id, month_number(day))].append(Decimal(total))
    for (client_id, month_no), totals in sums.items():
        index = month_no - first_month
        monthly_aum[client_id][index] = (sum(totals, ZERO) / len(totals)).quantize(CENT)
        if index == months - 1:
            statement_days[client_id] = len(totals)

    # The latest month's balances by category, averaged over that month's statement dates.
    category_aum: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for client_id, category, total in await connection.execute(
        select(Balance.client_id, Product.category, func.sum(Balance.amount))
        .join(Product, Product.product_id == Balance.product_id)
        .where(in_chunk(Balance.client_id), Balance.as_of >= month_start(window.last_month),
               Balance.as_of <= window.as_of)
        .group_by(Balance.client_id, Product.category)
    ):
        if total and total > 0:
            category_aum[client_id][str(category)] = (Decimal(total) / statement_days[client_id]).quantize(CENT)

    # Transactions per month: trades, net money in, and the latest one.
    t_month = month_of(Transaction.at).label("month")
    signed = case(
        (Transaction.kind.in_(MONEY_IN), Transaction.amount),
        (Transaction.kind.in_(MONEY_OUT), -Transaction.amount),
        else_=literal(0),
    )
    monthly_trades: dict[str, list[int]] = defaultdict(lambda: _empty_months(months, 0))
    monthly_net_flow: dict[str, list[Decimal]] = defaultdict(lambda: _empty_months(months, ZERO))
    last_activity: dict[str, date] = {}
    in_window = and_(in_chunk(Transaction.client_id), Transaction.at >= window.start_at,
                     Transaction.at < window.end_at)
    for client_id, month_no, trades, net_flow, latest in await connection.execute(
        select(Transaction.client_id, t_month, func.sum(case((Transaction.kind.in_(TRADES), 1), else_=0)),
               func.sum(signed), type_coerce(func.max(Transaction.at), String))
        .where(in_window).group_by(Transaction.client_id, t_month)
    ):
        index = month_no - first_month
        if 0 <= index < months:
            monthly_trades[client_id][index] = int(trades)
            monthly_net_flow[client_id][index] = Decimal(net_flow).quantize(CENT)
            _note_latest(last_activity, client_id, latest)

    categories_traded: dict[str, set[str]] = defaultdict(set)
    for client_id, category in await connection.execute(
        select(Transaction.client_id, Product.category).distinct()
        .join(Product, Product.product_id == Transaction.product_id)
        .where(in_window, Transaction.kind.in_((TransactionKind.BUY, TransactionKind.SELL)))
    ):
        categories_traded[client_id].add(str(category))

    i_month = month_of(Interaction.at).label("month")
    monthly_interactions: dict[str, list[int]] = defaultdict(lambda: _empty_months(months, 0))
    for client_id, month_no, count, latest in await connection.execute(
        select(Interaction.client_id, i_month, func.count(), type_coerce(func.max(Interaction.at), String))
        .where(in_chunk(Interaction.client_id), Interaction.at >= window.start_at, Interaction.at < window.end_at)
        .group_by(Interaction.client_id, i_month)
    ):
        index = month_no - first_month
        if 0 <= index < months:
            monthly_interactions[client_id][index] = int(count)
            _note_latest(last_activity, client_id, latest)

    survey_scores = await _survey_scores(connection, first, last)

    advisers = {
        client_id: adviser_id
        for client_id, _onboarded, _level, _assessed, adviser_id, left_on in clients
        if adviser_id is not None and (left_on is None or left_on > window.as_of)
    }
    facts = [
        ClientFacts(
            client_id=client_id,
            as_of=window.as_of,
            onboarded_on=onboarded_on,
            monthly_aum=tuple(monthly_aum[client_id]),
            monthly_trades=tuple(monthly_trades[client_id]),
            monthly_interactions=tuple(monthly_interactions[client_id]),
            monthly_net_flow=tuple(monthly_net_flow[client_id]),
            category_aum=category_aum.get(client_id, {}),
            categories_traded=frozenset(categories_traded.get(client_id, ())),
            last_activity_on=last_activity.get(client_id),
            p_alive=p_alive.get(client_id),
            survey_score=survey_scores.get(client_id),
            risk_level=risk_level,
            risk_assessed_on=risk_assessed_on,
            has_adviser=client_id in advisers,
        )
        for client_id, onboarded_on, risk_level, risk_assessed_on, _adviser, _left in clients
    ]
    return Chunk(facts, advisers)


def _note_latest(latest: dict[str, date], client_id: str, at: datetime | str) -> None:
    # Read raw, skipping the UTC conversion of every row: SQLite gives ISO text (UTC), PostgreSQL a datetime.
    day = at.astimezone(UTC).date() if isinstance(at, datetime) else date.fromisoformat(at[:10])
    if client_id not in latest or day > latest[client_id]:
        latest[client_id] = day


async def _survey_scores(connection: AsyncConnection, first: str, last: str) -> dict[str, float]:
    """Each client's latest rating answer, scaled to 0..1 by its question's scale."""
    ranked = (
        select(
            Delivery.client_id, Response.rating, SurveyQuestion.options,
            func.row_number().over(partition_by=Delivery.client_id,
                                   order_by=(Response.answered_at.desc(), Response.id.desc())).label("rank"),
        )
        .join(Response, Response.delivery_id == Delivery.id)
        .join(SurveyQuestion, SurveyQuestion.id == Response.question_id)
        .where(Delivery.client_id >= first, Delivery.client_id <= last, Response.rating.is_not(None))
        .subquery()
    )
    scores: dict[str, float] = {}
    for client_id, rating, options in await connection.execute(
        select(ranked.c.client_id, ranked.c.rating, ranked.c.options).where(ranked.c.rank == 1)
    ):
        low, high = (options or {}).get("min", 1), (options or {}).get("max", 5)
        if high > low:
            scores[client_id] = min(max((rating - low) / (high - low), 0.0), 1.0)
    return scores
