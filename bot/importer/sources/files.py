"""Reading the firm's files as a stream of rows: CSV (UTF-8) and Excel (.xlsx) sheets of the same columns."""

from __future__ import annotations

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

    @property
    def label(self) -> str:
        return f"{self.path.name}[{self.sheet}]" if self.sheet else self.path.name

    def rows(self, progress: Progress) -> Iterator[tuple[int, list[str]]]:
        """Yield (line number, cells), the header first."""
        if self.sheet is None:
            return _csv_rows(self.path, progress)
        return _sheet_rows(self.path, self.sheet, progress)


def discover(path: Path) -> list[Source]:
    """The sources in a folder (files named after the entities) or in one file."""
    if not path.exists():
        raise SourceError(_("{path} does not exist").format(path=path))
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    sources: list[Source] = []
    for file in files:
        suffix = file.suffix.lower()
        if suffix == ".xlsx":
            sources.extend(_workbook_sources(file, single_file=not path.is_dir()))
        elif suffix == ".csv" and file.stem.lower() in ENTITIES_BY_NAME:
            sources.append(Source(file.stem.lower(), file))
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


def _csv_rows(path: Path, progress: Progress) -> Iterator[tuple[int, list[str]]]:
    size = path.stat().st_size
    with path.open("rb") as raw:
        if not raw.read(1):
            raise SourceError(_("the file is empty: it needs a header row"))
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        reader = csv.reader(text, strict=True)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                # The decoder fails on the chunk just read, so the bad byte sits that far back from here.
                offset = raw.tell() - len(error.object) + error.start
                raise SourceError(
                    _("not UTF-8 text (byte 0x{byte:02x}); save the file as CSV UTF-8").format(
                        byte=error.object[error.start]), line=_line_at(path, offset)) from None
            except csv.Error as error:
                raise SourceError(_("malformed CSV: {reason}").format(reason=error), line=reader.line_num) \
                    from None
            if reader.line_num % 4096 == 0:
                progress(raw.tell() / size)
            yield reader.line_num, cells
        progress(1.0)


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
