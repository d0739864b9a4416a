"""Calendar arithmetic: months, financial quarters and years, review dates, day counts.

Every window is a closed range of dates, both ends included, so a quarter from 1 April to
30 June has 91 days. The financial year starts on the charter's stated day (1 April unless it
says otherwise), and its quarters follow from it: Q1 of a UK council's year is April to June.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator

import attrs

from charterdsl.model import Period

DEFAULT_FINANCIAL_YEAR_START = (4, 1)  # 1 April
_MONTH_ABBREVIATIONS = [""] + [calendar.month_abbr[m] for m in range(1, 13)]


@attrs.frozen
class Span:
    """A closed range of dates with a label for people."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def clip(self, start: dt.date, end: dt.date) -> Span | None:
        """The part of this range inside ``[start, end]``, keeping the label."""
        lo, hi = max(self.start, start), min(self.end, end)
        return Span(lo, hi, self.label) if lo <= hi else None


def add_months(date: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when that day does not exist
    (31 August + 6 months is 28 or 29 February)."""
    index = date.month - 1 + months
    year, month = date.year + index // 12, index % 12 + 1
    day = min(date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def overlap_days(a_start: dt.date, a_end: dt.date, b_start: dt.date, b_end: dt.date) -> int:
    lo, hi = max(a_start, b_start), min(a_end, b_end)
    return (hi - lo).days + 1 if lo <= hi else 0


def financial_year_of(date: dt.date, start: tuple[int, int]) -> int:
    """The calendar year in which the financial year holding ``date`` began."""
    month, day = start
    began_this_year = (date.month, date.day) >= (month, day)
    return date.year if began_this_year else date.year - 1


def _year_start(year: int, start: tuple[int, int]) -> dt.date:
    month, day = start
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def financial_years(first: dt.date, last: dt.date, start: tuple[int, int]) -> Iterator[Span]:
    year = financial_year_of(first, start)
    while True:
        begin = _year_start(year, start)
        if begin > last:
            return
        end = _year_start(year + 1, start) - dt.timedelta(days=1)
        label = f"{year}-{(year + 1) % 100:02d} financial year" if start != (1, 1) else \
            f"{year} financial year"
        yield Span(begin, end, label)
        year += 1


def quarters(first: dt.date, last: dt.date, start: tuple[int, int]) -> Iterator[Span]:
    for year in financial_years(first, last, start):
        for number in range(4):
            begin = add_months(year.start, 3 * number)
            end = add_months(year.start, 3 * (number + 1)) - dt.timedelta(days=1)
            if begin > last or end < first:
                continue
            months = f"{_MONTH_ABBREVIATIONS[begin.month]}-{_MONTH_ABBREVIATIONS[end.month]}"
            label = f"{year.label.split()[0]} Q{number + 1} ({months} {end.year})"
            yield Span(begin, end, label)


def months(first: dt.date, last: dt.date) -> Iterator[Span]:
    current = dt.date(first.year, first.month, 1)
    while current <= last:
        following = add_months(current, 1)
        yield Span(current, following - dt.timedelta(days=1), current.strftime("%B %Y"))
        current = following


def periods(period: Period, first: dt.date, last: dt.date, fy_start: tuple[int, int]
            ) -> Iterator[Span]:
    """Every period of a kind that overlaps ``[first, last]``, whole (not clipped)."""
    if period is Period.MONTH:
        return months(first, last)
    if period is Period.QUARTER:
        return quarters(first, last, fy_start)
    return financial_years(first, last, fy_start)


def every(months_apart: int, start: dt.date, last: dt.date) -> Iterator[dt.date]:
    """``start`` and every date ``months_apart`` months after it, up to ``last``."""
    step = 0
    while (date := add_months(start, months_apart * step)) <= last:
        yield date
        step += 1
