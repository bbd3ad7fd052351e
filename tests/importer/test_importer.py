"""The importer against a real database: good files land, bad files change nothing, re-imports are no-ops."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from support.paths import GOOD_IMPORT

from bot.db.models import Adviser, AuditEntry, Balance, Client, Interaction, Product, Transaction
from bot.importer import ENTITIES, ImportFailed, import_path

pytestmark = pytest.mark.db



async def _counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as connection:
        return {
            spec.name: (await connection.execute(select(func.count()).select_from(spec.table))).scalar_one()
            for spec in ENTITIES
        }


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(GOOD_IMPORT, folder)
    return folder


async def _fails(engine: AsyncEngine, path: Path) -> list[str]:
    before = await _counts(engine)
    with pytest.raises(ImportFailed) as failure:
        await import_path(engine, path, actor="test")
    assert await _counts(engine) == before
    return [str(p) for p in failure.value.problems.shown]


async def test_good_folder_lands_with_types_intact(engine: AsyncEngine, data: Path) -> None:
    report = await import_path(engine, data, actor="test")

    assert [s.entity for s in report.sources] == [
        "advisers", "products", "clients", "balances", "transactions", "interactions"]
    assert await _counts(engine) == {
        "advisers": 2, "products": 3, "fx_rates": 0, "clients": 3, "balances": 5, "transactions": 3,
        "interactions": 2}
    async with engine.connect() as connection:
        client = (await connection.execute(select(Client).where(Client.client_id == "C00001"))).one()
        assert (client.adviser_id, client.onboarded_on, client.locale, client.risk_level) == (
            "A001", date(2015, 3, 2), "zh_Hans", 3)
        assert (await connection.execute(select(Client.name).where(Client.client_id == "C00002"))).scalar_one() \
            == "Brown, Mary"
        assert (await connection.execute(select(Client.locale).where(Client.client_id == "C00003"))).scalar_one() \
            is None
        amounts = (await connection.execute(select(Balance.amount).order_by(Balance.amount))).scalars().all()
        assert amounts == [Decimal("8000.00"), Decimal("150000.50"), Decimal("320000.00"),
                           Decimal("325000.00"), Decimal("700000.00")]
        times = (await connection.execute(select(Transaction.at).order_by(Transaction.at))).scalars().all()
        # +08:00 is converted to UTC; a time without an offset is taken as UTC.
        assert times == [datetime(2026, 9, 15, 9, 30, tzinfo=UTC), datetime(2026, 10, 2, 2, 0, tzinfo=UTC),
                         datetime(2026, 10, 20, 14, 0, tzinfo=UTC)]
        assert (await connection.execute(select(Product.category).where(Product.product_id == "P02"))) \
            .scalar_one() == "bond"
        assert (await connection.execute(select(Interaction.kind).where(Interaction.channel == "branch"))) \
            .scalar_one() is None
        contacts = (await connection.execute(
            select(Adviser.adviser_id, Adviser.phone, Adviser.email).order_by(Adviser.adviser_id))).all()
        # An empty optional cell is no value.
        assert contacts == [("A001", "+86 21 6888 8888", "li.wang@example.com"), ("A002", None, None)]
        audit = (await connection.execute(select(AuditEntry))).one()
        assert (audit.action, audit.actor) == ("import", "test")


async def test_reimport_changes_nothing_and_edits_update(engine: AsyncEngine, data: Path) -> None:
    await import_path(engine, data, actor="test")
    again = await import_path(engine, data, actor="test")
    assert [s.rows for s in again.sources] == [2, 3, 3, 5, 3, 2]
    assert all(s.inserted == 0 and s.updated == 0 and s.unchanged == s.rows for s in again.sources)

    balances = data / "balances.csv"
    balances.write_text(balances.read_text().replace("8000", "9000.10"), encoding="utf-8")
    edited = await import_path(engine, balances, actor="test")
    assert [(s.rows, s.inserted, s.updated) for s in edited.sources] == [(5, 0, 1)]
    async with engine.connect() as connection:
        amount = (await connection.execute(select(Balance.amount).where(Balance.client_id == "C00002"))).scalar_one()
    assert amount == Decimal("9000.10")


async def test_advisers_contacts_round_trip(engine: AsyncEngine, data: Path) -> None:
    """The ways a firm writes a phone number and an address are stored as written, and a changed one updated."""
    await import_path(engine, data, actor="test")
    advisers = data / "advisers.csv"
    advisers.write_text(
        "adviser_id,name,Phone,EMAIL\n"
        "A001,王丽,400-820-8888,li.wang@example.com\n"
        "A002,\"Smith, John\",(021) 6888-8888 ,j.smith@wealth.example.cn\n"
        "A003,陈静,+86 138 0013 8000,陈静@例子.中国\n",
        encoding="utf-8")
    report = await import_path(engine, advisers, actor="test")
    assert [(s.inserted, s.updated) for s in report.sources] == [(1, 2)]
    async with engine.connect() as connection:
        contacts = (await connection.execute(
            select(Adviser.adviser_id, Adviser.phone, Adviser.email).order_by(Adviser.adviser_id))).all()
    assert contacts == [
        ("A001", "400-820-8888", "li.wang@example.com"),
        ("A002", "(021) 6888-8888", "j.smith@wealth.example.cn"),
        ("A003", "+86 138 0013 8000", "陈静@例子.中国"),
    ]


async def test_a_file_without_an_optional_column_keeps_what_the_database_holds(
    engine: AsyncEngine, data: Path
) -> None:
    """An older export without the contact columns loses no phone number; an empty cell in a column the file has
    does clear one."""
    await import_path(engine, data, actor="test")
    advisers = data / "advisers.csv"
    advisers.write_text("adviser_id,name,phone\nA001,王丽,400-820-8888\nA002,\"Smith, John\",021-6888-8888\n",
                        encoding="utf-8")
    await import_path(engine, advisers, actor="test")
    async with engine.connect() as connection:
        rows = await connection.execute(select(Adviser.adviser_id, Adviser.email))
        emails = {row.adviser_id: row.email for row in rows}

    advisers.write_text("adviser_id,name\nA001,王丽\nA002,\"Smith, John\"\n", encoding="utf-8")
    report = await import_path(engine, advisers, actor="test")
    assert [(s.inserted, s.updated, s.unchanged) for s in report.sources] == [(0, 0, 2)]
    advisers.write_text("adviser_id,name,phone\nA001,王丽,\nA002,\"Smith, John\",021-6888-8888\n",
                        encoding="utf-8")
    report = await import_path(engine, advisers, actor="test")
    assert [(s.inserted, s.updated) for s in report.sources] == [(0, 1)]
    async with engine.connect() as connection:
        stored = (await connection.execute(
            select(Adviser.adviser_id, Adviser.phone, Adviser.email).order_by(Adviser.adviser_id))).all()
    assert stored == [("A001", None, emails["A001"]), ("A002", "021-6888-8888", emails["A002"])]


async def test_one_file_may_refer_to_rows_already_stored(engine: AsyncEngine, data: Path) -> None:
    await import_path(engine, data, actor="test")
    extra = data.parent / "clients.csv"
    extra.write_text("client_id,name,adviser_id,onboarded_on\nC00009,Ada,A002,2021-01-01\n", encoding="utf-8")
    report = await import_path(engine, extra, actor="test")
    assert [(s.entity, s.inserted) for s in report.sources] == [("clients", 1)]


@pytest.mark.parametrize(
    ("file", "content", "expected"),
    [
        ("clients.csv", "client_id,name,adviser_id,onboarded_on\nC1,Ann,A999,2020-01-01\n",
         "clients.csv:2: adviser_id: “A999” is in neither advisers.csv nor the database"),
        ("clients.csv", "client_id,name,adviser_id,onboarded_on\nC1,Ann,A001,2020-13-01\n",
         "clients.csv:2: onboarded_on: “2020-13-01” is not a date: use YYYY-MM-DD"),
        ("clients.csv", "client_id,name,onboarded_on\nC1,Ann,2020-01-01\n",
         "clients.csv:1: missing required column(s) adviser_id"),
        ("clients.csv", "client_id,name,adviser_id,onboarded_on\nC1,Ann,A001,2999-01-01\n",
         "clients.csv:2: onboarded_on: 2999-01-01 is in the future"),
        ("clients.csv", "client_id,name,adviser_id,onboarded_on,risk_level\nC1,Ann,A001,2020-01-01,C7\n",
         "clients.csv:2: risk_level: “C7” is not a risk level: use C1 to C5"),
        ("clients.csv", "client_id,name,adviser_id,onboarded_on,risk_level\nC1,Ann,A001,2020-01-01,C2\n",
         "clients.csv:2: risk_level: risk_level and risk_assessed_on go together"),
        ("clients.csv", "client_id,name,adviser_id,onboarded_on\nC1,,A001,2020-01-01\n",
         "clients.csv:2: name: is empty"),
        ("clients.csv", "client_id,name,adviser_id,onboarded_on\nC1,Ann,A001\n",
         "clients.csv:2: expected 4 fields as in the header, found 3"),
        ("clients.csv", 'client_id,name,adviser_id,onboarded_on\nC1,"Ann,A001,2020-01-01\n',
         "clients.csv:2: malformed CSV"),
        ("clients.csv", "client_id,name,adviser_id,onboarded_on\nC1,Ann,A001,2020-01-01\nC1,Bob,A002,2020-01-01\n",
         "clients.csv:3: repeats line 2 (same client_id)"),
        ("clients.csv", "", "clients.csv: the file is empty: it needs a header row"),
        ("balances.csv", "client_id,product_id,as_of,amount\nC00001,P01,2026-01-31,-5.00\n",
         "balances.csv:2: amount: -5.00 is negative"),
        ("balances.csv", "client_id,product_id,as_of,amount\nC00001,P01,2026-01-31,1.005\n",
         "balances.csv:2: amount: 1.005 has more than 2 decimal places"),
        ("balances.csv", "client_id,product_id,as_of,amount\nC00001,P01,2026-01-31,12k\n",
         "balances.csv:2: amount: “12k” is not an amount"),
        ("balances.csv", "client_id,product_id,as_of,amount\nC00001,P99,2026-01-31,1.00\n",
         "balances.csv:2: product_id: “P99” is in neither products.csv nor the database"),
        ("transactions.csv", "client_id,product_id,at,kind,amount\nC00001,P01,2026-01-31T10:00:00Z,gift,1\n",
         "transactions.csv:2: kind: “gift” is not one of buy, sell"),
        ("transactions.csv", "client_id,product_id,at,kind,amount\nC00001,P01,yesterday,buy,1\n",
         "transactions.csv:2: at: “yesterday” is not a date and time"),
        ("products.csv", "product_id,name_en,name_zh,category,risk_level\nP9,X,某,crypto,R2\n",
         "products.csv:2: category: “crypto” is not one of deposit"),
        ("advisers.csv", "adviser_id,name,locale\nA9,Jean,fr\n",
         "advisers.csv:2: locale: unknown language “fr”: use one of en, zh_Hans"),
        ("notes.csv", "a,b\n1,2\n", "notes.csv: cannot tell what notes.csv holds"),
        ("advisers.csv", "adviser_id,name,phone\nA9,Jean,ext. 8888\n",
         "advisers.csv:2: phone: “ext. 8888” is not a phone number: use digits, spaces, “+”, “-” and parentheses, "
         "up to 32 characters, e.g. +86 21 6888 8888"),
        ("advisers.csv", "adviser_id,name,phone\nA9,Jean,021 6888 8888 +1\n",
         "advisers.csv:2: phone: “021 6888 8888 +1” is not a phone number"),
        ("advisers.csv", "adviser_id,name,phone\nA9,Jean,--\n", "advisers.csv:2: phone: “--” is not a phone number"),
        ("advisers.csv", f"adviser_id,name,phone\nA9,Jean,{'8' * 33}\n",
         "advisers.csv:2: phone: “888888888888888888888888888888888” is not a phone number"),
        ("advisers.csv", "adviser_id,name,email\nA9,Jean,jean.example.com\n",
         "advisers.csv:2: email: “jean.example.com” is not an email address: write one address, "
         "e.g. li.wang@example.com"),
        ("advisers.csv", "adviser_id,name,email\nA9,Jean,jean@example\n",
         "advisers.csv:2: email: “jean@example” is not an email address"),
        ("advisers.csv", "adviser_id,name,email\nA9,Jean,jean @example.com\n",
         "advisers.csv:2: email: “jean @example.com” is not an email address"),
        ("advisers.csv", "adviser_id,name,email\nA9,Jean,\"jean@example.com, li@example.com\"\n",
         "advisers.csv:2: email: “jean@example.com, li@example.com” is not an email address"),
        ("advisers.csv", "adviser_id,name,email\nA9,Jean,jean@example..com\n",
         "advisers.csv:2: email: “jean@example..com” is not an email address"),
        ("advisers.csv", f"adviser_id,name,email\nA9,Jean,jean@{'a' * 250}.com\n",
         "advisers.csv:2: email: longer than 254 characters"),
    ],
)
async def test_bad_file_gets_one_clear_error_and_changes_nothing(
    engine: AsyncEngine, data: Path, file: str, content: str, expected: str
) -> None:
    await import_path(engine, data, actor="test")
    bad = data.parent / file
    bad.write_text(content, encoding="utf-8")
    problems = await _fails(engine, bad)
    assert len(problems) == 1
    assert problems[0].startswith(expected), problems[0]


async def test_bad_row_in_a_folder_rolls_back_every_file(engine: AsyncEngine, data: Path) -> None:
    with (data / "interactions.csv").open("a", encoding="utf-8") as f:
        f.write("C00001,2026-10-02T08:00:00Z,,login\n")
    assert await _fails(engine, data) == ["interactions.csv:4: channel: is empty"]
    assert sum((await _counts(engine)).values()) == 0


async def test_not_utf8(engine: AsyncEngine, data: Path) -> None:
    bad = data.parent / "clients.csv"
    bad.write_bytes("client_id,name,adviser_id,onboarded_on\nC1,张伟,A001,2020-01-01\n".encode("gb18030"))
    (problem,) = await _fails(engine, bad)
    assert problem.startswith("clients.csv:2: not UTF-8 text")


async def test_ten_megabytes_of_garbage(engine: AsyncEngine, tmp_path: Path) -> None:
    binary = tmp_path / "balances.csv"
    binary.write_bytes(bytes(range(256)) * 40_960)
    assert len(await _fails(engine, binary)) == 1

    text = tmp_path / "transactions.csv"
    text.write_text("lorem ipsum dolor sit amet;" * 400_000, encoding="utf-8")
    (problem,) = await _fails(engine, text)
    assert problem.startswith("transactions.csv")


async def test_errors_are_capped_with_a_count(engine: AsyncEngine, data: Path) -> None:
    bad = data / "balances.csv"
    bad.write_text("client_id,product_id,as_of,amount\n" + "C00001,P01,2026-01-31,x\n" * 500, encoding="utf-8")
    with pytest.raises(ImportFailed) as failure:
        await import_path(engine, data, actor="test")
    assert len(failure.value.problems.shown) == 20
    assert failure.value.problems.total == 500


async def test_missing_path(engine: AsyncEngine, tmp_path: Path) -> None:
    (problem,) = await _fails(engine, tmp_path / "nowhere")
    assert "does not exist" in problem


async def test_excel_workbook_with_a_sheet_per_file(engine: AsyncEngine, data: Path, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in ("advisers", "products", "clients"):
        sheet = workbook.create_sheet(name)
        for line in (data / f"{name}.csv").read_text(encoding="utf-8").splitlines():
            import csv

            sheet.append(next(csv.reader([line])))
    sheet = workbook.create_sheet("balances")
    sheet.append(["client_id", "product_id", "as_of", "amount"])
    sheet.append(["C00001", "P01", date(2026, 8, 31), 12.5])  # typed cells, as Excel keeps them
    workbook.save(tmp_path / "export.xlsx")

    report = await import_path(engine, tmp_path / "export.xlsx", actor="test")
    assert [(s.label, s.inserted) for s in report.sources] == [
        ("export.xlsx[advisers]", 2), ("export.xlsx[products]", 3), ("export.xlsx[clients]", 3),
        ("export.xlsx[balances]", 1)]
    async with engine.connect() as connection:
        assert (await connection.execute(select(Balance.amount))).scalar_one() == Decimal("12.50")
