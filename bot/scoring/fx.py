"""Amounts in several currencies, in the base currency: each month's amounts in a currency are converted at the
average of that currency's rates dated in the month (fx_rates.csv).

The average, rather than the month's last rate, because a month's figures are averages themselves (the monthly
average assets of its statements, the net flow of its transactions), and because a feed of daily rates and one
of a single rate a month then both work: with one rate a month, that rate is the month's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final, TypeVar

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, Subquery, and_, func, select

from bot.db.models import FxRate
from bot.scoring.calendar import month_of

__all__ = ["MONTH_RATES", "in_base", "with_month_rates"]


def _month_rates() -> Subquery:
    month = month_of(FxRate.on)
    return (
        select(FxRate.currency, month.label("month"), func.avg(FxRate.rate).label("rate"))
        .group_by(FxRate.currency, month).subquery("month_rates")
    )


MONTH_RATES: Final = _month_rates()
S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def with_month_rates(statement: S, currency: SQLColumnExpression[Any], day: SQLColumnExpression[Any]) -> S:
    """`statement` joined to the rate of `currency` in the month of `day` (none for the base currency)."""
    rate_of_the_month = and_(MONTH_RATES.c.currency == currency, MONTH_RATES.c.month == month_of(day))
    return statement.outerjoin(MONTH_RATES, rate_of_the_month)


def in_base(amount: SQLColumnExpression[Decimal]) -> ColumnElement[Decimal]:
    """`amount` in the base currency, in a statement `with_month_rates`: an amount without a rate is in it."""
    return amount * func.coalesce(MONTH_RATES.c.rate, 1)
