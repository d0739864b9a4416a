"""Delivery data: suppliers' returns read from CSV, JSON, Excel or Python records, every row
either used or rejected with its file, row number and reason.

Reading has two steps. :func:`read_records` (and the file loaders built on it) checks each row
on its own: cells present, dates real, quantities plain finite numbers, units known. Then
:func:`validate` checks the rows against a charter: the contract and metric exist, the unit
converts to the metric's, the period lies inside the contract term and has ended, and no row
repeats or overlaps another. Nothing is dropped silently: ``rows_read == len(rows) +
len(rejections)`` always holds.

Rows are many, so this module keeps per-row work small: every distinct date, unit and number
text is parsed once and cached, and a unit conversion factor is computed once per unit and
metric, never per row.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from charterdsl import collector, units
from charterdsl.errors import DeliveryDataError, Diagnostic
from charterdsl.model import Charter, MetricKind
from charterdsl.report import Rejection

FIELDS = ("contract", "metric", "period_start", "period_end", "quantity", "unit", "evidence")
REQUIRED = ("contract", "metric", "period_start", "period_end", "quantity", "unit")
MAX_CELL = 500  # characters of one cell; longer cells are rejected, never echoed in full


@attrs.frozen
class Columns:
    """Which header names hold which field. Column names are matched without regard to case
    or surrounding spaces."""

    contract: str = "contract"
    metric: str = "metric"
    period_start: str = "period_start"
    period_end: str = "period_end"
    quantity: str = "quantity"
    unit: str = "unit"
    evidence: str = "evidence"

    @classmethod
    def parse(cls, pairs: Iterable[str]) -> Columns:
        """From ``field=Header name`` pairs, as given on the command line."""
        mapping: dict[str, str] = {}
        for pair in pairs:
            field, _, header = pair.partition("=")
            if field.strip() not in FIELDS or not header.strip():
                raise ValueError(f"'{pair}' is not FIELD=HEADER with FIELD one of "
                                 f"{', '.join(FIELDS)}")
            mapping[field.strip()] = header.strip()
        return cls(**mapping)


class DeliveryRow(NamedTuple):
    """One accepted row. ``quantity`` is in the unit the supplier wrote (``unit``)."""

    file: str
    row: int
    contract: str
    metric: str
    start: dt.date
    end: dt.date
    quantity: Decimal | None
    unit: str | None
    evidence: str | None


@attrs.frozen
class DeliveryData:
    """Rows read from one or more sources, and the rows rejected while reading them."""

    rows: tuple[DeliveryRow, ...]
    rejections: tuple[Rejection, ...]
    rows_read: int

    def __add__(self, other: DeliveryData) -> DeliveryData:
        if not isinstance(other, DeliveryData):
            return NotImplemented  # columnar data adds itself
        return DeliveryData(
            self.rows + other.rows,
            self.rejections + other.rejections,
            self.rows_read + other.rows_read,
        )


EMPTY = DeliveryData((), (), 0)


class RowProblem(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason
        # The period of the row, when it was read before the problem was found, so that a
        # verdict on that period can cite the row it could not use.
        self.start: dt.date | None = None
        self.end: dt.date | None = None


# ---------------------------------------------------------------------------- cells

_PLAIN_NUMBER = re.compile(r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_DMY = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
# A month in full or by its usual short name ("Sept" too); nothing else is taken for one.
_MONTH_NAMES = {
    **{calendar.month_name[number].lower(): number for number in range(1, 13)},
    **{calendar.month_abbr[number].lower(): number for number in range(1, 13)},
    "sept": 9,
}
# Spreadsheet day numbers of five digits from 1 January 1982 (29952), to 2 June 2173 (99999).
_EXCEL_FIRST = 29952
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2}) ([A-Za-z]+) ([0-9]{4})")


def show(text: str, limit: int = 40) -> str:
    """A cell as it may be echoed in a message: cut short, control characters made visible."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class CellReader:
    """Parses cells, caching each distinct text: returns repeat the same dates and units."""

    def __init__(self, day_first: bool = False) -> None:
        self.day_first = day_first
        self._dates: dict[str, dt.date | RowProblem] = {}
        self._units: dict[str, str | RowProblem] = {}

    def date(self, text: str, what: str) -> dt.date:
        cached = self._dates.get(text)
        if cached is None:
            try:
                cached = self._parse_date(text.strip(), what)
            except RowProblem as problem:
                cached = problem
            if len(self._dates) < 100_000:
                self._dates[text] = cached
        if isinstance(cached, RowProblem):
            raise RowProblem(cached.code, cached.reason.replace("{what}", what))
        return cached

    def _parse_date(self, text: str, what: str) -> dt.date:
        if not text:
            raise RowProblem("CH804", "{what} is missing")
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise RowProblem("CH804", f"{{what}} '{show(text)}' is not a date in the "
                                 "calendar") from None
        if len(text) == 5 and text.isascii() and text.isdigit() and int(text) >= _EXCEL_FIRST:
            # A date cell saved to CSV by a spreadsheet as its day number (45748 is
            # 1 April 2025): days since 30 December 1899, Excel's and LibreOffice's epoch.
            return _EXCEL_EPOCH + dt.timedelta(days=int(text))
        named = _DAY_MONTH_YEAR.fullmatch(text)
        if named and named.group(2).lower() in _MONTH_NAMES:
            day, month, year = int(named.group(1)), _MONTH_NAMES[named.group(2).lower()], \
                int(named.group(3))
            return self._checked(year, month, day, text)
        slashed = _DMY.fullmatch(text)
        if slashed and self.day_first:
            return self._checked(int(slashed.group(3)), int(slashed.group(2)),
                                 int(slashed.group(1)), text)
        if slashed:
            raise RowProblem("CH804", f"{{what}} '{show(text)}' could be day/month or "
                             "month/day; write dates as 2025-04-01, or say the file puts the "
                             "day first (--day-first)")
        raise RowProblem("CH804", f"{{what}} '{show(text)}' is not a date like 2025-04-01")

    @staticmethod
    def _checked(year: int, month: int, day: int, text: str) -> dt.date:
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise RowProblem("CH804", f"{{what}} '{show(text)}' is not a date in the "
                             "calendar") from None

    def known_date(self, text: str) -> dt.date | None:
        """The date of a text already read without a problem, else None."""
        cached = self._dates.get(text)
        return cached if isinstance(cached, dt.date) else None

    def known_unit(self, text: str) -> str | None:
        """The unit of a text already read without a problem, else None."""
        cached = self._units.get(text)
        return cached if isinstance(cached, str) else None

    def quantity(self, text: str) -> Decimal:
        stripped = text.strip()
        if stripped.startswith("£"):
            stripped = stripped[1:]
        if not stripped:
            raise RowProblem("CH810", "the quantity is missing")
        if stripped.startswith("-") and _PLAIN_NUMBER.fullmatch(stripped[1:]):
            raise RowProblem("CH806", f"the quantity {show(stripped)} is negative; delivery "
                             "cannot be less than nothing")
        if not _PLAIN_NUMBER.fullmatch(stripped):
            raise RowProblem("CH807", f"the quantity '{show(stripped)}' is not a plain number "
                             "(digits 0-9, an optional decimal point and thousands commas)")
        return Decimal(stripped.replace(",", ""))

    def unit(self, text: str) -> str:
        cached = self._units.get(text)
        if cached is None:
            cached = self._parse_unit(text)
            if len(self._units) < 10_000:
                self._units[text] = cached
        if isinstance(cached, RowProblem):
            raise cached
        return cached

    @staticmethod
    def _parse_unit(text: str) -> str | RowProblem:
        written = " ".join(text.split())
        if not written:
            return RowProblem("CH810", "the unit is missing")
        unit = units.lookup(written) or units.lookup_folded(written)
        if unit is None:
            suggestion = units.suggest(written)
            hint = f"; did you mean '{suggestion}'?" if suggestion else ""
            return RowProblem("CH803", f"unknown unit '{show(written)}'{hint}")
        return unit


# ---------------------------------------------------------------------------- records


def read_records(
    records: Iterable[Mapping[str, Any]],
    file: str = "<records>",
    *,
    first_row: int = 1,
    day_first: bool = False,
) -> DeliveryData:
    """Rows from mappings with the field names of :data:`FIELDS`. Row numbers count from
    ``first_row`` (2 for a CSV file, whose row 1 is the header)."""
    reader = CellReader(day_first)
    rows: list[DeliveryRow] = []
    rejections: list[Rejection] = []
    count = 0
    for number, record in enumerate(records, start=first_row):
        count += 1
        try:
            rows.append(_row(reader, record, file, number))
        except RowProblem as problem:
            rejections.append(_rejection(file, number, problem, record))
    return DeliveryData(tuple(rows), tuple(rejections), count)


def _text(record: Mapping[str, Any], field: str) -> str:
    value = record.get(field)
    if value is None:
        return ""
    if isinstance(value, bool):
        raise RowProblem("CH807", f"{field} is true/false, not a value")
    if isinstance(value, float):
        if value != value:
            return ""  # data frames hold a blank cell as NaN
        if value in (float("inf"), float("-inf")):
            raise RowProblem("CH807", f"{field} is not a finite number")
        return format(Decimal(repr(value)), "f")  # 1e-05 is written 0.00001
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if len(text) > MAX_CELL:
        raise RowProblem("CH810", f"{field} is {len(text):,} characters long; the limit is "
                         f"{MAX_CELL}")
    return text


def _row(reader: CellReader, record: Mapping[str, Any], file: str, number: int) -> DeliveryRow:
    contract = _text(record, "contract").strip()
    metric = _text(record, "metric").strip()
    for field, value in (("contract", contract), ("metric", metric)):
        if not value:
            raise RowProblem("CH810", f"the {field} is missing")
    start = reader.date(_text(record, "period_start"), "the period start")
    end = reader.date(_text(record, "period_end"), "the period end")
    if end < start:
        raise RowProblem("CH805", f"the period ends ({end}) before it starts ({start})")
    try:
        quantity_text, unit_text = _text(record, "quantity"), _text(record, "unit")
        evidence = _text(record, "evidence").strip() or None
        if not quantity_text.strip() and not unit_text.strip() and evidence:
            return DeliveryRow(file, number, contract, metric, start, end, None, None, evidence)
        quantity = reader.quantity(quantity_text)
        unit = reader.unit(unit_text)
    except RowProblem as problem:
        problem.start, problem.end = start, end
        raise
    return DeliveryRow(file, number, contract, metric, start, end, quantity, unit, evidence)


def _rejection(file: str, number: int, problem: RowProblem, record: Mapping[str, Any]
               ) -> Rejection:
    contract = record.get("contract")
    metric = record.get("metric")
    return Rejection(
        file,
        number,
        problem.code,
        problem.reason,
        show(str(contract).strip()) if contract else None,
        show(str(metric).strip()) if metric else None,
        problem.start,
        problem.end,
    )


# ---------------------------------------------------------------------------- files


class FileProblem(DeliveryDataError):
    """A whole file could not be read (not a row: the file)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__([Diagnostic(code, message)])
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 with or without a byte-order mark; anything else is refused with a reason."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("CH811", f"{file} is UTF-16; save it as CSV UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        # utf-8-sig counts from after the byte-order mark.
        at = error.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = data[:at]  # lines end in \n, \r\n or a lone \r
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise FileProblem(
            "CH811",
            f"{file} is not UTF-8 (byte 0x{data[at]:02X} on line {line}); save it as "
            "CSV UTF-8",
        ) from None


def read_csv_text(
    text: str, file: str = "<csv>", columns: Columns = Columns(), *, day_first: bool = False
) -> DeliveryData:
    """Rows from CSV text. Each physical line is one row: a quote left open is that row's
    error and never swallows the rows after it. Row numbers are line numbers (the header is
    row 1), as a spreadsheet shows them."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise FileProblem("CH811", f"{file} is empty")
    header = next(csv.reader([lines[0]]))
    reader = LineReader(header_positions(header, columns, file), len(header), file,
                        CellReader(day_first))
    with collector.paused():
        for number in range(2, len(lines) + 1):
            reader.read(lines[number - 1], number)
    return DeliveryData(tuple(reader.rows), tuple(reader.rejections), reader.count)


class LineReader:
    """Reads data lines one at a time. Most lines are plain (no quotes, dates and units seen
    before, a plain number) and are read on a fast path; any other line goes the careful
    way, which words every rejection."""

    def __init__(self, positions: Mapping[str, int], width: int, file: str,
                 cells: CellReader) -> None:
        self.positions, self.width, self.file, self.cells = positions, width, file, cells
        self.rows: list[DeliveryRow] = []
        self.rejections: list[Rejection] = []
        self.count = 0
        self.order = [positions[field] for field in REQUIRED]
        self.evidence = positions.get("evidence")
        self.names: dict[str, str] = {}  # one string object per distinct contract or metric

    def read(self, line: str, number: int) -> None:
        if not line or line.isspace():
            return  # a blank line is not a row
        self.count += 1
        if '"' not in line and len(line) <= MAX_CELL:
            cells = line.split(",")
            if len(cells) == self.width:
                row = self._fast(cells, number)
                if row is not None:
                    self.rows.append(row)
                    return
        self._careful(line, number)

    def _fast(self, cells: list[str], number: int) -> DeliveryRow | None:
        contract_at, metric_at, start_at, end_at, quantity_at, unit_at = self.order
        contract, metric = cells[contract_at].strip(), cells[metric_at].strip()
        start = self.cells.known_date(cells[start_at])
        end = self.cells.known_date(cells[end_at])
        unit = self.cells.known_unit(cells[unit_at])
        quantity = cells[quantity_at].strip()
        if not (contract and metric and start and end and unit and end >= start
                and _PLAIN_NUMBER.fullmatch(quantity)):
            return None
        evidence = cells[self.evidence].strip() or None if self.evidence is not None else None
        names = self.names
        return DeliveryRow(self.file, number, names.setdefault(contract, contract),
                           names.setdefault(metric, metric), start, end,
                           Decimal(quantity.replace(",", "")), unit, evidence)

    def _careful(self, line: str, number: int) -> None:
        cells = self._split(line, number)
        if cells is None:
            return
        record = {field: cells[index] for field, index in self.positions.items()}
        try:
            self.rows.append(_row(self.cells, record, self.file, number))
        except RowProblem as problem:
            self.rejections.append(_rejection(self.file, number, problem, record))

    def _split(self, line: str, number: int) -> list[str] | None:
        """The cells of a line, or None when it is not a well-formed row (rejected)."""
        reason = None
        if line.count('"') % 2:
            reason = "a quote is opened and not closed on this row"
        else:
            try:
                cells = next(csv.reader([line], strict=True))
            except csv.Error:
                reason = "the quoting on this row is not valid CSV"
            else:
                if len(cells) == self.width:
                    return cells
                reason = f"this row has {len(cells)} cells; the header has {self.width}"
        self.rejections.append(Rejection(self.file, number, "CH810", reason))
        return None


def header_positions(header: Sequence[str], columns: Columns, file: str) -> dict[str, int]:
    folded = [name.strip().casefold() for name in header]
    duplicates = sorted({name for name in folded if name and folded.count(name) > 1})
    if duplicates:
        raise FileProblem("CH811", f"{file}: the header repeats the column "
                          f"{', '.join(repr(show(d)) for d in duplicates)}")
    positions: dict[str, int] = {}
    missing: list[str] = []
    for field in FIELDS:
        wanted = getattr(columns, field).strip().casefold()
        if wanted in folded:
            positions[field] = folded.index(wanted)
        elif field in REQUIRED:
            missing.append(getattr(columns, field))
    if missing:
        raise FileProblem("CH811", f"{file}: the header has no column "
                          f"{', '.join(repr(m) for m in missing)} (it has "
                          f"{', '.join(repr(show(h)) for h in header)})")
    return positions


def read_json_text(text: str, file: str = "<json>", *, day_first: bool = False) -> DeliveryData:
    """Rows from a JSON array of objects, or an object with a ``rows`` array."""
    try:
        # Numbers become exact decimals, as written, never floats.
        document = json.loads(text, parse_constant=_no_constants, parse_float=Decimal)
    except (ValueError, RecursionError) as error:
        raise FileProblem("CH811", f"{file} is not valid JSON ({show(str(error), 80)})") from None
    rows = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(rows, list):
        raise FileProblem("CH811", f"{file}: expected a list of rows, or an object with 'rows'")
    records = [r if isinstance(r, dict) else {"__bad__": r} for r in rows]
    return read_records(records, file, first_row=1, day_first=day_first)


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def read_file(
    path: str | Path,
    columns: Columns = Columns(),
    *,
    name: str | None = None,
    day_first: bool = False,
) -> DeliveryData:
    """Rows from a ``.csv``, ``.json`` or ``.xlsx`` file, chosen by its ending."""
    file = Path(path)
    label = name or file.name
    suffix = file.suffix.lower()
    if suffix == ".xlsx":
        from charterdsl.excel import read_xlsx

        return read_xlsx(file, label, columns, day_first=day_first)
    text = decode_text(read_bytes(file, label), label)
    if suffix == ".json":
        return read_json_text(text, label, day_first=day_first)
    return read_csv_text(text, label, columns, day_first=day_first)


def read_bytes(path: Path, label: str) -> bytes:
    """A file's bytes, or a FileProblem saying why they cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise FileProblem("CH811", f"{label} cannot be read ({error.strerror})") from None


def from_frame(frame: Any, file: str = "<data frame>", *, day_first: bool = False
               ) -> DeliveryData:
    """Rows from a pandas or polars data frame with the standard column names."""
    if hasattr(frame, "to_dicts"):  # polars
        records: Iterable[Mapping[str, Any]] = frame.to_dicts()
    elif hasattr(frame, "to_dict"):  # pandas
        records = frame.to_dict(orient="records")
    else:
        raise TypeError("expected a pandas or polars DataFrame")
    return read_records(records, file, first_row=1, day_first=day_first)


def load(data: Any, *, day_first: bool = False) -> DeliveryData:
    """Whatever a caller hands the evaluator, as DeliveryData: DeliveryData itself, a path, a
    data frame, or an iterable of records."""
    if isinstance(data, DeliveryData):
        return data
    if isinstance(data, str | Path):
        return read_file(data, day_first=day_first)
    if hasattr(data, "to_dicts") or hasattr(data, "to_dict"):
        return from_frame(data, day_first=day_first)
    return read_records(data, day_first=day_first)


# ---------------------------------------------------------------------------- validation


@attrs.frozen
class Validated:
    rows: tuple[DeliveryRow, ...]  # accepted rows, quantity converted to the metric's unit
    rejections: tuple[Rejection, ...]
    rows_read: int

    @property
    def rows_used(self) -> int:
        return len(self.rows)


def validate(charter: Charter, data: DeliveryData, as_of: dt.date) -> Validated:
    """Check every row against the charter. Accepted rows come back with their quantity in
    the metric's unit; the others are rejected with a reason."""
    accepted, rejected = check_rows(charter, data.rows, as_of)
    kept, repeats = without_repeats(accepted)
    rejected = [*data.rejections, *rejected, *repeats]
    rejected.sort(key=rejection_order)
    return Validated(tuple(kept), tuple(rejected), data.rows_read)


def rejection_order(rejection: Rejection) -> tuple[str, int, str, str]:
    """Rejections by file and row; two files of one name are told apart by code and reason,
    so that the order never depends on how the rows were read."""
    return rejection.file, rejection.row, rejection.code, rejection.reason


def check_rows(charter: Charter, rows: Iterable[DeliveryRow], as_of: dt.date
               ) -> tuple[list[DeliveryRow], list[Rejection]]:
    """Each row against the charter on its own (repeats and overlaps are found later, by
    :func:`without_repeats`): the accepted rows with their quantity in the metric's unit,
    and the rejected ones."""
    checker = _RowChecker(charter, as_of)
    accepted: list[DeliveryRow] = []
    rejected: list[Rejection] = []
    with collector.paused():
        for row in rows:
            try:
                accepted.append(checker.check(row))
            except RowProblem as problem:
                rejected.append(_repeat(row, problem.code, problem.reason))
    return accepted, rejected


class _RowChecker:
    def __init__(self, charter: Charter, as_of: dt.date) -> None:
        self.charter = charter
        self.as_of = as_of
        self.contracts = {c.id: c for c in charter.contracts}
        self.metrics = charter.metric_index
        self.week = charter.header.conventions.working_week_hours or (
            units.DEFAULT_WORKING_WEEK_HOURS
        )
        self._factors: dict[tuple[str, str], Fraction | None] = {}
        # What a row of a (contract, metric, unit) seen before needs checking again: the term
        # (its end clipped to the as-of date), the metric's unit and the factor to it.
        self._seen: dict[tuple[str, str, str | None], tuple[dt.date, dt.date, str, Fraction]] = {}
        self._hints: dict[tuple[str, int], str] = {}

    def check(self, row: DeliveryRow) -> DeliveryRow:
        known = self._seen.get((row.contract, row.metric, row.unit))
        if known is not None and row.quantity is not None:
            first, last, unit, factor = known
            if first <= row.start and row.end <= last:
                return DeliveryRow(row.file, row.row, row.contract, row.metric, row.start,
                                   row.end, units.convert(row.quantity, factor), unit,
                                   row.evidence)
        return self._check(row)

    def _check(self, row: DeliveryRow) -> DeliveryRow:
        contract = self.contracts.get(row.contract)
        if contract is None:
            raise RowProblem("CH801", f"unknown contract '{show(row.contract)}'"
                             + self._hint(row.contract, self.contracts))
        metric = self.metrics.get(row.metric)
        if metric is None:
            raise RowProblem("CH802", f"unknown metric '{show(row.metric)}'"
                             + self._hint(row.metric, self.metrics))
        self._check_period(row, contract.start, contract.end)
        if metric.kind is MetricKind.RATIO:
            raise RowProblem("CH802", f"'{row.metric}' is a ratio; report its parts "
                             f"'{metric.numerator}' and '{metric.denominator}' instead")
        if metric.kind is MetricKind.QUALITATIVE or row.quantity is None:
            if metric.kind is not MetricKind.QUALITATIVE:
                raise RowProblem("CH810", "the quantity is missing")
            return row
        factor = self._factor(row.unit, metric.unit, metric.id)
        if contract.start is not None and metric.unit is not None:
            last = min(contract.end, self.as_of) if contract.end else self.as_of
            self._seen[(row.contract, row.metric, row.unit)] = (
                contract.start, last, metric.unit, factor
            )
        return row._replace(quantity=units.convert(row.quantity, factor), unit=metric.unit)

    def _hint(self, name: str, known: Mapping[str, object]) -> str:
        """:func:`_suggest`, once for each name: a misspelt id is usually misspelt alike on
        many rows, and finding the nearest id is slow."""
        key = (name, id(known))
        if key not in self._hints:
            self._hints[key] = _suggest(name, known)
        return self._hints[key]

    def _check_period(self, row: DeliveryRow, start: dt.date | None, end: dt.date | None
                      ) -> None:
        if (start is not None and row.start < start) or (end is not None and row.end > end):
            raise RowProblem("CH805", f"the period {row.start} to {row.end} is not inside the "
                             f"contract term ({start} to {end})")
        if row.end > self.as_of:
            raise RowProblem("CH805", f"the period ends on {row.end}, after the as-of date "
                             f"{self.as_of}; it has not been delivered yet")

    def _factor(self, unit: str | None, metric_unit: str | None, metric: str) -> Fraction:
        key = (unit or "", metric_unit or "")
        if key not in self._factors:
            self._factors[key] = (
                units.factor(unit, metric_unit, self.week) if unit and metric_unit else None
            )
        factor = self._factors[key]
        if factor is None:
            raise RowProblem("CH803", f"{units.display(unit)} cannot be converted to "
                             f"{units.display(metric_unit)}, the unit of metric '{metric}'")
        return factor


def _suggest(name: str, known: Mapping[str, object]) -> str:
    """A hint for an unknown id: the id it imitates with look-alike letters, or the nearest."""
    look_alike = skeleton(name)
    if look_alike != name and look_alike in known:
        odd = next(ch for ch in name if ch not in look_alike)
        what = unicodedata.name(odd, f"U+{ord(odd):04X}").title()
        return f"; it looks like '{look_alike}' but holds the letter '{odd}' ({what})"
    match = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f"; did you mean '{match[0]}'?" if match else ""


# Letters of other scripts that look like Latin ones, as spreadsheets from many hands carry
# them: a Cyrillic Н in "НR-2025-014" makes an id that looks right and matches nothing.
_LOOK_ALIKES = str.maketrans(
    "АВЕКМНОРСТУХаеорсухіјѕԁӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧοаԛѡ",
    "ABEKMHOPCTYXaeopcyxijsdlABEZHIKMNOPTYXoaqw",
)


def skeleton(text: str) -> str:
    """``text`` with look-alike letters of other scripts replaced by the Latin ones."""
    return text.translate(_LOOK_ALIKES) if not text.isascii() else text


def without_repeats(rows: list[DeliveryRow], files: Sequence[str] = ()
                    ) -> tuple[list[DeliveryRow], list[Rejection]]:
    """Drop rows that repeat or overlap an earlier row for the same contract and metric: an
    exact repeat is a duplicate; a different quantity for the same period, or a period that
    overlaps, is a conflict and both rows are rejected, since neither can be trusted.
    Files come in the order of ``files``, then in the order their rows come."""
    groups: dict[tuple[str, str], list[DeliveryRow]] = {}
    # Files in the order they were given: of two rows for the same period, the earlier wins.
    order: dict[str, int] = {file: number for number, file in enumerate(dict.fromkeys(files))}
    for row in rows:
        groups.setdefault((row.contract, row.metric), []).append(row)
        order.setdefault(row.file, len(order))
    kept: list[DeliveryRow] = []
    rejected: list[Rejection] = []
    for group in groups.values():
        group.sort(key=lambda r: (r.start, r.end, order[r.file], r.row))
        kept += _sweep(group, rejected)
    return kept, rejected


def _sweep(group: list[DeliveryRow], rejected: list[Rejection]) -> list[DeliveryRow]:
    """One contract and metric's rows, sorted by period: each row is compared with the row
    that reaches furthest so far, whether that row was kept or not, so a row that overlaps
    only a rejected row is rejected too."""
    kept: list[tuple[int, DeliveryRow]] = []
    bad: set[int] = set()
    reach = -1  # the row with the latest end so far
    for index, row in enumerate(group):
        if reach < 0 or row.start > group[reach].end:
            kept.append((index, row))
            reach = index
            continue
        previous = group[reach]
        if (previous.start, previous.end, previous.quantity) == (row.start, row.end,
                                                                  row.quantity):
            rejected.append(_repeat(row, "CH808", f"duplicate of {_ref(previous)}"))
            continue
        same = previous.start == row.start and previous.end == row.end
        reason = "conflicts with" if same else "overlaps"
        rejected.append(_repeat(row, "CH809", f"{reason} {_ref(previous)} for the same "
                                "contract and metric"))
        bad.add(index)  # so that a later row overlapping this one does not reject it again
        if reach not in bad:
            bad.add(reach)
            rejected.append(_repeat(previous, "CH809", f"{reason} {_ref(row)} for the same "
                                    "contract and metric"))
        if row.end > previous.end:
            reach = index
    return [row for index, row in kept if index not in bad]


def _ref(row: DeliveryRow) -> str:
    return f"{row.file} row {row.row}"


def _repeat(row: DeliveryRow, code: str, reason: str) -> Rejection:
    return Rejection(row.file, row.row, code, reason, show(row.contract), show(row.metric),
                     row.start, row.end)
