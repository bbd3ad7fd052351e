"""Demo data: a Chinese retail wealth book written in the CSV format of docs/data-format.md. The same arguments
give byte-identical files: clients are drawn in chunks, each from its own random stream, and streamed to the
files, so memory stays flat from a thousand clients to a million."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, Protocol

import numpy as np

from bot.demo.arrays import Ints
from bot.demo.clients import Advisers, draw_clients
from bot.demo.holdings import draw_holdings, draw_spikes
from bot.demo.interactions import CHANNELS, INTERACTION_KINDS, draw_interactions
from bot.demo.international import CURRENCIES, draw_abroad, holding_of, in_currency, month_of, month_rates
from bot.demo.shelf import PRODUCT_IDS, SHELF
from bot.demo.timeline import Calendar
from bot.demo.transactions import KIND_NAMES, draw_transactions
from bot.i18n.scripts import to_traditional


@dataclass(frozen=True)
class DemoSummary:
    """Rows written per file (advisers, clients and products are also the entity counts)."""

    clients: int
    advisers: int
    products: int
    balances: int
    transactions: int
    interactions: int


CHUNK_CLIENTS: Final = 20_000

HEADERS: Final = {
    "advisers.csv": ("adviser_id", "name", "locale", "phone", "email", "timezone"),
    "clients.csv": (
        "client_id",
        "name",
        "adviser_id",
        "onboarded_on",
        "locale",
        "risk_level",
        "risk_assessed_on",
        "timezone",
    ),
    "products.csv": ("product_id", "name_en", "name_zh", "category", "risk_level", "min_investment"),
    "balances.csv": ("client_id", "product_id", "as_of", "amount", "currency"),
    "transactions.csv": ("client_id", "product_id", "at", "kind", "amount", "currency"),
    "interactions.csv": ("client_id", "at", "channel", "kind"),
    "fx_rates.csv": ("date", "currency", "rate"),
}


def _stream(seed: int, number: int) -> np.random.Generator:
    # Each chunk (and the advisers) has a stream of its own, so no part shifts the draws of another.
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(number,)))


_FEN: Final = [f"{fen:02d}" for fen in range(100)]


def _money(cents: Ints) -> list[str]:
    yuan, fen = np.divmod(cents, 100)
    return [f"{whole}.{_FEN[part]}" for whole, part in zip(yuan.tolist(), fen.tolist(), strict=True)]


def _pick(values: Sequence[str], index: Ints) -> list[str]:
    return [values[position] for position in index.tolist()]


def _iso_dates(days: Ints) -> list[str]:
    return list(np.datetime_as_string(days.astype("datetime64[D]")).tolist())


def _iso_moments(seconds: Ints) -> list[str]:
    return list(np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s", timezone="UTC").tolist())


_LOCALES: Final = ["en", "zh_Hans"]
_TRADITIONAL: Final = frozenset({"zh-HK", "zh-TW"})
_CURRENCY_CELLS: Final = ["", *CURRENCIES]  # the base currency's cell is left empty, as a firm's export would


class _RowWriter(Protocol):
    def writerows(self, rows: Iterable[Iterable[str]], /) -> None: ...


def _write_chunk(
    rng: np.random.Generator,
    numbers: range,
    id_width: int,
    calendar: Calendar,
    advisers: Advisers,
    writers: Mapping[str, _RowWriter],
) -> tuple[int, int, int]:
    """Draw the clients numbered, with all they hold and do, write them; return balance, transaction and
    interaction rows written."""
    clients = draw_clients(rng, numbers, id_width, calendar, advisers)
    holdings = draw_holdings(rng, clients)
    spikes = draw_spikes(rng, clients, holdings)
    transactions = draw_transactions(rng, clients, calendar, holdings, spikes)
    interactions = draw_interactions(rng, clients, calendar)
    abroad = draw_abroad(rng, clients, holdings)

    assessed = clients.assessed_on >= 0
    home = _pick(_LOCALES, clients.zh.astype(np.int64))
    locales = [abroad.locale(number, locale) for number, locale in enumerate(home)]
    writers["clients.csv"].writerows(
        zip(
            clients.ids,
            [to_traditional(name) if locale in _TRADITIONAL else name
             for name, locale in zip(clients.names, locales, strict=True)],
            _pick(advisers.ids, clients.adviser),
            _iso_dates(clients.onboarded),
            locales,
            [f"C{level}" if level else "" for level in clients.risk.tolist()],
            np.where(assessed, _iso_dates(np.where(assessed, clients.assessed_on, 0)), "").tolist(),
            [abroad.timezone(number) for number in range(len(clients.ids))],
            strict=True,
        )
    )
    held, month = np.nonzero(holdings.cents)
    currency = abroad.currency[held]
    writers["balances.csv"].writerows(
        zip(
            _pick(clients.ids, holdings.client[held]),
            _pick(PRODUCT_IDS, holdings.product[held]),
            _pick(calendar.statement_dates, month),
            _money(in_currency(holdings.cents[held, month], currency, month)),
            _pick(_CURRENCY_CELLS, currency),
            strict=True,
        )
    )
    client, product, at, kind, cents = transactions
    currency = abroad.currency[holding_of(holdings, client, product)]
    writers["transactions.csv"].writerows(
        zip(
            _pick(clients.ids, client),
            _pick(PRODUCT_IDS, product),
            _iso_moments(at),
            _pick(KIND_NAMES, kind),
            _money(in_currency(cents, currency, month_of(calendar, at))),
            _pick(_CURRENCY_CELLS, currency),
            strict=True,
        )
    )
    client, at, channel, kind = interactions
    writers["interactions.csv"].writerows(
        zip(
            _pick(clients.ids, client),
            _iso_moments(at),
            _pick(CHANNELS, channel),
            _pick(INTERACTION_KINDS, kind),
            strict=True,
        )
    )
    return held.size, transactions[0].size, interactions[0].size


def generate_demo_data(
    out: Path,
    *,
    clients: int,
    seed: int,
    as_of: date,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Write advisers.csv, clients.csv, products.csv, fx_rates.csv, balances.csv, transactions.csv and
    interactions.csv into out (created if missing). Same arguments -> byte-identical files. progress(n) is called
    with the number of clients just finished (for a progress bar)."""
    out.mkdir(parents=True, exist_ok=True)
    calendar = Calendar.ending(as_of)
    advisers = Advisers.draw(_stream(seed, 0), clients)
    id_width = max(5, len(str(clients)))
    balances = transactions = interactions = 0
    with ExitStack() as files:
        writers = {}
        for name, header in HEADERS.items():
            file = files.enter_context((out / name).open("w", encoding="utf-8", newline=""))
            writers[name] = csv.writer(file, lineterminator="\n")
            writers[name].writerow(header)
        writers["advisers.csv"].writerows(
            zip(advisers.ids, advisers.names, _pick(_LOCALES, advisers.zh.astype(np.int64)), advisers.phones,
                advisers.emails, advisers.timezones, strict=True)
        )
        rates = month_rates()
        writers["fx_rates.csv"].writerows(
            (day, code, f"{rates[code][month]:.4f}") for code in CURRENCIES
            for month, day in enumerate(calendar.statement_dates))
        writers["products.csv"].writerows(
            (p.product_id, p.name_en, p.name_zh, str(p.category), f"R{p.risk_level}", str(p.min_investment))
            for p in SHELF
        )
        for chunk, first in enumerate(range(0, clients, CHUNK_CLIENTS), start=1):
            n = min(CHUNK_CLIENTS, clients - first)
            numbers = range(first + 1, first + n + 1)
            written = _write_chunk(_stream(seed, chunk), numbers, id_width, calendar, advisers, writers)
            balances += written[0]
            transactions += written[1]
            interactions += written[2]
            if progress is not None:
                progress(n)
    return DemoSummary(
        clients=clients,
        advisers=len(advisers.ids),
        products=len(SHELF),
        balances=balances,
        transactions=transactions,
        interactions=interactions,
    )
