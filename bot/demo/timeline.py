"""The demo's time: the month-end statements of the window ending in as_of's month, as day numbers since the
epoch, and moments drawn within its days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np

from bot.demo.arrays import Ints

MONTHS: Final = 24  # month-end statements kept: two years, so a year can be compared with the year before
DAY: Final = 86_400


@dataclass(frozen=True)
class Calendar:
    as_of: int  # day number
    month_first: Ints  # day number of each month's first day
    statement_day: Ints  # day number of each month's statement: its last day, or as_of in as_of's month
    statement_dates: list[str]
    first_month_number: int  # months since 1970-01 of the window's first month

    @classmethod
    def ending(cls, as_of: date) -> Calendar:
        """The MONTHS statement months that end in as_of's month."""
        epoch = date(1970, 1, 1)
        last = as_of.year * 12 + as_of.month - 1
        firsts = [date(number // 12, number % 12 + 1, 1) for number in range(last - MONTHS + 1, last + 2)]
        statements = [min(following - timedelta(days=1), as_of) for following in firsts[1:]]
        return cls(
            as_of=(as_of - epoch).days,
            month_first=np.array([(first - epoch).days for first in firsts[:-1]], dtype=np.int64),
            statement_day=np.array([(statement - epoch).days for statement in statements], dtype=np.int64),
            statement_dates=[statement.isoformat() for statement in statements],
            first_month_number=last - MONTHS + 1 - 1970 * 12,
        )

    def month_days(self, month: Ints, since: Ints) -> tuple[Ints, Ints]:
        """Per row, the days of `month` a client onboarded on `since` can act in: first and last (its statement)."""
        return np.maximum(self.month_first[month], since), self.statement_day[month]


def moments(rng: np.random.Generator, day_low: Ints, day_high: Ints, hours: Ints) -> Ints:
    """Seconds since the epoch: a day in [day_low, day_high], a time within hours ((n, 2) UTC seconds)."""
    n = day_low.size
    day = day_low + (rng.random(n) * (day_high - day_low + 1)).astype(np.int64)
    second = hours[:, 0] + (rng.random(n) * (hours[:, 1] - hours[:, 0])).astype(np.int64)
    return day * DAY + second
