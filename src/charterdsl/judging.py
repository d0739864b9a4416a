"""Judging one target over one window: what was delivered, what was due, and the verdict.

The rules, in the order they apply (docs/evaluation.md explains each with the worked example):

1. A window that has not started by the as-of date is *not yet due*.
2. A window wholly inside an excused period is *excused*. Excused days inside a window are not
   due: a stock's amount due shrinks pro rata, and those days need no data.
3. A window still running on the as-of date is judged *provisionally*, pro rata on the days
   the rows cover so far.
4. Too little data (coverage below what the charter asks, 100% unless it says otherwise) gives
   *insufficient data* rather than a verdict on partial figures.
5. Otherwise delivery is compared with what is due: for "at least", delivered as a share of
   due; for "at most", due as a share of delivered; for "between", against the nearer bound.
   That share picks a rating band of the contract's review clause; with no review clause the
   verdict is simply *met* or *missed*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from charterdsl import units
from charterdsl.measure import (
    CONTEXT,
    Measured,
    Series,
    grouped,
    intersection,
    plain,
    union_days,
)
from charterdsl.model import (
    Absolute,
    Band,
    BandComparison,
    Baseline,
    Change,
    Comparison,
    Contract,
    Excusal,
    Metric,
    MetricKind,
    PerValue,
    Quantity,
    Rating,
    Share,
    Target,
)
from charterdsl.periods import Span
from charterdsl.report import Rejection, RowRef, Verdict, VerdictStatus, Window

HUNDRED = Decimal(100)

DEFAULT_BANDS = (
    Band(Rating.GOOD, BandComparison.AT_LEAST, Decimal(100)),
    Band(Rating.APPROACHING, BandComparison.AT_LEAST, Decimal(90)),
    Band(Rating.REQUIRES_IMPROVEMENT, BandComparison.BELOW, Decimal(90)),
    Band(Rating.INADEQUATE, BandComparison.BELOW, Decimal(60)),
)

_RATING_STATUS = {
    Rating.GOOD: VerdictStatus.MET,
    Rating.APPROACHING: VerdictStatus.APPROACHING,
    Rating.REQUIRES_IMPROVEMENT: VerdictStatus.REQUIRES_IMPROVEMENT,
    Rating.INADEQUATE: VerdictStatus.INADEQUATE,
}


@attrs.frozen
class Setting:
    """Everything about a target that stays the same from window to window."""

    contract: Contract
    target: Target
    metric: Metric
    sentence: str  # the target as written
    target_at: str
    series: Series | None
    denominator: Series | None  # for a percentage of another metric, or a ratio metric
    excusals: tuple[Excusal, ...]
    bands: tuple[Band, ...] | None  # None: no review clause, so met or missed
    band_sites: dict[Band, str]
    coverage_required: Decimal
    working_week: Decimal
    rejected: tuple[Rejection, ...] = ()  # rows of this contract and metric that were refused
    # How the two parts of a percentage are measured: a level is averaged, a stock summed;
    # and the factor that brings the second part into the first part's unit.
    series_averaged: bool = False
    denominator_averaged: bool = False
    denominator_factor: Fraction = Fraction(1)


def rate(share: Decimal, bands: Sequence[Band]) -> Band | None:
    """The band a share of due falls in: the worst "below" band that holds, else the best
    "at least" band that holds."""
    below = [b for b in bands if b.comparison is BandComparison.BELOW and share < b.percent]
    if below:
        return max(below, key=lambda b: b.rating.severity)
    reached = [b for b in bands if b.comparison is BandComparison.AT_LEAST and share >= b.percent]
    if reached:
        return min(reached, key=lambda b: b.rating.severity)
    return None


def judge(setting: Setting, window: Span, as_of: dt.date, *, full_days: int | None = None,
          milestone: Quantity | None = None) -> Verdict:
    """The verdict on one window. ``full_days`` is the length of the whole period when the
    window was clipped by the contract term; ``milestone`` replaces the target's amount."""
    base = _base(setting, window)
    if milestone is not None and window.end > as_of:
        return Verdict(**base, status=VerdictStatus.NOT_YET_DUE,
                       explanation=(f"the milestone falls on {window.end}, after {as_of}",))
    if window.start > as_of:
        return Verdict(**base, status=VerdictStatus.NOT_YET_DUE,
                       explanation=(f"the window starts on {window.start}, after {as_of}",))
    excused = _excused_ranges(setting.excusals, window)
    active_days = window.days - union_days(excused)
    if active_days <= 0:
        reasons = "; ".join(sorted({e.reason for e in setting.excusals
                                    if e.start <= window.end and e.end >= window.start}))
        return Verdict(**base, status=VerdictStatus.EXCUSED,
                       explanation=(f"the whole window is excused ({reasons})",))
    return _measured_verdict(setting, window, as_of, base, excused, active_days,
                             full_days or window.days, milestone)


def _base(setting: Setting, window: Span) -> dict[str, Any]:
    """What every verdict on the window says, whatever its status."""
    excluded = tuple(
        RowRef(r.file, r.row) for r in setting.rejected
        if r.start is not None and r.end is not None
        and r.start <= window.end and r.end >= window.start
    )
    return {
        "contract": setting.contract.id,
        "metric": setting.metric.id,
        "target": setting.sentence,
        "target_at": setting.target_at,
        "window": Window(window.start, window.end, window.label),
        "provisional": False,
        "unit": _unit_label(setting),
        "rows_excluded": excluded,
    }


def _unit_label(setting: Setting) -> str:
    if isinstance(setting.target.amount, Share) or setting.metric.kind is MetricKind.RATIO:
        return "%"
    return units.display(setting.metric.unit)


def _excused_ranges(excusals: Sequence[Excusal], window: Span) -> list[tuple[int, int]]:
    ranges = []
    for excusal in excusals:
        lo, hi = max(excusal.start, window.start), min(excusal.end, window.end)
        if lo <= hi:
            ranges.append((lo.toordinal(), hi.toordinal()))
    return ranges


def _measured_verdict(setting: Setting, window: Span, as_of: dt.date, base: dict[str, Any],
                      excused: list[tuple[int, int]], active_days: int, full_days: int,
                      milestone: Quantity | None) -> Verdict:
    provisional = window.end > as_of
    end = min(window.end, as_of)
    measured, partner = _measure(setting, window.start, end, as_of)
    lines: list[str] = []
    # Excused days still to come are neither covered nor due yet.
    excused_so_far = [(lo, min(hi, end.toordinal())) for lo, hi in excused
                      if lo <= end.toordinal()]
    if excused_so_far or partner is not None:
        covered = union_days(_covered(setting, window.start, end, as_of) + excused_so_far)
    else:
        covered = measured.covered_days  # the rows never overlap: their days add up
    needed_days = (end - window.start).days + 1
    coverage = CONTEXT.divide(Decimal(covered * 100), Decimal(needed_days))
    verdict = {
        **base,
        "provisional": provisional,
        "coverage_percent": coverage,
        "rows_used": measured.rows + (partner.rows if partner else ()),
    }
    insufficient = VerdictStatus.INSUFFICIENT_DATA
    if excused:
        lines.append(f"{union_days(excused)} excused day(s) in this window are not due")
    if measured.value is None or (partner is not None and not partner.value):
        if provisional:
            # A window still running with no return yet is not late: returns come after.
            return Verdict(**verdict, status=VerdictStatus.NOT_YET_DUE, explanation=(
                *lines, f"the window runs to {window.end} and no rows cover it yet"))
        return Verdict(**verdict, status=insufficient,
                       explanation=(*lines, "no delivery rows for this window"))
    if not provisional and coverage < setting.coverage_required:
        lines.append(f"rows cover {plain(coverage, 1)}% of the window's days; the charter "
                     f"asks for {plain(setting.coverage_required, 1)}%")
        return Verdict(**verdict, status=insufficient, explanation=tuple(lines))
    delivered = _delivered(setting, measured, partner)
    judged_days = _judged_days(setting, window, covered, active_days, provisional,
                               excused_so_far)
    if judged_days <= 0:
        return Verdict(**verdict, status=VerdictStatus.NOT_YET_DUE, explanation=(
            *lines, "every day reported so far is excused: there is nothing to judge yet"))
    due, due_upper = _due(setting, full_days, judged_days, milestone)
    share = _share_of_due(setting.target.comparison, delivered, due, due_upper)
    lines += _explain(setting, measured, partner, delivered, due, share, judged_days,
                      full_days, provisional)
    status, band, band_at = _status(setting, share)
    return Verdict(**verdict, status=status, delivered=delivered, due=due,
                   due_upper=due_upper, percent_of_due=share, band=band, band_at=band_at,
                   explanation=tuple(lines))


def _measure(setting: Setting, start: dt.date, end: dt.date, known_by: dt.date
             ) -> tuple[Measured, Measured | None]:
    """What the rows known by ``known_by`` (the as-of or review date) say about
    ``[start, end]``: a return for a period still running then was not known."""
    averaged = setting.series_averaged or setting.metric.kind is MetricKind.AVERAGED
    measured = _measure_one(setting.series, start, end, known_by, averaged)
    if _is_percentage(setting):
        partner = _measure_one(setting.denominator, start, end, known_by,
                               setting.denominator_averaged)
        return measured, partner
    return measured, None


def _measure_one(series: Series | None, start: dt.date, end: dt.date, known_by: dt.date,
                 averaged: bool) -> Measured:
    if series is None:
        return Measured(None, 0, ())
    if averaged:
        return series.level(start, end, known_by)
    return series.total(start, end, known_by)


def _is_percentage(setting: Setting) -> bool:
    return isinstance(setting.target.amount, Share) or setting.metric.kind is MetricKind.RATIO


def _covered(setting: Setting, start: dt.date, end: dt.date, known_by: dt.date
             ) -> list[tuple[int, int]]:
    ranges = setting.series.covered(start, end, known_by) if setting.series else []
    if setting.denominator is not None and _is_percentage(setting):
        # A percentage needs both parts: count only the days both cover.
        return intersection(ranges, setting.denominator.covered(start, end, known_by))
    return ranges


def _delivered(setting: Setting, measured: Measured, partner: Measured | None) -> Decimal:
    assert measured.value is not None
    if partner is None:
        return measured.value
    assert partner.value
    return CONTEXT.divide(measured.value * HUNDRED,
                          units.convert(partner.value, setting.denominator_factor))


def _judged_days(setting: Setting, window: Span, covered: int, active_days: int,
                 provisional: bool, excused: list[tuple[int, int]]) -> int:
    """The days a stock's amount due is counted over: the active (not excused) days of the
    window, or, while it runs, the days reported so far."""
    if provisional:
        return max(0, covered - union_days(excused))
    return active_days


def _due(setting: Setting, full_days: int, judged_days: int, milestone: Quantity | None
         ) -> tuple[Decimal, Decimal | None]:
    target = setting.target
    if milestone is not None:
        return _amount(setting, _Whole(milestone)), None
    due = _amount(setting, target.amount)
    upper = _amount(setting, target.upper) if target.upper is not None else None
    if _pro_rata(setting) and judged_days != full_days:
        scale = CONTEXT.divide(Decimal(judged_days), Decimal(full_days))
        due = due * scale
        upper = upper * scale if upper is not None else None
    return due, upper


def _pro_rata(setting: Setting) -> bool:
    return setting.metric.kind is MetricKind.SUMMED and not _is_percentage(setting)


@attrs.frozen
class _Whole:
    quantity: Quantity


def _amount(setting: Setting, amount: object) -> Decimal:
    """An amount in the metric's unit (or percentage points for a percentage)."""
    if isinstance(amount, Share):
        return amount.percent
    if isinstance(amount, Absolute | _Whole):
        return _in_metric_unit(setting, amount.quantity)
    if isinstance(amount, PerValue):
        value = setting.contract.value or Decimal(0)
        return CONTEXT.divide(_in_metric_unit(setting, amount.quantity) * value, amount.per_money)
    assert isinstance(amount, Baseline)
    sign = -1 if amount.change is Change.REDUCED else 1
    base = _in_metric_unit(setting, amount.baseline)
    return base * (HUNDRED + sign * amount.percent) / HUNDRED


def _in_metric_unit(setting: Setting, quantity: Quantity) -> Decimal:
    metric_unit = setting.metric.unit
    if quantity.unit is None or metric_unit is None or quantity.unit == metric_unit:
        return quantity.magnitude
    if quantity.unit == "percent" and setting.metric.kind is MetricKind.RATIO:
        return quantity.magnitude
    factor = units.factor(quantity.unit, metric_unit, setting.working_week)
    assert factor is not None, "the checks guarantee that target units convert"
    return units.convert(quantity.magnitude, factor)


def _share_of_due(comparison: Comparison, delivered: Decimal, due: Decimal,
                  upper: Decimal | None) -> Decimal:
    """How far delivery goes towards what is due, as a percentage (100 means met)."""
    if comparison is Comparison.AT_MOST:
        return HUNDRED if delivered <= due else CONTEXT.divide(due * HUNDRED, delivered)
    if comparison is Comparison.BETWEEN and upper is not None and delivered > upper:
        return CONTEXT.divide(upper * HUNDRED, delivered)
    if due == 0:
        return HUNDRED
    return CONTEXT.divide(delivered * HUNDRED, due)


def _status(setting: Setting, share: Decimal
            ) -> tuple[VerdictStatus, str | None, str | None]:
    """The status for a share of due, with the band's words and its charter line."""
    if setting.bands is None:
        met = share >= HUNDRED
        return (VerdictStatus.MET if met else VerdictStatus.MISSED), None, None
    band = rate(share, setting.bands)
    if band is None:
        return VerdictStatus.MISSED, None, None
    words = f"{band.comparison.value} {plain(band.percent)}%"
    return _RATING_STATUS[band.rating], words, setting.band_sites.get(band)


def _explain(setting: Setting, measured: Measured, partner: Measured | None, delivered: Decimal,
             due: Decimal, share: Decimal, judged_days: int, full_days: int,
             provisional: bool) -> list[str]:
    unit = _unit_label(setting)
    rows = ", ".join(str(r.row) for r in measured.rows)
    how = "time-averaged" if setting.metric.kind is MetricKind.AVERAGED else "summed"
    lines = [f"delivered {_amount_text(delivered, unit)}, {how} over {len(measured.rows)} "
             f"row(s) ({rows})"]
    if partner is not None and partner.value is not None and measured.value is not None:
        lines[0] = (f"delivered {grouped(measured.value)} of {grouped(partner.value)} "
                    f"= {plain(delivered, 2)}%")
    for ref, inside, days in measured.partial:
        lines.append(f"row {ref.row} counted pro rata: {inside} of its {days} days fall in "
                     "this window")
    if _pro_rata(setting) and judged_days != full_days:
        lines.append(f"due pro rata for {judged_days} of {full_days} days")
    lines.append(f"due {_amount_text(due, unit)}; delivered is {plain(share, 1)}% of due")
    if provisional:
        lines.append("provisional: the window has not ended")
    return lines


def _amount_text(value: Decimal, unit: str) -> str:
    return f"{plain(value, 2)}%" if unit == "%" else f"{grouped(value)} {unit}"
