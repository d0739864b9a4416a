"""Tenders and offers: checking an offer against its charter, then scoring and ranking offers.

An offer lives in a file of its own (``offer ID "BIDDER" for TENDER``) and is read against the
charter that declares the tender. :func:`check_offer` reports every problem in the offer file;
:func:`score` values each offer and ranks them; :func:`render_ranking` prints the ranking.

What a commitment is worth. With q the committed amount, P the metric's proxy per unit and the
tender's term from its first day to its last::

    each PERIOD     Q = q x the number of periods in the term (part periods pro rata by days)
    over the term   Q = q
    by a date       Q = q
    a level (FTE)   Q = level x the years it is held (the term, or up to the date)

    gross = Q x P
    net   = gross x (1 - deadweight) x (1 - displacement) x (1 - attribution)
    PV    = net spread evenly over the contract years it is delivered in, each year's share
            discounted at the charter's rate (valuation.present_value)

A commitment counts only when it serves what the tender asks for (its metric's theme is one the
tender asks for, it measures one of the outcomes the tender asks for, and any area it names is
one the tender's outcomes target) and when no earlier commitment of the offer on an overlapping
metric already claims the same benefit. Scores then follow the tender's method: in proportion
to the best offer theme by theme, against a target ratio of social value per £ of bid price, or
by the quality bands given to written answers. Every figure carries its derivation in words.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import attrs

from charterdsl import units
from charterdsl.builder import build_offer
from charterdsl.catalogues import display_name, read_source
from charterdsl.checks import pinpoint
from charterdsl.errors import Diagnostic, Severity, cite
from charterdsl.measure import CONTEXT, plain
from charterdsl.model import (
    ByDate,
    Charter,
    Commitment,
    Contract,
    EachPeriod,
    Metric,
    MetricKind,
    Offer,
    OverContract,
    Period,
    Scope,
    ScoringKind,
    Tender,
)
from charterdsl.periods import DEFAULT_FINANCIAL_YEAR_START, add_months, overlap_days, periods
from charterdsl.renderers import (
    _STYLE,
    CSP,
    Block,
    Bullets,
    Cited,
    Heading,
    Line,
    Marked,
    Para,
    Table,
    Tone,
    _html_block,
    _md_block,
    _Paint,
    _text_block,
    esc,
    money,
    number,
    spreadsheet_safe,
)
from charterdsl.serde import make_converter
from charterdsl.source import Source, Span
from charterdsl.valuation import (
    DEFAULT_DISCOUNT_RATE,
    Restatement,
    contract_years,
    net_factor,
    present_value,
)

__all__ = [
    "RANKING_COLUMNS",
    "RANKING_FORMATS",
    "AnswerScore",
    "Asked",
    "CommitmentValue",
    "Finding",
    "LoadedOffer",
    "OfferScore",
    "Ranking",
    "ScoreResult",
    "ThemeScore",
    "check_offer",
    "offer_from_text",
    "outside_priorities",
    "overlapping",
    "ranking_to_dict",
    "ranking_to_json",
    "read_offer",
    "render_ranking",
    "score",
    "score_files",
]

PathLike = str | os.PathLike[str]
HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENT = Decimal("0.01")
_PERIOD_PLURALS = {Period.MONTH: "months", Period.QUARTER: "quarters",
                   Period.FINANCIAL_YEAR: "financial years"}


def round2(value: Decimal) -> Decimal:
    """A score to two decimals, halves rounded up as people round by hand."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _pct(value: Decimal) -> str:
    return f"{number(value)}%"


def _pence(per_pound: Decimal) -> str:
    return f"{number(per_pound * 100)}p"


# ============================================================================ reading offers


@attrs.frozen
class LoadedOffer:
    """An offer file as built, before it is checked against a charter."""

    offer: Offer | None
    source: Source | None
    diagnostics: tuple[Diagnostic, ...] = ()


def offer_from_text(text: str, name: str = "<offer>") -> LoadedOffer:
    source = Source(text, name)
    offer, diagnostics = build_offer(source)
    return LoadedOffer(offer, source, tuple(diagnostics))


def read_offer(path: PathLike) -> LoadedOffer:
    """Read and build one offer file; a file that cannot be read gives a diagnostic."""
    file = Path(path)
    source = read_source(file, display_name(file))
    if isinstance(source, Diagnostic):
        return LoadedOffer(None, None, (source,))
    offer, diagnostics = build_offer(source)
    return LoadedOffer(offer, source, tuple(diagnostics))


# ============================================================================ what a tender asks


@attrs.frozen
class Asked:
    """What a tender asks for, worked out once for the checks and the scoring alike."""

    charter: Charter
    tender: Tender
    themes: tuple[str, ...]  # the themes scored: those asked for, or all the charter's
    outcome_metrics: frozenset[str] | None  # metrics of the outcomes asked for; None: any
    areas: frozenset[str] | None  # areas the asked outcomes target, with what they include

    @classmethod
    def of(cls, charter: Charter, tender: Tender) -> Asked:
        themes = tender.themes or tuple(t.id for t in charter.themes)
        outcomes = [o for o in charter.outcomes if o.id in tender.outcomes]
        if not tender.outcomes:
            # Without named outcomes, the charter's outcomes under the scored themes say
            # where the tender's priorities lie.
            outcomes = [o for o in charter.outcomes if o.theme is None or o.theme in themes]
        metrics = frozenset(m for o in outcomes for m in o.measured_by) if tender.outcomes \
            else None
        targeted = {a for o in outcomes for a in o.targeted_at}
        areas = frozenset(_with_parts(charter, targeted)) if targeted else None
        return cls(charter, tender, themes, metrics, areas)


def _with_parts(charter: Charter, names: Iterable[str]) -> set[str]:
    """Areas and every area they include, however deep: an area includes its parts."""
    includes = {a.id: a.includes for a in charter.areas}
    found: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name not in found:
            found.add(name)
            stack.extend(includes.get(name, ()))
    return found


@attrs.frozen
class Finding:
    """A reason a commitment does not count, for a diagnostic and for the derivation."""

    message: str
    hint: str
    word: str | None = None


def _did_you_mean(name: str, known: Iterable[str], otherwise: str) -> str:
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f"did you mean '{matches[0]}'?" if matches else otherwise


def outside_priorities(asked: Asked, commitment: Commitment, metric: Metric) -> Finding | None:
    """Why a commitment falls outside the charter's places or the tender's priorities, if it
    does; the first reason found, places before themes before outcomes."""
    return _area_finding(asked, commitment, metric) or _theme_finding(asked, metric) or (
        _outcome_finding(asked, metric))


def _area_finding(asked: Asked, commitment: Commitment, metric: Metric) -> Finding | None:
    area = commitment.area
    charter = asked.charter
    if area is None:
        return None
    known = [a.id for a in charter.areas]
    if area not in known:
        return Finding(f"'{area}' is not an area of the charter",
                       _did_you_mean(area, known, "name one of the charter's areas"), area)
    eligible = metric.eligibility
    if eligible is not None and area not in _with_parts(charter, [eligible.area]):
        return Finding(f"'{metric.id}' counts only {eligible.subject} in '{eligible.area}', and "
                       f"'{area}' is not within it", f"commit within '{eligible.area}'", area)
    if asked.areas is not None and area not in asked.areas:
        targeted = ", ".join(sorted(asked.areas))
        return Finding(f"'{area}' is not among the areas the tender's outcomes target "
                       f"({targeted})", "commit within the areas the tender's outcomes target",
                       area)
    return None


def _theme_finding(asked: Asked, metric: Metric) -> Finding | None:
    if not asked.themes:
        return None  # a charter without themes scores all social value as one
    themes = ", ".join(asked.themes)
    if metric.theme is None:
        return Finding(f"metric '{metric.id}' has no theme, and only value under the themes "
                       f"scored ({themes}) counts", "commit to metrics under those themes",
                       metric.id)
    if metric.theme not in asked.themes:
        return Finding(f"metric '{metric.id}' is under theme '{metric.theme}', which the "
                       f"tender does not ask for ({themes})",
                       "commit to metrics under the themes the tender asks for", metric.id)
    return None


def _outcome_finding(asked: Asked, metric: Metric) -> Finding | None:
    if asked.outcome_metrics is None or metric.id in asked.outcome_metrics:
        return None
    outcomes = ", ".join(asked.tender.outcomes)
    return Finding(f"metric '{metric.id}' measures none of the outcomes the tender asks for "
                   f"({outcomes})", "commit to metrics that measure those outcomes", metric.id)


def overlapping(a: Metric, b: Metric) -> bool:
    """Whether two metrics count some of the same benefit: either may declare the overlap."""
    return a.id != b.id and (b.id in a.overlaps or a.id in b.overlaps)


# ============================================================================ checks


class _OfferChecker:
    """Collects the diagnostics of one offer read against its charter."""

    def __init__(self, charter: Charter, offer: Offer, source: Source) -> None:
        self.charter = charter
        self.offer = offer
        self.source = source
        self.metrics = charter.metric_index
        self.week = charter.header.conventions.working_week_hours or (
            units.DEFAULT_WORKING_WEEK_HOURS)
        self.diagnostics: list[Diagnostic] = []

    def report(self, code: str, message: str, span: Span | None, hint: str | None = None, *,
               word: str | None = None, warning: bool = False,
               related: tuple[tuple[str, str], ...] = ()) -> None:
        if word is not None and span is not None:
            span = pinpoint(self.source, span, word)
        severity = Severity.WARNING if warning else Severity.ERROR
        self.diagnostics.append(Diagnostic(code, message, span, hint, severity, self.source,
                                           related))

    def run(self) -> list[Diagnostic]:
        tender = next((t for t in self.charter.tenders if t.id == self.offer.tender), None)
        if tender is None:
            known = [t.id for t in self.charter.tenders]
            self.report("CH201", f"unknown tender '{self.offer.tender}'", self.offer.span,
                        _did_you_mean(self.offer.tender, known, "name a tender the charter "
                                      "declares"), word=self.offer.tender)
        else:
            self.tender_needs(tender)
        if self.offer.bid_price is None:
            self.report("CH205", f"offer '{self.offer.id}' states no bid price", self.offer.span,
                        "add a line like: bid price £7.6m", word=self.offer.id)
        asked = Asked.of(self.charter, tender) if tender is not None else None
        earlier: list[tuple[Commitment, Metric]] = []
        for commitment in self.offer.commitments:
            metric = self.metrics.get(commitment.metric)
            if metric is None:
                self.report("CH201", f"unknown metric '{commitment.metric}'", commitment.span,
                            _did_you_mean(commitment.metric, self.metrics,
                                          "commit to a metric the charter or its catalogues "
                                          "define"), word=commitment.metric)
                continue
            self.unit(commitment, metric)
            if tender is not None and asked is not None:
                self.term(commitment, tender)
                self.priorities(asked, commitment, metric)
            self.double_counting(commitment, metric, earlier)
            earlier.append((commitment, metric))
        return self.diagnostics

    def tender_needs(self, tender: Tender) -> None:
        if tender.start is None or tender.end is None:
            self.report("CH205", f"tender '{tender.id}' states no term, so no commitment can be "
                        "valued over it", self.offer.span,
                        "add a line like 'runs from 2026-04-01 to 2029-03-31' to the tender",
                        word=tender.id, warning=True)
        if tender.scoring.kind is ScoringKind.BANDS and not self.offer.answers:
            self.report("CH205", f"tender '{tender.id}' is scored by quality bands, but this "
                        "offer gives no written answer", self.offer.span,
                        'add a line like: answer "TEXT" scored 70', word=self.offer.id,
                        warning=True)

    def unit(self, commitment: Commitment, metric: Metric) -> None:
        quantity = commitment.quantity
        if metric.kind is MetricKind.QUALITATIVE:
            self.report("CH302", f"metric '{metric.id}' is qualitative, so it has no amount to "
                        "commit", commitment.span, "give qualitative evidence in an answer",
                        word=metric.id)
            return
        if quantity.unit is None or metric.unit is None:
            return
        if quantity.unit == "percent" and not metric.is_ratio:
            self.report("CH304", f"a percentage commitment on '{metric.id}' needs something to "
                        "be a percentage of", commitment.span,
                        f"commit an amount in {units.display(metric.unit)}")
        elif not _convertible(quantity.unit, metric, self.week):
            self.report("CH302", f"{units.display(quantity.unit)} cannot be converted to "
                        f"{units.display(metric.unit)}, the unit of metric '{metric.id}'",
                        commitment.span, f"commit an amount in {units.display(metric.unit)}",
                        word=units.display(quantity.unit, quantity.magnitude))

    def term(self, commitment: Commitment, tender: Tender) -> None:
        scope = commitment.scope
        if not isinstance(scope, ByDate) or tender.start is None or tender.end is None:
            return
        if not tender.start <= scope.date <= tender.end:
            self.report("CH407", f"{scope.date} is outside the term of tender '{tender.id}' "
                        f"({tender.start} to {tender.end})", commitment.span,
                        "move the date inside the term", word=scope.date.isoformat())

    def priorities(self, asked: Asked, commitment: Commitment, metric: Metric) -> None:
        finding = outside_priorities(asked, commitment, metric)
        if finding is not None:
            self.report("CH210", f"{finding.message}; this commitment is not counted",
                        commitment.span, finding.hint,
                        word=finding.word, warning=True)

    def double_counting(self, commitment: Commitment, metric: Metric,
                        earlier: Sequence[tuple[Commitment, Metric]]) -> None:
        for first, other in earlier:
            if overlapping(metric, other):
                self.report(
                    "CH211",
                    f"'{metric.id}' overlaps '{other.id}', committed already: the same benefit "
                    "would be counted twice, so this commitment is not counted",
                    commitment.span,
                    "commit the benefit under one of the two metrics",
                    word=metric.id, warning=True,
                    related=(("overlapping commitment", cite(self.source, first.span)),),
                )
                return


def _convertible(unit: str, metric: Metric, week: Decimal) -> bool:
    """A commitment converts to its metric's unit; a level may also be committed in
    unit-years (FTE-years for an FTE metric)."""
    assert metric.unit is not None
    if units.factor(unit, metric.unit, week) is not None:
        return True
    per_year = f"{metric.unit}_year"
    return metric.kind is MetricKind.AVERAGED and per_year in units.BY_NAME and (
        units.factor(unit, per_year, week) is not None)


def check_offer(charter: Charter, offer: Offer, offer_source: Source) -> list[Diagnostic]:
    """Every problem in an offer read against its charter, positioned in the offer file:
    unknown tender or metric (CH201), no bid price (CH205), units that do not convert (CH302,
    CH304), dates outside the tender's term (CH407), and as warnings commitments outside the
    charter's places or the tender's priorities (CH210) and double counting (CH211)."""
    return _OfferChecker(charter, offer, offer_source).run()


# ============================================================================ the ranking


@attrs.frozen
class CommitmentValue:
    """One commitment valued over the tender's term, with its derivation."""

    metric: str
    committed: str  # as the offer says it: "15 FTE each financial year in local"
    at: str | None  # "local.offer:6"
    theme: str | None
    counted: bool
    quantity: Decimal = ZERO  # over the term, in the proxy's unit
    unit: str = ""  # the proxy's unit, displayed: "FTE-years"
    proxy: Decimal | None = None
    price_year: int | None = None
    proxy_at: str | None = None
    gross: Decimal = ZERO
    net: Decimal = ZERO
    present_value: Decimal = ZERO
    derivation: tuple[str, ...] = ()


@attrs.frozen
class ThemeScore:
    """An offer's value under one theme against the best offer's (proportional scoring)."""

    theme: str
    title: str
    weight_percent: Decimal  # renormalised over the themes scored
    value: Decimal  # the offer's present value under the theme
    best: Decimal
    best_offer: str | None
    score: Decimal
    derivation: str


@attrs.frozen
class AnswerScore:
    text: str
    score: int
    at: str | None = None


@attrs.frozen
class OfferScore:
    offer: str
    bidder: str
    file: str
    rank: int
    bid_price: Decimal | None
    commitments: tuple[CommitmentValue, ...]
    answers: tuple[AnswerScore, ...]
    gross: Decimal
    net: Decimal
    present_value: Decimal
    gross_per_pound: Decimal | None
    net_per_pound: Decimal | None  # present value per £1 of bid price
    score: Decimal  # out of 100, by the tender's method
    weighted_score: Decimal  # the share of the total tender score
    themes: tuple[ThemeScore, ...] = ()
    derivation: tuple[str, ...] = ()


@attrs.frozen
class Ranking:
    charter: str
    charter_file: str
    tender: str
    tender_title: str
    method: ScoringKind
    method_text: str  # the scoring method in words
    weighting_percent: Decimal
    start: dt.date | None
    end: dt.date | None
    discount_rate_percent: Decimal
    offers: tuple[OfferScore, ...]  # best first
    notes: tuple[str, ...] = ()


# ============================================================================ valuing


@attrs.frozen
class _Term:
    """The tender's term and the contract years it falls into (12 months from its start)."""

    start: dt.date
    end: dt.date
    years: tuple[tuple[int, dt.date, dt.date], ...]

    @classmethod
    def of(cls, tender: Tender) -> _Term | None:
        if tender.start is None or tender.end is None or tender.end < tender.start:
            return None
        probe = Contract(tender.id, tender.title, start=tender.start, end=tender.end)
        years = contract_years(probe, tender.end)
        return cls(tender.start, tender.end, tuple(years))

    def shares(self, last: dt.date) -> list[tuple[int, Decimal]]:
        """How much of each contract year lies between the start and ``last``: 1 for a whole
        year, a fraction by days for a part year."""
        found = []
        for year, first, final in self.years:
            inside = overlap_days(first, final, self.start, last)
            if inside:
                # A year cut short by the end of the term is a share of a full year all the same.
                full = (add_months(first, 12) - first).days
                found.append((year, CONTEXT.divide(Decimal(inside), Decimal(full))))
        return found


@attrs.define
class _Valuer:
    """Values commitments in one charter's conventions over one tender's term."""

    charter: Charter
    asked: Asked
    term: _Term | None
    week: Decimal
    fy_start: tuple[int, int]
    rate: Decimal
    restatement: Restatement | None

    @classmethod
    def of(cls, charter: Charter, tender: Tender) -> _Valuer:
        conventions = charter.header.conventions
        rate = conventions.discount_rate_percent
        year = conventions.price_year
        return cls(
            charter, Asked.of(charter, tender), _Term.of(tender),
            conventions.working_week_hours or units.DEFAULT_WORKING_WEEK_HOURS,
            conventions.financial_year_start or DEFAULT_FINANCIAL_YEAR_START,
            DEFAULT_DISCOUNT_RATE if rate is None else rate,
            Restatement(year, charter.price_index) if year is not None else None,
        )

    def offer(self, offer: Offer) -> list[CommitmentValue]:
        values: list[CommitmentValue] = []
        claimed: list[Metric] = []  # metrics of the commitments counted so far
        for commitment in offer.commitments:
            value = self.commitment(offer, commitment, claimed)
            values.append(value)
            metric = self.charter.metric(commitment.metric)
            if value.counted and metric is not None:
                claimed.append(metric)
        return values

    def commitment(self, offer: Offer, commitment: Commitment, claimed: Sequence[Metric]
                   ) -> CommitmentValue:
        base = CommitmentValue(commitment.metric, stated(commitment), _at(offer, commitment.span),
                               None, counted=False)
        metric = self.charter.metric(commitment.metric)
        if metric is None:
            return attrs.evolve(base, derivation=(f"not counted: '{commitment.metric}' is not a "
                                                  "metric of the charter or its catalogues",))
        base = attrs.evolve(base, theme=metric.theme)
        finding = outside_priorities(self.asked, commitment, metric)
        if finding is not None:
            return attrs.evolve(base, derivation=(f"not counted: {finding.message}",))
        overlap = next((m for m in claimed if overlapping(metric, m)), None)
        if overlap is not None:
            why = (f"not counted: '{metric.id}' overlaps '{overlap.id}', already counted in "
                   "this offer; the same benefit is counted once")
            return attrs.evolve(base, derivation=(why, *self.would_be(commitment, metric)))
        return self.value(attrs.evolve(base, counted=True), commitment, metric)

    def would_be(self, commitment: Commitment, metric: Metric) -> tuple[str, ...]:
        """What an excluded claim would have added, so a reader sees what was at stake."""
        valued = self.value(CommitmentValue(metric.id, "", None, None, True), commitment, metric)
        if valued.present_value == 0:
            return ()
        return (f"it would have added {money(valued.gross)} gross, "
                f"{money(valued.present_value)} present value",)

    def value(self, base: CommitmentValue, commitment: Commitment, metric: Metric
              ) -> CommitmentValue:
        proxy = metric.proxy
        reason = self.unvalued(metric)
        if reason is not None or proxy is None:
            return attrs.evolve(base, derivation=(reason or "no proxy",))
        assert self.term is not None
        last = commitment.scope.date if isinstance(commitment.scope, ByDate) else self.term.end
        counted = self.quantity(commitment, metric, proxy.per_unit, last)
        if isinstance(counted, str):
            return attrs.evolve(base, derivation=(f"counted, but not valued: {counted}",))
        quantity, how = counted
        amount, price_year, restated = self.proxy_amount(metric)
        gross = quantity * amount
        factor = net_factor(metric.adjustments)
        net = gross * factor
        shares = self.term.shares(min(last, self.term.end))
        pv, spread = self.discount(net, shares, metric)
        unit = units.display(proxy.per_unit, quantity)
        lines = (
            how,
            *restated,
            f"gross = {_amount(quantity, proxy.per_unit)} x {money(amount)} = {money(gross)} "
            f"({price_year} prices)",
            _net_line(metric, factor, net),
            spread,
        )
        return attrs.evolve(base, quantity=quantity, unit=unit, proxy=amount,
                            price_year=price_year, proxy_at=_proxy_at(self.charter, metric),
                            gross=gross, net=net, present_value=pv, derivation=lines)

    def unvalued(self, metric: Metric) -> str | None:
        if self.term is None:
            return "counted, but not valued: the tender states no term to value it over"
        if metric.kind is MetricKind.QUALITATIVE:
            return "counted, but not valued: a qualitative metric has no money value"
        if metric.record_only:
            return "counted, but not valued: the metric is record only"
        if metric.is_ratio:
            return "counted, but not valued: a ratio has no money value of its own"
        if metric.proxy is None or metric.unit is None:
            return "counted, but not valued: the metric has no proxy value"
        return None

    def quantity(self, commitment: Commitment, metric: Metric, per_unit: str, last: dt.date
                 ) -> tuple[Decimal, str] | str:
        """The amount over the term in the proxy's unit, and how it was reached."""
        assert metric.unit is not None and self.term is not None
        written = commitment.quantity.unit or metric.unit
        level = metric.kind is MetricKind.AVERAGED and units.factor(
            written, metric.unit, self.week) is not None
        if level:
            return self.level(commitment, metric, written, per_unit, last)
        factor = units.factor(written, per_unit, self.week)
        if factor is None:
            return (f"{units.display(written)} cannot be valued per "
                    f"{units.display(per_unit, Decimal(1))}")
        amount = units.convert(commitment.quantity.magnitude, factor)
        shown = _amount(amount, per_unit)
        if isinstance(commitment.scope, EachPeriod):
            period = commitment.scope.period
            count = _count_periods(period, self.term.start, self.term.end, self.fy_start)
            total = amount * count
            return total, (f"{shown} each {period.value} x {number(count)} "
                           f"{_PERIOD_PLURALS[period]} in the term = {_amount(total, per_unit)}")
        when = "by " + commitment.scope.date.isoformat() if isinstance(
            commitment.scope, ByDate) else "over the contract"
        return amount, f"{shown} {when}, counted as committed"

    def level(self, commitment: Commitment, metric: Metric, written: str, per_unit: str,
              last: dt.date) -> tuple[Decimal, str] | str:
        """A level (FTE in post) is worth its unit-years: the level times the years held."""
        assert metric.unit is not None and self.term is not None
        unit_year = f"{metric.unit}_year"
        per = units.factor(unit_year, per_unit, self.week) if unit_year in units.BY_NAME else None
        factor = units.factor(written, metric.unit, self.week)
        if per is None or factor is None:
            return (f"a level in {units.display(metric.unit)} is valued per "
                    f"{units.display(unit_year, Decimal(1))}, not per "
                    f"{units.display(per_unit, Decimal(1))}")
        held = units.convert(commitment.quantity.magnitude, factor)
        years = sum((share for _, share in self.term.shares(min(last, self.term.end))), ZERO)
        total = units.convert(held * years, per)
        return total, (f"a level of {_amount(held, metric.unit)} held for {number(years)} "
                       f"years ({self.term.start} to {min(last, self.term.end)}) = "
                       f"{_amount(total, per_unit)}")

    def proxy_amount(self, metric: Metric) -> tuple[Decimal, int, tuple[str, ...]]:
        proxy = metric.proxy
        assert proxy is not None
        if self.restatement is not None:
            restated = self.restatement.apply(proxy.amount, proxy.price_year)
            if restated is not None:
                return restated[0], self.restatement.year, (restated[1],)
        return proxy.amount, proxy.price_year, ()

    def discount(self, net: Decimal, shares: Sequence[tuple[int, Decimal]], metric: Metric
                 ) -> tuple[Decimal, str]:
        years = sum((share for _, share in shares), ZERO)
        if not years:
            return ZERO, "present value = £0.00: no part of the term to deliver it in"
        by_year = [(year, CONTEXT.divide(net * share, years)) for year, share in shares]
        benefit = metric.benefit_years or 1
        pv = present_value(by_year, metric.adjustments.drop_off, benefit, self.rate)
        first, last = by_year[0][0], by_year[-1][0]
        span = f"year {first}" if first == last else f"years {first} to {last}"
        each = ", ".join(money(amount) for _, amount in by_year)
        lasting = ""
        if benefit > 1:
            drop = metric.adjustments.drop_off or ZERO
            lasting = (f"; each year's benefit lasts {benefit} years, dropping off {_pct(drop)} "
                       "a year")
        return pv, (f"present value: net spread over contract {span} ({each}){lasting}, "
                    f"discounted at {_pct(self.rate)} a year = {money(pv)}")


def _net_line(metric: Metric, factor: Decimal, net: Decimal) -> str:
    adjustments = metric.adjustments
    stated = [(name, value) for name, value in (
        ("deadweight", adjustments.deadweight), ("displacement", adjustments.displacement),
        ("attribution", adjustments.attribution)) if value]
    if not stated:
        return f"net = gross, no deadweight, displacement or attribution = {money(net)}"
    after = ", ".join(f"{name} {_pct(value)}" for name, value in stated)
    return f"net = gross x {plain(factor)} after {after} = {money(net)}"


def _count_periods(period: Period, start: dt.date, end: dt.date, fy_start: tuple[int, int]
                   ) -> Decimal:
    """Periods of a kind in the term: whole ones count 1, part ones by their days inside."""
    total = ZERO
    for span in periods(period, start, end, fy_start):
        clipped = span.clip(start, end)
        if clipped is not None:
            total += CONTEXT.divide(Decimal(clipped.days), Decimal(span.days))
    return total


def _amount(value: Decimal, unit: str) -> str:
    if unit == "GBP":
        return money(value)
    return f"{number(value)} {units.display(unit, value)}"


def stated(commitment: Commitment) -> str:
    """A commitment as an offer says it, without ``commits`` and the metric."""
    quantity = commitment.quantity
    if quantity.unit == "GBP":
        amount = money(quantity.magnitude)
    elif quantity.unit == "percent":
        amount = f"{number(quantity.magnitude)}%"
    else:
        amount = f"{number(quantity.magnitude)} {units.display(quantity.unit, quantity.magnitude)}"
    where = f" in {commitment.area}" if commitment.area else ""
    return f"{amount.rstrip()} {_scope(commitment.scope)}{where}"


def _scope(scope: Scope) -> str:
    if isinstance(scope, EachPeriod):
        return f"each {scope.period.value}"
    if isinstance(scope, ByDate):
        return f"by {scope.date.isoformat()}"
    assert isinstance(scope, OverContract)
    return "over the contract"


def _at(offer: Offer, span: Span | None) -> str | None:
    return f"{offer.source_name}:{span.line}" if span is not None and offer.source_name else None


def _proxy_at(charter: Charter, metric: Metric) -> str | None:
    """Where a metric's proxy is written: the charter, or the catalogue that gives it."""
    proxy = metric.proxy
    if proxy is None or proxy.span is None:
        return None
    own = next((m for m in charter.metrics if m.id == metric.id and m.proxy is not None), None)
    if own is not None:
        return f"{charter.source_name}:{proxy.span.line}"
    for catalogue in charter.catalogues:
        if any(m.id == metric.id and m.proxy == proxy for m in catalogue.metrics):
            return f"{catalogue.source_name}:{proxy.span.line}"
    return None


# ============================================================================ scoring


@attrs.frozen
class _Valued:
    """An offer's commitments valued, before it is scored against the others."""

    offer: Offer
    commitments: tuple[CommitmentValue, ...]

    @property
    def counted(self) -> tuple[CommitmentValue, ...]:
        return tuple(c for c in self.commitments if c.counted)

    def total(self, field: str) -> Decimal:
        return sum((getattr(c, field) for c in self.counted), ZERO)

    def theme_value(self, theme: str | None) -> Decimal:
        return sum((c.present_value for c in self.counted
                    if theme is None or c.theme == theme), ZERO)


def _weights(charter: Charter, themes: Sequence[str]) -> dict[str, Decimal]:
    """The charter's theme weights over the themes scored, renormalised to add up to 100%;
    equal weights when the charter gives none."""
    given = {t.id: t.weight_percent for t in charter.themes}
    raw = [given.get(theme) for theme in themes]
    if not themes:
        return {}
    if any(w is None for w in raw) or not sum((w or ZERO for w in raw), ZERO):
        return {theme: CONTEXT.divide(HUNDRED, Decimal(len(themes))) for theme in themes}
    total = sum((w or ZERO for w in raw), ZERO)
    return {theme: CONTEXT.divide((w or ZERO) * HUNDRED, total) for theme, w in zip(
        themes, raw, strict=True)}


class _Scorer:
    """Scores valued offers by one tender's method."""

    def __init__(self, charter: Charter, tender: Tender, valued: Sequence[_Valued],
                 themes: Sequence[str]) -> None:
        self.charter = charter
        self.tender = tender
        self.valued = valued
        self.themes = themes
        self.weights = _weights(charter, themes)
        self.titles = {t.id: t.title for t in charter.themes}

    def score(self, item: _Valued) -> tuple[Decimal, tuple[ThemeScore, ...], list[str]]:
        """The score out of 100 by the tender's method, theme scores and the derivation."""
        kind = self.tender.scoring.kind
        if kind is ScoringKind.PROPORTIONAL:
            return self.proportional(item)
        if kind is ScoringKind.RATIO:
            result, lines = self.ratio(item)
            return result, (), lines
        return self.bands(item)

    def proportional(self, item: _Valued) -> tuple[Decimal, tuple[ThemeScore, ...], list[str]]:
        if not self.themes:
            theme = self.theme_score(item, None, HUNDRED)
            return theme.score, (theme,), [theme.derivation]
        scores = tuple(self.theme_score(item, t, self.weights[t]) for t in self.themes)
        combined = round2(sum((s.weight_percent * s.score for s in scores), ZERO) / HUNDRED)
        terms = " + ".join(f"{_pct(round2(s.weight_percent))} x {s.score}" for s in scores)
        lines = [s.derivation for s in scores]
        if len(scores) > 1:
            lines.append(f"score = {terms} = {combined} ({self.weights_said()})")
        return combined, scores, lines

    def weights_said(self) -> str:
        given = {t.id: t.weight_percent for t in self.charter.themes}
        if any(given.get(t) is None for t in self.themes):
            return "the charter gives no theme weights, so the themes weigh the same"
        said = ", ".join(f"{t} {_pct(given[t] or ZERO)}" for t in self.themes)
        if len(self.themes) == len(self.charter.themes):
            return f"the charter's theme weights: {said}"
        return (f"the charter's theme weights {said}, renormalised over the themes the tender "
                "asks for")

    def theme_score(self, item: _Valued, theme: str | None, weight: Decimal) -> ThemeScore:
        value = item.theme_value(theme)
        best_item = max(self.valued, key=lambda v: v.theme_value(theme))
        best = best_item.theme_value(theme)
        name = theme or "all"
        title = self.titles.get(theme, "All social value") if theme else "All social value"
        if best <= 0:
            return ThemeScore(name, title, weight, value, best, None, ZERO,
                              f"{name}: no offer commits value here, so every offer scores 0")
        result = round2(CONTEXT.divide(value * HUNDRED, best))
        whose = "this offer's own" if best_item is item else f"{best_item.offer.id}'s"
        why = (f"{name}: {money(value)} / {money(best)} (the best, {whose}) x 100 = {result}")
        return ThemeScore(name, title, weight, value, best, best_item.offer.id, result, why)

    def ratio(self, item: _Valued) -> tuple[Decimal, list[str]]:
        scoring = self.tender.scoring
        assert scoring.value is not None and scoring.per is not None
        target = CONTEXT.divide(scoring.value, scoring.per)
        bid = item.offer.bid_price
        if not bid:
            return ZERO, ["score = 0: the offer states no bid price to measure value against"]
        ratio = CONTEXT.divide(item.total("present_value"), bid)
        raw = CONTEXT.divide(ratio * HUNDRED, target)
        result = round2(min(HUNDRED, raw))
        capped = " (capped at 100)" if raw > HUNDRED else ""
        return result, [
            f"score = ({_pence(ratio)} per £1) / ({_pence(target)} per £1 asked for) x 100 = "
            f"{number(round2(raw))}{capped}: {result}"]

    def bands(self, item: _Valued) -> tuple[Decimal, tuple[ThemeScore, ...], list[str]]:
        answers = item.offer.answers
        if not answers:
            return ZERO, (), ["score = 0: the offer gives no written answer to score"]
        total = sum(a.score for a in answers)
        result = round2(CONTEXT.divide(Decimal(total), Decimal(len(answers))))
        marks = " + ".join(str(a.score) for a in answers)
        if len(answers) == 1:
            return result, (), [f"score = the quality score of the one written answer = {result}"]
        return result, (), [f"score = mean of the written answers' quality scores = ({marks}) / "
                            f"{len(answers)} = {result}"]


def score(charter: Charter, tender: Tender, offers: Sequence[Offer]) -> Ranking:
    """Value, score and rank the offers for a tender. Offers for another tender are left out
    and named in the notes."""
    valuer = _Valuer.of(charter, tender)
    mine = [o for o in offers if o.tender == tender.id]
    valued = [_Valued(o, tuple(valuer.offer(o))) for o in mine]
    scorer = _Scorer(charter, tender, valued, valuer.asked.themes)
    weighting = tender.weighting_percent if tender.weighting_percent is not None else HUNDRED
    scored = [_offer_score(item, scorer, weighting) for item in valued]
    ranked = _rank(scored)
    notes = _notes(charter, tender, valuer, [o for o in offers if o.tender != tender.id],
                   ranked)
    return Ranking(
        charter.title, charter.source_name, tender.id, tender.title, tender.scoring.kind,
        _method_text(tender), weighting, tender.start, tender.end, valuer.rate,
        tuple(ranked), tuple(notes),
    )


def _offer_score(item: _Valued, scorer: _Scorer, weighting: Decimal) -> OfferScore:
    offer = item.offer
    gross, net, pv = (item.total(f) for f in ("gross", "net", "present_value"))
    bid = offer.bid_price or None
    result, themes, lines = scorer.score(item)
    weighted = round2(result * weighting / HUNDRED)
    derivation = [
        *_totals_said(item, gross, net, pv),
        *_per_pound_said(gross, pv, bid),
        *lines,
        f"weighted score = {result} x {_pct(weighting)} social value weighting = {weighted} "
        "of the total tender score",
    ]
    answers = tuple(AnswerScore(a.text, a.score, _at(offer, a.span)) for a in offer.answers)
    return OfferScore(
        offer.id, offer.bidder, offer.source_name, 0, offer.bid_price, item.commitments, answers,
        gross, net, pv,
        CONTEXT.divide(gross, bid) if bid else None, CONTEXT.divide(pv, bid) if bid else None,
        result, weighted, themes, tuple(derivation),
    )


def _totals_said(item: _Valued, gross: Decimal, net: Decimal, pv: Decimal) -> list[str]:
    counted = item.counted
    left_out = len(item.commitments) - len(counted)
    out = f"; {left_out} of {len(item.commitments)} commitments not counted" if left_out else ""
    if not counted:
        return [f"no commitment counted{out}: gross, net and present value £0.00"]
    parts = " + ".join(money(c.present_value) for c in counted)
    return [f"gross {money(gross)}, net {money(net)}, summed over the commitments "
            f"counted{out}",
            f"present value = {parts} = {money(pv)}" if len(counted) > 1
            else f"present value = {money(pv)}"]


def _per_pound_said(gross: Decimal, pv: Decimal, bid: Decimal | None) -> list[str]:
    if bid is None:
        return ["no bid price, so no value per £1"]
    per = CONTEXT.divide(pv, bid)
    per_gross = CONTEXT.divide(gross, bid)
    return [f"per £1 of bid price: {money(pv)} / {money(bid)} = {_pence(per)} present value "
            f"({_pence(per_gross)} gross)"]


def _rank(scored: Sequence[OfferScore]) -> list[OfferScore]:
    """Best weighted score first; ties go to the lower bid price, then the offer id."""
    def key(s: OfferScore) -> tuple[Decimal, bool, Decimal, str]:
        return (-s.weighted_score, s.bid_price is None, s.bid_price or ZERO, s.offer)

    ordered = sorted(scored, key=key)
    ranked = []
    for position, item in enumerate(ordered, start=1):
        tie = [o for o in ordered if o is not item and o.weighted_score == item.weighted_score]
        lines = list(item.derivation)
        if tie:
            lines.append(_tie_said(item, tie, ordered))
        ranked.append(attrs.evolve(item, rank=position, derivation=tuple(lines)))
    return ranked


def _tie_said(item: OfferScore, tie: Sequence[OfferScore], ordered: Sequence[OfferScore]
              ) -> str:
    others = ", ".join(o.offer for o in tie)
    ahead = [o.offer for o in tie if ordered.index(o) > ordered.index(item)]
    why = "the tie goes to the lower bid price, then to the offer id"
    if ahead:
        return f"level with {others} on {item.weighted_score}; ranked ahead of " \
               f"{', '.join(ahead)}: {why}"
    return f"level with {others} on {item.weighted_score}; ranked behind: {why}"


def _method_text(tender: Tender) -> str:
    scoring = tender.scoring
    if scoring.kind is ScoringKind.RATIO and scoring.value is not None and scoring.per:
        return (f"against a target of {money(scoring.value)} of social value per "
                f"{money(scoring.per)} of bid price")
    return scoring.kind.value


def _notes(charter: Charter, tender: Tender, valuer: _Valuer, others: Sequence[Offer],
           ranked: Sequence[OfferScore]) -> list[str]:
    notes = [_method_note(tender.scoring.kind)]
    if tender.weighting_percent is None:
        notes.append("The tender states no social value weighting, so weighted scores are "
                     "out of 100.")
    elif tender.weighting_percent < 10:
        notes.append(f"Social value carries {_pct(tender.weighting_percent)} of the score, "
                     "below the 10% minimum of the government's Social Value Model (CH209).")
    rate = charter.header.conventions.discount_rate_percent
    source = "the charter's" if rate is not None else "the Green Book default; the charter " \
        "states none"
    notes.append(f"Present values are discounted at {_pct(valuer.rate)} a year ({source}).")
    years = sorted({c.price_year for o in ranked for c in o.commitments
                    if c.price_year is not None})
    if len(years) > 1:
        notes.append("Proxies are in the prices of " + ", ".join(map(str, years)) + " and the "
                     "charter restates none, so the totals mix price years.")
    if valuer.term is None:
        notes.append(f"Tender {tender.id} states no term, so no commitment could be valued.")
    notes += [f"Offer {o.id} ({o.source_name or 'no file'}) is for tender {o.tender}, not "
              f"{tender.id}, and is not scored." for o in others]
    return notes


def _method_note(kind: ScoringKind) -> str:
    if kind is ScoringKind.PROPORTIONAL:
        return ("Each theme the tender asks for is scored in proportion to the best offer "
                "(offer value / best value x 100), and theme scores are combined with the "
                "charter's theme weights.")
    if kind is ScoringKind.RATIO:
        return ("The score is the offer's present value per £1 of bid price as a share of the "
                "ratio asked for, capped at 100. Theme weights do not apply: the ratio is "
                "for the whole offer.")
    return ("The score is the mean of the quality scores (0-100) the panel gave the written "
            "answers; the committed value is shown but not scored.")


# ============================================================================ files


@attrs.frozen
class ScoreResult:
    """Scoring files: the ranking (``None`` when errors stop it) and every diagnostic."""

    ranking: Ranking | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.ranking is not None and not any(d.is_error for d in self.diagnostics)


def score_files(charter_path: PathLike, offer_paths: Sequence[PathLike], *,
                tender: str | None = None, search_path: Sequence[PathLike] = ()
                ) -> ScoreResult:
    """Check a charter and its offers and rank the offers. ``tender`` picks the tender when
    the offers name more than one; a :class:`ValueError` says so when it is needed."""
    from charterdsl.loader import check_file

    result = check_file(charter_path, search_path=search_path)
    diagnostics = list(result.diagnostics)
    if not result.ok or result.charter is None:
        return ScoreResult(None, tuple(diagnostics))
    charter = result.charter
    offers: list[Offer] = []
    seen: dict[str, str] = {}  # offer id -> the file that gave it first
    for path in offer_paths:
        loaded = read_offer(path)
        diagnostics += loaded.diagnostics
        if loaded.offer is None or loaded.source is None:
            continue
        offer = loaded.offer
        if offer.id in seen:
            # The same offer twice would be ranked against itself.
            diagnostics.append(Diagnostic(
                "CH202", f"offer '{offer.id}' is given twice", offer.span,
                "give each offer file once; each offer needs its own id",
                source=loaded.source, related=(("first given", seen[offer.id]),)))
            continue
        seen[offer.id] = loaded.source.name
        diagnostics += check_offer(charter, offer, loaded.source)
        offers.append(offer)
    if any(d.is_error for d in diagnostics) or not offers:
        return ScoreResult(None, tuple(diagnostics))
    chosen = _tender_for(charter, offers, tender)
    return ScoreResult(score(charter, chosen, offers), tuple(diagnostics))


def _tender_for(charter: Charter, offers: Sequence[Offer], wanted: str | None) -> Tender:
    named = sorted({o.tender for o in offers})
    if wanted is None and len(named) > 1:
        raise ValueError(f"the offers are for different tenders ({', '.join(named)}); "
                         "say which to score")
    ident = wanted or named[0]
    found = next((t for t in charter.tenders if t.id == ident), None)
    if found is None:
        raise ValueError(f"the charter declares no tender '{ident}'")
    return found


# ============================================================================ rendering


def layout(ranking: Ranking) -> list[Block]:
    """The ranking as format-neutral blocks, in reading order."""
    blocks: list[Block] = [
        Heading(1, f"{ranking.tender}: {ranking.tender_title}"),
        Para(_summary(ranking)),
        Heading(2, "Ranking"),
        _ranking_table(ranking),
    ]
    for offer in ranking.offers:
        blocks.extend(_offer_blocks(ranking, offer))
    if ranking.notes:
        blocks += [Heading(2, "Notes"), Bullets(ranking.notes)]
    return blocks


def _summary(ranking: Ranking) -> str:
    term = (f" over the term {ranking.start.isoformat()} to {ranking.end.isoformat()}"
            if ranking.start and ranking.end else "")
    count = len(ranking.offers)
    return (f"Social value of {count} offer{'s' if count != 1 else ''} under the "
            f"{ranking.charter} ({ranking.charter_file}){term}, scored {ranking.method_text}; "
            f"social value carries {_pct(ranking.weighting_percent)} of the total score.")


def _per_pound(value: Decimal | None) -> str:
    return "-" if value is None else _pence(value)


def _ranking_table(ranking: Ranking) -> Table:
    rows = tuple(
        (str(o.rank), o.offer, o.bidder, money(o.bid_price) if o.bid_price is not None else "-",
         money(o.present_value), _per_pound(o.net_per_pound), str(o.score),
         Marked(str(o.weighted_score), "good" if o.rank == 1 else ""))
        for o in ranking.offers
    )
    headers = ("Rank", "Offer", "Bidder", "Bid price", "Present value", "Per £1", "Score",
               f"Weighted ({_pct(ranking.weighting_percent)})")
    return Table(headers, rows, frozenset({0, 3, 4, 5, 6, 7}))


def _offer_blocks(ranking: Ranking, offer: OfferScore) -> Iterator[Block]:
    yield Heading(2, f"{offer.rank}. {offer.offer}: {offer.bidder}")
    price = money(offer.bid_price) if offer.bid_price is not None else "not stated"
    yield Para(f"Offer file {offer.file or '-'}; bid price {price}; score {offer.score}, "
               f"weighted {offer.weighted_score}.")
    if offer.commitments:
        yield Heading(3, "Commitments")
        yield _commitment_table(offer.commitments)
    if offer.themes and ranking.method is ScoringKind.PROPORTIONAL:
        yield Heading(3, "Theme scores")
        yield _theme_table(offer.themes)
    if offer.answers:
        yield Heading(3, "Written answers")
        yield Table(("Answer", "Score"), tuple((a.text, str(a.score)) for a in offer.answers),
                    frozenset({1}))
    yield Heading(3, "Where each figure comes from")
    yield from (_commitment_cited(offer, c) for c in offer.commitments)
    yield Cited(4, f"{offer.offer}  score  ->  {offer.weighted_score}", "",
                tuple(_lines(offer.derivation, "how")))


def _commitment_table(commitments: Sequence[CommitmentValue]) -> Table:
    rows = tuple(
        (c.metric, c.committed, c.theme or "-",
         _quantity_cell(c),
         money(c.gross), money(c.net), money(c.present_value),
         Marked("yes", "") if c.counted else Marked("no", "warn"))
        for c in commitments
    )
    headers = ("Metric", "Committed", "Theme", "Over the term", "Gross", "Net", "Present value",
               "Counted")
    return Table(headers, rows, frozenset({3, 4, 5, 6}))


def _quantity_cell(value: CommitmentValue) -> str:
    if not value.unit:
        return "-"
    if value.unit == "GBP":
        return money(value.quantity)
    return f"{number(value.quantity)} {value.unit}"


def _theme_table(themes: Sequence[ThemeScore]) -> Table:
    rows = tuple(
        (t.theme, t.title, _pct(round2(t.weight_percent)), money(t.value), money(t.best),
         str(t.score))
        for t in themes
    )
    return Table(("Theme", "Title", "Weight", "This offer", "Best offer", "Score"), rows,
                 frozenset({2, 3, 4, 5}))


def _commitment_cited(offer: OfferScore, value: CommitmentValue) -> Cited:
    lines = [Line("committed", f"{value.metric} {value.committed}", value.at)]
    if value.proxy is not None:
        lines.append(Line("proxy", f"{money(value.proxy)} per "
                          f"{_singular(value.unit)}, {value.price_year} prices", value.proxy_at))
    lines.extend(_lines(value.derivation, "how"))
    outcome = f"{money(value.present_value)} present value" if value.counted else "not counted"
    tone: Tone = "" if value.counted else "warn"
    return Cited(4, f"{offer.offer}  {value.metric}  ->  {outcome}", tone, tuple(lines))


def _singular(unit: str) -> str:
    found = next((u for u in units.UNITS if unit in (u.singular, u.plural)), None)
    return found.singular if found is not None else unit


def _lines(texts: Iterable[str], label: str) -> Iterator[Line]:
    for index, text in enumerate(texts):
        yield Line(label if index == 0 else "", text)


def render_text(ranking: Ranking, *, colour: bool = False, width: int = 100) -> str:
    paint = _Paint(colour)
    chunks = ["\n".join(_text_block(block, width, paint)) for block in layout(ranking)]
    return "\n\n".join(chunk for chunk in chunks if chunk) + "\n"


def render_markdown(ranking: Ranking) -> str:
    chunks = ["\n".join(_md_block(block)) for block in layout(ranking)]
    return "\n\n".join(chunk for chunk in chunks if chunk) + "\n"


def render_html(ranking: Ranking) -> str:
    """One self-contained page like the evaluation report: inline CSS, no scripts."""
    body = "\n".join(_html_block(block, i) for i, block in enumerate(layout(ranking)))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(ranking.tender)}: ranking of offers</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


RANKING_FORMAT = "charterdsl/ranking"
RANKING_FORMAT_VERSION = 1


def ranking_to_dict(ranking: Ranking) -> dict[str, Any]:
    """The ranking as plain JSON data: exact decimals as strings, dates as YYYY-MM-DD."""
    data = make_converter().unstructure(ranking, Ranking)
    return {"format": RANKING_FORMAT, "format_version": RANKING_FORMAT_VERSION, "ranking": data}


def ranking_to_json(ranking: Ranking, *, indent: int | None = 2) -> str:
    return json.dumps(ranking_to_dict(ranking), indent=indent, ensure_ascii=False) + "\n"


RANKING_COLUMNS = (
    "rank", "offer", "bidder", "file", "bid_price", "gross", "net", "present_value",
    "gross_per_pound", "present_value_per_pound", "method", "score", "weighting_percent",
    "weighted_score", "theme_scores", "answer_scores", "commitments_counted",
    "commitments_not_counted", "derivation",
)


def _plain(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def _csv_row(ranking: Ranking, o: OfferScore) -> tuple[str, ...]:
    counted = sum(1 for c in o.commitments if c.counted)
    return (
        str(o.rank), o.offer, o.bidder, o.file, _plain(o.bid_price), _plain(o.gross),
        _plain(o.net), _plain(o.present_value), _plain(o.gross_per_pound),
        _plain(o.net_per_pound), ranking.method.value, _plain(o.score),
        _plain(ranking.weighting_percent), _plain(o.weighted_score),
        "; ".join(f"{t.theme}={t.score}" for t in o.themes),
        "; ".join(str(a.score) for a in o.answers), str(counted),
        str(len(o.commitments) - counted), " | ".join(o.derivation),
    )


def render_csv(ranking: Ranking) -> str:
    """One row per offer, best first, exact figures, every cell safe in a spreadsheet."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(RANKING_COLUMNS)
    writer.writerows([spreadsheet_safe(cell) for cell in _csv_row(ranking, o)]
                     for o in ranking.offers)
    return buffer.getvalue()


RANKING_FORMATS: dict[str, Callable[[Ranking], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": ranking_to_json,
    "csv": render_csv,
}


def render_ranking(ranking: Ranking, fmt: str = "text", *, colour: bool = False) -> str:
    """The ranking as ``text``, ``markdown``, ``html``, ``json`` or ``csv``."""
    if fmt == "text":
        return render_text(ranking, colour=colour)
    try:
        return RANKING_FORMATS[fmt](ranking)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from "
                         f"{', '.join(RANKING_FORMATS)}") from None
