"""Static checks on a built charter: every problem found in one pass, none raised.

The checks read only the model, so they run the same on a charter parsed from text, loaded
from JSON or built in Python. Where the model came from text, each diagnostic points at the
exact word: a reference is found again inside the span of the clause that holds it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction

import attrs

from charterdsl import units
from charterdsl.errors import Diagnostic, Severity, cite
from charterdsl.model import (
    NARROWABLE,
    Absolute,
    Band,
    Baseline,
    ByDate,
    Catalogue,
    Charter,
    Consultation,
    Contract,
    Every,
    Metric,
    MetricKind,
    OnDates,
    PerValue,
    Quantity,
    Review,
    Share,
    Status,
    StatusClause,
    Target,
)
from charterdsl.source import Source, Span

# PPN 06/20 and its successor ask that social value carry at least 10% of a tender's score.
MINIMUM_SOCIAL_VALUE_WEIGHTING = Decimal(10)

# The builder stands in date.min for a date it has already reported as impossible; comparing
# it again would only repeat that report in other words.
_UNKNOWN = dt.date.min

_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


class Checker:
    """Collects the diagnostics of every check on one charter."""

    def __init__(
        self,
        charter: Charter,
        sources: Mapping[str, Source],
        unparsed_ids: frozenset[str] = frozenset(),
        metrics_incomplete: bool = False,
    ) -> None:
        self.charter = charter
        self.unparsed_ids = unparsed_ids
        self.metrics_incomplete = metrics_incomplete
        self.sources = sources
        self.diagnostics: list[Diagnostic] = []
        self.metrics = charter.metric_index
        self.week = charter.header.conventions.working_week_hours or (
            units.DEFAULT_WORKING_WEEK_HOURS
        )

    # ------------------------------------------------------------------ reporting

    def source(self, name: str | None = None) -> Source | None:
        return self.sources.get(self.charter.source_name if name is None else name)

    def report(
        self,
        code: str,
        message: str,
        span: Span | None,
        hint: str | None = None,
        *,
        word: str | None = None,
        pattern: re.Pattern[str] | None = None,
        file: str | None = None,
        related: tuple[tuple[str, str], ...] = (),
        severity: Severity = Severity.ERROR,
    ) -> None:
        """Record a diagnostic; ``word`` (a whole word) or ``pattern`` (its first group) says
        what to underline inside ``span``."""
        source = self.source(file)
        if span is not None and source is not None:
            if pattern is not None:
                span = pinpoint_pattern(source, span, pattern) or span
            elif word is not None:
                span = pinpoint(source, span, word)
        self.diagnostics.append(
            Diagnostic(code, message, span, hint, severity, source, related)
        )

    def unknown(self, kind: str, name: str, known: Iterable[str], span: Span | None,
                exclude: str | None = None, after: str | None = None) -> None:
        if name in self.unparsed_ids or (kind == "metric" and self.metrics_incomplete):
            return  # declared by a declaration or catalogue that failed, already reported
        candidates = [k for k in known if k != exclude]
        matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
        hint = (f"did you mean '{matches[0]}'?" if matches
                else f"declare it with a '{kind}' line, anywhere in the charter")
        pattern = _after(after, re.escape(name)) if after else None
        self.report("CH201", f"unknown {kind} '{name}'", span, hint, word=name, pattern=pattern)

    def refer(self, kind: str, name: str | None, known: Mapping[str, object] | set[str],
              span: Span | None, after: str | None = None) -> None:
        if name is not None and name not in known:
            self.unknown(kind, name, known, span, after=after)

    # ------------------------------------------------------------------ the checks

    def run(self) -> list[Diagnostic]:
        self.duplicates()
        self.catalogue_clashes()
        self.narrowing()
        self.references()
        self.metric_definitions()
        self.theme_weights()
        self.price_years()
        self.header_dates()
        self.lifecycle()
        self.tenders()
        for contract in self.charter.contracts:
            self.contract(contract)
        for target in self.charter.targets:
            self.target(target, None)
        for review in self.charter.reviews:
            self.review(review, None)
        self.excusals(self.charter.excused)
        return self.diagnostics

    def duplicates(self) -> None:
        c = self.charter
        for kind, items in (
            ("area", c.areas),
            ("strength", c.strengths),
            ("theme", c.themes),
            ("metric", c.metrics),
            ("outcome", c.outcomes),
            ("contract", c.contracts),
        ):
            seen: dict[str, Span | None] = {}
            for item in items:
                ident: str = getattr(item, "id")  # noqa: B009 - every declaration has an id
                span: Span | None = getattr(item, "span")  # noqa: B009
                if ident in seen:
                    self.report(
                        "CH202",
                        f"{kind} '{ident}' is declared twice",
                        span,
                        "give each a different id, or remove one",
                        word=ident,
                        related=(("first declared", cite(self.source(), seen[ident])),),
                    )
                else:
                    seen[ident] = span

    def catalogue_clashes(self) -> None:
        """Two catalogues, or a catalogue and the charter, may not define the same metric id
        for different metrics, nor one code twice."""
        owners: dict[str, tuple[Metric, Catalogue]] = {}
        codes: dict[str, tuple[Metric, Catalogue]] = {}
        for catalogue in self.charter.catalogues:
            for metric in catalogue.metrics:
                for key, table in ((metric.id, owners), (metric.code, codes)):
                    if key is None:
                        continue
                    if key in table and table[key][1] is catalogue:
                        self.report("CH202", f"metric '{key}' is declared twice in the catalogue "
                                    f"'{catalogue.name}'", metric.span,
                                    "give each metric its own id and code", word=key,
                                    file=catalogue.source_name,
                                    related=(("first declared", cite(
                                        self.source(catalogue.source_name),
                                        table[key][0].span)),))
                        continue
                    if key in table and table[key][1] is not catalogue:
                        first, other = table[key]
                        self.report(
                            "CH202",
                            f"metric '{key}' is defined by two catalogues, "
                            f"'{other.name}' and '{catalogue.name}'",
                            metric.span,
                            "use one of the two catalogues, or ask their publishers to agree",
                            word=key,
                            file=catalogue.source_name,
                            related=(("also defined", cite(self.source(other.source_name),
                                                           first.span)),),
                        )
                    table.setdefault(key, (metric, catalogue))
        for metric in self.charter.metrics:
            if metric.id in owners and owners[metric.id][0].code != metric.code:
                base, catalogue = owners[metric.id]
                self.report(
                    "CH202",
                    f"metric '{metric.id}' is also defined by the catalogue '{catalogue.name}'",
                    metric.span,
                    f"name it differently, or write 'code {base.code}' to narrow the "
                    "catalogue's metric" if base.code else "name it differently",
                    word=metric.id,
                    related=(("catalogue metric", cite(self.source(catalogue.source_name),
                                                       base.span)),),
                )

    def narrowing(self) -> None:
        """A charter metric that gives a catalogue code may narrow it (where, for whom, what it
        is worth) but not change how it is counted."""
        for metric in self.charter.metrics:
            base = self.charter.catalogue_codes.get(metric.code or "")
            if base is None:
                continue
            changed = [
                field.name.replace("_", " ")
                for field in attrs.fields(Metric)
                if field.eq and field.name not in NARROWABLE
                and getattr(metric, field.name) not in (field.default, getattr(base, field.name))
            ]
            if not changed:
                continue
            catalogue = self._catalogue_of(base)
            what = " and ".join([", ".join(changed[:-1]), changed[-1]] if len(changed) > 1
                                else changed)
            self.report(
                "CH206",
                f"metric '{metric.id}' narrows catalogue metric {metric.code} but changes its "
                f"{what}",
                metric.span,
                "a charter may narrow a catalogue metric (eligibility, proxy, adjustments, "
                "theme) but not change how it is counted; remove the line, or drop the code",
                word=metric.id,
                related=(("catalogue metric", cite(self.source(catalogue), base.span)),),
            )

    def _catalogue_of(self, metric: Metric) -> str | None:
        for catalogue in self.charter.catalogues:
            if any(m is metric for m in catalogue.metrics):
                return catalogue.source_name
        return None

    def references(self) -> None:
        c = self.charter
        areas = {a.id for a in c.areas}
        themes = {t.id for t in c.themes}
        strengths = {s.id for s in c.strengths}
        for area in c.areas:
            for other in area.includes:
                self.refer("area", other, areas, area.span)
        for metric in c.metrics:
            self.refer("theme", metric.theme, themes, metric.span)
            for other in metric.overlaps:
                self.refer("metric", other, self.metrics, metric.span)
            if metric.eligibility is not None:
                self.refer("area", metric.eligibility.area, areas, metric.eligibility.span,
                           after="in")
        for outcome in c.outcomes:
            self.refer("theme", outcome.theme, themes, outcome.span)
            for name in outcome.builds_on:
                self.refer("strength", name, strengths, outcome.span)
            for name in outcome.targeted_at:
                self.refer("area", name, areas, outcome.span)
            for name in outcome.measured_by:
                self.refer("metric", name, self.metrics, outcome.span)

    def metric_definitions(self) -> None:
        for metric in self.metrics.values():
            file = self._catalogue_of(metric)
            narrows = bool(metric.code) and self.metrics_incomplete
            if metric.kind is None and metric.id not in self.unparsed_ids and not narrows:
                self.report("CH205", f"metric '{metric.id}' does not say what it counts",
                            metric.span, "add a line like: counts FTE, averaged over time",
                            word=metric.id, file=file)
            if metric.is_ratio:
                for part in dict.fromkeys((metric.numerator, metric.denominator)):
                    if part is not None and part not in self.metrics:
                        self.unknown("metric", part, self.metrics, metric.span)
                    elif part == metric.id:
                        self.report("CH201", f"ratio metric '{metric.id}' refers to itself",
                                    metric.span, "a ratio divides one other metric by another",
                                    word="ratio", file=file)
            self.proxy(metric, file)

    def proxy(self, metric: Metric, file: str | None) -> None:
        proxy = metric.proxy
        if proxy is None:
            return
        if metric.kind is MetricKind.QUALITATIVE or metric.record_only:
            what = "qualitative" if metric.kind is MetricKind.QUALITATIVE else "record only"
            self.report("CH302", f"metric '{metric.id}' is {what}, so it cannot have a proxy "
                        "value", proxy.span, "remove the proxy line", file=file)
            return
        if metric.unit is None:
            return
        per = proxy.per_unit
        if per not in units.BY_NAME:
            return  # an unknown unit, reported where it was read
        valued = metric.unit
        if metric.kind is MetricKind.AVERAGED:
            valued = f"{metric.unit}_year"  # a level is valued per unit-year: FTE -> FTE-year
        if valued not in units.BY_NAME or units.factor(per, valued, self.week) is None:
            how = "a level" if metric.kind is MetricKind.AVERAGED else "a stock"
            hint = (f"give the proxy per {units.display(valued, Decimal(1))}"
                    if valued in units.BY_NAME else
                    f"a level in {units.display(metric.unit)} has no unit-year to be valued "
                    "by; count it summed, or remove the proxy")
            self.report(
                "CH302",
                f"a proxy per {units.display(per, Decimal(1))} cannot value metric "
                f"'{metric.id}', {how} in {units.display(metric.unit)}",
                proxy.span,
                hint,
                pattern=_after("per", _spellings(per)),
                file=file,
            )

    def price_years(self) -> None:
        """With ``prices restated to`` a year, every proxy of another year needs the price
        index for both years."""
        year = self.charter.header.conventions.price_year
        if year is None:
            return
        index = self.charter.price_index
        for metric in self.metrics.values():
            proxy = metric.proxy
            if proxy is None or proxy.price_year == year:
                continue
            for needed in (proxy.price_year, year):
                if needed not in index:
                    self.report("CH408", f"there is no price index for {needed}, so the proxy "
                                f"of '{metric.id}' ({proxy.price_year} prices) cannot be "
                                f"restated to {year} prices", proxy.span,
                                f"add {needed} to a 'price index' line of the charter or a "
                                "catalogue", file=self._catalogue_of(metric))
                    break

    def theme_weights(self) -> None:
        themes = self.charter.themes
        weighted = [t for t in themes if t.weight_percent is not None]
        if not weighted:
            return
        for theme in themes:
            if theme.weight_percent is None:
                self.report("CH403", f"theme '{theme.id}' has no weight", theme.span,
                            "when one theme has a weight, every theme needs one",
                            word=theme.id)
        total = sum((t.weight_percent or Decimal(0) for t in themes), Decimal(0))
        if total != 100 and all(t.weight_percent is not None for t in themes):
            self.report(
                "CH403",
                f"theme weights add up to {_plain(total)}%, not 100%",
                weighted[-1].span,
                "adjust the weights so that together they make 100%",
                word="weight",
            )

    def lifecycle(self) -> None:
        """What each status requires: a date for every status but a draft; a consultation
        with an open window and named groups, small firms among them, while consulting; a
        closed consultation once adopted."""
        header = self.charter.header
        status = header.status
        if status is None or status.status is Status.DRAFT:
            return
        name = status.status.value
        if status.on is None:
            self.report("CH208", f"a charter that is {name} needs the date it became so",
                        status.span, f"write it like: status {name} on 2025-03-12")
        consultation = header.consultation
        if status.status is Status.CONSULTATION:
            self._consulting(status, consultation)
        elif status.status is Status.ADOPTED:
            self._adopted(status, consultation)

    def _consulting(self, status: StatusClause, consultation: Consultation | None) -> None:
        if consultation is None:
            self.report("CH208", "a charter out for consultation needs a consultation window",
                        status.span, "add: consultation from 2025-01-06 to 2025-02-28")
            return
        if status.on is not None and _known(status.on) and not (
            consultation.opens <= status.on <= consultation.closes
        ):
            self.report("CH208", f"the consultation is not open on {status.on}",
                        status.span, "the status date falls within the consultation window",
                        word=status.on.isoformat())
        self._groups(consultation)

    def _groups(self, consultation: Consultation) -> None:
        if not consultation.groups:
            self.report("CH208", "the consultation names no stakeholder groups",
                        consultation.span, 'add: with residents, "local SMEs", ...')
        elif not any("sme" in g.casefold() or "small" in g.casefold()
                     for g in consultation.groups):
            self.report("CH208", "the consultation does not name small and medium-sized "
                        "firms among its groups", consultation.span,
                        'charters are consulted on with SMEs as well as large businesses: '
                        'add "local SMEs" to the with line', word="with")

    def _adopted(self, status: StatusClause, consultation: Consultation | None) -> None:
        if consultation is None:
            self.report("CH208", "an adopted charter needs the consultation it was adopted "
                        "after", status.span,
                        "add: consultation from 2025-01-06 to 2025-02-28")
            return
        self._groups(consultation)
        if status.on is not None and _known(status.on, consultation.closes) and (
            status.on < consultation.closes
        ):
            self.report("CH208", f"the charter is adopted on {status.on}, before its "
                        f"consultation closes on {consultation.closes}", status.span,
                        "adopt it once the consultation has closed",
                        word=status.on.isoformat())

    def tenders(self) -> None:
        themes = {t.id for t in self.charter.themes}
        outcomes = {o.id for o in self.charter.outcomes}
        seen: dict[str, Span | None] = {}
        for tender in self.charter.tenders:
            if tender.id in seen:
                self.report("CH202", f"tender '{tender.id}' is declared twice", tender.span,
                            "give each a different id", word=tender.id,
                            related=(("first declared", cite(self.source(), seen[tender.id])),))
            seen.setdefault(tender.id, tender.span)
            for theme in tender.themes:
                self.refer("theme", theme, themes, tender.span)
            for outcome in tender.outcomes:
                self.refer("outcome", outcome, outcomes, tender.span)
            if _known(tender.start, tender.end) and tender.end < tender.start:  # type: ignore[operator]
                self.report("CH402", f"tender '{tender.id}' ends before it starts", tender.span,
                            "the term runs from the start date to the end date",
                            word=tender.end.isoformat())  # type: ignore[union-attr]
            weight = tender.weighting_percent
            if weight is not None and weight < MINIMUM_SOCIAL_VALUE_WEIGHTING:
                self.report("CH209", f"social value carries {_plain(weight)}% of the score, "
                            f"below the {MINIMUM_SOCIAL_VALUE_WEIGHTING}% minimum of the "
                            "government's Social Value Model", tender.span,
                            "give social value at least 10% of the total score",
                            word="weighting", severity=Severity.WARNING)

    def header_dates(self) -> None:
        consultation = self.charter.header.consultation
        if (
            consultation is not None
            and _known(consultation.opens, consultation.closes)
            and consultation.closes < consultation.opens
        ):
            self.report("CH402", "the consultation closes before it opens", consultation.span,
                        "the first date is when it opens, the second when it closes")

    def contract(self, contract: Contract) -> None:
        if _known(contract.start, contract.end) and contract.end < contract.start:  # type: ignore[operator]
            self.report("CH402", f"contract '{contract.id}' ends before it starts",
                        contract.span, "the term runs from the start date to the end date",
                        word=contract.end.isoformat())  # type: ignore[union-attr]
        if contract.start is None and contract.id not in self.unparsed_ids:
            self.report("CH205", f"contract '{contract.id}' has no term",
                        contract.span, "add a line like: runs from 2025-04-01 to 2030-03-31",
                        word=contract.id)
        for target in contract.targets:
            self.target(target, contract)
        for target in self.charter.targets_for(contract):
            if target not in contract.targets:
                self.target_term(target, contract)  # the rest was checked once, charter-wide
        for review in contract.reviews:
            self.review(review, contract)
        if not contract.reviews:
            for review in self.charter.reviews:
                self.review_term(review, contract)
        self.excusals(contract.excused, contract)

    # ------------------------------------------------------------------ targets

    def target(self, target: Target, contract: Contract | None) -> None:
        metric = self.metrics.get(target.metric)
        if metric is None:
            self.unknown("metric", target.metric, self.metrics, target.span)
            if contract is not None:
                self.target_term(target, contract)
            return
        for amount in (target.amount, target.upper):
            if amount is not None:
                self.amount(target, metric, amount)
        for milestone in target.milestones:
            if isinstance(target.amount, Share) or metric.is_ratio:
                if milestone.quantity.unit not in (None, "percent"):
                    self.report("CH302", "a milestone of a percentage target is a percentage",
                                milestone.span, "write it like: milestone 25% by 2026-03-31",
                                pattern=_amount_pattern(milestone.quantity.unit))
            else:
                self.quantity(target, metric, milestone.quantity, milestone.span)
            if (
                isinstance(target.scope, ByDate)
                and _known(milestone.date, target.scope.date)
                and milestone.date > target.scope.date
            ):
                self.report("CH405", f"this milestone ({milestone.date}) comes after the "
                            f"target's date ({target.scope.date})", milestone.span,
                            "a milestone marks progress on the way to the target",
                            word=milestone.date.isoformat())
        if target.upper is not None:
            if type(target.amount) is not type(target.upper):
                self.report("CH302", "the two amounts of 'between' must be of the same kind",
                            target.span, "write both as amounts, both as percentages of the "
                            "same metric, or both per £ of contract value", word="between")
            self.between_order(target)
        self.excusals(target.excused, contract)
        if contract is not None:
            self.target_term(target, contract)

    def amount(self, target: Target, metric: Metric, amount: object) -> None:
        if metric.kind is MetricKind.QUALITATIVE:
            self.report("CH302", f"metric '{metric.id}' is qualitative, so it has no amount to "
                        "target", target.span, "record qualitative evidence without a target",
                        word=metric.id)
        elif isinstance(amount, Share):
            denominator = self.metrics.get(amount.of_metric)
            if denominator is None:
                self.unknown("metric", amount.of_metric, self.metrics, target.span,
                             exclude=metric.id)
            elif metric.unit and denominator.unit and units.factor(
                metric.unit, denominator.unit, self.week
            ) is None:
                self.report("CH302", f"'{metric.id}' counts {units.display(metric.unit)} and "
                            f"'{denominator.id}' counts {units.display(denominator.unit)}, so "
                            "one cannot be a percentage of the other", target.span,
                            word=amount.of_metric)
        elif isinstance(amount, Absolute | PerValue):
            self.quantity(target, metric, amount.quantity, target.span)
        elif isinstance(amount, Baseline):
            self.quantity(target, metric, amount.baseline, target.span)

    def quantity(self, target: Target, metric: Metric, quantity: Quantity,
                 span: Span | None) -> None:
        unit = quantity.unit
        if unit is None or metric.unit is None:
            return
        if unit == "percent" and not metric.is_ratio:
            self.report(
                "CH304",
                f"a percentage target on '{metric.id}' needs something to be a percentage of",
                span,
                f"write it like: at least 30% of another_metric, or make '{metric.id}' a ratio",
            )
        elif units.factor(unit, metric.unit, self.week) is None:
            self.report(
                "CH302",
                f"{units.display(unit)} cannot be converted to "
                f"{units.display(metric.unit)}, the unit of metric '{metric.id}'",
                span,
                f"write the amount in {units.display(metric.unit)}",
                pattern=_amount_pattern(unit),
            )

    def between_order(self, target: Target) -> None:
        low, high = target.amount, target.upper
        if isinstance(low, Absolute) and isinstance(high, Absolute):
            factor = units.factor(high.quantity.unit or "", low.quantity.unit or "", self.week)
            if low.quantity.unit == high.quantity.unit:
                factor = Fraction(1)
            if factor is not None and units.convert(high.quantity.magnitude, factor) < (
                low.quantity.magnitude
            ):
                self.report("CH402", "the lower bound of 'between' is larger than the upper "
                            "bound", target.span, "write the smaller amount first",
                            word="between")

    def target_term(self, target: Target, contract: Contract) -> None:
        start, end = contract.start, contract.end
        if start is None or end is None or not _known(start, end):
            return
        if isinstance(target.amount, PerValue) and contract.value is None:
            self.report("CH205", f"target on '{target.metric}' is per £ of contract value, but "
                        f"contract '{contract.id}' states no value", target.span,
                        "add a line like: value £12m", word=target.metric)
        dates = [m.date for m in target.milestones]
        if isinstance(target.scope, ByDate):
            dates.append(target.scope.date)
        for date in dates:
            if _known(date) and not start <= date <= end:
                self.report("CH407", f"{date} is outside the term of contract '{contract.id}' "
                            f"({start} to {end})", target.span,
                            "move the date inside the contract term", word=date.isoformat())

    # ------------------------------------------------------------------ reviews and excusals

    def review(self, review: Review, contract: Contract | None) -> None:
        schedule = review.schedule
        if (
            isinstance(schedule, Every)
            and _known(schedule.start, schedule.until)
            and schedule.until < schedule.start  # type: ignore[operator]
        ):
            self.report("CH402", "the reviews end before they start", review.span,
                        "the 'until' date must come after the 'from' date", word="until")
        if contract is not None:
            self.review_term(review, contract)
        if isinstance(schedule, OnDates) and list(schedule.dates) != sorted(set(schedule.dates)):
            self.report("CH402", "review dates must be listed in order, each once", review.span)
        self.bands(review.bands)

    def review_term(self, review: Review, contract: Contract) -> None:
        start, end = contract.start, contract.end
        if start is None or end is None or not _known(start, end):
            return
        schedule = review.schedule
        dates = schedule.dates if isinstance(schedule, OnDates) else (schedule.start,)
        for date in dates:
            if _known(date) and not start <= date <= end:
                self.report("CH404", f"the review on {date} is outside the term of contract "
                            f"'{contract.id}' ({start} to {end})", review.span,
                            "review dates fall within the contract term",
                            word=date.isoformat())

    def bands(self, bands: tuple[Band, ...]) -> None:
        seen: dict[object, Band] = {}
        for band in bands:
            if band.rating in seen:
                self.report("CH203", f"the band for '{band.rating.value}' is given twice",
                            band.span, "keep one of the two lines")
            seen[band.rating] = band
        ordered = sorted(bands, key=lambda b: b.rating.severity)
        for better, worse in itertools.pairwise(ordered):
            if worse.percent > better.percent:
                self.report(
                    "CH406",
                    f"the band for '{worse.rating.value}' ({worse.comparison.value} "
                    f"{_plain(worse.percent)}%) reaches above the band for "
                    f"'{better.rating.value}' ({better.comparison.value} "
                    f"{_plain(better.percent)}%)",
                    worse.span,
                    "a worse rating must need a lower share of what is due",
                )

    def excusals(self, excusals: Iterable[object], contract: Contract | None = None) -> None:
        for excusal in excusals:
            start: dt.date = getattr(excusal, "start")  # noqa: B009
            end: dt.date = getattr(excusal, "end")  # noqa: B009
            if _known(start, end) and end < start:
                self.report("CH402", "this excused period ends before it starts",
                            getattr(excusal, "span"),  # noqa: B009
                            "the first date is when it starts, the second when it ends",
                            word=end.isoformat())


def _known(*dates: dt.date | None) -> bool:
    return all(date is not None and date != _UNKNOWN for date in dates)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _spellings(unit: str) -> str:
    """A regular expression matching every accepted spelling of a unit, longest first."""
    known = units.BY_NAME.get(unit)
    spellings = sorted({unit, *(known.aliases if known else ())}, key=len, reverse=True)
    return "|".join(re.escape(s).replace(r"\ ", r"\s+") for s in spellings)


def _amount_pattern(unit: str) -> re.Pattern[str]:
    """The written amount of a quantity in ``unit``: the unit after its number, or a sum of
    money."""
    if unit == "GBP":
        return re.compile(r"(£[0-9][0-9,.]*(?:bn|[kKmM])?)")
    return re.compile(rf"[0-9][0-9,]*(?:\.[0-9]+)?\s*((?:{_spellings(unit)}))(?![\w-])")


def _after(keyword: str, alternatives: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){keyword}\s+((?:{alternatives}))(?![\w-])")


def pinpoint_pattern(source: Source, span: Span, pattern: re.Pattern[str]) -> Span | None:
    """The span of the first group of ``pattern`` inside ``span``, outside quoted text and
    comments, or None when it is not there."""
    text = source.text[span.start : span.end]
    masked = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)
    match = pattern.search(masked)
    if match is None:
        return None
    return source.span(span.start + match.start(1), span.start + match.end(1))


def pinpoint(source: Source, span: Span, word: str) -> Span:
    """The span of ``word`` as a whole word inside ``span``, outside quoted text and comments;
    the first line of the span when it is not there."""
    text = source.text[span.start : span.end]
    masked = _STRING_OR_COMMENT.sub(lambda m: " " * len(m.group()), text)
    pattern = re.compile(rf"(?<![\w-]){re.escape(word)}(?![\w-])")
    match = pattern.search(masked)
    if match is None:
        line_end = text.find("\n")
        end = span.end if line_end == -1 else span.start + line_end
        return source.span(span.start, max(span.start + 1, end))
    return source.span(span.start + match.start(), span.start + match.end())


def check(
    charter: Charter,
    sources: Mapping[str, Source] | None = None,
    unparsed_ids: frozenset[str] = frozenset(),
    metrics_incomplete: bool = False,
) -> list[Diagnostic]:
    """Every static problem in a charter. References to ``unparsed_ids`` are not reported:
    they name declarations that failed to parse and were reported already; nor are unknown
    metrics when ``metrics_incomplete`` says a catalogue could not be loaded."""
    return Checker(charter, sources or {}, unparsed_ids, metrics_incomplete).run()
