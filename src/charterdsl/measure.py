"""Measuring delivery over a window of days: sums of stocks, time-weighted levels, coverage.

A :class:`Series` holds the accepted rows of one contract and metric, sorted by date and
never overlapping (overlaps are rejected when rows are validated). A row that straddles the
edge of a window counts pro rata by days: a quarterly return of 91 days with 30 days inside a
window brings 30/91 of its quantity. A level (FTE in post) is averaged over the days the rows
cover, each row weighted by its days in the window, never summed.

Sums of whole rows are exact decimals. A pro-rata share or an average divides, and is computed
to :data:`PRECISION` significant digits.
"""

from __future__ import annotations

import bisect
import datetime as dt
import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from charterdsl.delivery import DeliveryRow
from charterdsl.report import RowRef

PRECISION = 40
CONTEXT = decimal.Context(prec=PRECISION, rounding=decimal.ROUND_HALF_EVEN)


@attrs.frozen
class Measured:
    """What the rows say about a window: the value, the days they cover, the rows used and
    the ones that counted only in part, as ``(row, days inside, days of the row)``."""

    value: Decimal | None
    covered_days: int
    rows: tuple[RowRef, ...]
    partial: tuple[tuple[RowRef, int, int], ...] = ()


class Series:
    """The rows of one contract and metric, ready for window queries."""

    def __init__(self, rows: Iterable[DeliveryRow]) -> None:
        ordered = sorted(rows, key=lambda r: r.start)
        self.starts = [r.start.toordinal() for r in ordered]
        self.ends = [r.end.toordinal() for r in ordered]
        self.quantities = [r.quantity if r.quantity is not None else Decimal(0) for r in ordered]
        # Row references are made only for the series a window reads: most series are
        # never read by a target or a proxy.
        self.files = [r.file for r in ordered]
        self.rows = [r.row for r in ordered]
        self._all_refs: tuple[RowRef, ...] | None = None

    @classmethod
    def from_columns(cls, starts: list[int], ends: list[int], quantities: list[Decimal],
                     files: list[str], rows: list[int]) -> Series:
        """A series from columns already sorted by start (dates as ordinals)."""
        series = cls(())
        series.starts, series.ends, series.quantities = starts, ends, quantities
        series.files, series.rows = files, rows
        return series

    def __len__(self) -> int:
        return len(self.starts)

    def _refs(self, window: range) -> tuple[RowRef, ...]:
        """References to the rows of a window. A series that a window reads is usually read
        by many (each month, quarter, year, review), so its references are made once."""
        refs = self._all_refs
        if refs is None:
            refs = self._all_refs = tuple(map(RowRef, self.files, self.rows))
        return refs[window.start:window.stop]

    def _within(self, lo: int, hi: int, known_by: int | None = None) -> range:
        """The rows that overlap ``[lo, hi]``, less those whose period ends after
        ``known_by``: a return for a period still running on a date was not known then."""
        # Rows never overlap, so their ends are sorted like their starts.
        first = bisect.bisect_left(self.ends, lo)
        last = bisect.bisect_right(self.starts, hi)
        if known_by is not None:
            last = min(last, bisect.bisect_right(self.ends, known_by))
        return range(first, max(first, last))

    def rows_within(self, start: dt.date, end: dt.date, known_by: dt.date | None = None
                    ) -> range:
        """The positions of the rows that overlap ``[start, end]`` and were known by
        ``known_by``."""
        return self._within(start.toordinal(), end.toordinal(), _ordinal(known_by))

    def _inside(self, window: range, lo: int, hi: int) -> int:
        """The days of ``[lo, hi]`` that the rows of ``window`` cover. Rows never overlap,
        so only the first and the last can reach past an edge."""
        first, stop = window.start, window.stop
        starts, ends = self.starts, self.ends
        days = sum(ends[first:stop]) - sum(starts[first:stop]) + len(window)
        return days - max(0, lo - starts[first]) - max(0, ends[stop - 1] - hi)

    def total(self, start: dt.date, end: dt.date, known_by: dt.date | None = None) -> Measured:
        """The sum over ``[start, end]`` of a stock, rows straddling an edge pro rata."""
        lo, hi = start.toordinal(), end.toordinal()
        window = self._within(lo, hi, _ordinal(known_by))
        if not window:
            return Measured(None, 0, ())
        refs = self._refs(window)
        amounts = self.quantities[window.start:window.stop]
        partial: list[tuple[RowRef, int, int]] = []
        for i in sorted({window.start, window.stop - 1}):
            inside = min(hi, self.ends[i]) - max(lo, self.starts[i]) + 1
            days = self.ends[i] - self.starts[i] + 1
            if inside != days:
                at = i - window.start
                amounts[at] = CONTEXT.divide(amounts[at] * inside, Decimal(days))
                partial.append((refs[at], inside, days))
        # Added in row order from zero, as a running total would be.
        return Measured(sum(amounts, Decimal(0)), self._inside(window, lo, hi), refs,
                        tuple(partial))

    def level(self, start: dt.date, end: dt.date, known_by: dt.date | None = None) -> Measured:
        """The day-weighted average over ``[start, end]`` of a level, over the days covered."""
        lo, hi = start.toordinal(), end.toordinal()
        weighted, covered = Decimal(0), 0
        window = self._within(lo, hi, _ordinal(known_by))
        for i in window:
            inside = min(hi, self.ends[i]) - max(lo, self.starts[i]) + 1
            weighted += self.quantities[i] * inside
            covered += inside
        if not covered:
            return Measured(None, 0, ())
        return Measured(CONTEXT.divide(weighted, Decimal(covered)), covered,
                        self._refs(window))

    def level_days(self, start: dt.date, end: dt.date) -> tuple[Decimal, tuple[RowRef, ...]]:
        """The sum of level x days over ``[start, end]``: FTE-days, for valuing a level."""
        lo, hi = start.toordinal(), end.toordinal()
        total = Decimal(0)
        window = self._within(lo, hi)
        for i in window:
            inside = min(hi, self.ends[i]) - max(lo, self.starts[i]) + 1
            total += self.quantities[i] * inside
        return total, self._refs(window)

    def covered(self, start: dt.date, end: dt.date, known_by: dt.date | None = None
                ) -> list[tuple[int, int]]:
        """The day ranges (as ordinals) inside ``[start, end]`` that rows cover."""
        lo, hi = start.toordinal(), end.toordinal()
        return [
            (max(lo, self.starts[i]), min(hi, self.ends[i]))
            for i in self._within(lo, hi, _ordinal(known_by))
        ]


def index_rows(rows: Iterable[DeliveryRow]) -> dict[tuple[str, str], Series]:
    """The rows with a quantity as a series for each contract and metric."""
    groups: dict[tuple[str, str], list[DeliveryRow]] = {}
    for row in rows:
        if row.quantity is not None:
            groups.setdefault((row.contract, row.metric), []).append(row)
    return {key: Series(group) for key, group in groups.items()}


def _ordinal(date: dt.date | None) -> int | None:
    return date.toordinal() if date is not None else None


def union_days(ranges: Sequence[tuple[int, int]]) -> int:
    """How many days a set of closed ordinal ranges covers together."""
    total, reach = 0, None
    for lo, hi in sorted(ranges):
        if reach is not None and lo <= reach:
            if hi > reach:
                total += hi - reach
                reach = hi
            continue
        total += hi - lo + 1
        reach = hi
    return total


def intersection(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]
                 ) -> list[tuple[int, int]]:
    """The day ranges that both sets of closed ordinal ranges cover."""
    both = []
    for lo_a, hi_a in a:
        for lo_b, hi_b in b:
            lo, hi = max(lo_a, lo_b), min(hi_a, hi_b)
            if lo <= hi:
                both.append((lo, hi))
    return both


def plain(value: Decimal, places: int | None = None) -> str:
    """A decimal for people: no exponent, trailing zeros dropped, optionally rounded."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_EVEN)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def grouped(value: Decimal, places: int = 2) -> str:
    """:func:`plain` with thousands separated by commas: 1,200,000.5."""
    text = plain(value, places)
    whole, dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return sign + ",".join([digits, *groups]) + dot + fraction


def pounds(value: Decimal) -> str:
    """Money for people: £ and pence, thousands grouped (£2,964.50)."""
    text = grouped(value.quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_EVEN), 2)
    whole, _, pence = text.partition(".")
    return f"£{whole}.{pence.ljust(2, '0')}"
