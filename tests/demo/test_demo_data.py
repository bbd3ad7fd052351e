"""The demo data generator: reproducible, valid in the import format of DESIGN.md, shaped like a real book."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from support.hant import simplified_only

from bot.db.models import ProductCategory, TransactionKind
from bot.demo import HEADERS, DemoSummary, generate_demo_data
from bot.demo import generator as demo_data

AS_OF = date(2026, 3, 31)
WINDOW_START = date(2024, 4, 1)  # the first of the 24 statement months ending in AS_OF's month
END_OF_AS_OF = datetime.combine(AS_OF, time(23, 59, 59), UTC)
MONEY = re.compile(r"\d+\.\d{2}")
MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
CHANNELS = {"app", "branch", "phone", "wechat", "email", "event"}
INTERACTION_KINDS = {"login", "consultation", "complaint", "seminar", "service", ""}
OWN_MOVES = {"buy", "sell"}

Rows = list[dict[str, str]]


@dataclass(frozen=True)
class Book:
    out: Path
    summary: DemoSummary
    advisers: Rows
    clients: Rows
    products: Rows
    balances: Rows
    transactions: Rows
    interactions: Rows
    fx_rates: Rows


def read(out: Path, name: str) -> Rows:
    with (out / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def money(text: str) -> Decimal:
    assert MONEY.fullmatch(text), text
    return Decimal(text)


def moment(text: str) -> datetime:
    assert MOMENT.fullmatch(text), text
    parsed = datetime.fromisoformat(text)
    assert parsed.utcoffset() == timedelta(0)
    return parsed


def in_cny(out: Path) -> Callable[[Mapping[str, str], str], Decimal]:
    """A row's amount in CNY at the demo's rate for the month of its date column."""
    rates = {(row["currency"], row["date"][:7]): Decimal(row["rate"]) for row in read(out, "fx_rates.csv")}

    def convert(row: Mapping[str, str], day: str) -> Decimal:
        amount = Decimal(row["amount"])
        return amount * rates[row["currency"], row[day][:7]] if row["currency"] else amount

    return convert


def month_end_aum(book: Book) -> dict[str, dict[date, Decimal]]:
    """Client -> statement date -> AUM, in CNY."""
    convert = in_cny(book.out)
    aum: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in book.balances:
        aum[row["client_id"]][date.fromisoformat(row["as_of"])] += convert(row, "as_of")
    return aum


def generate(out: Path, clients: int, seed: int) -> Book:
    summary = generate_demo_data(out, clients=clients, seed=seed, as_of=AS_OF)
    return Book(out, summary, *(read(out, name) for name in HEADERS))


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    return generate(tmp_path_factory.mktemp("book"), clients=3_000, seed=11)


def test_same_arguments_give_identical_files_and_another_seed_other_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_data, "CHUNK_CLIENTS", 400)  # several chunks, as in a large book
    finished: list[int] = []
    for name, seed in (("first", 5), ("again", 5), ("other", 6)):
        generate_demo_data(tmp_path / name, clients=1_000, seed=seed, as_of=AS_OF, progress=finished.append)

    assert finished == [400, 400, 200] * 3
    for name in HEADERS:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    for name in ("clients.csv", "balances.csv", "transactions.csv", "interactions.csv"):
        assert (tmp_path / "first" / name).read_bytes() != (tmp_path / "other" / name).read_bytes(), name


def test_files_have_exactly_the_headers_and_the_summary_counts_rows(book: Book) -> None:
    for name, header in HEADERS.items():
        with (book.out / name).open(encoding="utf-8", newline="") as file:
            assert next(csv.reader(file)) == list(header)
        assert b"\r" not in (book.out / name).read_bytes()
    assert book.summary == DemoSummary(
        clients=len(book.clients),
        advisers=len(book.advisers),
        products=len(book.products),
        balances=len(book.balances),
        transactions=len(book.transactions),
        interactions=len(book.interactions),
    )
    assert book.summary.clients == 3_000
    assert book.summary.advisers == 20  # one per 150 clients


def test_advisers_and_clients_are_valid(book: Book) -> None:
    adviser_ids = {row["adviser_id"] for row in book.advisers}
    assert len(adviser_ids) == len(book.advisers)
    assert all(re.fullmatch(r"A\d{3}", adviser) for adviser in adviser_ids)
    assert {row["locale"] for row in book.advisers} == {"zh_Hans", "en"}
    for row in book.advisers:  # how clients reach them: a work mobile for most, an email for all
        assert re.fullmatch(r"(\+86 1\d\d \d{4} \d{4})?", row["phone"]), row["phone"]  # grouped, as people write them
        assert row["email"] == f"{row['adviser_id'].lower()}@harbour-wealth.example"
    assert sum(bool(row["phone"]) for row in book.advisers) >= 0.75 * len(book.advisers)

    assert [row["client_id"] for row in book.clients] == [f"C{number:05d}" for number in range(1, 3_001)]
    for row in book.clients:
        assert row["name"]
        assert row["adviser_id"] in adviser_ids
        onboarded = date.fromisoformat(row["onboarded_on"])
        assert AS_OF - timedelta(days=15 * 366) <= onboarded <= AS_OF
        assert row["locale"] in {"zh_Hans", "en", "zh-HK", "zh-TW"}
        assert row["timezone"] == {"zh-HK": "Asia/Hong_Kong", "zh-TW": "Asia/Taipei"}.get(
            row["locale"], row["timezone"] if row["timezone"] in ("", "Asia/Singapore") else "?")
        if row["locale"].startswith("zh"):
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", row["name"]), row["name"]
            if row["locale"] != "zh_Hans":  # in Traditional characters
                assert simplified_only(row["name"]) == [], row["name"]
        else:
            assert re.fullmatch(r"[A-Za-z' ,.ü]+", row["name"]), row["name"]
        assert row["risk_level"] in {"", "C1", "C2", "C3", "C4", "C5"}
        assert (row["risk_level"] == "") == (row["risk_assessed_on"] == "")
        if row["risk_assessed_on"]:
            assert onboarded <= date.fromisoformat(row["risk_assessed_on"]) <= AS_OF


def test_products_cover_every_category_with_sensible_risk_levels(book: Book) -> None:
    assert len({row["product_id"] for row in book.products}) == len(book.products)
    assert {row["category"] for row in book.products} == {category.value for category in ProductCategory}
    for row in book.products:
        assert row["name_en"].isascii()
        assert re.search(r"[\u4e00-\u9fff]", row["name_zh"])
        assert row["risk_level"] in {"R1", "R2", "R3", "R4", "R5"}
        minimum = money(row["min_investment"])
        if row["category"] == "deposit":
            assert row["risk_level"] == "R1"
        if row["category"] == "private":
            assert row["risk_level"] == "R5"
            assert minimum >= Decimal("1000000.00")  # the legal minimum for a private fund


def test_balances_are_valid(book: Book) -> None:
    onboarded = {row["client_id"]: date.fromisoformat(row["onboarded_on"]) for row in book.clients}
    product_ids = {row["product_id"] for row in book.products}
    keys = set()
    statements = set()
    for row in book.balances:
        as_of = date.fromisoformat(row["as_of"])
        statements.add(as_of)
        assert row["product_id"] in product_ids
        assert onboarded[row["client_id"]] <= as_of
        assert money(row["amount"]) > 0
        keys.add((row["client_id"], row["product_id"], as_of))
    assert len(keys) == len(book.balances)
    assert len(statements) == 24
    assert max(statements) == AS_OF
    assert min(statements) == date(2024, 4, 30)
    assert all((statement + timedelta(days=1)).day == 1 for statement in statements)


def test_holdings_abroad_are_in_dollars_with_a_rate_for_every_month(book: Book) -> None:
    rated = {(row["currency"], row["date"]) for row in book.fx_rates}
    statements = {row["as_of"] for row in book.balances}
    assert rated == {(code, day) for code in ("USD", "HKD") for day in statements}
    locale = {row["client_id"]: row["locale"] for row in book.clients}
    currencies: dict[str, set[str]] = defaultdict(set)
    for row in (*book.balances, *book.transactions):
        currencies[row["currency"]].add(locale[row["client_id"]])
    # Hong Kong dollars only in Hong Kong; US dollars there, in Taiwan and abroad; the base currency everywhere.
    assert set(currencies) == {"", "USD", "HKD"}
    assert currencies["HKD"] == {"zh-HK"}
    assert currencies["USD"] == {"zh-HK", "zh-TW", "en"}
    assert sum(row["currency"] != "" for row in book.balances) > 0.01 * len(book.balances)


def test_transactions_are_valid(book: Book) -> None:
    onboarded = {row["client_id"]: date.fromisoformat(row["onboarded_on"]) for row in book.clients}
    category = {row["product_id"]: row["category"] for row in book.products}
    kinds = {kind.value for kind in TransactionKind}
    keys = set()
    for row in book.transactions:
        at = moment(row["at"])
        assert datetime.combine(max(onboarded[row["client_id"]], WINDOW_START), time(), UTC) <= at <= END_OF_AS_OF
        assert money(row["amount"]) > 0
        assert row["kind"] in kinds
        if category[row["product_id"]] == "deposit":
            assert row["kind"] in {"deposit", "withdraw", "transfer_in", "transfer_out"}
        elif row["kind"] == "dividend":
            assert category[row["product_id"]] in {"fund", "bond", "equity"}
        else:
            assert row["kind"] in OWN_MOVES
        keys.add((row["client_id"], row["product_id"], at, row["kind"]))
    assert len(keys) == len(book.transactions)
    assert {row["kind"] for row in book.transactions} == kinds


def test_interactions_are_valid(book: Book) -> None:
    onboarded = {row["client_id"]: date.fromisoformat(row["onboarded_on"]) for row in book.clients}
    keys = set()
    for row in book.interactions:
        at = moment(row["at"])
        assert datetime.combine(max(onboarded[row["client_id"]], WINDOW_START), time(), UTC) <= at <= END_OF_AS_OF
        assert row["channel"] in CHANNELS
        assert row["kind"] in INTERACTION_KINDS
        keys.add((row["client_id"], at, row["channel"]))
    assert len(keys) == len(book.interactions)
    assert {row["channel"] for row in book.interactions} == CHANNELS


def test_a_mid_month_as_of_is_the_last_statement_and_nothing_comes_after_it(tmp_path: Path) -> None:
    as_of = date(2026, 3, 14)
    generate_demo_data(tmp_path, clients=500, seed=3, as_of=as_of)
    end = datetime.combine(as_of, time(23, 59, 59), UTC)
    assert max(date.fromisoformat(row["as_of"]) for row in read(tmp_path, "balances.csv")) == as_of
    assert max(moment(row["at"]) for row in read(tmp_path, "transactions.csv")) <= end
    assert max(moment(row["at"]) for row in read(tmp_path, "interactions.csv")) <= end


def test_aum_is_heavy_tailed_like_a_chinese_retail_bank_and_every_category_is_held(tmp_path: Path) -> None:
    generate_demo_data(tmp_path, clients=20_000, seed=3, as_of=AS_OF)
    current: dict[str, Decimal] = defaultdict(Decimal)
    held = set()
    last = AS_OF.isoformat()
    convert = in_cny(tmp_path)
    for row in read(tmp_path, "balances.csv"):
        held.add(row["product_id"])
        if row["as_of"] == last:
            current[row["client_id"]] += convert(row, "as_of")
    total = sum(current.values())

    def band(low: int, high: float) -> tuple[float, float]:
        members = [aum for aum in current.values() if low <= aum < high]
        return len(members) / 20_000, float(sum(members) / total)

    # An advised book: about a quarter of the clients at the 金葵花 line of RMB 500k or more, holding nearly all the
    # AUM (at CMB, the 2.2% of retail clients there hold 81%); a twenty-fifth at 6m or more, about two thirds of it.
    # Whales move the split at the top; seed 3 draws a typical book.
    heads, share = band(500_000, float("inf"))
    assert 0.20 <= heads <= 0.30
    assert 0.90 <= share <= 0.99
    heads, share = band(6_000_000, float("inf"))
    assert 0.03 <= heads <= 0.06
    assert 0.55 <= share <= 0.80
    assert 0.20 <= band(500_000, 6_000_000)[1] <= 0.40
    assert 0.01 <= band(0, 500_000)[1] <= 0.08
    categories = {row["product_id"]: row["category"] for row in read(tmp_path, "products.csv")}
    assert {categories[product] for product in held} == {category.value for category in ProductCategory}


def test_every_kind_of_client_appears(book: Book) -> None:
    aum = month_end_aum(book)
    year_ago, half_year_ago = date(2025, 3, 31), AS_OF - timedelta(days=182)
    new = {row["client_id"] for row in book.clients if date.fromisoformat(row["onboarded_on"]) > half_year_ago}
    recently_active = {row["client_id"] for row in book.transactions if moment(row["at"]).date() > half_year_ago}
    recently_active |= {row["client_id"] for row in book.interactions if moment(row["at"]).date() > half_year_ago}
    trades_last_year: dict[str, int] = defaultdict(int)
    for row in book.transactions:
        if moment(row["at"]).date() > year_ago:
            trades_last_year[row["client_id"]] += row["kind"] in OWN_MOVES

    # AUM now against a year ago, for established clients who held something then.
    growth = {
        client: float(by_month.get(AS_OF, Decimal(0)) / by_month[year_ago])
        for client, by_month in aum.items()
        if client not in new and by_month.get(year_ago)
    }
    stages = {
        "new": new,
        "growing": {client for client, ratio in growth.items() if ratio >= 1.3},
        "mature": {client for client, ratio in growth.items() if 0.9 <= ratio <= 1.1},
        "declining": {client for client, ratio in growth.items() if 0 < ratio <= 0.7},
        "lapsed": {
            client
            for client, by_month in aum.items()
            if max(by_month.values()) >= 1_000
            and by_month.get(AS_OF, Decimal(0)) < 100
            and client not in recently_active
        },
        "trader": {client for client, trades in trades_last_year.items() if trades >= 60},
        "dormant": {client for client in aum if AS_OF in aum[client] and client not in trades_last_year},
        # A month-end far above both neighbours: money parked for a month, so monthly averaging matters.
        "spike": {
            client
            for client, by_month in aum.items()
            for before, month, after in zip(sorted(by_month), sorted(by_month)[1:], sorted(by_month)[2:], strict=False)
            if by_month[month] > 2 * max(by_month[before], by_month[after], Decimal(10_000))
        },
    }
    for stage, clients in stages.items():
        assert len(clients) >= 10, stage

    products: dict[str, set[str]] = defaultdict(set)
    for row in book.balances:
        products[row["client_id"]].add(row["product_id"])
    category = {row["product_id"]: row["category"] for row in book.products}
    single = [held for held in products.values() if len(held) == 1]
    assert sum(category[next(iter(held))] == "deposit" for held in single) > 0.9 * len(single) > 300
    assert sum(len({category[product] for product in held}) >= 3 for held in products.values() if len(held) >= 4) > 30
    locales = [row["locale"] for row in book.clients]
    assert 0.75 <= sum(locale.startswith("zh") for locale in locales) / len(locales) <= 0.85
    # International clients: in Hong Kong and Taiwan, reading Traditional Chinese, and abroad.
    assert 0.04 <= (locales.count("zh-HK") + locales.count("zh-TW")) / len(locales) <= 0.10
    assert 0.01 <= sum(row["timezone"] == "Asia/Singapore" for row in book.clients) / len(locales) <= 0.05
    never_assessed = sum(row["risk_level"] == "" for row in book.clients) / len(book.clients)
    assert 0.05 <= never_assessed <= 0.11
    expired = [row for row in book.clients if row["risk_assessed_on"]]
    expired_share = sum(date.fromisoformat(row["risk_assessed_on"]) < AS_OF - timedelta(days=731) for row in expired)
    assert 0.06 <= expired_share / len(expired) <= 0.14


def test_holdings_respect_the_risk_level_but_for_a_few_bought_before_a_reassessment(book: Book) -> None:
    clients = {row["client_id"]: row for row in book.clients}
    products = {row["product_id"]: row for row in book.products}
    first_held: dict[tuple[str, str], date] = {}
    for row in book.balances:
        key = (row["client_id"], row["product_id"])
        first_held.setdefault(key, date.fromisoformat(row["as_of"]))
    above = []
    for (client_id, product_id), since in first_held.items():
        client, product = clients[client_id], products[product_id]
        if product["category"] == "deposit":
            continue
        assert client["risk_level"], "a client never assessed holds deposits only"
        if int(product["risk_level"][1]) > int(client["risk_level"][1]):
            assessed_on = date.fromisoformat(client["risk_assessed_on"])
            assert since < assessed_on, "bought before the re-assessment that put it above the client's level"
            above.append(client_id)
    assert 0 < len(set(above)) < 0.05 * len(clients)
