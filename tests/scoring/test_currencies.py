"""Holdings in several currencies: each month's amounts converted at the average of that month's rates, by hand.

C00020 (tests/data/import/currencies) holds, at the end of August, September and October 2026, USD 400,000,
HKD 2,500,000 and CNY 1,700,000. The rates to CNY are USD 7.10, 7.20, and in October 7.10 and 7.30 (average 7.20),
and HKD 0.91, 0.92, 0.93:

    August    400,000 × 7.10 + 2,500,000 × 0.91 + 1,700,000 = 2,840,000 + 2,275,000 + 1,700,000 = 6,815,000
    September 400,000 × 7.20 + 2,500,000 × 0.92 + 1,700,000 = 2,880,000 + 2,300,000 + 1,700,000 = 6,880,000
    October   400,000 × 7.20 + 2,500,000 × 0.93 + 1,700,000 = 2,880,000 + 2,325,000 + 1,700,000 = 6,905,000

The 3-month average is 20,600,000 / 3 = 6,866,666.67: from 6,000,000, high-net-worth. Read as one currency the
same figures would make 4,600,000 (mid-tier); at October's last rate rather than its average, 6,880,000.
October's net flow: a deposit of USD 10,000 (72,000) less a withdrawal of HKD 20,000 (18,600): 53,400.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.paths import GOOD_IMPORT, TEST_DATA

from bot.db.models import Balance, FxRate, TierState
from bot.demo import generate_demo_data
from bot.importer import ImportFailed, import_path
from bot.scoring import load_rules, score_clients
from bot.scoring.features import Window, chunk_facts
from bot.standing import CurrencyHolding
from bot.standing.card import currency_holdings

pytestmark = pytest.mark.db

CURRENCIES = TEST_DATA / "import" / "currencies"
AS_OF = date(2026, 10, 31)


@pytest.fixture
async def firm(engine: AsyncEngine) -> AsyncEngine:
    await import_path(engine, GOOD_IMPORT, actor="test")
    await import_path(engine, CURRENCIES, actor="test")
    return engine


async def test_a_client_holding_usd_hkd_and_cny_is_tiered_at_each_months_rates(firm: AsyncEngine) -> None:
    rules = load_rules(None)
    await score_clients(firm, rules, as_of=AS_OF)
    async with firm.connect() as connection:
        state = (await connection.execute(select(TierState).where(TierState.client_id == "C00020"))).one()
        (facts,) = await chunk_facts(connection, Window(AS_OF, rules.history_months), "C00020", "C00020", {})
    assert state.monthly_avg_aum == Decimal("6866666.67")
    assert state.tier == "high_net_worth"
    assert facts.monthly_aum[-3:] == (Decimal("6815000.00"), Decimal("6880000.00"), Decimal("6905000.00"))
    assert facts.monthly_net_flow[-1] == Decimal("53400.00")
    assert facts.category_aum == {"deposit": Decimal("2880000.00"), "bond": Decimal("2325000.00"),
                                  "fund": Decimal("1700000.00")}


async def test_the_latest_statement_is_listed_by_currency_with_its_worth_in_the_base(firm: AsyncEngine) -> None:
    async with firm.connect() as connection:
        held = await currency_holdings(connection, "C00020", AS_OF)
        other = await currency_holdings(connection, "C00001", AS_OF)
    assert held == (
        CurrencyHolding("CNY", Decimal("1700000.00"), Decimal("1700000.00"), base=True),
        CurrencyHolding("USD", Decimal("400000.00"), Decimal("2880000.00"), base=False),
        CurrencyHolding("HKD", Decimal("2500000.00"), Decimal("2325000.00"), base=False),
    )
    assert other == ()  # all in the base currency: no list


def _one_folder(tmp_path: Path, *currency_files: str) -> Path:
    """The good import and C00020 in one folder, with `currency_files` from tests/data/import/currencies."""
    data = tmp_path / "data"
    shutil.copytree(GOOD_IMPORT, data)
    for name in currency_files:
        shutil.copy(CURRENCIES / name, data / name)
    (data / "clients.csv").write_text((GOOD_IMPORT / "clients.csv").read_text(encoding="utf-8")
                                      + "C00020,陳大文,A001,2018-04-09,zh-HK,C4,2026-03-01,\n", encoding="utf-8")
    return data


async def _refused(engine: AsyncEngine, folder: Path) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        await import_path(engine, folder, actor="test")
    return [str(problem) for problem in failed.value.problems.shown]


async def test_a_currency_without_a_rate_for_its_month_is_refused_naming_both(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    data = _one_folder(tmp_path, "fx_rates.csv", "transactions.csv")
    balances = (CURRENCIES / "balances.csv").read_text(encoding="utf-8")
    (data / "balances.csv").write_text(balances + "C00020,P01,2026-07-31,400000.00,USD\n"
                                       "C00020,P01,2026-06-30,1.00,EUR\n", encoding="utf-8")
    assert await _refused(engine, data) == [
        "balances.csv:11: currency: no rate for USD in 2026-07: add one to fx_rates.csv (date, currency, rate to CNY)",
        "balances.csv:12: currency: no rate for EUR in 2026-06: add one to fx_rates.csv (date, currency, rate to CNY)",
    ]
    async with engine.connect() as connection:  # nothing of it was kept
        assert (await connection.execute(select(func.count()).select_from(Balance))).scalar_one() == 0
        assert (await connection.execute(select(func.count()).select_from(FxRate))).scalar_one() == 0


async def test_bad_currencies_and_rates_are_refused_with_a_sentence(engine: AsyncEngine, tmp_path: Path) -> None:
    data = tmp_path / "rates"
    data.mkdir()
    (data / "fx_rates.csv").write_text(
        "date,currency,rate\n2026-10-31,CNY,1\n2026-10-31,US$,7.1\n2026-10-31,USD,-7\n2026-10-31,HKD,0.123456789\n"
        "2026-10-31,EUR,\n", encoding="utf-8")
    assert await _refused(engine, data) == [
        "fx_rates.csv:2: currency: CNY is the base currency: its rate is always 1, so it takes no row",
        "fx_rates.csv:3: currency: “US$” is not a currency: use an ISO 4217 code such as CNY, HKD or USD",
        "fx_rates.csv:4: rate: “-7” is not a rate: write what one unit of the currency is worth in the base "
        "currency, a positive number such as 7.1234",
        "fx_rates.csv:5: rate: 0.123456789 has more than 8 decimal places",
        "fx_rates.csv:6: rate: is empty",
    ]


async def test_a_rate_imported_later_is_used_at_the_next_run(firm: AsyncEngine, tmp_path: Path) -> None:
    """A corrected rate (the whole file again, one rate changed) changes the figures of the next run."""
    rules = load_rules(None)
    corrected = tmp_path / "fx"
    corrected.mkdir()
    text = (CURRENCIES / "fx_rates.csv").read_text(encoding="utf-8").replace("2026-08-31,USD,7.10",
                                                                                "2026-08-31,USD,7.40")
    (corrected / "fx_rates.csv").write_text(text, encoding="utf-8")
    report = await import_path(firm, corrected, actor="test")
    assert [(s.inserted, s.updated) for s in report.sources] == [(0, 1)]
    await score_clients(firm, rules, as_of=AS_OF)
    async with firm.connect() as connection:
        (facts,) = await chunk_facts(connection, Window(AS_OF, rules.history_months), "C00020", "C00020", {})
    assert facts.monthly_aum[-3] == Decimal("6935000.00")  # 400,000 × 7.40 + 2,275,000 + 1,700,000


async def test_a_demo_client_holding_usd_hkd_and_cny_is_tiered_at_the_demos_rates(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """The demo's files worked through by hand: a client holding all three currencies in each of the last 3 months,
    their month-end statements times that month's rate (one a month in the demo), averaged."""
    generate_demo_data(tmp_path / "demo", clients=400, seed=5, as_of=AS_OF)
    await import_path(engine, tmp_path / "demo", actor="test")
    rules = load_rules(None)
    await score_clients(engine, rules, as_of=AS_OF)

    rates = {(row["currency"], row["date"][:7]): Decimal(row["rate"]) for row in _rows(tmp_path / "demo/fx_rates.csv")}
    months = ("2026-08", "2026-09", "2026-10")
    held: dict[str, dict[str, Decimal]] = {}  # client -> month -> the statement's worth in CNY
    currencies: dict[str, set[str]] = {}
    for row in _rows(tmp_path / "demo/balances.csv"):
        month = row["as_of"][:7]
        if month in months:
            code = row["currency"] or "CNY"
            rate = Decimal(1) if code == "CNY" else rates[code, month]
            worth = held.setdefault(row["client_id"], dict.fromkeys(months, Decimal(0)))
            worth[month] += Decimal(row["amount"]) * rate
            currencies.setdefault(row["client_id"], set()).add(code)
    client_id = min(c for c, codes in currencies.items() if codes == {"CNY", "USD", "HKD"})
    average = (sum(held[client_id].values(), Decimal(0)) / 3).quantize(Decimal("0.01"))
    tier = next(t.id for t in reversed(rules.tiers) if average >= t.aum_from)
    async with engine.connect() as connection:
        state = (await connection.execute(select(TierState).where(TierState.client_id == client_id))).one()
    assert abs(state.monthly_avg_aum - average) <= Decimal("0.01")  # the database's sum rounds once more
    assert state.qualified_tier == tier


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


async def test_an_amount_given_without_its_currency_is_in_the_base_currency(firm: AsyncEngine, tmp_path: Path) -> None:
    """A later export without the currency column means the base currency, not the currency stored before."""
    later = tmp_path / "later"
    later.mkdir()
    (later / "balances.csv").write_text("client_id,product_id,as_of,amount\nC00020,P01,2026-10-31,2880000.00\n",
                                        encoding="utf-8")
    await import_path(firm, later, actor="test")
    async with firm.connect() as connection:
        row = (await connection.execute(select(Balance.amount, Balance.currency).where(
            Balance.client_id == "C00020", Balance.product_id == "P01", Balance.as_of == AS_OF))).one()
    assert tuple(row) == (Decimal("2880000.00"), None)


async def test_a_rates_file_refused_is_one_problem_not_one_per_month_it_would_have_rated(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    data = _one_folder(tmp_path, "balances.csv", "transactions.csv")
    (data / "fx_rates.csv").write_text((CURRENCIES / "fx_rates.csv").read_text(encoding="utf-8").replace(
        "date,currency,rate", "date,ccy,rate"), encoding="utf-8")
    (problem,) = await _refused(engine, data)
    assert problem.startswith("fx_rates.csv:1: missing required column(s) currency")
