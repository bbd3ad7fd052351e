"""Month and week numbers computed inside the database, the same on SQLite and PostgreSQL.

A month number is year * 12 + month - 1; a week number counts whole weeks since Monday 1970-01-05. Both
let feature queries group by period with plain integers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import DateTime, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

EPOCH_MONDAY = date(1970, 1, 5)


def month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


def week_number(day: date) -> int:
    return (day - EPOCH_MONDAY).days // 7


class month_of(FunctionElement[int]):
    """The month number of a DATE or TIMESTAMP column."""

    type = Integer()
    inherit_cache = True


class week_of(FunctionElement[int]):
    """The week number of a DATE or TIMESTAMP column."""

    type = Integer()
    inherit_cache = True


def _argument(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(column, **kw)


def _postgresql_day(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
    """The column as a DATE; timestamps are taken in UTC, as they are stored."""
    (column,) = element.clauses
    value = compiler.process(column, **kw)
    if column.type._type_affinity is DateTime:
        return f"CAST(({value} AT TIME ZONE 'UTC') AS DATE)"
    return value


@compiles(month_of, "sqlite")
def _month_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps dates and timestamps as ISO text: slicing the year and month is far cheaper than strftime.
    value = _argument(element, compiler, **kw)
    return f"(CAST(substr({value}, 1, 4) AS INTEGER) * 12 + CAST(substr({value}, 6, 2) AS INTEGER) - 1)"


@compiles(month_of, "postgresql")
def _month_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    day = _postgresql_day(element, compiler, **kw)
    return f"(CAST(EXTRACT(YEAR FROM {day}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {day}) AS INTEGER) - 1)"


@compiles(week_of, "sqlite")
def _week_sqlite(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    value = _argument(element, compiler, **kw)
    return f"CAST((julianday({value}) - julianday('{EPOCH_MONDAY.isoformat()}')) / 7 AS INTEGER)"


@compiles(week_of, "postgresql")
def _week_postgresql(element: week_of, compiler: SQLCompiler, **kw: Any) -> str:
    day = _postgresql_day(element, compiler, **kw)
    return f"CAST(FLOOR(({day} - DATE '{EPOCH_MONDAY.isoformat()}') / 7.0) AS INTEGER)"
