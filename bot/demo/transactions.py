"""The demo's transactions: the movements clients choose, and those their balances imply (a holding opened or
closed, a lapse draining what is left, dividends, a spike in and out), each at a moment in its kind's hours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from bot.db.models import TransactionKind
from bot.demo.arrays import Flags, Ints, unique_rows
from bot.demo.clients import DORMANT, TRADER, Clients
from bot.demo.holdings import Holdings, Spikes
from bot.demo.shelf import DIVIDEND_CHANCE, IS_DEPOSIT, TOP_UP_BIAS, TRADED
from bot.demo.timeline import MONTHS, Calendar, moments

_KINDS: Final = list(TransactionKind)
_BUY, _SELL, _DEPOSIT, _WITHDRAW, _TRANSFER_IN, _TRANSFER_OUT, _DIVIDEND = (
    _KINDS.index(kind)
    for kind in (
        TransactionKind.BUY,
        TransactionKind.SELL,
        TransactionKind.DEPOSIT,
        TransactionKind.WITHDRAW,
        TransactionKind.TRANSFER_IN,
        TransactionKind.TRANSFER_OUT,
        TransactionKind.DIVIDEND,
    )
)
KIND_NAMES: Final = [kind.value for kind in _KINDS]
# UTC hours of each kind: orders in market hours (09:30-15:00 Beijing), cash any waking hour, payouts early.
_KIND_HOURS: Final = np.array(
    [
        (0, 7_200)
        if kind is TransactionKind.DIVIDEND
        else (5_400, 25_200)
        if kind in (TransactionKind.BUY, TransactionKind.SELL)
        else (0, 54_000)
        for kind in _KINDS
    ],
    dtype=np.int64,
)


@dataclass(frozen=True)
class _Movements:
    client: Ints
    product: Ints
    month: Ints
    kind: Ints
    cents: Ints


def _kind(rng: np.random.Generator, product: Ints, money_in: Flags) -> Ints:
    """Deposits move as deposits and withdrawals (now and then transfers); the rest as buys and sells."""
    transfer = rng.random(product.size) < 0.12
    cash_kind = np.where(
        money_in, np.where(transfer, _TRANSFER_IN, _DEPOSIT), np.where(transfer, _TRANSFER_OUT, _WITHDRAW)
    )
    return np.where(IS_DEPOSIT[product], cash_kind, np.where(money_in, _BUY, _SELL))


def _own_movements(rng: np.random.Generator, clients: Clients, holdings: Holdings, previous: Ints) -> _Movements:
    """Movements a client chooses: a few a year for most, 5-15 a month for traders, none when quiet."""
    n = clients.stage.size
    month = np.arange(MONTHS)[None, :]
    active = (month >= clients.first_month[:, None]) & (month < clients.quiet_from[:, None])
    rate = np.where(clients.habit == TRADER, rng.uniform(5.0, 15.0, n), rng.uniform(0.2, 2.0, n))
    events = rng.poisson(np.where(active, rate[:, None], 0.0))
    client, month_of = np.nonzero(events)
    count = events[client, month_of]
    client, month_of = np.repeat(client, count), np.repeat(month_of, count)

    # Traders move mostly in funds and shares; a pick is cumulative weight searched within the client's holdings.
    weight = np.where((clients.habit[holdings.client] == TRADER) & TRADED[holdings.product], 12.0, 1.0)
    cumulative = np.cumsum(weight)
    before = cumulative[holdings.first] - weight[holdings.first]
    target = before[client] + rng.random(client.size) * np.bincount(holdings.client, weight, minlength=n)[client]
    last = holdings.first + holdings.count - 1
    held = np.minimum(np.searchsorted(cumulative, target, side="right"), last[client])
    # On a holding the client has at that month-end, else on its anchor; nothing held, no movement.
    held = np.where(holdings.cents[held, month_of] > 0, held, holdings.anchor[client])
    keep = holdings.cents[held, month_of] > 0
    client, month_of, held = client[keep], month_of[keep], held[keep]
    product = holdings.product[held]

    balance = holdings.cents[held, month_of]
    change = balance - previous[held, month_of]
    money_in = rng.random(held.size) < np.clip(TOP_UP_BIAS[product] + 0.3 * np.sign(change), 0.05, 0.95)
    # Loosely consistent with the statements: often the month's change, else a slice of the balance.
    follows = (np.sign(change) == np.where(money_in, 1, -1)) & (rng.random(held.size) < 0.6)
    typical_slice = np.where(clients.habit[client] == TRADER, 0.12, 0.06)
    slice_ = np.minimum(rng.lognormal(np.log(typical_slice), 0.9), 1.0)
    amount = np.where(follows, np.abs(change) * rng.uniform(0.3, 1.0, held.size), balance * slice_)
    cents = np.maximum(np.rint(amount), 100).astype(np.int64)
    return _Movements(client, product, month_of, _kind(rng, product, money_in), cents)


def draw_transactions(
    rng: np.random.Generator, clients: Clients, calendar: Calendar, holdings: Holdings, spikes: Spikes
) -> tuple[Ints, Ints, Ints, Ints, Ints]:
    """Client, product, at, kind and cents of each transaction, sorted and unique."""
    cents = holdings.cents
    carried = np.where(holdings.carried_in, cents[:, 0], 0)
    previous = np.concatenate([carried[:, None], cents[:, :-1]], axis=1)
    own = _own_movements(rng, clients, holdings, previous)

    # Opening and closing a holding, and a lapsing client draining what is left, show in the statements.
    month = np.arange(MONTHS)[None, :]
    lapsing = month == clients.lapse_month[holdings.client][:, None]
    opens = (previous == 0) & (cents > 0)
    closes = (previous > 0) & ((cents == 0) | (lapsing & (cents < previous)))
    open_held, open_month = np.nonzero(opens)
    close_held, close_month = np.nonzero(closes)
    open_product, close_product = holdings.product[open_held], holdings.product[close_held]

    # Dormant clients reinvest dividends, so no cash dividend shows for them.
    paying = (cents > 0) & (month < clients.quiet_from[holdings.client][:, None])
    paying &= (clients.habit[holdings.client] != DORMANT)[:, None]
    paying &= rng.random(cents.shape) < DIVIDEND_CHANCE[holdings.product][:, None]
    dividend_held, dividend_month = np.nonzero(paying)
    dividend_cents = np.maximum(
        np.rint(cents[dividend_held, dividend_month] * rng.uniform(0.002, 0.015, dividend_held.size)), 1
    ).astype(np.int64)

    spike_product = np.repeat(holdings.product[holdings.anchor[spikes.client]], 2)
    parts = [
        own,
        _Movements(
            holdings.client[open_held],
            open_product,
            open_month,
            _kind(rng, open_product, np.ones(open_held.size, dtype=bool)),
            cents[open_held, open_month],
        ),
        _Movements(
            holdings.client[close_held],
            close_product,
            close_month,
            _kind(rng, close_product, np.zeros(close_held.size, dtype=bool)),
            previous[close_held, close_month] - cents[close_held, close_month],
        ),
        _Movements(
            holdings.client[dividend_held],
            holdings.product[dividend_held],
            dividend_month,
            np.full(dividend_held.size, _DIVIDEND),
            dividend_cents,
        ),
        _Movements(
            np.repeat(spikes.client, 2),
            spike_product,
            np.stack([spikes.month, spikes.month + 1], axis=1).ravel(),
            np.tile([_DEPOSIT, _WITHDRAW], spikes.client.size),
            np.repeat(spikes.cents, 2),
        ),
    ]
    client = np.concatenate([part.client for part in parts])
    product = np.concatenate([part.product for part in parts])
    month_of = np.concatenate([part.month for part in parts])
    kind = np.concatenate([part.kind for part in parts])
    amount = np.concatenate([part.cents for part in parts])
    at = moments(rng, *calendar.month_days(month_of, clients.onboarded[client]), _KIND_HOURS[kind])
    rows = unique_rows([client, at, product, kind])
    return client[rows], product[rows], at[rows], kind[rows], amount[rows]
