"""What the demo's clients hold: products chosen by their appeal and suitability, the wallet split over them,
month-end balances that follow each client's lifecycle, and the spikes, a large sum parked for one month-end."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.demo.arrays import Flags, Floats, Ints
from bot.demo.clients import DECLINING, DORMANT, GROWING, LAPSED, MID, NEW, ORDINARY, TRADER, Clients
from bot.demo.shelf import (
    CURRENT_ACCOUNT,
    DRIFT,
    IS_DEPOSIT,
    LOG_APPEAL,
    MIN_INVESTMENT,
    NEEDED_RISK,
    SHELF,
    TRADED,
    VOLATILITY,
    WALLET_SHAPE,
)
from bot.demo.timeline import MONTHS


@dataclass(frozen=True)
class Holdings:
    client: Ints  # sorted, then by product
    product: Ints
    cents: Ints  # (holdings, MONTHS): month-end balance, 0 when not held
    carried_in: Flags  # held before the window opened, so its first statement is no purchase
    anchor: Ints  # per client: its first and longest holding
    first: Ints  # per client: index of its first holding
    count: Ints  # per client: number of holdings


def _choose_products(rng: np.random.Generator, clients: Clients) -> tuple[Ints, Ints, Flags, Flags]:
    """Products per client by appeal to its band and habit (Gumbel top-k), suitable by risk and wallet."""
    n = clients.risk.size
    appetite = np.maximum(0.55 * (np.log10(clients.wealth) - 2.6), 0.05)
    count = np.select(
        [clients.band == ORDINARY, clients.band == MID],
        [1 + rng.poisson(appetite), 3 + rng.poisson(0.8 * appetite)],
        4 + rng.poisson(appetite),
    )
    count = np.where(clients.habit == TRADER, np.maximum(count, 3), count)
    count = np.minimum(np.where(clients.above_level, np.maximum(count, 2), count), 8)

    # A holding is at least its minimum and rarely more than a third of the wallet.
    suitable = (NEEDED_RISK[None, :] <= clients.risk[:, None]) & (
        3.0 * MIN_INVESTMENT[None, :] <= clients.wealth[:, None]
    )
    score = LOG_APPEAL[clients.band] + rng.gumbel(size=(n, len(SHELF)))
    score += np.where((clients.habit == TRADER)[:, None] & TRADED[None, :], np.log(20.0), 0.0)
    score = np.where(suitable, score, -np.inf)
    has_current_account = rng.random(n) < np.where(clients.band == ORDINARY, 0.9, 0.75)
    score[:, CURRENT_ACCOUNT] += np.where(has_current_account, 50.0, 0.0)
    one_level_up = (NEEDED_RISK[None, :] == clients.risk[:, None] + 1) & (
        3.0 * MIN_INVESTMENT[None, :] <= clients.wealth[:, None]
    )
    above_pick = np.argmax(np.where(one_level_up, rng.random((n, len(SHELF))), -1.0), axis=1)
    above_level = clients.above_level & one_level_up[np.arange(n), above_pick]
    score[above_level, above_pick[above_level]] = 40.0

    ranked = np.argsort(-score, axis=1, kind="stable")[:, :8]
    taken = (np.arange(8)[None, :] < count[:, None]) & np.isfinite(np.take_along_axis(score, ranked, axis=1))
    client = np.repeat(np.arange(n), taken.sum(axis=1))
    product = ranked[taken]
    anchor = np.zeros_like(taken)
    anchor[:, 0] = True
    above = above_level[:, None] & (ranked == above_pick[:, None])
    order = np.lexsort((product, client))
    return client[order], product[order], anchor[taken][order], above[taken][order]


def _log_trend(rng: np.random.Generator, clients: Clients) -> Floats:
    """Each client's log AUM by month relative to as_of, from its lifecycle stage."""
    n = clients.stage.size
    to_go = (MONTHS - 1 - np.arange(MONTHS))[None, :].astype(np.float64)
    slope = rng.uniform(0.3, 1.1, n)[:, None]
    since_joining = np.maximum(MONTHS - 1 - clients.first_month, 1)[:, None]
    fade_months = rng.integers(1, 5, n)[:, None]
    fade_start = clients.lapse_month[:, None] - fade_months
    fading = np.clip(np.arange(MONTHS)[None, :] - fade_start + 1, 0, None) / fade_months
    stage = clients.stage[:, None]
    return np.select(
        [stage == NEW, stage == GROWING, stage == DECLINING, stage == LAPSED],
        [
            -slope * to_go / since_joining,
            -slope * to_go / (MONTHS - 1),
            slope * to_go / (MONTHS - 1),
            np.log(0.12) * fading,
        ],
        0.0,
    )


def draw_holdings(rng: np.random.Generator, clients: Clients) -> Holdings:
    client, product, anchor, above = _choose_products(rng, clients)
    n, held = clients.stage.size, client.size

    # The wallet split over holdings, each given at least its minimum investment where the wallet allows.
    weight = rng.gamma(WALLET_SHAPE[product])
    weight /= np.bincount(client, weight, minlength=n)[client]
    floor = MIN_INVESTMENT[product]
    floors = np.bincount(client, floor, minlength=n)[client]
    wealth = clients.wealth[client]
    value = np.where(floors <= wealth, floor + weight * (wealth - floors), weight * wealth)

    # Growing and new clients add products during the window, declining ones sell some off.
    first_month = clients.first_month[client]
    stage, habit = clients.stage[client], clients.habit[client]
    settled = anchor | above | (habit == DORMANT) | (stage == LAPSED)
    needs_assessment = clients.expired[client] & ~IS_DEPOSIT[product]
    adds = (
        ~settled
        & ~needs_assessment
        & (first_month < MONTHS - 1)
        & (rng.random(held) < np.where((stage == NEW) | (stage == GROWING), 0.35, 0.15))
    )
    opened = np.where(adds, rng.integers(np.minimum(first_month + 1, MONTHS - 1), MONTHS), -1)
    start = np.maximum(opened, first_month)
    sells = ~settled & (start < MONTHS - 1) & (rng.random(held) < np.where(stage == DECLINING, 0.3, 0.08))
    closed = np.where(sells, rng.integers(np.minimum(start + 1, MONTHS - 1), MONTHS), MONTHS)
    month = np.arange(MONTHS)[None, :]
    alive = (month >= start[:, None]) & (month < closed[:, None]) & (month < clients.lapse_month[client][:, None])

    steps = rng.normal(DRIFT[product][:, None], VOLATILITY[product][:, None], (held, MONTHS))
    walk = np.cumsum(steps, axis=1)
    walk -= walk[:, -1:]
    amount = value[:, None] * np.exp(_log_trend(rng, clients)[client] + walk)
    cents = np.where(alive, np.rint(amount * 100.0), 0.0).astype(np.int64)

    anchor_index = np.flatnonzero(anchor)
    anchor_deposit = IS_DEPOSIT[product[anchor_index]]
    # A lapsed client often leaves a few yuan in the account rather than closing it.
    leaves_change = anchor_deposit & (clients.stage == LAPSED) & (rng.random(n) < 0.6)
    change = rng.integers(1, 5_000, n)
    after_lapse = month >= clients.lapse_month[:, None]
    cents[anchor_index] += np.where(leaves_change[:, None] & after_lapse, change[:, None], 0)

    first = np.searchsorted(client, np.arange(n))
    return Holdings(
        client=client,
        product=product,
        cents=cents,
        carried_in=(opened == -1) & clients.joined_before_window[client],
        anchor=anchor_index,
        first=first,
        count=np.bincount(client, minlength=n),
    )


@dataclass(frozen=True)
class Spikes:
    """A large sum parked in the current account for one month-end and taken out the next month."""

    client: Ints
    month: Ints
    cents: Ints


def draw_spikes(rng: np.random.Generator, clients: Clients, holdings: Holdings) -> Spikes:
    """Draw the spikes of a few active clients and add them to their anchor's statements."""
    n = clients.stage.size
    candidates = (
        (clients.habit != DORMANT)
        & (clients.stage != LAPSED)
        & (clients.first_month <= MONTHS - 3)
        & IS_DEPOSIT[holdings.product[holdings.anchor]]
        & (rng.random(n) < 0.015)
    )
    month = rng.integers(np.minimum(clients.first_month + 1, MONTHS - 2), MONTHS - 1)
    size = np.rint((clients.wealth + 30_000.0) * rng.lognormal(np.log(2.0), 0.7, n) * 100.0).astype(np.int64)
    client = np.flatnonzero(candidates)
    holdings.cents[holdings.anchor[client], month[client]] += size[client]
    return Spikes(client, month[client], size[client])
