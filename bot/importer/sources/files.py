"""Reading the firm's files as a stream of rows: CSV (UTF-8 unless told otherwise) and Excel (.xlsx) sheets of the
same columns."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bot.i18n import gettext as _
from bot.importer.specs import ENTITIES_BY_NAME

# A CSV cell longer than this is not data a person typed: stop before it costs memory.
MAX_CELL = 100_000
csv.field_size_limit(MAX_CELL)

# Called with the fraction of the source read so far, 0.0 to 1.0.
Progress = Callable[[float], None]

# CSV files are UTF-8 unless the operator names another encoding; a byte-order mark is allowed (Excel's "CSV UTF-8").
DEFAULT_ENCODING = "utf-8"
_UTF8 = "utf-8-sig"


class SourceError(ValueError):
    """The file as a whole cannot be read; the message says why."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Source:
    """One table of rows: a CSV file, or one sheet of a workbook."""

    entity: str
    path: Path
    sheet: str | None = None
    # The codec of a CSV file (from `text_encoding`); workbooks carry their own.
    encoding: str = _UTF8

    @property
    def label(self) -> str:
        return f"{self.path.name}[{self.sheet}]" if self.sheet else self.path.name

    def rows(self, progress: Progress) -> Iterator[tuple[int, list[str]]]:
        """Yield (line number, cells), the header first."""
        if self.sheet is None:
            return _csv_rows(self.path, self.encoding, progress)
        return _sheet_rows(self.path, self.sheet, progress)


def text_encoding(name: str) -> str:
    """The codec that decodes CSV files saved in the encoding `name` (any Python name of a text encoding:
    gb18030, gbk, big5, cp1252, ...); UTF-8 always tolerates a byte-order mark."""
    try:
        # The constructor refuses unknown names and codecs that are not text encodings (base64, rot13).
        io.TextIOWrapper(io.BytesIO(), encoding=name)
    except LookupError:
        raise SourceError(_(
            "--encoding “{name}” is not a text encoding: use a name such as gb18030 (what Excel in Chinese "
            "saves), big5 or cp1252").format(name=name[:40])) from None
    codec = codecs.lookup(name).name
    return _UTF8 if codec == "utf-8" else codec


def discover(path: Path, encoding: str = DEFAULT_ENCODING) -> list[Source]:
    """The sources in a folder (files named after the entities) or in one file; CSV files decoded as `encoding`."""
    codec = text_encoding(encoding)
    if not path.exists():
        raise SourceError(_("{path} does not exist").format(path=path))
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    sources: list[Source] = []
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".xlsx":
            sources.extend(_workbook_sources(file, single_file=not path.is_dir()))
        elif suffix == ".csv" and file.stem.lower() in ENTITIES_BY_NAME:
            sources.append(Source(file.stem.lower(), file, encoding=codec))
        elif not path.is_dir():
            raise SourceError(_unknown_name(file))
    if not sources:
        raise SourceError(
            _("{path} holds no data file: expected files named {names}").format(
                path=path, names=", ".join(f"{name}.csv" for name in ENTITIES_BY_NAME)))
    order = list(ENTITIES_BY_NAME)
    return sorted(sources, key=lambda s: (order.index(s.entity), s.label))


def _unknown_name(file: Path) -> str:
    return _("cannot tell what {file} holds: name it after its contents, one of {names}").format(
        file=file.name, names=", ".join(f"{name}.csv" for name in ENTITIES_BY_NAME))


def _workbook_sources(file: Path, *, single_file: bool) -> list[Source]:
    """Sheets named after an entity; or the first sheet of a workbook named after one."""
    names = _sheet_names(file)
    by_sheet = [Source(n.strip().lower(), file, n) for n in names if n.strip().lower() in ENTITIES_BY_NAME]
    if by_sheet:
        return by_sheet
    if file.stem.lower() in ENTITIES_BY_NAME and names:
        return [Source(file.stem.lower(), file, names[0])]
    if single_file:
        raise SourceError(_unknown_name(file))
    return []


def _open_workbook(file: Path) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SourceError(_("{file} is not an Excel .xlsx workbook ({reason})").format(
            file=file.name, reason=type(error).__name__)) from None


def _sheet_names(file: Path) -> list[str]:
    workbook = _open_workbook(file)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _csv_rows(path: Path, encoding: str, progress: Progress) -> Iterator[tuple[int, list[str]]]:
    size = path.stat().st_size
    with path.open("rb") as raw:
        start = raw.read(len(codecs.BOM_UTF8))
        if not start:
            raise SourceError(_("the file is empty: it needs a header row"))
        if start == codecs.BOM_UTF8:
            # A UTF-8 byte-order mark says what the file is, whatever encoding was named for the others.
            encoding = _UTF8
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        reader = csv.reader(text, strict=True)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                # The decoder fails on the chunk just read, so the bad byte sits that far back from here.
                offset = raw.tell() - len(error.object) + error.start
                raise SourceError(_not_decoded(encoding, error.object[error.start]), line=_line_at(path, offset)) \
                    from None
            except UnicodeError as error:  # a codec that refuses the stream as a whole (utf-16 without a BOM)
                raise SourceError(_("cannot be read as {encoding} text ({reason})").format(
                    encoding=encoding, reason=error)) from None
            except csv.Error as error:
                raise SourceError(_("malformed CSV: {reason}").format(reason=error), line=reader.line_num) \
                    from None
            if reader.line_num == 1 and cells:
                cells[0] = cells[0].removeprefix("\ufeff")  # the byte-order mark of a UTF-16 or GB18030 file
            if reader.line_num % 4096 == 0:
                progress(raw.tell() / size)
            yield reader.line_num, cells
        progress(1.0)


def _not_decoded(encoding: str, byte: int) -> str:
    if encoding == _UTF8:
        return _("not UTF-8 text (byte 0x{byte:02x}): if it was saved by Excel in Chinese, import it with "
                 "--encoding gb18030; otherwise save it as CSV UTF-8").format(byte=byte)
    return _("not {encoding} text (byte 0x{byte:02x}): check which encoding the file was saved in and give "
             "that to --encoding").format(encoding=encoding, byte=byte)


def _line_at(path: Path, offset: int) -> int:
    newlines = 0
    with path.open("rb") as raw:
        while offset > 0 and (block := raw.read(min(offset, 1 << 20))):
            newlines += block.count(b"\n")
            offset -= len(block)
    return newlines + 1


def _sheet_rows(path: Path, sheet: str, progress: Progress) -> Iterator[tuple[int, list[str]]]:
    workbook = _open_workbook(path)
    try:
        worksheet = workbook[sheet]
        total = max(worksheet.max_row or 1, 1)
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            if number % 4096 == 0:
                progress(min(number / total, 1.0))
            yield number, [_cell_text(value) for value in values]
        progress(1.0)
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """Excel cells come typed; render them as the CSV text the parsers read."""
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        text = value.isoformat()
        # openpyxl gives datetimes for date cells; a midnight datetime is a date.
        return text.removesuffix("T00:00:00")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
