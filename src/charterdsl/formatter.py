"""Canonical charter text: print a charter so that it parses back to an equal model.

:func:`format_charter` prints a :class:`~charterdsl.model.Charter`, :func:`format_catalogue` a
:class:`~charterdsl.model.Catalogue`, :func:`format_offer` an :class:`~charterdsl.model.Offer`,
and :func:`format_text` parses any of the three files and prints it again.
For every valid charter ``c``, ``build_charter(Source(format_charter(c)))[0] == c`` (catalogues a
charter has loaded are not printed: only its ``use`` lines are), and formatting is idempotent.

Layout
    Two spaces per level of indentation, no trailing spaces, one ``\\n`` at the end of each line.
    Declarations come in a fixed order: the charter header, ``use catalogue`` lines,
    ``use proxies`` lines, areas, strengths, themes, metrics, outcomes, charter-wide targets,
    excusals and reviews, contracts, then tenders; within a kind they keep the order they were
    written in, since that order is the author's. One blank line separates top-level
    declarations, except that consecutive one-line declarations of the same kind (``use``
    lines, themes without a description, excusals...) sit together. A catalogue prints its
    header, its ``use`` lines, then its metrics.

Clause order
    charter: authority, place, version, status, consultation (``with``, then ``responses``),
    financial year, working week, working year, currency, discount rate, prices restated to,
    price index, ``needs data``, description.
    catalogue: publisher, version, licence, price index, description.
    area: postcode districts, wards, places, includes, description.
    metric: code, counts (or qualitative), record only, only, proxy, adjustments (deadweight,
    attribution, displacement, drop-off, on one line), benefits last, overlaps, theme,
    counting rule, description.
    outcome: theme, builds on, targeted at, measured by, description.
    contract: supplier, value, runs from, description; a blank line, its targets then its
    excusals; then each review after a blank line.
    tender: estimated value, runs from, social value weighting, asks for themes, asks for
    outcomes, scoring (left out when it is the default, in proportion to the best offer),
    description.
    offer: bid price, commitments, answers, description.
    target: milestones, excusals, ``needs data``.  review: bands, then rules.
    Bands are printed in their full form: ``good when delivery is at least 100% of what is due``.

Values
    Numbers are exact decimals without an exponent or trailing zeros (``37.5``); an integer
    part of five digits or more is grouped in threes (``14,200``; ``1200`` and years stay as
    they are). Money is ``£12m`` or ``£1.25m`` when it is at least £1m and a whole number of
    ten-thousands, otherwise ``£29,000``, ``£0.25`` or ``£0.50`` (pence always two digits).
    Percentages are ``30%``. A unit is its displayed spelling, singular after exactly 1
    (``1 person-week``, ``25 FTE``, ``5 GBP thousand``), and ``percent`` where ``%`` cannot
    stand (``counts percent, summed``). Texts are double-quoted with ``\\`` and ``"``
    escaped. A version that is a plain number, a code that is a plain word and a consultation
    group that is a plain word are printed bare; anything else is quoted. A review every 12,
    24... months is printed as every 1 year, 2 years...

Comments
    Every comment in ``Charter.comments`` is printed exactly once. A comment on a line of its
    own goes just before the printed line of the element that followed it in the original, at
    that element's indentation; one after the last element goes at the end of the file. A
    comment at the end of a line stays at the end of the printed line of the clause or
    declaration that was on that original line. Clauses with a source span (declarations,
    status, consultation, eligibility, proxy, target, milestone, excusal, review, band, rule,
    commitment, answer) are found by their span's line. Other clauses (``code NT1``) are found
    by their first words among the original lines of the declaration around them, which needs
    the original :class:`~charterdsl.source.Source`. Without it, an end-of-line comment on such
    a clause moves to the nearest line above whose place is known, and a comment on a line of
    its own to the next such line below. A line can hold one end-of-line comment: any other
    that lands on the same line is printed on its own line just before it. A comment on a
    line of its own that a blank line followed keeps one blank line after it, so that headings
    stay apart from what they head.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from charterdsl import units
from charterdsl.builder import MONTHS, build_catalogue, build_charter, build_offer
from charterdsl.errors import Diagnostic
from charterdsl.loader import error_for
from charterdsl.model import (
    Absolute,
    Adjustments,
    Amount,
    Answer,
    AnyAfter,
    Area,
    Band,
    Baseline,
    ByDate,
    Catalogue,
    CatalogueUse,
    Charter,
    Comment,
    Commitment,
    Comparison,
    Condition,
    Consecutive,
    Consequence,
    ConsequenceKind,
    Consultation,
    Contract,
    Conventions,
    EachPeriod,
    Eligibility,
    Every,
    Excusal,
    Header,
    IndexPoint,
    KOfLast,
    Metric,
    MetricKind,
    Milestone,
    Offer,
    OnDates,
    Outcome,
    OverContract,
    PerValue,
    ProxiesUse,
    Proxy,
    Quantity,
    Rating,
    RemedyFailed,
    Review,
    Rule,
    Schedule,
    Scope,
    Scoring,
    ScoringKind,
    Share,
    StatusClause,
    Strength,
    Target,
    Tender,
    Theme,
)
from charterdsl.parser import comments as source_comments
from charterdsl.source import Source, Span

__all__ = [
    "format_catalogue",
    "format_charter",
    "format_offer",
    "format_text",
    "target_sentence",
]

T = TypeVar("T")

# The grammar's NAME and NUMBER terminals: a text matching one can be printed without quotes.
_NAME = re.compile(r"(?:[^\W\d]|_)(?:[^\W\d]|[0-9_])*(?:-(?:[^\W\d]|[0-9_])+)*")
_NUMBER = re.compile(r"[0-9](?:[0-9]|,(?=[0-9]))*(?:\.[0-9]+)?")
_MONTH_NAMES = {number: name.capitalize() for name, number in MONTHS.items()}
_INDENT = "  "


# ---------------------------------------------------------------------------- values


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _word(text: str) -> str:
    """A code or consultation group: bare when the grammar reads it as one name."""
    return text if _NAME.fullmatch(text) else _quote(text)


def _version(text: str) -> str:
    return text if _NUMBER.fullmatch(text) else _quote(text)


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def _texts(texts: Sequence[str]) -> str:
    return ", ".join(_quote(text) for text in texts)


def _date(date: dt.date) -> str:
    return date.isoformat()


def _number(value: Decimal) -> str:
    # format(..., "f") never rounds and never uses an exponent, unlike normalize().
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    whole, dot, fraction = text.partition(".")
    return _group(whole) + dot + fraction


def _group(digits: str) -> str:
    return f"{int(digits):,}" if len(digits) > 4 else digits


def _count(value: int) -> str:
    return _number(Decimal(value))


def _percent(value: Decimal) -> str:
    return _number(value) + "%"


def _money(amount: Decimal) -> str:
    millions = _millions(amount)
    return f"£{millions}m" if millions is not None else f"£{_pounds(amount)}"


def _pounds(amount: Decimal) -> str:
    """Pounds, with pence as two digits when there are any (``£0.50``, not ``£0.5``)."""
    text = _number(amount)
    return text + "0" if text[-2:-1] == "." else text


def _millions(amount: Decimal) -> str | None:
    """``12.5`` for £12,500,000; ``None`` when millions would need more than two decimals."""
    if amount < 1_000_000 or amount != amount.to_integral_value():
        return None
    hundredths, rest = divmod(int(amount), 10_000)
    if rest:
        return None
    whole, cents = divmod(hundredths, 100)
    return f"{_group(str(whole))}.{cents:02d}".rstrip("0").rstrip(".")


def _unit_word(unit: str, magnitude: Decimal = Decimal(2)) -> str:
    """A unit as it is displayed (``1 person-week``, ``5 GBP thousand``), or else the first
    spelling made of words the grammar reads back as the same unit (``%`` is no word)."""
    known = units.BY_NAME.get(unit)
    spellings = (units.display(unit, magnitude), *(known.aliases if known else ()), unit)
    fits = (s for s in spellings if _is_unit_spelling(s) and units.lookup(s) == unit)
    return next(fits, unit)


def _is_unit_spelling(text: str) -> bool:
    words = text.split(" ")
    return all(_NAME.fullmatch(word) for word in words)


def _quantity(quantity: Quantity) -> str:
    value, unit = quantity.magnitude, quantity.unit
    if unit == "percent":
        return _percent(value)
    if unit == "GBP":
        return _money(value)
    if unit is None:
        return _number(value)
    return f"{_number(value)} {_unit_word(unit, value)}"


def _measure(value: Decimal, unit: str) -> str:
    return _quantity(Quantity(value, unit))


# ---------------------------------------------------------------------------- phrases


def _amount(amount: Amount) -> str:
    match amount:
        case Absolute(quantity):
            return _quantity(quantity)
        case Share(percent, of_metric):
            return f"{_percent(percent)} of {of_metric}"
        case PerValue(quantity, per_money):
            return f"{_quantity(quantity)} per {_money(per_money)} of contract value"
        case Baseline(change, percent, baseline, year):
            return f"{change.value} by {_percent(percent)} from {_quantity(baseline)} in {year}"


def _bound(target: Target) -> str:
    # A baseline states its own direction, so it takes no "at least" or "at most".
    if isinstance(target.amount, Baseline):
        return _amount(target.amount)
    if target.comparison is Comparison.BETWEEN and target.upper is not None:
        return f"between {_amount(target.amount)} and {_amount(target.upper)}"
    return f"{target.comparison.value} {_amount(target.amount)}"


def _scope(scope: Scope) -> str:
    match scope:
        case EachPeriod(period):
            return f"each {period.value}"
        case ByDate(date):
            return f"by {_date(date)}"
        case OverContract():
            return "over the contract"


def _counted(count: int, word: str) -> str:
    return f"{_count(count)} {word}" + ("" if count == 1 else "s")


def _years(count: int) -> str:
    return _counted(count, "year")


def _interval(months: int) -> str:
    return _years(months // 12) if months % 12 == 0 else _counted(months, "month")


def _schedule(schedule: Schedule) -> str:
    match schedule:
        case Every(months, start, until):
            last = f" until {_date(until)}" if until is not None else ""
            return f"every {_interval(months)} from {_date(start)}{last}"
        case OnDates(dates):
            return "on " + ", ".join(_date(date) for date in dates)


def _rating(rating: Rating, or_worse: bool) -> str:
    return rating.value + (" or worse" if or_worse else "")


def _condition(condition: Condition) -> str:
    match condition:
        case Consecutive(rating, or_worse, count):
            return f"{_rating(rating, or_worse)} at {_count(count)} consecutive reviews"
        case KOfLast(rating, or_worse, k, n):
            return f"{_rating(rating, or_worse)} at {_count(k)} of the last {_count(n)} reviews"
        case AnyAfter(rating, or_worse, date):
            return f"{_rating(rating, or_worse)} at any review after {_date(date)}"
        case RemedyFailed():
            return "remedy period ends without improvement"


def _consequence(consequence: Consequence) -> str:
    if consequence.kind is ConsequenceKind.REMEDY_PLAN:
        return f"remedy plan within {_count(consequence.days or 0)} days"
    return str(consequence.kind.value)


def _coverage(percent: Decimal | None) -> str | None:
    if percent is None:
        return None
    return f"needs data for at least {_percent(percent)} of each period"


def _clause(keyword: str, value: T | None, show: Callable[[T], str]) -> str | None:
    """``keyword value``, or nothing when the value is absent (``None`` or an empty list)."""
    if value is None or value == ():
        return None
    return f"{keyword} {show(value)}"


# ---------------------------------------------------------------------------- printed lines


@attrs.frozen
class _Line:
    """One printed line. ``span`` is the printed element's own source span; a clause that has
    none carries the span of the element around it (``within``), where it is looked for."""

    depth: int
    text: str
    span: Span | None = None
    within: Span | None = None


_BLANK = _Line(0, "")

# A block's body: a clause's text, lines already laid out one level in, or nothing.
_Part = str | Sequence[_Line] | None


def _block(head: str, span: Span | None, parts: Iterable[_Part]) -> list[_Line]:
    lines = [_Line(0, head, span)]
    for part in parts:
        if isinstance(part, str):
            lines.append(_Line(1, part, within=span))
        elif part:
            lines.extend(attrs.evolve(line, depth=line.depth + 1) for line in part)
    return lines


def _single(text: str, span: Span | None) -> list[_Line]:
    return [_Line(0, text, span)]


def _separated(groups: Iterable[Sequence[_Part]]) -> list[_Part]:
    """The non-empty groups of a block, with a blank line between each two."""
    parts: list[_Part] = []
    for group in groups:
        if any(group):
            parts.extend([[_BLANK], *group] if parts else group)
    return parts


# ---------------------------------------------------------------------------- the header


def _header(header: Header) -> list[_Line]:
    return _block(
        f"charter {_quote(header.title)}",
        header.span,
        [
            _clause("authority", header.authority, _quote),
            _clause("place", header.place, _quote),
            _clause("version", header.version, _version),
            _status(header.status),
            _consultation(header.consultation),
            *_conventions(header.conventions),
            _clause("price index", header.price_index, _price_index),
            _coverage(header.conventions.data_coverage_percent),
            _clause("description", header.description, _quote),
        ],
    )


def _status(status: StatusClause | None) -> list[_Line]:
    if status is None:
        return []
    on = f" on {_date(status.on)}" if status.on is not None else ""
    return _single(f"status {status.status.value}{on}", status.span)


def _consultation(consultation: Consultation | None) -> list[_Line]:
    if consultation is None:
        return []
    head = f"consultation from {_date(consultation.opens)} to {_date(consultation.closes)}"
    return _block(
        head,
        consultation.span,
        [
            _clause("with", consultation.groups, lambda gs: ", ".join(_word(g) for g in gs)),
            _clause("responses", consultation.responses, _count),
        ],
    )


def _conventions(conventions: Conventions) -> list[str | None]:
    return [
        _clause("financial year starts", conventions.financial_year_start, _day_of_year),
        _clause("working week is", conventions.working_week_hours, _hours),
        _clause("working year is", conventions.working_year_weeks, _weeks),
        _clause("currency", conventions.currency, str),
        _clause("discount rate", conventions.discount_rate_percent, _percent),
        _clause("prices restated to", conventions.price_year, str),
    ]


def _day_of_year(month_day: tuple[int, int]) -> str:
    month, day = month_day
    return f"{day} {_MONTH_NAMES[month]}"


def _price_index(points: Sequence[IndexPoint]) -> str:
    return ", ".join(f"{point.year} at {_number(point.value)}" for point in points)


def _hours(value: Decimal) -> str:
    return _measure(value, "hour")


def _weeks(value: Decimal) -> str:
    return _measure(value, "week")


def _catalogue_header(catalogue: Catalogue) -> list[_Line]:
    return _block(
        f"catalogue {_quote(catalogue.name)}",
        catalogue.span,
        [
            _clause("publisher", catalogue.publisher, _quote),
            _clause("version", catalogue.version, _version),
            _clause("licence", catalogue.licence, _quote),
            _clause("price index", catalogue.price_index, _price_index),
            _clause("description", catalogue.description, _quote),
        ],
    )


def _use(use: CatalogueUse) -> list[_Line]:
    version = f" version {_version(use.version)}" if use.version is not None else ""
    return _single(f"use catalogue {_quote(use.path)}{version}", use.span)


def _proxies(use: ProxiesUse) -> list[_Line]:
    return _single(f"use proxies {_quote(use.path)}", use.span)


# ---------------------------------------------------------------------------- places, themes


def _area(area: Area) -> list[_Line]:
    return _block(
        f"area {area.id} {_quote(area.title)}",
        area.span,
        [
            _clause("postcode districts", area.postcode_districts, _names),
            _clause("wards", area.wards, _texts),
            _clause("places", area.places, _texts),
            _clause("includes", area.includes, _names),
            _clause("description", area.description, _quote),
        ],
    )


def _strength(strength: Strength) -> list[_Line]:
    head = f"strength {strength.id} {_quote(strength.title)} is {strength.capital.value} capital"
    return _block(head, strength.span, [_clause("description", strength.description, _quote)])


def _theme(theme: Theme) -> list[_Line]:
    weight = _clause(" weight", theme.weight_percent, _percent) or ""
    head = f"theme {theme.id} {_quote(theme.title)}{weight}"
    return _block(head, theme.span, [_clause("description", theme.description, _quote)])


# ---------------------------------------------------------------------------- metrics, outcomes


def _metric(metric: Metric) -> list[_Line]:
    return _block(
        f"metric {metric.id} {_quote(metric.title)}",
        metric.span,
        [
            _clause("code", metric.code, _word),
            _counts(metric),
            "record only" if metric.record_only else None,
            _eligibility(metric.eligibility),
            _proxy(metric.proxy),
            _adjustments(metric.adjustments),
            _clause("benefits last", metric.benefit_years, _years),
            _clause("overlaps", metric.overlaps, _names),
            _clause("theme", metric.theme, str),
            _clause("counting rule", metric.counting_rule, _quote),
            _clause("description", metric.description, _quote),
        ],
    )


def _counts(metric: Metric) -> str | None:
    unit = _unit_word(metric.unit or "")
    match metric.kind:
        case MetricKind.SUMMED:
            return f"counts {unit}, summed"
        case MetricKind.AVERAGED:
            return f"counts {unit}, averaged over time"
        case MetricKind.RATIO:
            return f"counts ratio of {metric.numerator} to {metric.denominator}"
        case MetricKind.QUALITATIVE:
            return "qualitative"
    return None


def _eligibility(eligibility: Eligibility | None) -> list[_Line]:
    if eligibility is None:
        return []
    return _single(f"only {eligibility.subject} in {eligibility.area}", eligibility.span)


def _proxy(proxy: Proxy | None) -> list[_Line]:
    if proxy is None:
        return []
    per = _unit_word(proxy.per_unit, Decimal(1))
    source = _clause(" source", proxy.source, _quote) or ""
    text = f"proxy {_money(proxy.amount)} per {per} ({proxy.price_year} prices){source}"
    return _single(text, proxy.span)


def _adjustments(adjustments: Adjustments) -> str | None:
    stated = [
        ("deadweight", adjustments.deadweight),
        ("attribution", adjustments.attribution),
        ("displacement", adjustments.displacement),
        ("drop-off", adjustments.drop_off),
    ]
    shown = [f"{name} {_percent(value)}" for name, value in stated if value is not None]
    return ", ".join(shown) or None


def _outcome(outcome: Outcome) -> list[_Line]:
    return _block(
        f"outcome {outcome.id} {_quote(outcome.title)}",
        outcome.span,
        [
            _clause("theme", outcome.theme, str),
            _clause("builds on", outcome.builds_on, _names),
            _clause("targeted at", outcome.targeted_at, _names),
            _clause("measured by", outcome.measured_by, _names),
            _clause("description", outcome.description, _quote),
        ],
    )


# ---------------------------------------------------------------------------- targets, reviews


def _target(target: Target) -> list[_Line]:
    head = f"target {target.metric} {_bound(target)} {_scope(target.scope)}"
    return _block(
        head,
        target.span,
        [
            *(_milestone(milestone) for milestone in target.milestones),
            *(_excusal(excusal) for excusal in target.excused),
            _coverage(target.data_coverage_percent),
        ],
    )


def _milestone(milestone: Milestone) -> list[_Line]:
    text = f"milestone {_quantity(milestone.quantity)} by {_date(milestone.date)}"
    return _single(text, milestone.span)


def _excusal(excusal: Excusal) -> list[_Line]:
    dates = f"from {_date(excusal.start)} to {_date(excusal.end)}"
    return _single(f"excused {dates} because {_quote(excusal.reason)}", excusal.span)


def _review(review: Review) -> list[_Line]:
    return _block(
        f"review {_schedule(review.schedule)}",
        review.span,
        [*(_band(band) for band in review.bands), *(_rule(rule) for rule in review.rules)],
    )


def _band(band: Band) -> list[_Line]:
    level = f"{band.comparison.value} {_percent(band.percent)}"
    return _single(f"{band.rating.value} when delivery is {level} of what is due", band.span)


def _rule(rule: Rule) -> list[_Line]:
    text = f"{_consequence(rule.consequence)} when {_condition(rule.condition)}"
    return _single(text, rule.span)


def _term(start: dt.date | None, end: dt.date | None) -> str | None:
    if start is None or end is None:
        return None
    return f"runs from {_date(start)} to {_date(end)}"


def _contract(contract: Contract) -> list[_Line]:
    clauses: list[_Part] = [
        _clause("supplier", contract.supplier, _quote),
        _clause("value", contract.value, _money),
        _term(contract.start, contract.end),
        _clause("description", contract.description, _quote),
    ]
    duties = [*map(_target, contract.targets), *map(_excusal, contract.excused)]
    reviews = [[_review(review)] for review in contract.reviews]
    head = f"contract {contract.id} {_quote(contract.title)}"
    return _block(head, contract.span, _separated([clauses, duties, *reviews]))


# ---------------------------------------------------------------------------- tenders, offers


def _tender(tender: Tender) -> list[_Line]:
    return _block(
        f"tender {tender.id} {_quote(tender.title)}",
        tender.span,
        [
            _clause("estimated value", tender.estimated_value, _money),
            _term(tender.start, tender.end),
            _clause("social value weighting", tender.weighting_percent, _percent),
            _clause("asks for themes", tender.themes, _names),
            _clause("asks for outcomes", tender.outcomes, _names),
            _scoring(tender.scoring),
            _clause("description", tender.description, _quote),
        ],
    )


def _scoring(scoring: Scoring) -> str | None:
    # Proportional scoring is what a tender that says nothing gets, so it goes unsaid.
    match scoring:
        case Scoring(ScoringKind.RATIO, value, per) if value is not None and per is not None:
            return f"scored against {_money(value)} per {_money(per)}"
        case Scoring(ScoringKind.BANDS):
            return "scored by quality bands"
    return None


def _offer(offer: Offer) -> list[_Line]:
    return _block(
        f"offer {offer.id} {_quote(offer.bidder)} for {offer.tender}",
        offer.span,
        [
            _clause("bid price", offer.bid_price, _money),
            *map(_commitment, offer.commitments),
            *map(_answer, offer.answers),
            _clause("description", offer.description, _quote),
        ],
    )


def _commitment(commitment: Commitment) -> list[_Line]:
    area = f" in {commitment.area}" if commitment.area is not None else ""
    amount = f"{_quantity(commitment.quantity)} {_scope(commitment.scope)}"
    return _single(f"commits {commitment.metric} {amount}{area}", commitment.span)


def _answer(answer: Answer) -> list[_Line]:
    return _single(f"answer {_quote(answer.text)} scored {_count(answer.score)}", answer.span)


# ---------------------------------------------------------------------------- declarations

_PRINTERS: dict[type[Any], Callable[[Any], list[_Line]]] = {
    Header: _header,
    Catalogue: _catalogue_header,
    CatalogueUse: _use,
    ProxiesUse: _proxies,
    Area: _area,
    Strength: _strength,
    Theme: _theme,
    Metric: _metric,
    Outcome: _outcome,
    Target: _target,
    Excusal: _excusal,
    Review: _review,
    Contract: _contract,
    Tender: _tender,
    Offer: _offer,
}


def _declarations(charter: Charter) -> list[object]:
    """Every top-level declaration, in the canonical order of kinds."""
    return [
        charter.header,
        *charter.uses,
        *charter.proxy_uses,
        *charter.areas,
        *charter.strengths,
        *charter.themes,
        *charter.metrics,
        *charter.outcomes,
        *charter.targets,
        *charter.excused,
        *charter.reviews,
        *charter.contracts,
        *charter.tenders,
    ]


# Declarations that count as one kind when deciding whether they sit together.
_SAME_KIND: dict[type[Any], type[Any]] = {ProxiesUse: CatalogueUse}


def _layout(declarations: Iterable[object]) -> list[_Line]:
    lines: list[_Line] = []
    previous: tuple[type[Any], int] | None = None
    for declaration in declarations:
        block = _PRINTERS[type(declaration)](declaration)
        kind = _SAME_KIND.get(type(declaration), type(declaration))
        shape = (kind, len(block))
        # One-line declarations of one kind sit together, like the items of a list.
        if previous is not None and not (shape == previous and len(block) == 1):
            lines.append(_BLANK)
        lines.extend(block)
        previous = shape
    return lines


# ---------------------------------------------------------------------------- comments

# Clauses told apart only by their second or third word: how many words make the key.
_KEY_LENGTH = {"working": 2, "asks": 3}
# Clauses that are one clause to the builder but may start with another word.
_SAME_CLAUSE = {
    "qualitative": "counts",
    "attribution": "deadweight",
    "displacement": "deadweight",
    "drop-off": "deadweight",
}


def _clause_key(text: str) -> str | None:
    """What a clause line is, from its first word (``working week``, ``asks for themes``: a
    few more); within one declaration no two clauses without a span share a key."""
    # The key words come before any quoted text, so a "#" inside one cannot cut them short.
    words = text.split("#", 1)[0].split()
    if not words:
        return None
    first = _SAME_CLAUSE.get(words[0], words[0])
    return " ".join([first, *words[1 : _KEY_LENGTH.get(first, 1)]])


class _Origins:
    """What the original text says about the printed lines: where each came from, and where
    a blank line followed a comment."""

    def __init__(self, source: Source | None) -> None:
        self._source = source
        self._lines = source.text.split("\n") if source is not None else []
        self._keys = [_clause_key(line) for line in self._lines]

    def blank_after(self, note: Comment) -> bool:
        # A blank line after a comment of its own sets it apart as a heading; keep one.
        following = self._lines[note.line : note.line + 1]
        return note.own_line and bool(following) and not following[0].strip()

    def of(self, line: _Line) -> tuple[int, ...]:
        if line.span is not None:
            return (line.span.line,)
        if line.within is None or self._source is None:
            return ()
        key = _clause_key(line.text)
        last = min(self._source.position(line.within.end)[0], len(self._keys))
        block = range(line.within.line + 1, last + 1)
        return tuple(number for number in block if self._keys[number - 1] == key)


class _Anchors:
    """Printed lines by the original lines they came from, for finding a comment's place."""

    def __init__(self, origins: Sequence[tuple[int, ...]]) -> None:
        pairs = sorted((line, index) for index, lines in enumerate(origins) for line in lines)
        self._lines = [line for line, _ in pairs]
        self._indices = [index for _, index in pairs]

    def at(self, line: int) -> int | None:
        k = bisect.bisect_left(self._lines, line)
        return self._indices[k] if k < len(self._lines) and self._lines[k] == line else None

    def before(self, line: int) -> int | None:
        k = bisect.bisect_right(self._lines, line) - 1
        return self._indices[k] if k >= 0 else None

    def after(self, line: int) -> int | None:
        k = bisect.bisect_right(self._lines, line)
        return self._indices[k] if k < len(self._lines) else None


@attrs.define
class _Placement:
    leading: defaultdict[int, list[Comment]] = attrs.field(factory=lambda: defaultdict(list))
    trailing: dict[int, Comment] = attrs.field(factory=dict)
    tail: list[Comment] = attrs.field(factory=list)


def _place(notes: Iterable[Comment], anchors: _Anchors) -> _Placement:
    placement = _Placement()
    for note in sorted(notes, key=lambda comment: comment.line):
        index = None if note.own_line else _end_of_line(note.line, anchors)
        if index is not None and index not in placement.trailing:
            placement.trailing[index] = note
            continue
        index = anchors.after(note.line) if index is None else index
        if index is None:
            placement.tail.append(note)
        else:
            placement.leading[index].append(note)
    return placement


def _end_of_line(line: int, anchors: _Anchors) -> int | None:
    exact = anchors.at(line)
    return exact if exact is not None else anchors.before(line)


def _comment_text(note: Comment) -> str:
    return note.text if note.text.startswith("#") else "# " + note.text


def _render(lines: Sequence[_Line], notes: Iterable[Comment], source: Source | None) -> str:
    origins = _Origins(source)
    placement = _place(notes, _Anchors([origins.of(line) for line in lines]))
    out: list[str] = []
    for index, line in enumerate(lines):
        indent = _INDENT * line.depth
        out += _comment_lines(placement.leading.get(index, []), indent, origins)
        text = indent + line.text if line.text else ""
        trailing = placement.trailing.get(index)
        out.append(f"{text}  {_comment_text(trailing)}" if trailing is not None else text)
    if placement.tail:
        out += ["", *_comment_lines(placement.tail, "", origins)]
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _comment_lines(notes: Iterable[Comment], indent: str, origins: _Origins) -> list[str]:
    out: list[str] = []
    for note in notes:
        out.append(indent + _comment_text(note))
        out += [""] if origins.blank_after(note) else []
    return out


# ---------------------------------------------------------------------------- public API


def format_charter(charter: Charter, source: Source | None = None) -> str:
    """The canonical text of a charter, with its comments.

    Pass the ``source`` the charter was built from to keep each comment beside the very clause
    it was written beside; without it, comments on clauses that carry no span (``code``,
    ``counts``...) move to the nearest line above them that does."""
    return _render(_layout(_declarations(charter)), charter.comments, source)


def format_catalogue(catalogue: Catalogue, source: Source | None = None) -> str:
    """The canonical text of a catalogue file; its comments come from ``source`` when given."""
    notes = source_comments(source) if source is not None else ()
    return _render(_layout([catalogue, *catalogue.uses, *catalogue.metrics]), notes, source)


def target_sentence(target: Target) -> str:
    """A target as the charter says it, without the metric: ``at least 25 FTE each quarter``."""
    return f"{_bound(target)} {_scope(target.scope)}"


def format_offer(offer: Offer, source: Source | None = None) -> str:
    """The canonical text of an offer file; its comments come from ``source`` when given."""
    notes = source_comments(source) if source is not None else ()
    return _render(_layout([offer]), notes, source)


def format_text(text: str, name: str = "<string>") -> str:
    """Parse a charter, catalogue or offer file and print it canonically.

    Raises :class:`~charterdsl.errors.CharterSyntaxError` when the text is not in the language
    and :class:`~charterdsl.errors.CharterValidationError` when it parses but cannot be built.
    """
    source = Source(text, name)
    return _FILES.get(_first_word(source), _charter_file)(source)


def _charter_file(source: Source) -> str:
    return format_charter(_built(*build_charter(source)), source)


def _catalogue_file(source: Source) -> str:
    return format_catalogue(_built(*build_catalogue(source)), source)


def _offer_file(source: Source) -> str:
    return format_offer(_built(*build_offer(source)), source)


# A file is a catalogue or an offer by the word its first declaration starts with.
_FILES: dict[str | None, Callable[[Source], str]] = {
    "catalogue": _catalogue_file,
    "offer": _offer_file,
}
_FIRST_WORD = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*(\w+)")


def _first_word(source: Source) -> str | None:
    match = _FIRST_WORD.match(source.text)
    return match[1] if match else None


def _built(built: T | None, diagnostics: Sequence[Diagnostic]) -> T:
    if built is None or any(diagnostic.is_error for diagnostic in diagnostics):
        raise error_for(diagnostics)
    return built
