"""Large CSV returns read and checked a column at a time with polars (the ``fast`` extra).

The line-by-line reader of :mod:`charterdsl.delivery` spends a few microseconds on every row:
seconds for a million rows. This module does the same work on whole columns and hands every
line it is not sure of to that reader, so a row is accepted, rejected and worded exactly as
there, and both paths give the same :class:`~charterdsl.report.Report`.

A line stays on the columnar path only when it is plain: no quote (but for an amount with
thousands separators in quotes, as spreadsheets save them), the header's number of cells, a
contract and a metric the charter knows (a contract with a start date; a summed or averaged
metric with a unit), dates the careful reader reads (each distinct date cell is read by it,
once) with the end not before the start, a period inside the contract term that has ended by
the as-of date, a plain number, and a unit that converts to the metric's. Every other line
is read the careful way, and so are the runs of rows that repeat or overlap one another:
duplicates and conflicts are judged by one piece of code.

The plain rows are sorted by contract, metric and date once, and a :class:`Series` is made
only for the pairs a target or a proxy reads: with returns for 200 metrics and targets on a
few, most rows are counted and never looked at one by one. Quantities stay text until then
and are converted exactly, as decimals, by the same per-unit factors as on the careful path.

polars is imported only when this path is used.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from charterdsl import collector, units
from charterdsl.delivery import (
    MAX_CELL,
    CellReader,
    Columns,
    DeliveryData,
    DeliveryRow,
    FileProblem,
    LineReader,
    RowProblem,
    check_rows,
    decode_text,
    header_positions,
    read_bytes,
    read_csv_text,
    rejection_order,
    without_repeats,
)
from charterdsl.measure import Series
from charterdsl.model import Charter, MetricKind
from charterdsl.report import Rejection

if TYPE_CHECKING:
    import polars as pl

# Below this size a file is read line by line: importing polars costs more than it saves.
AUTO_THRESHOLD_BYTES = 4_000_000
_SEPARATOR = "\x1f"  # no CSV text holds it, so each line is read whole, as one cell
_PLAIN_NUMBER = r"^[0-9]+(?:\.[0-9]+)?$"


def available() -> bool:
    """Whether polars is installed."""
    try:
        import polars  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------- reading


@attrs.frozen(eq=False)
class _Part:
    """One file read as columns. ``lines`` holds every line (``row``, ``line``), so that any
    can be read again the careful way; ``frame`` the plain ones, with ``row``, the
    ``contract`` and ``metric`` cells as written, the dates as ordinals (``start``, ``end``),
    the ``quantity`` text and the ``unit`` (a number: an index into ``units``)."""

    file: str
    lines: pl.DataFrame
    frame: pl.DataFrame
    units: tuple[str, ...]
    positions: Mapping[str, int]
    width: int
    cells: CellReader

    def reader(self) -> LineReader:
        return LineReader(self.positions, self.width, self.file, self.cells)


@attrs.frozen(eq=False)
class ColumnarData:
    """Delivery data read by :func:`read_csv_bytes`: plain lines as columns, waiting for a
    charter, and every other line already read the careful way. ``files`` names the files
    in the order they were given: of two rows for the same period, the earlier file's wins."""

    careful: DeliveryData
    parts: tuple[_Part, ...]
    rows_read: int
    files: tuple[str, ...]

    def __add__(self, other: ColumnarData | DeliveryData) -> ColumnarData:
        if isinstance(other, DeliveryData):
            return ColumnarData(self.careful + other, self.parts,
                                self.rows_read + other.rows_read, self.files + _names(other))
        return ColumnarData(self.careful + other.careful, self.parts + other.parts,
                            self.rows_read + other.rows_read, self.files + other.files)

    def __radd__(self, other: DeliveryData) -> ColumnarData:
        return ColumnarData(other + self.careful, self.parts, other.rows_read + self.rows_read,
                            _names(other) + self.files)


def _names(data: DeliveryData) -> tuple[str, ...]:
    return tuple(dict.fromkeys(row.file for row in data.rows))


def read_file(path: str | Path, columns: Columns = Columns(), *, name: str | None = None,
              day_first: bool = False) -> ColumnarData:
    """A CSV file, as :func:`read_csv_bytes` reads it."""
    file = Path(path)
    label = name or file.name
    return read_csv_bytes(read_bytes(file, label), label, columns, day_first=day_first)


def read_csv_bytes(data: bytes, file: str = "<csv>", columns: Columns = Columns(), *,
                   day_first: bool = False) -> ColumnarData:
    """Rows from CSV bytes as :func:`charterdsl.delivery.read_csv_text` reads them (the same
    rows, row numbers and rejections), with the plain lines kept as columns."""
    import polars as pl

    original = data  # whatever cannot be read here is read, and refused, the careful way
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    header_end = data.find(b"\n")
    if (header_end < 0 or _SEPARATOR.encode() in data
            or original.startswith((b"\xff\xfe", b"\xfe\xff"))):
        # A header alone, UTF-16, or the byte at which polars would cut lines.
        return _careful(original, file, columns, day_first)
    try:
        header = next(csv.reader([data[:header_end].decode("utf-8")]))
        positions = header_positions(header, columns, file)
        # Two fields read from one column cannot be cut apart by column number.
        two_in_one = len({positions[field] for field in _FIELDS}) < len(_FIELDS)
        lines, table = (None, None) if two_in_one else _read_twice(data, positions,
                                                                    len(header))
    except (UnicodeDecodeError, FileProblem, pl.exceptions.PolarsError):
        lines = table = None
    if (lines is None or table is None or lines.height != table.height
            or lines.height != _line_count(data, header_end)):  # the last: a safety net
        return _careful(original, file, columns, day_first)
    cells = CellReader(day_first)
    frame, odd, unit_ids = _plain_lines(lines, table, positions, len(header), cells)
    part = _Part(file, lines, frame, unit_ids, positions, len(header), cells)
    reader = part.reader()
    with collector.paused():
        for number, line in odd.iter_rows():
            reader.read(line, number)
    careful = DeliveryData(tuple(reader.rows), tuple(reader.rejections), reader.count)
    return ColumnarData(careful, (part,), reader.count + frame.height, (file,))


_FIELDS = ("contract", "metric", "period_start", "period_end", "quantity", "unit")


def _read_twice(data: bytes, positions: Mapping[str, int], width: int
                ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every line after the header twice: whole (``row``, ``line``), and cut at every comma
    into the cells that matter (quotes taken as they are: a quoted line is looked at again).
    polars keeps one row per line both times, empty lines included."""
    import polars as pl

    lines = pl.read_csv(
        data, has_header=False, skip_rows=1, separator=_SEPARATOR, quote_char=None,
        new_columns=["line"], schema={"line": pl.String},
    ).with_row_index("row", offset=2)
    # A line with more cells than the header loses the extra ones, one with fewer gets
    # empty ones: neither is plain, and the careful way reads it from ``lines``.
    table = pl.read_csv(
        data, has_header=False, skip_rows=1, quote_char=None,
        schema={f"cell_{i}": pl.String for i in range(width)}, truncate_ragged_lines=True,
        missing_columns="insert", extra_columns="ignore", empty_string_is_null=False,
        columns=[positions[field] for field in _FIELDS],
    )
    return lines, table.rename({f"cell_{positions[f]}": f for f in _FIELDS})


def _line_count(data: bytes, header_end: int) -> int:
    """How many lines follow the header."""
    return data.count(b"\n", header_end + 1) + (0 if data.endswith(b"\n") else 1)


def _careful(data: bytes, file: str, columns: Columns, day_first: bool) -> ColumnarData:
    careful = read_csv_text(decode_text(data, file), file, columns, day_first=day_first)
    return ColumnarData(careful, (), careful.rows_read, (file,))


def _plain_lines(lines: pl.DataFrame, table: pl.DataFrame, positions: Mapping[str, int],
                 width: int, cells: CellReader
                 ) -> tuple[pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
    """The plain lines as columns, the others (``row``, ``line``; empty lines are not rows)
    and the units that the ``unit`` column numbers."""
    import polars as pl

    line = pl.col("line")
    both = pl.concat([lines, table], how="horizontal").filter(line.is_not_null())
    quoted = line.str.contains('"', literal=True)
    unquoted = _unquoted_amounts(both.filter(quoted).select("row", "line"),
                                 positions["quantity"])
    split = unquoted.with_columns(line.str.split_exact(",", width - 1).alias("cells")).select(
        "row", "line", *(pl.col("cells").struct.field(f"field_{positions[f]}").alias(f)
                         for f in _FIELDS))
    candidates = pl.concat([both.filter(~quoted), split]).filter(
        (line.str.len_bytes() <= MAX_CELL)
        & (line.str.count_matches(",", literal=True) == width - 1))

    # Dates and units are few: each distinct cell is read once, in Python, by the careful
    # path's own reader, so the two paths cannot read one differently.
    dates = pl.concat([candidates["period_start"], candidates["period_end"]]).unique()
    ordinals = {text: date.toordinal() for text in dates.to_list()
                if (date := _date(cells, text)) is not None}
    unit_ids: list[str] = []
    numbers: dict[str, int] = {}
    for text in candidates["unit"].unique().to_list():
        if (unit := _unit(cells, text)) is not None:
            if unit not in unit_ids:
                unit_ids.append(unit)
            numbers[text] = unit_ids.index(unit)
    every = candidates.select(
        "row",
        "contract",
        "metric",
        pl.col("period_start").replace_strict(ordinals, default=None, return_dtype=pl.Int32)
        .alias("start"),
        pl.col("period_end").replace_strict(ordinals, default=None, return_dtype=pl.Int32)
        .alias("end"),
        "quantity",
        pl.col("unit").replace_strict(numbers, default=None, return_dtype=pl.Int32),
    )
    plain = (
        pl.col("start").is_not_null() & pl.col("end").is_not_null()
        & (pl.col("end") >= pl.col("start"))
        & pl.col("quantity").str.contains(_PLAIN_NUMBER)  # unstripped: spaces go careful
        & pl.col("unit").is_not_null()
    ).fill_null(False)
    taken = every.filter(plain)
    # The lines to read the careful way, as written (a quoted amount with its quotes).
    odd = lines.filter(line.is_not_null()).join(taken.select("row"), on="row", how="anti")
    return taken, odd.sort("row"), tuple(unit_ids)


# A spreadsheet saves an amount with thousands separators quoted: 12,"1,250.50",GBP.
_QUOTED_AMOUNT = r'^(?:([^"]*),)?"([0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?)"(?:,([^"]*))?$'


def _unquoted_amounts(quoted: pl.DataFrame, position: int) -> pl.DataFrame:
    """The quoted lines whose only quoted cell is an amount in the quantity's place, with
    the quotes and the amount's separators taken out, as a CSV reader would read them; the
    other quoted lines are read the careful way."""
    import polars as pl

    parts = pl.col("line").str.extract_groups(_QUOTED_AMOUNT)
    before, amount, after = (parts.struct.field(str(group)) for group in (1, 2, 3))
    cells_before = pl.when(before.is_null()).then(0).otherwise(
        before.str.count_matches(",", literal=True) + 1)
    return quoted.filter(amount.is_not_null() & (cells_before == position)).with_columns(
        pl.concat_str([before, amount.str.replace_all(",", "", literal=True), after],
                      separator=",", ignore_nulls=True).alias("line"))


def _date(cells: CellReader, text: str) -> dt.date | None:
    try:
        return cells.date(text, "the date")
    except RowProblem:
        return None


def _unit(cells: CellReader, text: str) -> str | None:
    try:
        return cells.unit(text)
    except RowProblem:
        return None


# ---------------------------------------------------------------------------- validation


@attrs.frozen(eq=False)
class ColumnarValidated:
    """What :func:`validate` found: the rejections, and the accepted rows as ``series`` by
    contract and metric."""

    series: SeriesIndex
    rejections: tuple[Rejection, ...]
    rows_read: int
    rows_used: int


def validate(charter: Charter, data: ColumnarData, as_of: dt.date) -> ColumnarValidated:
    """Check every row against the charter, as :func:`charterdsl.delivery.validate` does."""
    import polars as pl

    keys, factors = _Keys(charter, as_of), _Factors(charter)
    checked = [_checked(part, number, keys, factors) for number, part in enumerate(data.parts)]
    accepted, rejected = check_rows(charter, data.careful.rows, as_of)
    # Files are numbered as the parts are, then the files of rows read the careful way alone.
    files = [part.file for part in data.parts]
    files += [name for name in dict.fromkeys(r.file for r in accepted) if name not in files]
    file_number = {name: files.index(name) for name in set(files)}
    # The rows read the careful way join the plain ones, so that each series is swept for
    # repeats and overlaps whole; their quantity is a decimal's text, in the metric's unit.
    unconverted = factors.numbered(Fraction(1))
    careful = pl.DataFrame(
        [(r.row, r.start.toordinal(), r.end.toordinal(), str(r.quantity), unconverted,
          file_number[r.file], keys.number[r.contract, r.metric], index)
         for index, r in enumerate(accepted)
         if r.quantity is not None and (r.contract, r.metric) in keys.number],
        schema=_plain_schema(), orient="row",
    )
    plain = pl.concat([*(frame.filter(pl.col("ok")).select(careful.columns)
                         for frame in checked), careful])
    # Sorted by series and start, rows that overlap come together in runs: a row starts on
    # or before the furthest end so far in its series (series numbers step in _DAYS, so a
    # running maximum over the whole column never carries one series' ends into the next).
    plain = plain.sort(pl.col("key") * _DAYS + pl.col("start"))
    reach = (pl.col("key") * _DAYS + pl.col("end")).cum_max().shift(1)
    overlaps = (pl.col("key") * _DAYS + pl.col("start") <= reach).fill_null(False)
    plain = plain.with_columns(
        (overlaps | overlaps.shift(-1).fill_null(False)).alias("overlapping"))
    # Only the runs of overlapping rows need the careful path's sweep: the sweep compares
    # each row with the furthest-reaching row before it, and a run starts clear of those.
    runs = plain.filter(pl.col("overlapping"))
    careful_in_runs = [accepted[i] for i in runs["careful"].drop_nulls().to_list()]
    not_in_series = [r for r in accepted
                     if r.quantity is None or (r.contract, r.metric) not in keys.number]
    # Plain lines that failed a check, and those in runs, are read again the careful way.
    reread_rows = [pl.concat([frame.filter(~pl.col("ok"))["row"],
                              runs.filter(pl.col("careful").is_null()
                                          & (pl.col("file") == number))["row"]]).sort()
                   for number, frame in enumerate(checked)]
    reread, reread_rejected = _read_again(data.parts, reread_rows)
    reread_accepted, reread_failed = check_rows(charter, reread, as_of)
    kept, repeats = without_repeats(not_in_series + careful_in_runs + reread_accepted,
                                    data.files)
    rejections = [*data.careful.rejections, *rejected, *reread_rejected, *reread_failed,
                  *repeats]
    rejections.sort(key=rejection_order)
    clean = plain.filter(~pl.col("overlapping"))
    index = SeriesIndex(clean, files, keys, factors.found, kept)
    return ColumnarValidated(index, tuple(rejections), data.rows_read, len(kept) + clean.height)


_DAYS = 1 << 22  # more than any date's ordinal (9999-12-31 is 3,652,059)


def _plain_schema() -> dict[str, pl.DataType]:
    """The columns of the plain rows, with ``careful`` the index of a row read carefully."""
    import polars as pl

    return {"row": pl.UInt32(), "start": pl.Int32(), "end": pl.Int32(),
            "quantity": pl.String(), "factor": pl.Int32(), "file": pl.Int32(),
            "key": pl.Int64(), "careful": pl.Int64()}


class _Keys:
    """A number for each pair of a contract with a start and a metric that rows may report,
    and each such contract's first and last day for rows (its end, or the as-of date)."""

    def __init__(self, charter: Charter, as_of: dt.date) -> None:
        metrics = [m.id for m in charter.metric_index.values()
                   if m.kind in (MetricKind.SUMMED, MetricKind.AVERAGED) and m.unit is not None]
        contracts = [c for c in charter.contracts if c.start is not None]
        self.metric_ids = metrics
        self.metrics = {metric: number for number, metric in enumerate(metrics)}
        self.contracts = {c.id: number for number, c in enumerate(contracts)}
        self.first = {number: c.start.toordinal() for number, c in enumerate(contracts)
                      if c.start is not None}
        self.last = {number: min(c.end or as_of, as_of).toordinal()
                     for number, c in enumerate(contracts)}
        self.number = {(c, m): i * len(metrics) + j for c, i in self.contracts.items()
                       for m, j in self.metrics.items()}
        self.pair = {number: pair for pair, number in self.number.items()}


class _Factors:
    """The factor from a unit to a metric's unit, each distinct factor numbered."""

    def __init__(self, charter: Charter) -> None:
        self.metrics = charter.metric_index
        self.week = charter.header.conventions.working_week_hours or (
            units.DEFAULT_WORKING_WEEK_HOURS
        )
        self.found: list[Fraction] = []
        self._numbers: dict[Fraction, int] = {}

    def number(self, metric_id: str, unit: str) -> int | None:
        metric = self.metrics.get(metric_id)
        if metric is None or metric.unit is None:
            return None
        factor = units.factor(unit, metric.unit, self.week)
        return None if factor is None else self.numbered(factor)

    def numbered(self, factor: Fraction) -> int:
        if factor not in self._numbers:
            self._numbers[factor] = len(self.found)
            self.found.append(factor)
        return self._numbers[factor]


def _checked(part: _Part, file: int, keys: _Keys, factors: _Factors) -> pl.DataFrame:
    """The plain rows of a file with their series ``key``, their ``factor`` number and
    whether they pass every check of the charter (``ok``). Each check is made once for each
    distinct contract, metric and unit, and applied to whole columns."""
    import polars as pl

    frame = part.frame

    def numbered(column: str, known: Mapping[str, int]) -> pl.Expr:
        found = {text: number for text in frame[column].unique().drop_nulls().to_list()
                 if (number := known.get(text.strip())) is not None}
        return pl.col(column).replace_strict(found, default=None, return_dtype=pl.Int64)

    frame = frame.with_columns(numbered("contract", keys.contracts).alias("contract_number"),
                               numbered("metric", keys.metrics).alias("metric_number"))
    width = len(part.units)
    metric_unit = pl.col("metric_number") * width + pl.col("unit")  # one number a pair
    factor_of = {code: number for code in frame.select(metric_unit.alias("code"))["code"]
                 .unique().drop_nulls().to_list()
                 if (number := factors.number(keys.metric_ids[code // width],
                                              part.units[code % width])) is not None}
    contract = pl.col("contract_number")
    ok = (
        pl.col("key").is_not_null() & pl.col("factor").is_not_null()
        & (pl.col("start") >= contract.replace_strict(keys.first, default=None))
        & (pl.col("end") <= contract.replace_strict(keys.last, default=None))
    )
    return frame.with_columns(
        (contract * len(keys.metrics) + pl.col("metric_number")).alias("key"),
        metric_unit.replace_strict(factor_of, default=None, return_dtype=pl.Int32)
        .alias("factor"),
        pl.lit(file, pl.Int32).alias("file"),
        pl.lit(None, pl.Int64).alias("careful"),
    ).with_columns(ok.fill_null(False).alias("ok"))


def _read_again(parts: tuple[_Part, ...], rows: list[pl.Series]
                ) -> tuple[list[DeliveryRow], list[Rejection]]:
    """Rows of each file read again the careful way, by the file's own reader."""
    read: list[DeliveryRow] = []
    rejected: list[Rejection] = []
    for part, numbers in zip(parts, rows, strict=True):
        reader = part.reader()
        lines = part.lines["line"].gather(numbers - 2).to_list()  # row 2 is line 0
        with collector.paused():
            for number, line in zip(numbers.to_list(), lines, strict=True):
                reader.read(line, number)
        read += reader.rows
        rejected += reader.rejections
    return read, rejected


# ---------------------------------------------------------------------------- series


class SeriesIndex(Mapping[tuple[str, str], Series]):
    """Every contract and metric's :class:`Series`, by ``(contract, metric)``. A series is
    made when first asked for, from its rows read as columns and those read the careful way
    (``kept``)."""

    def __init__(self, clean: pl.DataFrame, files: list[str], keys: _Keys,
                 factors: list[Fraction], kept: list[DeliveryRow]) -> None:
        self._columns = clean.select("start", "end", "quantity", "factor", "file", "row")
        self._files = files
        # A factor of one is no conversion at all (most rows are in the metric's unit).
        self._factors = [None if factor == 1 else factor for factor in factors]
        self._kept: dict[tuple[str, str], list[DeliveryRow]] = {}
        for row in kept:
            if row.quantity is not None:
                self._kept.setdefault((row.contract, row.metric), []).append(row)
        self._slices: dict[tuple[str, str], tuple[int, int]] = {}
        offset = 0
        for key, length in clean.group_by("key", maintain_order=True).len().iter_rows():
            self._slices[keys.pair[key]] = (offset, length)
            offset += length
        self._made: dict[tuple[str, str], Series] = {}

    def __getitem__(self, key: tuple[str, str]) -> Series:
        made = self._made.get(key)
        if made is None:
            if key not in self._slices and key not in self._kept:
                raise KeyError(key)
            made = self._made[key] = self._series(key)
        return made

    def _series(self, key: tuple[str, str]) -> Series:
        offset, length = self._slices.get(key, (0, 0))
        part = self._columns.slice(offset, length)
        factors, files = self._factors, self._files
        quantities = [
            Decimal(text) if (by := factors[factor]) is None else units.convert(Decimal(text), by)
            for text, factor in zip(part["quantity"].to_list(), part["factor"].to_list(),
                                    strict=True)
        ]
        starts, ends = part["start"].to_list(), part["end"].to_list()
        names = [files[number] for number in part["file"].to_list()]
        rows = part["row"].to_list()
        kept = self._kept.get(key)
        if kept:
            # Rows left after a sweep join the others in date order (they never overlap).
            for row in kept:
                assert row.quantity is not None
                starts.append(row.start.toordinal())
                ends.append(row.end.toordinal())
                quantities.append(row.quantity)
                names.append(row.file)
                rows.append(row.row)
            order = sorted(range(len(starts)), key=starts.__getitem__)
            starts, ends, quantities, names, rows = (
                [column[i] for i in order] for column in (starts, ends, quantities, names, rows))
        return Series.from_columns(starts, ends, quantities, names, rows)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        yield from self._slices.keys() | self._kept.keys()

    def __len__(self) -> int:
        return len(self._slices.keys() | self._kept.keys())
