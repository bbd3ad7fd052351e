"""Import the firm's files in one all-or-nothing transaction.

Each source is streamed row by row into a temporary staging table (memory stays bounded by the batch, not
the file), then checked with set-based SQL (duplicate keys, references) and merged into the real table by
natural key: changed rows updated, new ones inserted, identical ones untouched. Any problem anywhere rolls
everything back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Enum, Integer, MetaData, String, Table, and_, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import get_settings
from bot.db.models import AuditEntry, FxRate
from bot.i18n import gettext as _
from bot.importer.sources import DEFAULT_ENCODING, Source, SourceError, discover
from bot.importer.specs import ENTITIES_BY_NAME, CellError, EntitySpec
from bot.scoring.calendar import month_of, month_start

BATCH_ROWS = 5_000
MAX_SHOWN = 20
# Of a header's columns that no spec names, the first few, to point at what is misnamed.
MAX_UNKNOWN_SHOWN = 10

# Called with a source's label and the fraction of it read so far.
ImportProgress = Callable[[str, float], None]


@dataclass(frozen=True)
class Problem:
    where: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        place = self.where if self.line is None else f"{self.where}:{self.line}"
        return f"{place}: {self.column}: {self.message}" if self.column else f"{place}: {self.message}"


@dataclass
class Problems:
    """The first problems found, to show, and how many there were in all."""

    shown: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, problem: Problem) -> None:
        self.extend([problem], 1)

    def extend(self, found: Sequence[Problem], total: int) -> None:
        """Record `total` problems of which `found` are the first few."""
        self.shown.extend(found[: MAX_SHOWN - len(self.shown)])
        self.total += total


class ImportFailed(Exception):
    """Nothing was imported; `problems` says why, file by file and line by line."""

    def __init__(self, problems: Problems) -> None:
        super().__init__(f"{problems.total} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class SourceResult:
    label: str
    entity: str
    rows: int
    inserted: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.updated


@dataclass(frozen=True)
class ImportReport:
    sources: tuple[SourceResult, ...]

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.sources)


async def import_path(
    engine: AsyncEngine,
    path: Path,
    *,
    actor: str,
    encoding: str = DEFAULT_ENCODING,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Import a folder of data files (or one file), CSV files decoded as `encoding` (Excel workbooks are
    unaffected); raise ImportFailed and change nothing on any problem."""
    problems = Problems()
    try:
        sources = discover(path, encoding)
    except SourceError as error:
        problems.add(Problem(path.name or str(path), None, None, str(error)))
        raise ImportFailed(problems) from None
    results: list[SourceResult] = []
    async with engine.begin() as connection:  # rolled back by any exception, ImportFailed included
        for source in sources:
            report = (lambda fraction, label=source.label: progress(label, fraction)) if progress else None
            result = await _import_source(connection, source, problems, report)
            if result is not None:
                results.append(result)
        if problems.total:
            raise ImportFailed(problems)
        await connection.execute(insert(AuditEntry), {
            "at": datetime.now(UTC), "actor": actor, "action": "import",
            "details": {"sources": [{"source": r.label, "rows": r.rows, "inserted": r.inserted,
                                     "updated": r.updated} for r in results]},
        })
    return ImportReport(tuple(results))


async def _import_source(
    connection: AsyncConnection, source: Source, problems: Problems, progress: Callable[[float], None] | None
) -> SourceResult | None:
    spec = ENTITIES_BY_NAME[source.entity]
    staging = _staging_table(spec)
    await connection.run_sync(lambda sync: staging.create(sync))
    try:
        result = await _stage(connection, source, spec, staging, problems, progress or (lambda _f: None))
        if result is None:
            return None
        staged, present = result
        await _check_duplicates(connection, source, spec, staging, problems)
        await _check_references(connection, source, spec, staging, problems)
        await _check_rates(connection, source, spec, staging, problems)
        inserted, updated = await _merge(connection, spec, staging, present)
        return SourceResult(source.label, spec.name, staged, inserted, updated)
    finally:
        await connection.run_sync(lambda sync: staging.drop(sync))


def _staging_table(spec: EntitySpec) -> Table:
    columns = [
        Column(c.name, String(24) if isinstance(spec.table.c[c.name].type, Enum) else spec.table.c[c.name].type)
        for c in spec.columns
    ]
    return Table(
        f"staging_{spec.name}", MetaData(), Column("line", Integer, nullable=False), *columns,
        prefixes=["TEMPORARY"],
    )


class _StagingWriter:
    """Bulk writes of parsed rows: COPY on PostgreSQL; on SQLite, the driver's executemany with the column
    types' own bind processors, skipping SQLAlchemy's per-row statement machinery.

    One write is kept in flight while the next batch is parsed, so the database and the parser overlap.
    """

    def __init__(self, connection: AsyncConnection, staging: Table) -> None:
        self.connection = connection
        self.staging = staging
        dialect = connection.dialect
        compiled = insert(staging).compile(dialect=dialect)
        self.sql = str(compiled)
        self.processors = [staging.c[name].type.bind_processor(dialect) for name in compiled.positiontup or ()]
        self.copy = dialect.name == "postgresql"
        self.pending: asyncio.Future[None] | None = None
        self.written = 0

    async def write(self, rows: list[tuple[Any, ...]]) -> None:
        await self.flush()
        self.pending = asyncio.ensure_future(self._write(rows))
        await asyncio.sleep(0)  # let the write reach the driver before parsing goes on

    async def flush(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            await pending

    async def _write(self, rows: list[tuple[Any, ...]]) -> None:
        if self.copy:
            raw = await self.connection.get_raw_connection()
            await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                self.staging.name, records=rows, columns=list(self.staging.c.keys()))
        else:
            processors = self.processors
            converted = [
                tuple(value if process is None or value is None else process(value)
                      for process, value in zip(processors, row, strict=True))
                for row in rows
            ]
            await self.connection.exec_driver_sql(self.sql, converted)
        self.written += len(rows)


async def _stage(
    connection: AsyncConnection,
    source: Source,
    spec: EntitySpec,
    staging: Table,
    problems: Problems,
    progress: Callable[[float], None],
) -> tuple[int, frozenset[str]] | None:
    """Read, parse and validate every row into the staging table: how many, and the columns the file has; None
    when the header is unusable."""
    rows = source.rows(progress)
    writer = _StagingWriter(connection, staging)
    batch: list[tuple[Any, ...]] = []
    is_sheet = source.sheet is not None
    try:
        _header_line, header = next(rows, (1, []))
        positions = _read_header(source, spec, header, problems)
        if positions is None:
            return None
        present = frozenset(c.name for c, p in zip(spec.columns, positions, strict=True) if p is not None)
        if spec.converted_on is not None:  # an amount without its currency is in the base currency, not the old one's
            present |= {"currency"}
        width = len(header)
        for line, cells in rows:
            if len(cells) != width:
                if not any(cell.strip() for cell in cells):
                    continue  # blank lines and empty sheet rows carry nothing
                if len(cells) > width and not any(c.strip() for c in cells[width:]):
                    cells = cells[:width]
                elif len(cells) < width and is_sheet:
                    cells = cells + [""] * (width - len(cells))
                else:
                    problems.add(Problem(source.label, line, None, _(
                        "expected {expected} fields as in the header, found {found}").format(
                            expected=width, found=len(cells))))
                    continue
            row = _parse_row(source, spec, positions, cells, line, problems)
            if row is None:
                continue
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                await writer.write(batch)
                batch = []
        if batch:
            await writer.write(batch)
    except SourceError as error:
        problems.add(Problem(source.label, error.line, None, str(error)))
        return None
    finally:
        await writer.flush()
    return writer.written, present


def _read_header(
    source: Source, spec: EntitySpec, header: Sequence[str], problems: Problems
) -> list[int | None] | None:
    """Where each of the spec's columns sits in the file (None when an optional one is absent)."""
    names = [cell.strip().lower() for cell in header]
    if not any(names):
        problems.add(Problem(source.label, None, None, _("the file is empty: it needs a header row")))
        return None
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        problems.add(Problem(source.label, 1, None, _("the header repeats {columns}").format(
            columns=", ".join(repeated))))
        return None
    missing = [c for c in spec.required_columns if c not in names]
    if missing:
        problems.add(Problem(source.label, 1, None, _missing_columns(spec, header, missing)))
        return None
    return [names.index(c.name) if c.name in names else None for c in spec.columns]


def _missing_columns(spec: EntitySpec, header: Sequence[str], missing: list[str]) -> str:
    """Why the header lacks a required column: the file is not comma-separated, or its columns have other
    names (which are listed, so that "客户编号" or "Client ID" shows where client_id was expected)."""
    if any(";" in cell for cell in header):
        return _("the file looks semicolon-separated (its header holds “;”), as Excel saves CSV in some European "
                 "languages: save it comma-separated (CSV UTF-8)")
    required = ", ".join(spec.required_columns)
    known = {c.name for c in spec.columns}
    unknown = [cell.strip() for cell in header if cell.strip() and cell.strip().lower() not in known]
    if not unknown:
        return _("missing required column(s) {missing}; {file} needs {required}").format(
            missing=", ".join(missing), file=spec.file_name, required=required)
    shown = ", ".join(f"“{name[:40]}”" for name in unknown[:MAX_UNKNOWN_SHOWN])
    if len(unknown) > MAX_UNKNOWN_SHOWN:
        shown += ", …"
    return _("missing required column(s) {missing}; {file} needs {required}, and its header has "
             "columns tierbot does not read: {unknown}").format(
        missing=", ".join(missing), file=spec.file_name, required=required, unknown=shown)


def _parse_row(
    source: Source,
    spec: EntitySpec,
    positions: list[int | None],
    cells: Sequence[str],
    line: int,
    problems: Problems,
) -> tuple[Any, ...] | None:
    """The row's values in staging-table order (line first), or None after reporting its problems."""
    values: list[Any] = [line]
    valid = True
    for column, position in zip(spec.columns, positions, strict=True):
        raw = cells[position].strip() if position is not None else ""
        if not raw:
            if column.required:
                problems.add(Problem(source.label, line, column.name, _("is empty")))
                valid = False
            values.append(None)
            continue
        try:
            values.append(column.parse(raw))
        except CellError as error:
            problems.add(Problem(source.label, line, column.name, str(error)))
            valid = False
            values.append(None)
    if not valid:
        return None
    if spec.row_rules:
        named = dict(zip((c.name for c in spec.columns), values[1:], strict=True))
        for rule in spec.row_rules:
            broken = rule(named)
            if broken is not None:
                problems.add(Problem(source.label, line, broken[0], broken[1]))
                return None
    return tuple(values)


async def _check_duplicates(
    connection: AsyncConnection, source: Source, spec: EntitySpec, staging: Table, problems: Problems
) -> None:
    """Two rows with one natural key are ambiguous: report them, and keep one so checks can go on."""
    key = [staging.c[k] for k in spec.key]
    groups = (
        select(func.min(staging.c.line).label("first"), func.max(staging.c.line).label("last"),
               func.count().label("rows"))
        .group_by(*key).having(func.count() > 1).subquery()
    )
    total = (await connection.execute(select(func.coalesce(func.sum(groups.c.rows - 1), 0)))).scalar_one()
    if not total:
        return
    shown = await connection.execute(select(groups.c.first, groups.c.last).order_by(groups.c.last).limit(MAX_SHOWN))
    problems.extend([
        Problem(source.label, last, None, _("repeats line {first} (same {key})").format(
            first=first, key=", ".join(spec.key)))
        for first, last in shown
    ], total)
    # NOT EXISTS rather than NOT IN: PostgreSQL runs NOT IN row by row once the subquery outgrows work_mem.
    later = staging.alias("later")
    await connection.execute(staging.delete().where(exists().where(
        *(later.c[k] == staging.c[k] for k in spec.key), later.c.line > staging.c.line)))


async def _check_references(
    connection: AsyncConnection, source: Source, spec: EntitySpec, staging: Table, problems: Problems
) -> None:
    """Every id that names another entity must exist (in the database or earlier in this import)."""
    for column in spec.columns:
        if column.refers_to is None:
            continue
        target_spec = ENTITIES_BY_NAME[column.refers_to]
        target_key = target_spec.table.c[target_spec.key[0]]
        value = staging.c[column.name]
        dangling = and_(value.is_not(None), ~exists().where(target_key == value))
        total = (await connection.execute(select(func.count()).where(dangling))).scalar_one()
        if not total:
            continue
        shown = await connection.execute(
            select(staging.c.line, value).where(dangling).order_by(staging.c.line).limit(MAX_SHOWN))
        problems.extend([
            Problem(source.label, line, column.name, _("“{value}” is in neither {file} nor the database").format(
                value=missing, file=target_spec.file_name))
            for line, missing in shown
        ], total)
        await connection.execute(staging.delete().where(dangling))


async def _check_rates(
    connection: AsyncConnection, source: Source, spec: EntitySpec, staging: Table, problems: Problems
) -> None:
    """Every currency but the base needs a rate (in the database or earlier in this import) for each month it is
    used in: one problem per currency and month, on the first line that uses it."""
    if spec.converted_on is None or problems.total:  # a rates file refused already: its rates would all be missing
        return
    # The few currencies and months used, against the few rated: no row-by-row lookup of the rates.
    base = get_settings().firm.base_currency
    currency, month = staging.c.currency, month_of(staging.c[spec.converted_on])
    used = await connection.execute(
        select(currency, month, func.min(staging.c.line)).where(currency.is_not(None), currency != base)
        .group_by(currency, month))
    rated = set((await connection.execute(
        select(FxRate.currency, month_of(FxRate.on)).group_by(FxRate.currency, month_of(FxRate.on)))).all())
    unrated = sorted((line, code, number) for code, number, line in used if (code, number) not in rated)
    problems.extend([
        Problem(source.label, line, "currency", _(
            "no rate for {currency} in {month}: add one to fx_rates.csv (date, currency, rate to {base})").format(
                currency=code, month=month_start(number).strftime("%Y-%m"), base=base))
        for line, code, number in unrated[:MAX_SHOWN]
    ], len(unrated))


async def _merge(
    connection: AsyncConnection, spec: EntitySpec, staging: Table, present: frozenset[str]
) -> tuple[int, int]:
    """Update stored rows whose values differ, then insert the new keys; identical rows are left untouched.

    Only the columns the file has are updated: a file without an optional column (an older export without
    advisers' phone numbers) leaves what the database holds for it as it is."""
    names = [c.name for c in spec.columns]
    changing = [n for n in names if n not in spec.key and n in present]
    target = spec.table
    matches = and_(*[target.c[k] == staging.c[k] for k in spec.key])
    updated = 0
    if changing:
        differs = or_(*[target.c[n].is_distinct_from(staging.c[n]) for n in changing])
        updated = (await connection.execute(
            update(target).where(matches, differs).values({n: staging.c[n] for n in changing})
        )).rowcount
    new_rows = select(*[staging.c[n] for n in names]).where(~exists().where(matches))
    inserted = (await connection.execute(insert(target).from_select(names, new_rows))).rowcount
    return inserted, updated
