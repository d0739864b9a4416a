"""``evaluate(charter, data, as_of=...) -> Report``: delivery data judged against a charter.

A pure function: it reads no clock (the as-of date is an argument) and changes nothing. Rows
are validated, indexed by contract and metric once, and each target is then judged window by
window (:mod:`charterdsl.judging`), rated at each review (:mod:`charterdsl.reviews`) and, where
its metric has a proxy, valued in pounds (:mod:`charterdsl.valuation`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from charterdsl import columnar, delivery, units
from charterdsl.catalogues import display_name
from charterdsl.columnar import ColumnarData, ColumnarValidated
from charterdsl.delivery import DeliveryData, Validated
from charterdsl.errors import DeliveryDataError, Diagnostic
from charterdsl.formatter import target_sentence
from charterdsl.judging import DEFAULT_BANDS, Setting, judge
from charterdsl.measure import Series, index_rows
from charterdsl.model import (
    Band,
    ByDate,
    Charter,
    Contract,
    EachPeriod,
    Metric,
    MetricKind,
    OverContract,
    Share,
    Target,
)
from charterdsl.periods import DEFAULT_FINANCIAL_YEAR_START, Span, periods
from charterdsl.report import (
    ContractReport,
    Rejection,
    Report,
    ValueLine,
    Verdict,
)
from charterdsl.reviews import run_reviews
from charterdsl.source import Source
from charterdsl.source import Span as SourceSpan
from charterdsl.valuation import (
    DEFAULT_DISCOUNT_RATE,
    Restatement,
    group_totals,
    totals,
    value_line,
)

DEFAULT_COVERAGE = Decimal(100)
ENGINES = ("auto", "python", "polars")

Progress = Callable[[str], None]


def evaluate(
    charter: Charter,
    data: Any,
    *,
    as_of: dt.date,
    strict: bool = False,
    progress: Progress | None = None,
    engine: str = "auto",
) -> Report:
    """Judge every contract, target, window and review of ``charter`` on ``data`` as of a
    date. ``data`` is :class:`DeliveryData` (or what :func:`load_data` read), a file path, a
    data frame or an iterable of records. With ``strict``, the first rejected row raises
    :class:`DeliveryDataError`. ``engine`` chooses how a CSV path is read: see
    :func:`load_data`."""
    check_engine(engine)
    if isinstance(data, str | Path) and _columnar(Path(data), engine):
        loaded: DeliveryData | ColumnarData = columnar.read_file(data)  # named by file name
    else:
        loaded = data if isinstance(data, ColumnarData) else delivery.load(data)
    validated = validate(charter, loaded, as_of)
    if strict and validated.rejections:
        raise DeliveryDataError([_diagnostic(validated.rejections[0])])
    return _Evaluation(charter, validated, as_of, progress).report()


def validate(charter: Charter, data: DeliveryData | ColumnarData, as_of: dt.date
             ) -> Validated | ColumnarValidated:
    """Every row checked against the charter, on the path it was read by."""
    if isinstance(data, ColumnarData):
        return columnar.validate(charter, data, as_of)
    return delivery.validate(charter, data, as_of)


def _diagnostic(rejection: Rejection) -> Diagnostic:
    return Diagnostic(rejection.code, f"row {rejection.row}: {rejection.reason}",
                      source=Source("", rejection.file))


class _Evaluation:
    def __init__(self, charter: Charter, validated: Validated | ColumnarValidated,
                 as_of: dt.date, progress: Progress | None) -> None:
        self.charter, self.validated, self.as_of = charter, validated, as_of
        self.progress = progress or (lambda message: None)
        conventions = charter.header.conventions
        self.fy_start = conventions.financial_year_start or DEFAULT_FINANCIAL_YEAR_START
        self.week = conventions.working_week_hours or units.DEFAULT_WORKING_WEEK_HOURS
        self.discount = (conventions.discount_rate_percent
                         if conventions.discount_rate_percent is not None
                         else DEFAULT_DISCOUNT_RATE)
        self.series = (validated.series if isinstance(validated, ColumnarValidated)
                       else index_rows(validated.rows))
        self.rejected: dict[tuple[str | None, str | None], list[Rejection]] = {}
        for rejection in validated.rejections:
            self.rejected.setdefault((rejection.contract, rejection.metric), []).append(rejection)
        self.restatement = (
            Restatement(conventions.price_year, charter.price_index)
            if conventions.price_year is not None else None
        )
        self.metrics = charter.metric_index
        self.metric_files = _metric_files(charter)
        self.outcome_of = _outcomes_by_metric(charter)
        self._windows: dict[tuple[str, object], list[tuple[Span, int]]] = {}
        # Each ended window's verdict as of the as-of date, with the rows known then, by
        # contract, target (charter-wide targets serve many contracts) and window.
        self._judged: dict[tuple[str, int, Span], tuple[Verdict, tuple[range, ...]]] = {}
        # Proxies that come from a 'use proxies' table are cited at the table's row.
        self.proxy_files = {id(entry.proxy): table.name for table in charter.proxy_tables
                            for entry in table.entries}

    # ------------------------------------------------------------------ citations

    def cite(self, span: SourceSpan | None, file: str | None = None) -> str:
        name = file or self.charter.source_name or "<charter>"
        return f"{name}:{span.line}" if span is not None else name

    # ------------------------------------------------------------------ the report

    def report(self) -> Report:
        contracts = []
        for number, contract in enumerate(self.charter.contracts, start=1):
            self.progress(f"contract {number} of {len(self.charter.contracts)}: {contract.id}")
            contracts.append(self.contract(contract))
        values = [v for c in contracts for v in c.values]
        outcome_of = self.outcome_of
        rows_used = self.validated.rows_used
        return Report(
            charter=self.charter.title,
            charter_file=self.charter.source_name,
            as_of=self.as_of,
            rows_read=self.validated.rows_read,
            rows_used=rows_used,
            rows_rejected=len(self.validated.rejections),
            contracts=tuple(contracts),
            rejections=self.validated.rejections,
            by_theme=group_totals(values, lambda v: (v.theme,) if v.theme else ()),
            by_outcome=group_totals(values, lambda v: outcome_of.get(v.metric, ())),
            totals=totals(values),
            notes=self.notes(values),
        )

    def notes(self, values: Sequence[ValueLine]) -> tuple[str, ...]:
        conventions = self.charter.header.conventions
        notes = [
            _convention("the financial year starts on", _day_month(self.fy_start),
                        conventions.financial_year_start is None),
            _convention("a working week is", f"{self.week} hours",
                        conventions.working_week_hours is None),
            _convention("the discount rate is", f"{self.discount}% a year",
                        conventions.discount_rate_percent is None),
            "rows for metrics with an eligibility rule (such as 'only people living in' an "
            "area) are taken to count only what is eligible, as suppliers certify",
        ]
        years = sorted({v.price_year for v in values})
        if len(years) > 1:
            notes.append("proxies come in the prices of different years ("
                         + ", ".join(str(y) for y in years)
                         + "): totals are given per price year and never added together")
        return tuple(notes)

    def contract(self, contract: Contract) -> ContractReport:
        verdicts: list[Verdict] = []
        settings = [self.setting(contract, t) for t in self.charter.targets_for(contract)]
        for setting in settings:
            if setting is not None:
                verdicts += self.verdicts(setting)
        live = [s for s in settings if s is not None]
        reviews = []
        for review in self.charter.reviews_for(contract):
            sites = {rule: self.cite(rule.span) for rule in review.rules}
            reviews += run_reviews(review, self.cite(review.span), contract,
                                   lambda date: self.ratings(live, date), self.as_of,
                                   sites)
        reviews.sort(key=lambda r: r.date)
        values = self.values(contract)
        return ContractReport(
            contract.id, contract.title, contract.supplier, contract.value, contract.start,
            contract.end, tuple(verdicts), tuple(reviews), tuple(values),
            totals(values, contract.value),
        )

    # ------------------------------------------------------------------ targets

    def setting(self, contract: Contract, target: Target) -> Setting | None:
        metric = self.metrics.get(target.metric)
        if metric is None or metric.kind is MetricKind.QUALITATIVE or contract.start is None:
            return None
        reviews = self.charter.reviews_for(contract)
        bands: tuple[Band, ...] | None = None
        sites: dict[Band, str] = {}
        if reviews:
            bands = reviews[0].bands or DEFAULT_BANDS
            sites = {band: self.cite(band.span) if band.span else "the default bands"
                     for band in bands}
        measured, other = self._parts(target, metric)
        coverage = next(
            (c for c in (target.data_coverage_percent,
                         self.charter.header.conventions.data_coverage_percent)
             if c is not None),
            DEFAULT_COVERAGE,
        )
        return Setting(
            contract=contract,
            target=target,
            metric=metric,
            sentence=target_sentence(target),
            target_at=self.cite(target.span),
            series=self.series.get((contract.id, measured.id)),
            denominator=self.series.get((contract.id, other.id)) or Series(()) if other
            else None,
            excusals=self.charter.excusals_for(contract) + target.excused,
            bands=bands,
            band_sites=sites,
            coverage_required=coverage,
            working_week=self.week,
            rejected=tuple(self.rejected.get((contract.id, metric.id), ())),
            series_averaged=measured.kind is MetricKind.AVERAGED,
            denominator_averaged=other is not None and other.kind is MetricKind.AVERAGED,
            denominator_factor=self._factor(other, measured),
        )

    def _parts(self, target: Target, metric: Metric) -> tuple[Metric, Metric | None]:
        """The metric whose rows a target sums or averages, and the one a percentage divides
        by: a ratio is never reported itself, so it is its numerator over its denominator."""
        if metric.kind is MetricKind.RATIO and metric.numerator and metric.denominator:
            return (self.metrics.get(metric.numerator) or metric,
                    self.metrics.get(metric.denominator))
        if isinstance(target.amount, Share):
            return metric, self.metrics.get(target.amount.of_metric)
        return metric, None

    def _factor(self, other: Metric | None, measured: Metric) -> Fraction:
        """What brings the second part of a percentage into the first part's unit."""
        if other is None or other.unit is None or measured.unit is None:
            return Fraction(1)
        return units.factor(other.unit, measured.unit, self.week) or Fraction(1)

    def windows(self, setting: Setting) -> list[tuple[Span, int]]:
        """Each window of a target with the length of its whole period (for pro rata). They
        depend only on the contract and the target's scope, and every review asks again, so
        they are worked out once for each."""
        key = (setting.contract.id, setting.target.scope)
        known = self._windows.get(key)
        if known is None:
            known = self._windows[key] = self._make_windows(setting)
        return known

    def _make_windows(self, setting: Setting) -> list[tuple[Span, int]]:
        contract = setting.contract
        assert contract.start is not None
        end = contract.end or self.as_of
        scope = setting.target.scope
        if isinstance(scope, EachPeriod):
            found = []
            for period in periods(scope.period, contract.start, end, self.fy_start):
                clipped = period.clip(contract.start, end)
                if clipped is not None:
                    found.append((clipped, period.days))
            return found
        last = scope.date if isinstance(scope, ByDate) else end
        label = f"to {last}" if isinstance(scope, ByDate) else "over the contract"
        window = Span(contract.start, last, label)
        return [(window, window.days)]

    def verdicts(self, setting: Setting) -> list[Verdict]:
        found = []
        for window, days in self.windows(setting):
            verdict = judge(setting, window, self.as_of, full_days=days)
            if window.end <= self.as_of:
                self._judged[_judged_key(setting, window)] = (
                    verdict, _known(setting, window, self.as_of))
            found.append(verdict)
        start = setting.contract.start
        assert start is not None
        for milestone in setting.target.milestones:
            window = Span(start, milestone.date, f"milestone by {milestone.date}")
            found.append(judge(setting, window, self.as_of, milestone=milestone.quantity))
        return found

    def ratings(self, settings: Iterable[Setting], date: dt.date
                ) -> list[tuple[str, str, Verdict | None]]:
        rated = []
        for setting in settings:
            rated.append((setting.metric.id, setting.target_at, self.rating(setting, date)))
        return rated

    def rating(self, setting: Setting, date: dt.date) -> Verdict | None:
        windows = self.windows(setting)
        if isinstance(setting.target.scope, ByDate | OverContract):
            window, days = windows[0]
            verdict = judge(setting, window, date, full_days=days)
        else:
            ended = [(w, d) for w, d in windows if w.end <= date]
            if not ended:
                return None
            window, days = ended[-1]
            # A window that had ended reads the same at a review as on the as-of date when
            # the same rows were known by then: most returns come in on time.
            judged = self._judged.get(_judged_key(setting, window))
            if judged is not None and judged[1] == _known(setting, window, date):
                return judged[0]
            verdict = judge(setting, window, date, full_days=days)
        return verdict

    # ------------------------------------------------------------------ social value

    @functools.cached_property
    def valued_series(self) -> dict[str, list[tuple[Metric, Series]]]:
        """The series worth valuing (the metric has a proxy), by contract, found in one
        pass over every series."""
        found: dict[str, list[tuple[Metric, Series]]] = {}
        for contract_id, metric_id in sorted(self.series):
            metric = self.metrics.get(metric_id)
            if metric is None or metric.proxy is None or metric.record_only or not metric.unit:
                continue
            found.setdefault(contract_id, []).append((metric, self.series[contract_id,
                                                                          metric_id]))
        return found

    def values(self, contract: Contract) -> list[ValueLine]:
        lines: list[ValueLine] = []
        outcome_of = self.outcome_of
        for metric, series in self.valued_series.get(contract.id, ()):
            assert metric.proxy is not None
            line = value_line(
                contract, metric, series, self.as_of, self.discount,
                self.cite(metric.proxy.span, self.proxy_files.get(id(metric.proxy))
                          or self.metric_files.get(metric.id)),
                (metric.theme,) if metric.theme else (), outcome_of.get(metric.id, ()),
                self.week, self.restatement,
            )
            if isinstance(line, ValueLine):
                lines.append(line)
        return lines


def _judged_key(setting: Setting, window: Span) -> tuple[str, int, Span]:
    # Targets are the charter's own objects, alive for the whole evaluation.
    return setting.contract.id, id(setting.target), window


def _known(setting: Setting, window: Span, date: dt.date) -> tuple[range, ...]:
    """The rows of the window's series known by a date (a return is known once its period
    has ended)."""
    return tuple(series.rows_within(window.start, window.end, date)
                 for series in (setting.series, setting.denominator) if series is not None)


def _metric_files(charter: Charter) -> dict[str, str]:
    files: dict[str, str] = {}
    for catalogue in charter.catalogues:
        for metric in catalogue.metrics:
            files.setdefault(metric.id, catalogue.source_name)
    for metric in charter.metrics:
        files[metric.id] = charter.source_name
    return files


def _outcomes_by_metric(charter: Charter) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for outcome in charter.outcomes:
        for metric in outcome.measured_by:
            found.setdefault(metric, []).append(outcome.id)
    return {metric: tuple(ids) for metric, ids in found.items()}


def _convention(what: str, value: str, defaulted: bool) -> str:
    return f"{what} {value}" + (" (the default: the charter does not say)" if defaulted else "")


def _day_month(start: tuple[int, int]) -> str:
    month, day = start
    return dt.date(2024, month, day).strftime(f"{day} %B")


def load_data(paths: Sequence[str | Path], columns: delivery.Columns, *,
              day_first: bool = False, engine: str = "auto") -> DeliveryData | ColumnarData:
    """Read several delivery files into one set of rows. ``engine`` says how CSV files are
    read: ``"python"`` line by line; ``"polars"`` a column at a time
    (:mod:`charterdsl.columnar`, which needs the ``fast`` extra); ``"auto"`` (the default)
    a column at a time when polars is installed and the file is over
    :data:`~charterdsl.columnar.AUTO_THRESHOLD_BYTES`. Both give the same report."""
    check_engine(engine)
    data: DeliveryData | ColumnarData = delivery.EMPTY
    for path in paths:
        # Named as given, but never by an absolute path of this machine: reports are shared.
        name = display_name(Path(path))
        if _columnar(Path(path), engine):
            data = data + columnar.read_file(path, columns, name=name, day_first=day_first)
        else:
            data = data + delivery.read_file(path, columns, name=name, day_first=day_first)
    return data


def check_engine(engine: str) -> None:
    """Raise ValueError for an engine that is not one of :data:`ENGINES`, or that is not
    installed."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "polars" and not columnar.available():
        raise ValueError("the polars engine needs polars: pip install 'charterdsl[fast]'")


def _columnar(path: Path, engine: str) -> bool:
    if engine == "python" or path.suffix.lower() in (".xlsx", ".json"):
        return False
    if engine == "polars":
        return True
    try:
        large = path.stat().st_size >= columnar.AUTO_THRESHOLD_BYTES
    except OSError:
        return False  # the careful reader says why it cannot be read
    return large and columnar.available()
