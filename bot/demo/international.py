"""The demo's international clients: some Chinese-speaking clients live in Hong Kong or Taiwan and read Traditional
Chinese; they and some English-speaking clients abroad hold products in US or Hong Kong dollars.

Drawn after everything else of a chunk, from the same stream, so that the rest of the book stays as it was: a
holding in another currency is the same holding, its amounts written in that currency at the month's rate (to the
cent), so every client keeps their tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from bot.demo.arrays import Floats, Ints
from bot.demo.clients import Clients
from bot.demo.holdings import Holdings
from bot.demo.timeline import DAY, MONTHS, Calendar

__all__ = ["CURRENCIES", "Abroad", "draw_abroad", "month_rates"]

# The currencies held besides the base (CNY): an index of 0 in `Abroad.currency` is the base.
CURRENCIES: Final = ("USD", "HKD")
_HONG_KONG, _TAIWAN, _ABROAD = 1, 2, 3
# Of Chinese-speaking clients, the shares in Hong Kong and in Taiwan; of the others, the share abroad.
_CHINESE_ABROAD: Final = (0.06, 0.03)
_OTHERS_ABROAD: Final = 0.15
# Per region, the chance that a holding is in USD and in HKD (else in the base currency).
_HELD_IN: Final = {_HONG_KONG: (0.25, 0.45), _TAIWAN: (0.45, 0.0), _ABROAD: (0.55, 0.0)}
_LOCALES: Final = {_HONG_KONG: "zh-HK", _TAIWAN: "zh-TW"}
_ZONES: Final = {_HONG_KONG: "Asia/Hong_Kong", _TAIWAN: "Asia/Taipei", _ABROAD: "Asia/Singapore"}
_HKD_PER_USD: Final = 7.8  # the peg


def month_rates() -> dict[str, Floats]:
    """Each currency's rate to CNY in each month of the window: USD drifting around 7.1, HKD pegged to it."""
    month = np.arange(MONTHS, dtype=np.float64)
    usd = np.round(7.1 + 0.12 * np.sin(month / 3.0) + 0.004 * month, 4)
    return {"USD": usd, "HKD": np.round(usd / _HKD_PER_USD, 4)}


@dataclass(frozen=True)
class Abroad:
    region: Ints  # per client: 0 at home, else _HONG_KONG, _TAIWAN or _ABROAD
    currency: Ints  # per holding: 0 the base, else 1 + index in CURRENCIES

    def locale(self, client: int, home: str) -> str:
        return _LOCALES.get(int(self.region[client]), home)

    def timezone(self, client: int) -> str:
        return _ZONES.get(int(self.region[client]), "")


def draw_abroad(rng: np.random.Generator, clients: Clients, holdings: Holdings) -> Abroad:
    n = clients.zh.size
    draw = rng.random(n)
    region = np.where(
        clients.zh,
        np.select([draw < _CHINESE_ABROAD[0], draw < sum(_CHINESE_ABROAD)], [_HONG_KONG, _TAIWAN], 0),
        np.where(draw < _OTHERS_ABROAD, _ABROAD, 0),
    ).astype(np.int64)
    held_region = region[holdings.client]
    pick = rng.random(held_region.size)
    currency = np.zeros(held_region.size, dtype=np.int64)
    for where, (usd, hkd) in _HELD_IN.items():
        mine = held_region == where
        currency[mine & (pick < usd)] = 1
        currency[mine & (pick >= usd) & (pick < usd + hkd)] = 2
    return Abroad(region, currency)


def in_currency(cents: Ints, currency: Ints, month: Ints) -> Ints:
    """Amounts in the base currency as amounts in each row's currency at its month's rate, to the cent."""
    rates = np.ones((len(CURRENCIES) + 1, MONTHS))
    for index, code in enumerate(CURRENCIES, start=1):
        rates[index] = month_rates()[code]
    return np.rint(cents / rates[currency, month]).astype(np.int64)


def holding_of(holdings: Holdings, client: Ints, product: Ints) -> Ints:
    """The index of each (client, product)'s holding (holdings are sorted by client, then product)."""
    keys = holdings.client * 1_000 + holdings.product
    return np.minimum(np.searchsorted(keys, client * 1_000 + product), keys.size - 1)


def month_of(calendar: Calendar, seconds: Ints) -> Ints:
    """The window's month of each moment."""
    return np.searchsorted(calendar.month_first, seconds // DAY, side="right") - 1
