"""The demo's clients and advisers: each client's wealth, tenure, lifecycle stage, habit, risk assessment and
adviser. The book is an advised wealth book rather than a mass-retail bank's: about three in four clients below the
RMB 500k line of CMB's 金葵花, about one in five between it and RMB 6m, and about one in twenty-five above (the low
end of Chinese banks' private-banking lines, RMB 6m to 10m), the tiers of the shipped rules. Wealth is as heavy-tailed
as at CMB, where the 2.2% of retail clients at 500k or more hold about 81% of retail AUM: here the quarter at 500k or
more hold about 96% of it, the twenty-fifth at 6m or more about two thirds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from bot.demo.arrays import Flags, Floats, Ints
from bot.demo.names import draw_names
from bot.demo.timeline import MONTHS, Calendar

CLIENTS_PER_ADVISER: Final = 150
LAPSE_LATEST: Final = MONTHS - 6  # a lapsed client's last activity is at least six months before as_of

ORDINARY, MID, HIGH_NET_WORTH = 0, 1, 2  # AUM bands: below RMB 500k, 500k to 6m, 6m and more
NEW, GROWING, MATURE, DECLINING, LAPSED = 0, 1, 2, 3, 4
OCCASIONAL, TRADER, DORMANT = 0, 1, 2

_MID_FLOOR, _HIGH_FLOOR, _RICHEST = 500_000.0, 6_000_000.0, 3_000_000_000.0
# Drawn a little above the shares wanted at as_of (about 4% and 19%): lapses and sales take some below their band.
_HNW_SHARE: Final = 0.05
_MID_SHARE: Final = 0.22
_ORDINARY_SIGMA: Final = 1.6
# A mean of RMB 60k, which lapses and sales bring down at as_of.
_ORDINARY_MU: Final = float(np.log(60_000) - _ORDINARY_SIGMA**2 / 2)
_MID_ALPHA: Final = 1.12  # truncated at 6m this gives a mean of about RMB 1.3m
_HIGH_ALPHA: Final = 1.7  # a mean of about RMB 14m at 3bn
# Established clients by band: cumulative shares of growing, mature, declining (the rest lapsed).
_STAGE_CUMULATIVE: Final = np.array([[0.24, 0.67, 0.85], [0.28, 0.78, 0.96], [0.28, 0.82, 0.98]])
# Risk levels C1..C4 cumulative, for ordinary and for wealthier clients (the rest C5).
_RISK_CUMULATIVE: Final = np.array([[0.07, 0.32, 0.68, 0.90], [0.02, 0.15, 0.50, 0.82]])


@dataclass(frozen=True)
class Clients:
    ids: list[str]
    names: list[str]
    zh: Flags
    band: Ints
    wealth: Floats  # AUM at as_of the client's profile aims at, RMB
    onboarded: Ints  # day number
    first_month: Ints  # first statement month the client can hold anything in
    joined_before_window: Flags
    stage: Ints
    lapse_month: Ints  # first month with nothing left (MONTHS when not lapsed)
    habit: Ints
    quiet_from: Ints  # first month without activity of the client's own (MONTHS when always active)
    risk: Ints  # 0: never assessed
    assessed_on: Ints  # day number, -1 when never assessed
    expired: Flags  # assessed over two years ago, so buys nothing new that needs an assessment
    above_level: Flags  # holds a product above the level of a recent re-assessment
    adviser: Ints


# Mobile prefixes of China's three carriers.
_MOBILE_PREFIXES: Final = ("134", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "182", "187",
                           "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180", "181", "189")


# Where the firm's advisers sit: most at the head office, some at the Hong Kong and Singapore desks, a few of the
# English-speaking ones in London. Shares for Chinese-speaking and for English-speaking advisers.
_ZONES: Final = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Europe/London")
_ZONE_SHARES: Final = {True: (0.86, 0.10, 0.04, 0.0), False: (0.40, 0.25, 0.15, 0.20)}


@dataclass(frozen=True)
class Advisers:
    ids: list[str]
    names: list[str]
    zh: Flags
    # As a firm writes them ("+86 138 0013 8000"); "" for the few whose work mobile it does not give out.
    phones: list[str]
    emails: list[str]
    timezones: list[str]  # IANA names, for quiet hours

    @classmethod
    def draw(cls, rng: np.random.Generator, client_count: int) -> Advisers:
        count = max(1, round(client_count / CLIENTS_PER_ADVISER))
        width = max(3, len(str(count)))
        ids = [f"A{number:0{width}d}" for number in range(1, count + 1)]
        zh = rng.random(count) < 0.75
        names = draw_names(rng, zh)
        prefixes = rng.integers(0, len(_MOBILE_PREFIXES), count)
        subscribers = rng.integers(0, 100_000_000, count)
        listed = rng.random(count) >= 0.1
        phones = [f"+86 {_MOBILE_PREFIXES[prefix]} {number // 10_000:04d} {number % 10_000:04d}" if shown else ""
                  for prefix, number, shown in zip(prefixes.tolist(), subscribers.tolist(), listed.tolist(),
                                                   strict=True)]
        emails = [f"{adviser_id.lower()}@harbour-wealth.example" for adviser_id in ids]
        # Drawn last, so that the draws before it (and every file but advisers.csv) stay as they were.
        timezones = [str(rng.choice(_ZONES, p=_ZONE_SHARES[speaks_chinese])) for speaks_chinese in zh.tolist()]
        return cls(ids, names, zh, phones, emails, timezones)

    def assign(self, rng: np.random.Generator, client_zh: Flags) -> Ints:
        """Mostly an adviser who speaks the client's language, now and then anyone."""
        n = client_zh.size
        chosen = rng.integers(0, len(self.ids), n)
        same_language = rng.random(n) < 0.9
        for pool, wanted in ((np.flatnonzero(self.zh), client_zh), (np.flatnonzero(~self.zh), ~client_zh)):
            if pool.size:
                chosen = np.where(same_language & wanted, pool[rng.integers(0, pool.size, n)], chosen)
        return chosen


def _truncated_pareto(rng: np.random.Generator, n: int, low: float, high: float, alpha: float) -> Floats:
    drawn: Floats = low * (1.0 - rng.random(n) * (1.0 - (low / high) ** alpha)) ** (-1.0 / alpha)
    return drawn


def _draw_wealth(rng: np.random.Generator, band: Ints) -> Floats:
    n = band.size
    ordinary = rng.lognormal(_ORDINARY_MU, _ORDINARY_SIGMA, n)
    too_rich = ordinary >= _MID_FLOOR
    while too_rich.any():  # truncate the lognormal at the next band by drawing again
        ordinary[too_rich] = rng.lognormal(_ORDINARY_MU, _ORDINARY_SIGMA, int(too_rich.sum()))
        too_rich = ordinary >= _MID_FLOOR
    mid = _truncated_pareto(rng, n, _MID_FLOOR, _HIGH_FLOOR, _MID_ALPHA)
    high = _truncated_pareto(rng, n, _HIGH_FLOOR, _RICHEST, _HIGH_ALPHA)
    return np.select([band == MID, band == HIGH_NET_WORTH], [mid, high], ordinary)


def draw_clients(
    rng: np.random.Generator, numbers: range, id_width: int, calendar: Calendar, advisers: Advisers
) -> Clients:
    n = len(numbers)
    band_draw = rng.random(n)
    band = np.select([band_draw < _HNW_SHARE, band_draw < _HNW_SHARE + _MID_SHARE], [HIGH_NET_WORTH, MID], ORDINARY)
    wealth = _draw_wealth(rng, band)
    zh = rng.random(n) < 0.8
    ordinary = band == ORDINARY

    # Tenure: recent years brought more clients; the wealthy have been with the firm longer.
    new = rng.random(n) < np.where(ordinary, 0.07, 0.03)
    scale = np.where(ordinary, 4 * 365.25, 6 * 365.25)
    span = 15 * 365 - 183
    established = 183 - scale * np.log1p(-rng.random(n) * (1.0 - np.exp(-span / scale)))
    days_ago = np.where(new, rng.integers(0, 183, n), established.astype(np.int64))
    onboarded = calendar.as_of - days_ago
    month = onboarded.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first_month = np.maximum(month - calendar.first_month_number, 0)
    joined_before_window = onboarded < calendar.month_first[0]

    stage = 1 + (rng.random(n)[:, None] > _STAGE_CUMULATIVE[band]).sum(axis=1)
    lapse_earliest = np.maximum(first_month + 2, 2)
    stage = np.where(new, NEW, np.where((stage == LAPSED) & (lapse_earliest > LAPSE_LATEST), MATURE, stage))
    lapsed = stage == LAPSED
    lapse_month = np.where(lapsed, rng.integers(np.minimum(lapse_earliest, LAPSE_LATEST), LAPSE_LATEST + 1), MONTHS)

    assessed = rng.random(n) >= 0.08
    risk_cumulative = _RISK_CUMULATIVE[np.where(ordinary, 0, 1)]
    risk = np.where(assessed, 1 + (rng.random(n)[:, None] > risk_cumulative).sum(axis=1), 0)

    dormant = (stage != LAPSED) & ~new & (first_month <= 9) & (rng.random(n) < 0.22)
    # Active trading takes an appetite for risk and some money to trade with.
    trader_chance = np.select([risk >= 4, risk == 3], [0.25, 0.08], 0.0) * np.clip(np.log10(wealth) - 3.5, 0.1, 1.5)
    trader = ~dormant & ~lapsed & (rng.random(n) < trader_chance)
    habit = np.select([trader, dormant], [TRADER, DORMANT], OCCASIONAL)
    # A dormant client's last own move is over a year before as_of, or before the window.
    quiet_earliest = np.minimum(np.where(joined_before_window, 0, first_month + 1), 11)
    quiet_from = np.select([dormant, lapsed], [rng.integers(quiet_earliest, 12), lapse_month], MONTHS)

    # Bought at onboarding, then re-assessed one level lower within the last year.
    above_level = assessed & (risk <= 4) & (first_month <= 10) & ~lapsed & (rng.random(n) < 0.03)
    tenure = calendar.as_of - onboarded
    expired = assessed & ~above_level & (tenure > 760) & (rng.random(n) < 0.16)
    recent_span = np.minimum(tenure, np.where(above_level, 330, 730))
    recent_ago = (rng.random(n) * (recent_span + 1)).astype(np.int64)
    expired_ago = 745 + (rng.random(n) * np.maximum(tenure - 745, 0)).astype(np.int64)
    assessed_on = np.where(assessed, calendar.as_of - np.where(expired, expired_ago, recent_ago), -1)

    return Clients(
        ids=[f"C{number:0{id_width}d}" for number in numbers],
        names=draw_names(rng, zh),
        zh=zh,
        band=band,
        wealth=wealth,
        onboarded=onboarded,
        first_month=first_month,
        joined_before_window=joined_before_window,
        stage=stage,
        lapse_month=lapse_month,
        habit=habit,
        quiet_from=quiet_from,
        risk=risk,
        assessed_on=assessed_on,
        expired=expired,
        above_level=above_level,
        adviser=advisers.assign(rng, zh),
    )
