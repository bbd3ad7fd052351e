"""Files as Excel saves them around the world: GBK/GB18030 CSV from Excel in Chinese, byte-order marks, semicolons
from European Excel, and headers whose columns have other names."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import Adviser, Client
from bot.importer import ImportFailed, import_path

pytestmark = pytest.mark.db

ADVISERS = "adviser_id,name,locale\nA001,Smith John,en\nA002,王丽,zh-CN\n"
CLIENTS = "client_id,name,adviser_id,onboarded_on\nC00001,张伟,A002,2015-03-02\nC00002,李娜,A002,2019-07-15\n"


@pytest.fixture
def gbk_folder(tmp_path: Path) -> Path:
    """Two files as Excel in Chinese saves "CSV (comma delimited)": GB18030 bytes, no byte-order mark."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "advisers.csv").write_bytes(ADVISERS.encode("gb18030"))
    (folder / "clients.csv").write_bytes(CLIENTS.encode("gb18030"))
    return folder


async def _names(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as connection:
        advisers = (await connection.execute(select(Adviser.adviser_id, Adviser.name))).all()
        clients = (await connection.execute(select(Client.client_id, Client.name))).all()
    return dict([*advisers, *clients])


async def _problems(engine: AsyncEngine, path: Path, **options: str) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        await import_path(engine, path, actor="test", **options)
    assert await _names(engine) == {}
    return [str(p) for p in failure.value.problems.shown]


@pytest.mark.parametrize("encoding", ["gb18030", "GB18030", "gbk", "cp936"])
async def test_chinese_excel_csv_imports_with_its_encoding(
    engine: AsyncEngine, gbk_folder: Path, encoding: str
) -> None:
    report = await import_path(engine, gbk_folder, actor="test", encoding=encoding)
    assert [(s.label, s.inserted) for s in report.sources] == [("advisers.csv", 2), ("clients.csv", 2)]
    assert await _names(engine) == {"A001": "Smith John", "A002": "王丽", "C00001": "张伟", "C00002": "李娜"}


async def test_chinese_excel_csv_read_as_utf8_names_the_option(engine: AsyncEngine, gbk_folder: Path) -> None:
    # 王 is 0xcd 0xf5 in GB18030, on the third line of advisers.csv; 张 is 0xd5 0xc5.
    assert await _problems(engine, gbk_folder) == [
        "advisers.csv:3: not UTF-8 text (byte 0xcd): if it was saved by Excel in Chinese, import it with "
        "--encoding gb18030; otherwise save it as CSV UTF-8",
        "clients.csv:2: not UTF-8 text (byte 0xd5): if it was saved by Excel in Chinese, import it with "
        "--encoding gb18030; otherwise save it as CSV UTF-8",
    ]


async def test_a_file_not_in_the_named_encoding(engine: AsyncEngine, tmp_path: Path) -> None:
    file = tmp_path / "advisers.csv"
    file.write_text(ADVISERS, encoding="utf-8")
    assert await _problems(engine, file, encoding="ascii") == [
        "advisers.csv:3: not ascii text (byte 0xe7): check which encoding the file was saved in and give that to "
        "--encoding"]


@pytest.mark.parametrize("encoding", ["gbk2", "base64", ""])
async def test_an_unknown_encoding_is_one_sentence_naming_the_option(
    engine: AsyncEngine, gbk_folder: Path, encoding: str
) -> None:
    assert await _problems(engine, gbk_folder, encoding=encoding) == [
        f"export: --encoding “{encoding}” is not a text encoding: use a name such as gb18030 (what Excel in "
        "Chinese saves), big5 or cp1252"]


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf-8-sig", "gb18030"])
async def test_a_utf8_byte_order_mark_is_read_as_utf8(engine: AsyncEngine, tmp_path: Path, encoding: str) -> None:
    """Excel's "CSV UTF-8" starts with a byte-order mark: the header's first column is still adviser_id, under the
    default and whatever encoding was named for the other files of a folder."""
    file = tmp_path / "advisers.csv"
    file.write_bytes(codecs.BOM_UTF8 + ADVISERS.encode("utf-8"))
    await import_path(engine, file, actor="test", encoding=encoding)
    assert await _names(engine) == {"A001": "Smith John", "A002": "王丽"}


async def test_utf8_is_the_default_with_or_without_a_byte_order_mark(engine: AsyncEngine, tmp_path: Path) -> None:
    (tmp_path / "advisers.csv").write_bytes(codecs.BOM_UTF8 + ADVISERS.encode("utf-8"))
    (tmp_path / "clients.csv").write_bytes(CLIENTS.encode("utf-8"))
    await import_path(engine, tmp_path, actor="test")
    assert await _names(engine) == {"A001": "Smith John", "A002": "王丽", "C00001": "张伟", "C00002": "李娜"}


async def test_a_gb18030_byte_order_mark_is_not_part_of_the_header(engine: AsyncEngine, tmp_path: Path) -> None:
    file = tmp_path / "advisers.csv"
    file.write_bytes(("\ufeff" + ADVISERS).encode("gb18030"))
    await import_path(engine, file, actor="test", encoding="gb18030")
    assert await _names(engine) == {"A001": "Smith John", "A002": "王丽"}


async def test_excel_workbooks_are_unaffected_by_the_encoding(engine: AsyncEngine, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "advisers"
    for line in ADVISERS.splitlines():
        sheet.append(line.split(","))
    workbook.save(tmp_path / "book.xlsx")
    await import_path(engine, tmp_path / "book.xlsx", actor="test", encoding="gb18030")
    assert await _names(engine) == {"A001": "Smith John", "A002": "王丽"}


async def test_a_semicolon_separated_file_is_named_as_such(engine: AsyncEngine, tmp_path: Path) -> None:
    """What Excel in German or French saves as "CSV": semicolons, one column to a comma-separated reader."""
    file = tmp_path / "clients.csv"
    file.write_text("client_id;name;adviser_id;onboarded_on\nC00001;Müller, Anna;A001;2015-03-02\n",
                    encoding="utf-8-sig")
    assert await _problems(engine, file) == [
        "clients.csv:1: the file looks semicolon-separated (its header holds “;”), as Excel saves CSV in some "
        "European languages: save it comma-separated (CSV UTF-8)"]


async def test_missing_columns_list_the_columns_the_header_has_instead(engine: AsyncEngine, tmp_path: Path) -> None:
    file = tmp_path / "clients.csv"
    file.write_text("客户编号,Client Name,adviser_id,onboarded_on,Locale,备注\nC00001,张伟,A001,2015-03-02,zh,\n",
                    encoding="utf-8")
    assert await _problems(engine, file) == [
        "clients.csv:1: missing required column(s) client_id, name; clients.csv needs client_id, name, "
        "adviser_id, onboarded_on, and its header has columns tierbot does not read: “客户编号”, “Client Name”, "
        "“备注”"]


async def test_a_long_list_of_unrecognised_columns_is_cut_short(engine: AsyncEngine, tmp_path: Path) -> None:
    file = tmp_path / "advisers.csv"
    file.write_text(",".join(f"col{n}" for n in range(1, 31)) + "\n", encoding="utf-8")
    (problem,) = await _problems(engine, file)
    assert problem.endswith(": " + ", ".join(f"“col{n}”" for n in range(1, 11)) + ", …")


async def test_a_codec_that_refuses_the_whole_file(engine: AsyncEngine, tmp_path: Path) -> None:
    """UTF-16 needs a byte-order mark to know its byte order; without one the file cannot be read at all."""
    file = tmp_path / "advisers.csv"
    file.write_bytes(ADVISERS.encode("utf-16-le"))
    assert await _problems(engine, file, encoding="utf-16") == [
        "advisers.csv: cannot be read as utf-16 text (UTF-16 stream does not start with BOM)"]
