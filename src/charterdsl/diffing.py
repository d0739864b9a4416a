"""Semantic differences between two charters, each classed by what it means for suppliers.

:func:`diff` compares two built charters clause by clause, not line by line. Declarations are
matched by id; a target is matched to its counterpart by contract, metric and scope; amounts are
compared after unit conversion; review schedules, bands and rules are ranked by how soon and how
hard they bite. Each :class:`Change` says whether the new charter is *stricter*, *looser* or
*neutral* for a supplier, in one short sentence, and cites the line on each side.

The rules, in short:

* Header clauses, areas, strengths, themes (weights too), outcomes, catalogue and proxy lines,
  contracts added or removed and their terms: neutral. So are proxies, adjustments and counting
  rules: they change the value reported, not what is due.
* Eligibility that counts fewer places or people (a narrower area, a new ``only`` clause):
  stricter; wider: looser.
* A target added, a lower limit raised, an upper limit lowered or added, a scope checked more
  often, a deadline or milestone brought forward, an excused period shortened or removed, a
  higher data coverage: stricter; the opposite of each: looser.
* A review added or held more often, a band threshold raised, a "below" band added, a rule added,
  a harsher consequence, a shorter remedy period, a condition met by more ratings or by fewer
  reviews: stricter; the opposite of each: looser.
* Anything that changed but cannot be ranked (a share against a fixed amount, "at least" turned
  into "at most", units that do not convert): neutral, with the reason.

The renderers print a diff as plain text, Markdown, a self-contained HTML page or JSON.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Context, Decimal
from fractions import Fraction
from typing import Any, Literal, TypeVar

import attrs

from charterdsl import units
from charterdsl.formatter import (
    _adjustments,
    _amount,
    _condition,
    _consequence,
    _counts,
    _day_of_year,
    _hours,
    _money,
    _number,
    _percent,
    _price_index,
    _quantity,
    _quote,
    _schedule,
    _scope,
    _unit_word,
    _weeks,
    target_sentence,
)
from charterdsl.model import (
    Absolute,
    Amount,
    AnyAfter,
    Band,
    BandComparison,
    Baseline,
    ByDate,
    Charter,
    Comparison,
    Condition,
    Consecutive,
    ConsequenceKind,
    Consultation,
    Contract,
    EachPeriod,
    Eligibility,
    Every,
    Excusal,
    Header,
    KOfLast,
    Metric,
    MetricKind,
    Milestone,
    OnDates,
    Period,
    PerValue,
    Proxy,
    Quantity,
    Rating,
    RemedyFailed,
    Review,
    Rule,
    Schedule,
    Scope,
    Share,
    StatusClause,
    Target,
)
from charterdsl.model import Change as Direction
from charterdsl.periods import every
from charterdsl.renderers import CSP, clean, esc, md, one_line
from charterdsl.source import Span

__all__ = [
    "DIFF_FORMAT",
    "DIFF_FORMAT_VERSION",
    "DIFF_RENDERERS",
    "Change",
    "CharterDiff",
    "Effect",
    "diff",
    "diff_to_dict",
    "render_diff_html",
    "render_diff_json",
    "render_diff_markdown",
    "render_diff_text",
]

T = TypeVar("T")

Effect = Literal["stricter", "looser", "neutral"]
STRICTER: Effect = "stricter"
LOOSER: Effect = "looser"
NEUTRAL: Effect = "neutral"
EFFECTS: tuple[Effect, ...] = (STRICTER, LOOSER, NEUTRAL)

DIFF_FORMAT = "charterdsl/diff"
DIFF_FORMAT_VERSION = 1


@attrs.frozen
class Change:
    """One difference: what changed, both sides as the charters say them, and what it means."""

    kind: str  # a stable dotted name such as "target.amount" or "review.rule.added"
    subject: str  # what changed, in words: "contract HR-2025-014: target local_jobs each quarter"
    old: str | None  # the old side, or None when the thing is new
    new: str | None  # the new side, or None when it was removed
    effect: Effect
    explanation: str
    old_at: str | None = None  # "file:line" in the old charter
    new_at: str | None = None


@attrs.frozen
class CharterDiff:
    old_name: str
    new_name: str
    old_title: str
    new_title: str
    changes: tuple[Change, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def count(self, effect: Effect) -> int:
        return sum(1 for change in self.changes if change.effect == effect)


# ---------------------------------------------------------------------------- the two sides

_At = tuple[str | None, str | None]
_HUNDRED = Decimal(100)
_CENTS = Decimal("0.01")
_WIDE = Context(prec=60)  # wide enough that rounding a converted figure never raises


class _Side:
    """One charter, with the lookups a comparison needs."""

    def __init__(self, charter: Charter) -> None:
        self.charter = charter
        conventions = charter.header.conventions
        self.working_week = conventions.working_week_hours or units.DEFAULT_WORKING_WEEK_HOURS
        self.coverage = conventions.data_coverage_percent or _HUNDRED  # judging's default
        self.areas = {area.id: area for area in charter.areas}
        self._metric_files = {metric.id: charter.source_name for metric in charter.metrics}
        for catalogue in charter.catalogues:
            for metric in catalogue.metrics:
                self._metric_files.setdefault(metric.id, catalogue.source_name)

    def at(self, span: Span | None, file: str | None = None) -> str | None:
        if span is None:
            return None
        name = self.charter.source_name if file is None else file
        return f"{name}:{span.line}" if name else f"line {span.line}"

    def metric_at(self, metric_id: str) -> str | None:
        metric = self.charter.metric(metric_id)
        return self.at(metric.span if metric else None, self._metric_files.get(metric_id))

    def members(self, area_id: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        """Every postcode district, ward and place an area covers, through its ``includes``."""
        area = self.areas.get(area_id)
        if area is None or area_id in seen:
            return frozenset()
        own = {f"district {d}" for d in area.postcode_districts}
        own |= {f"ward {w}" for w in area.wards} | {f"place {p}" for p in area.places}
        for included in area.includes:
            own |= self.members(included, seen | {area_id})
        return frozenset(own)

    def counted_areas(self) -> frozenset[str]:
        """Areas that decide what counts for some metric, directly or inside another area."""
        found: set[str] = set()
        todo = [m.eligibility.area for m in self.charter.metric_index.values() if m.eligibility]
        while todo:
            area_id = todo.pop()
            if area_id not in found:
                found.add(area_id)
                area = self.areas.get(area_id)
                todo.extend(area.includes if area else ())
        return frozenset(found)


class _Pair:
    def __init__(self, old: Charter, new: Charter) -> None:
        self.old = _Side(old)
        self.new = _Side(new)

    def at(self, old: Span | None, new: Span | None) -> _At:
        return self.old.at(old), self.new.at(new)

    def change(self, kind: str, subject: str, old: str | None, new: str | None, effect: Effect,
               why: str, at: _At) -> Change:
        return Change(kind, subject, old, new, effect, why, at[0], at[1])


def _sign(value: Decimal | int | Fraction) -> int:
    return (value > 0) - (value < 0)


def _effect(sign: int | None, up: Effect = STRICTER) -> Effect:
    """The effect of a figure going up (``sign`` 1) or down, when going up is ``up``."""
    if not sign:
        return NEUTRAL
    down = LOOSER if up == STRICTER else STRICTER
    return up if sign > 0 else down


def _reach(old: frozenset[T], new: frozenset[T]) -> int | None:
    """1 when ``new`` covers more than ``old``, -1 when less, 0 the same, None when neither."""
    if old == new:
        return 0
    if new < old:
        return -1
    return 1 if new > old else None


def _match(old: Sequence[T], new: Sequence[T], keys: Sequence[Callable[[T], object]]
           ) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """Pair old and new items: first by the first key, then what is left by the next key...

    Returns the pairs (in the order of ``new``), the old items left over, the new items left."""
    left, right = list(old), list(new)
    pairs: list[tuple[T, T]] = []
    for key in keys:
        unmatched: list[T] = []
        for item in left:
            wanted = key(item)
            index = next((i for i, other in enumerate(right) if key(other) == wanted), None)
            if index is None:
                unmatched.append(item)
            else:
                pairs.append((item, right.pop(index)))
        left = unmatched
    order = {id(item): position for position, item in enumerate(new)}
    pairs.sort(key=lambda pair: order[id(pair[1])])
    return pairs, left, right


# ---------------------------------------------------------------------------- plain fields


@attrs.frozen
class _Field:
    """A clause compared as a whole; any change to it is neutral."""

    kind: str
    get: Callable[[Any], object]
    show: Callable[[Any], str]
    why: str
    span: Callable[[Any], Span | None] | None = None  # a clause with a line of its own


def _field_at(pair: _Pair, field: _Field, old: object, new: object, at: _At) -> _At:
    if field.span is None:
        return at
    return pair.old.at(field.span(old)) or at[0], pair.new.at(field.span(new)) or at[1]


def _shown(value: object, show: Callable[[Any], str]) -> str | None:
    return None if value is None or value == () else show(value)


def _fields(pair: _Pair, prefix: str, subject: str, old: object, new: object,
            fields: Iterable[_Field], at: _At) -> Iterator[Change]:
    for field in fields:
        before, after = field.get(old), field.get(new)
        if before != after:
            label = f"{subject}: {field.kind.replace('_', ' ')}"
            yield pair.change(f"{prefix}.{field.kind}", label, _shown(before, field.show),
                              _shown(after, field.show), NEUTRAL, field.why,
                              _field_at(pair, field, old, new, at))


def _names(names: Sequence[str]) -> str:
    return ", ".join(names)


def _status(status: StatusClause) -> str:
    return status.status.value + (f" on {status.on.isoformat()}" if status.on else "")


def _consultation(consultation: Consultation) -> str:
    text = f"from {consultation.opens.isoformat()} to {consultation.closes.isoformat()}"
    if consultation.groups:
        text += " with " + ", ".join(consultation.groups)
    if consultation.responses is not None:
        text += f", {consultation.responses} responses"
    return text


_REPORTED_ONLY = "this changes the value reported, not what is due"

_HEADER_FIELDS = (
    _Field("title", lambda h: h.title, _quote, "The charter's title changed."),
    _Field("authority", lambda h: h.authority, _quote, "The authority named changed."),
    _Field("place", lambda h: h.place, _quote, "The place named changed."),
    _Field("version", lambda h: h.version, str, "The version changed."),
    _Field("status", lambda h: h.status, _status, "The status changed.",
           lambda h: h.status.span if h.status else None),
    _Field("consultation", lambda h: h.consultation, _consultation,
           "The consultation record changed.",
           lambda h: h.consultation.span if h.consultation else None),
    _Field("financial_year_start", lambda h: h.conventions.financial_year_start, _day_of_year,
           "Financial years and quarters now start on another day."),
    _Field("working_week", lambda h: h.conventions.working_week_hours, _hours,
           "A person-week and a person-day now stand for another number of hours."),
    _Field("working_year", lambda h: h.conventions.working_year_weeks, _weeks,
           "A working year now stands for another number of weeks."),
    _Field("currency", lambda h: h.conventions.currency, str, "The currency changed."),
    _Field("discount_rate", lambda h: h.conventions.discount_rate_percent, _percent,
           f"Future value is discounted at another rate; {_REPORTED_ONLY}."),
    _Field("price_year", lambda h: h.conventions.price_year, str,
           f"Proxies are restated to another year's prices; {_REPORTED_ONLY}."),
    _Field("price_index", lambda h: h.price_index, _price_index,
           f"The price index changed; {_REPORTED_ONLY}."),
    _Field("description", lambda h: h.description, _quote, "The description changed."),
)


def _header(pair: _Pair) -> Iterator[Change]:
    old, new = pair.old.charter.header, pair.new.charter.header
    at = pair.at(old.span, new.span)
    yield from _fields(pair, "header", "charter", old, new, _HEADER_FIELDS, at)
    yield from _header_coverage(pair, old, new, at)


def _coverage_text(stated: Decimal | None, effective: Decimal) -> str:
    return _percent(stated) if stated is not None else f"{_percent(effective)} (not stated)"


def _coverage_change(pair: _Pair, kind: str, subject: str, old: tuple[Decimal | None, Decimal],
                     new: tuple[Decimal | None, Decimal], at: _At) -> Change:
    # A period whose returns cover less than this is not rated, so a higher figure asks
    # suppliers for fuller returns.
    sign = _sign(new[1] - old[1])
    why = {
        1: "Returns must now cover more of each period before it is rated.",
        -1: "Returns may now cover less of each period before it is rated.",
        0: "The coverage asked for is the same in effect.",
    }[sign]
    return pair.change(kind, subject, _coverage_text(*old), _coverage_text(*new), _effect(sign),
                       why, at)


def _header_coverage(pair: _Pair, old: Header, new: Header, at: _At) -> Iterator[Change]:
    before = old.conventions.data_coverage_percent
    after = new.conventions.data_coverage_percent
    if before != after:
        yield _coverage_change(pair, "header.coverage", "charter: data coverage",
                               (before, pair.old.coverage),
                               (after, pair.new.coverage), at)


# ---------------------------------------------------------------------------- declarations by id


def _by_id(pair: _Pair, noun: str, old: Sequence[Any], new: Sequence[Any],
           compare: Callable[[_Pair, str, Any, Any, _At], Iterator[Change]],
           cite: Callable[[_Side, Any], str | None] = lambda side, item: side.at(item.span),
           ) -> Iterator[Change]:
    """Declarations matched by id: each pair compared, then what was added and removed."""
    before = {item.id: item for item in old}
    after = {item.id: item for item in new}
    for ident, item in after.items():
        subject = f"{noun} {ident}"
        if ident in before:
            at = (cite(pair.old, before[ident]), cite(pair.new, item))
            yield from compare(pair, subject, before[ident], item, at)
        else:
            yield pair.change(f"{noun}.added", subject, None, _title(item), NEUTRAL,
                              f"{_first_upper(subject)} is new.", (None, cite(pair.new, item)))
    for ident, item in before.items():
        if ident not in after:
            subject = f"{noun} {ident}"
            yield pair.change(f"{noun}.removed", subject, _title(item), None, NEUTRAL,
                              f"{_first_upper(subject)} was removed.",
                              (cite(pair.old, item), None))


def _first_upper(text: str) -> str:
    # str.capitalize() would lower-case the rest, ids included.
    return text[:1].upper() + text[1:]


def _title(item: Any) -> str:
    return _quote(str(item.title))


def _uses(pair: _Pair) -> Iterator[Change]:
    before = {use.path: use for use in pair.old.charter.uses}
    after = {use.path: use for use in pair.new.charter.uses}
    for path in [*after, *(p for p in before if p not in after)]:
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        at = pair.at(old.span if old else None, new.span if new else None)
        why = ("The charter now pins another edition of this catalogue." if old and new else
               "The charter now uses this catalogue." if new else
               "The charter no longer uses this catalogue.")
        why += " Any metric this changes is listed on its own."
        yield pair.change("catalogue.use", f"catalogue {_quote(path)}",
                          _edition(old), _edition(new), NEUTRAL, why, at)


def _edition(use: Any) -> str | None:
    if use is None:
        return None
    return f"version {use.version}" if use.version is not None else "any version"


def _proxy_uses(pair: _Pair) -> Iterator[Change]:
    before = {use.path: use for use in pair.old.charter.proxy_uses}
    after = {use.path: use for use in pair.new.charter.proxy_uses}
    for path in after.keys() - before.keys():
        yield pair.change("proxies.added", f"proxy table {_quote(path)}", None, "used",
                          NEUTRAL, f"Proxies now come from this table; {_REPORTED_ONLY}.",
                          (None, pair.new.at(after[path].span)))
    for path in before.keys() - after.keys():
        yield pair.change("proxies.removed", f"proxy table {_quote(path)}", "used", None,
                          NEUTRAL, f"Proxies no longer come from this table; {_REPORTED_ONLY}.",
                          (pair.old.at(before[path].span), None))


# ---------------------------------------------------------------------------- areas, themes


def _extent(area: Any) -> str:
    parts = [
        ("postcode districts", _names(area.postcode_districts)),
        ("wards", ", ".join(map(_quote, area.wards))),
        ("places", ", ".join(map(_quote, area.places))),
        ("includes", _names(area.includes)),
    ]
    return "; ".join(f"{name} {value}" for name, value in parts if value) or "nothing"


_AREA_FIELDS = (
    _Field("title", lambda a: a.title, _quote, "The area's name changed."),
    _Field("description", lambda a: a.description, _quote, "The description changed."),
)


def _area_pair(pair: _Pair, subject: str, old: Any, new: Any, at: _At) -> Iterator[Change]:
    yield from _fields(pair, "area", subject, old, new, _AREA_FIELDS, at)
    reach = _reach(pair.old.members(old.id), pair.new.members(new.id))
    if reach == 0 and _extent(old) == _extent(new):
        return
    counted = new.id in pair.new.counted_areas()
    # Narrower eligibility means less delivery counts towards a target.
    why, effect = {
        -1: ("Fewer places are in this area, so less delivery counts.", STRICTER),
        1: ("More places are in this area, so more delivery counts.", LOOSER),
        0: ("The area covers the same places, written differently.", NEUTRAL),
        None: ("Places were both added and removed, so the change cannot be ranked.", NEUTRAL),
    }[reach]
    if not counted and reach:
        effect = NEUTRAL
        why = "No metric counts only what lies in this area, so nothing due changes."
    yield pair.change("area.extent", f"{subject}: extent", _extent(old), _extent(new), effect,
                      why, at)


def _areas(pair: _Pair) -> Iterator[Change]:
    yield from _by_id(pair, "area", pair.old.charter.areas, pair.new.charter.areas, _area_pair)


_STRENGTH_FIELDS = (
    _Field("title", lambda s: s.title, _quote, "The strength's name changed."),
    _Field("capital", lambda s: s.capital, lambda c: f"{c.value} capital",
           "The strength is now counted as another kind of capital."),
    _Field("description", lambda s: s.description, _quote, "The description changed."),
)


def _strength_pair(pair: _Pair, subject: str, old: Any, new: Any, at: _At) -> Iterator[Change]:
    yield from _fields(pair, "strength", subject, old, new, _STRENGTH_FIELDS, at)


def _strengths(pair: _Pair) -> Iterator[Change]:
    yield from _by_id(pair, "strength", pair.old.charter.strengths, pair.new.charter.strengths,
                      _strength_pair)


_THEME_FIELDS = (
    _Field("title", lambda t: t.title, _quote, "The theme's name changed."),
    _Field("weight", lambda t: t.weight_percent, _percent,
           "The theme's share of the tender score moved; bids are scored differently, but "
           "nothing due changes."),
    _Field("description", lambda t: t.description, _quote, "The description changed."),
)


def _theme_pair(pair: _Pair, subject: str, old: Any, new: Any, at: _At) -> Iterator[Change]:
    yield from _fields(pair, "theme", subject, old, new, _THEME_FIELDS, at)


def _themes(pair: _Pair) -> Iterator[Change]:
    yield from _by_id(pair, "theme", pair.old.charter.themes, pair.new.charter.themes,
                      _theme_pair)


# ---------------------------------------------------------------------------- metrics, outcomes


def _proxy_text(proxy: Proxy) -> str:
    per = _unit_word(proxy.per_unit, Decimal(1))
    source = f" source {_quote(proxy.source)}" if proxy.source else ""
    return f"{_money(proxy.amount)} per {per} ({proxy.price_year} prices){source}"


_METRIC_FIELDS = (
    _Field("title", lambda m: m.title, _quote, "The metric's name changed."),
    _Field("code", lambda m: m.code, str, "The metric now names another catalogue code."),
    _Field("counting", lambda m: _counts(m), str,
           "The metric is counted differently; targets on it are compared in their own units."),
    _Field("record_only", lambda m: m.record_only, lambda v: "record only" if v else "valued",
           f"Whether the metric is given a money value changed; {_REPORTED_ONLY}."),
    _Field("proxy", lambda m: m.proxy, _proxy_text,
           f"The metric's money value changed; {_REPORTED_ONLY}."),
    _Field("adjustments", lambda m: _adjustments(m.adjustments), str,
           f"The SROI adjustments changed; {_REPORTED_ONLY}."),
    _Field("benefit_years", lambda m: m.benefit_years, lambda n: f"{n} years",
           f"Value now lasts another number of years; {_REPORTED_ONLY}."),
    _Field("theme", lambda m: m.theme, str, "The metric now belongs to another theme."),
    _Field("counting_rule", lambda m: m.counting_rule, _quote, "The counting rule changed."),
    _Field("description", lambda m: m.description, _quote, "The description changed."),
)


def _eligibility_text(eligibility: Eligibility | None) -> str | None:
    if eligibility is None:
        return None
    return f"only {eligibility.subject} in {eligibility.area}"


def _eligibility_rank(pair: _Pair, old: Eligibility, new: Eligibility) -> tuple[Effect, str]:
    if old.subject != new.subject:
        return NEUTRAL, "It now counts another kind of subject, which cannot be ranked."
    reach = _reach(pair.old.members(old.area), pair.new.members(new.area))
    areas = f"Area {new.area} covers"
    return {
        -1: (STRICTER, f"{areas} fewer places than area {old.area}, so less counts."),
        1: (LOOSER, f"{areas} more places than area {old.area}, so more counts."),
        0: (NEUTRAL, f"{areas} the same places as area {old.area}."),
        None: (NEUTRAL, f"{areas} places that area {old.area} does not, and leaves some out."),
    }[reach]


def _metric_eligibility(pair: _Pair, subject: str, old: Metric, new: Metric,
                        at: _At) -> Iterator[Change]:
    before, after = old.eligibility, new.eligibility
    if before == after:
        return
    if before is None:
        effect, why = STRICTER, "Only what lies in the area now counts, so less counts."
    elif after is None:
        effect, why = LOOSER, "Everything now counts, wherever it lies."
    else:
        effect, why = _eligibility_rank(pair, before, after)
    yield pair.change("metric.eligibility", subject, _eligibility_text(before),
                      _eligibility_text(after), effect, why, at)


def _metric_pair(pair: _Pair, subject: str, old: Metric, new: Metric, at: _At
                 ) -> Iterator[Change]:
    yield from _fields(pair, "metric", subject, old, new, _METRIC_FIELDS, at)
    yield from _metric_eligibility(pair, f"{subject}: eligibility", old, new, at)


def _metrics(pair: _Pair) -> Iterator[Change]:
    # Compare metrics as the charters use them: completed from their catalogues.
    yield from _by_id(pair, "metric", list(pair.old.charter.metric_index.values()),
                      list(pair.new.charter.metric_index.values()), _metric_pair,
                      lambda side, metric: side.metric_at(metric.id))


_OUTCOME_FIELDS = (
    _Field("title", lambda o: o.title, _quote, "The outcome's name changed."),
    _Field("theme", lambda o: o.theme, str, "The outcome now belongs to another theme."),
    _Field("builds_on", lambda o: o.builds_on, _names, "The strengths it builds on changed."),
    _Field("targeted_at", lambda o: o.targeted_at, _names, "The areas it is aimed at changed."),
    _Field("measured_by", lambda o: o.measured_by, _names, "The metrics that measure it changed."),
    _Field("description", lambda o: o.description, _quote, "The description changed."),
)


def _outcome_pair(pair: _Pair, subject: str, old: Any, new: Any, at: _At) -> Iterator[Change]:
    yield from _fields(pair, "outcome", subject, old, new, _OUTCOME_FIELDS, at)


def _outcomes(pair: _Pair) -> Iterator[Change]:
    yield from _by_id(pair, "outcome", pair.old.charter.outcomes, pair.new.charter.outcomes,
                      _outcome_pair)


# ---------------------------------------------------------------------------- amounts


@attrs.frozen
class _Level:
    """An amount as one figure that can be ranked against another of the same basis."""

    magnitude: Decimal
    unit: str | None
    per_money: Decimal | None = None  # an amount per this much contract value
    of_metric: str | None = None  # a percentage of this metric


@attrs.frozen
class _Site:
    """A target with what it takes to read it: its charter, contract and metric."""

    target: Target
    side: _Side
    contract: Contract | None
    inherited: bool = False  # a charter-wide default the contract does not override

    @property
    def metric(self) -> Metric | None:
        return self.side.charter.metric(self.target.metric)

    def unit(self, quantity: Quantity) -> str | None:
        metric = self.metric
        return quantity.unit or (metric.unit if metric else None)


def _level(amount: Amount, site: _Site) -> _Level:
    match amount:
        case Absolute(quantity):
            return _Level(quantity.magnitude, site.unit(quantity))
        case Share(percent, of_metric):
            return _Level(percent, "percent", of_metric=of_metric)
        case PerValue(quantity, per_money):
            return _Level(quantity.magnitude, site.unit(quantity), per_money=per_money)
        case Baseline(change, percent, baseline, _):
            sign = -1 if change is Direction.REDUCED else 1
            figure = baseline.magnitude * (_HUNDRED + sign * percent) / _HUNDRED
            return _Level(figure, site.unit(baseline))


def _over_contract(level: _Level, site: _Site) -> _Level | None:
    """A per-value amount as a plain amount, when the contract's value is known."""
    value = site.contract.value if site.contract else None
    if level.per_money is None:
        return level
    if value is None:
        return None
    return _Level(_WIDE.divide(level.magnitude * value, level.per_money), level.unit)


def _figure(level: _Level) -> str:
    rounded = level.magnitude.quantize(_CENTS, context=_WIDE)
    exact = rounded == level.magnitude
    magnitude = level.magnitude if exact else rounded
    text = _number(magnitude) if level.unit is None else _quantity(Quantity(magnitude, level.unit))
    if level.per_money is not None:
        text += f" per {_money(level.per_money)} of contract value"
    if level.of_metric is not None:
        text += f" of {level.of_metric}"
    return text if exact else f"about {text}"


def _factor(source: str | None, target: str | None, old: _Site, new: _Site) -> Fraction | None:
    """How to express a new figure in the old figure's unit.

    Delivery is measured in the metric's unit, so each figure goes through its own metric's
    unit under its own charter's working week: 1,950 person-hours are 52 person-weeks of 37.5
    hours but 50 of 39 hours, while 52 person-weeks stay 52 whatever the week."""
    if source is None or target is None:
        return Fraction(1)  # a bare number is in the metric's own unit
    old_metric, new_metric = old.metric, new.metric
    if old_metric and new_metric and old_metric.unit and new_metric.unit:
        steps = (units.factor(source, new_metric.unit, new.side.working_week),
                 units.factor(new_metric.unit, old_metric.unit, new.side.working_week),
                 units.factor(old_metric.unit, target, old.side.working_week))
        if None not in steps:
            return functools.reduce(operator.mul, (s for s in steps if s is not None))
    return units.factor(source, target, new.side.working_week)


_PER_YEAR = {Period.MONTH: 12, Period.QUARTER: 4, Period.FINANCIAL_YEAR: 1}


def _period_scale(old: _Site, new: _Site) -> Fraction | None:
    """What turns a new amount into one over the old scope: 13 each quarter is 52 each year.

    Only a summed metric adds up over time; a level, a ratio or a share is the same over any
    span. ``None`` when a total each period meets a total over the whole contract."""
    metric = new.metric
    if metric is None or metric.kind is not MetricKind.SUMMED:
        return Fraction(1)
    before, after = old.target.scope, new.target.scope
    if isinstance(before, EachPeriod) and isinstance(after, EachPeriod):
        return Fraction(_PER_YEAR[after.period], _PER_YEAR[before.period])
    if isinstance(before, EachPeriod) or isinstance(after, EachPeriod):
        return None
    return Fraction(1)


@attrs.frozen
class _Ranking:
    """Two amounts side by side: ``sign`` is 1 when the new one is more, -1 less, 0 the same
    and None when they cannot be ranked (then ``why`` says why). ``old`` and ``new`` are as
    written, with the figure they were ranked by in brackets when that reads differently;
    ``old_figure`` and ``new_figure`` are both on the old amount's unit and scope."""

    sign: int | None
    old: str
    new: str
    why: str = ""
    old_figure: str = ""
    new_figure: str = ""


def _rank(old: Amount, new: Amount, old_site: _Site, new_site: _Site) -> _Ranking:
    before, after = _level(old, old_site), _level(new, new_site)
    old_text, new_text = _as_written(old, before), _as_written(new, after)
    if (before.per_money is None) != (after.per_money is None):
        before_whole = _over_contract(before, old_site)
        after_whole = _over_contract(after, new_site)
        if before_whole is None or after_whole is None:
            return _Ranking(None, old_text, new_text, "An amount per contract value cannot be "
                            "ranked against a fixed amount without the contract's value.")
        before, after = before_whole, after_whole
    if before.of_metric != after.of_metric:
        why = ("A share of another metric cannot be ranked against a fixed amount."
               if before.of_metric is None or after.of_metric is None else
               f"The share is now of {after.of_metric} rather than {before.of_metric}, "
               "so the two cannot be ranked.")
        return _Ranking(None, old_text, new_text, why)
    return _rank_levels(before, after, old_site, new_site, old_text, new_text)


def _as_written(amount: Amount, level: _Level) -> str:
    """The amount as the charter says it (with the metric's unit where it leaves it out)."""
    if isinstance(amount, Absolute):
        return _figure(level)
    return _annotated(_amount(amount), _figure(level))


def _annotated(text: str, figure: str) -> str:
    return text if text == figure or text.endswith(f"({figure})") else f"{text} ({figure})"


def _rank_levels(before: _Level, after: _Level, old_site: _Site, new_site: _Site,
                 old_text: str, new_text: str) -> _Ranking:
    factor = _factor(after.unit, before.unit, old_site, new_site)
    if factor is None:
        return _Ranking(None, old_text, new_text, f"{units.display(after.unit)} cannot be "
                        f"converted to {units.display(before.unit)}, so the two cannot be ranked.")
    # A share is a proportion, the same over any span.
    scale = Fraction(1) if before.of_metric else _period_scale(old_site, new_site)
    if scale is None:
        return _Ranking(None, old_text, new_text, "A total each period cannot be ranked against "
                        "a total over a whole span.")
    if after.per_money is not None and before.per_money is not None:
        factor *= Fraction(before.per_money) / Fraction(after.per_money)
    converted = attrs.evolve(before, magnitude=units.convert(after.magnitude, factor * scale))
    suffix = "" if scale == 1 else f" {_scope(old_site.target.scope)}"
    old_figure, new_figure = _figure(before) + suffix, _figure(converted) + suffix
    return _Ranking(_sign(converted.magnitude - before.magnitude),
                    _annotated(old_text, _figure(before)), _annotated(new_text, new_figure),
                    old_figure=old_figure, new_figure=new_figure)


# ---------------------------------------------------------------------------- targets


def _bounds(target: Target) -> tuple[Amount | None, Amount | None]:
    """The lower and upper limit a target sets."""
    if target.comparison is Comparison.AT_LEAST:
        return target.amount, None
    if target.comparison is Comparison.AT_MOST:
        return None, target.amount
    return target.amount, target.upper


def _target_subject(owner: str, site: _Site) -> str:
    return f"{owner}target {site.target.metric} {_scope(site.target.scope)}"


def _target_key(site: _Site) -> object:
    scope = site.target.scope
    shape = scope.period if isinstance(scope, EachPeriod) else type(scope).__name__
    return site.target.metric, shape


def _targets(pair: _Pair, owner: str, old: Sequence[_Site], new: Sequence[_Site]
             ) -> Iterator[Change]:
    # A default that a contract inherits on both sides is reported once, with the defaults.
    pairs, removed, added = _match(old, new, (lambda s: (s.target, s.inherited), _target_key,
                                              lambda s: s.target.metric))
    for before, after in pairs:
        if not (before.inherited and after.inherited):
            subject = _target_subject(owner, after)
            at = pair.at(before.target.span, after.target.span)
            for aspect in _TARGET_ASPECTS:
                yield from aspect(pair, subject, before, after, at)
    for site in added:
        if not site.inherited:
            yield pair.change("target.added", _target_subject(owner, site), None,
                              target_sentence(site.target), STRICTER,
                              "A new target binds suppliers.",
                              (None, pair.new.at(site.target.span)))
    for site in removed:
        if not site.inherited:
            yield pair.change("target.removed", _target_subject(owner, site),
                              target_sentence(site.target), None, LOOSER,
                              "The target no longer binds suppliers.",
                              (pair.old.at(site.target.span), None))


def _target_source(pair: _Pair, subject: str, old: _Site, new: _Site, at: _At
                   ) -> Iterator[Change]:
    if old.inherited == new.inherited:
        return
    words = {True: "the charter-wide target", False: "the contract's own target"}
    why = ("The contract now follows the charter-wide target on this metric." if new.inherited
           else "The contract now sets its own target on this metric.")
    yield pair.change("target.source", subject, words[old.inherited], words[new.inherited],
                      NEUTRAL, why, at)


def _target_bounds(pair: _Pair, subject: str, old: _Site, new: _Site, at: _At
                   ) -> Iterator[Change]:
    (floor0, ceiling0), (floor1, ceiling1) = _bounds(old.target), _bounds(new.target)
    if (floor0 is None) != (floor1 is None) and (ceiling0 is None) != (ceiling1 is None):
        yield pair.change("target.comparison", subject, target_sentence(old.target),
                          target_sentence(new.target), NEUTRAL,
                          "The target now limits delivery from the other side, so the two "
                          "cannot be ranked.", at)
        return
    yield from _bound(pair, subject, "lower", floor0, floor1, old, new, at)
    yield from _bound(pair, subject, "upper", ceiling0, ceiling1, old, new, at)


_LIMIT_WORDS = {
    ("lower", STRICTER): "More is due",
    ("lower", LOOSER): "Less is due",
    ("upper", STRICTER): "The limit is tighter",
    ("upper", LOOSER): "The limit is looser",
}


def _bound(pair: _Pair, subject: str, which: str, old: Amount | None, new: Amount | None,
           old_site: _Site, new_site: _Site, at: _At) -> Iterator[Change]:
    if old is None and new is None:
        return
    if old is None or new is None:
        added = old is None
        # A limit added binds suppliers more; an upper limit added to "at least" is stricter.
        yield pair.change("target.comparison", subject, target_sentence(old_site.target),
                          target_sentence(new_site.target), STRICTER if added else LOOSER,
                          f"The {which} limit was {'added' if added else 'dropped'}.", at)
        return
    ranking = _rank(old, new, old_site, new_site)
    if old == new and not ranking.sign:
        return  # written the same; any scope change is reported on its own
    effect = _effect(ranking.sign, STRICTER if which == "lower" else LOOSER)
    if ranking.sign is None:
        why = ranking.why
    elif ranking.sign == 0:
        why = "The amount is written differently but comes to the same."
    else:
        figures = f"{ranking.new_figure} rather than {ranking.old_figure}"
        why = f"{_LIMIT_WORDS[which, effect]}: {figures}."
    kind = "target.amount" if which == "lower" or old_site.target.upper is None else "target.upper"
    yield pair.change(kind, subject, ranking.old, ranking.new, effect, why, at)


_ONCE = 0  # a target to a date or over the contract is judged once


def _frequency(scope: Scope) -> int:
    return _PER_YEAR[scope.period] if isinstance(scope, EachPeriod) else _ONCE


def _deadline(scope: Scope, contract: Contract | None) -> dt.date | None:
    if isinstance(scope, ByDate):
        return scope.date
    return contract.end if contract is not None else None


def _scope_rank(old: _Site, new: _Site) -> tuple[int | None, str]:
    before, after = old.target.scope, new.target.scope
    often = _sign(_frequency(after) - _frequency(before))
    if often:
        return often, ("Delivery is now checked more often." if often > 0
                       else "Delivery is now checked less often.")
    end0, end1 = _deadline(before, old.contract), _deadline(after, new.contract)
    if end0 is None or end1 is None:
        return None, "Without the contract's end date the deadlines cannot be ranked."
    sooner = _sign(end0.toordinal() - end1.toordinal())
    return sooner, {1: "The deadline is earlier.", -1: "The deadline is later.",
                    0: "The deadline falls on the same day."}[sooner]


def _target_scope(pair: _Pair, subject: str, old: _Site, new: _Site, at: _At
                  ) -> Iterator[Change]:
    if old.target.scope == new.target.scope:
        return
    sign, why = _scope_rank(old, new)
    yield pair.change("target.scope", subject, _scope(old.target.scope),
                      _scope(new.target.scope), _effect(sign), why, at)


def _milestone_text(milestone: Milestone, site: _Site) -> str:
    level = _Level(milestone.quantity.magnitude, site.unit(milestone.quantity))
    return f"{_figure(level)} by {milestone.date.isoformat()}"


def _target_milestones(pair: _Pair, subject: str, old: _Site, new: _Site, at: _At
                       ) -> Iterator[Change]:
    pairs, removed, added = _match(old.target.milestones, new.target.milestones,
                                   (lambda m: m, lambda m: m.date, lambda m: m.quantity))
    for before, after in pairs:
        if before != after:
            yield _milestone_moved(pair, subject, before, after, old, new)
    for milestone in added:
        yield pair.change("target.milestone.added", subject, None,
                          _milestone_text(milestone, new), STRICTER,
                          "A new milestone must be reached on the way.",
                          (None, pair.new.at(milestone.span)))
    for milestone in removed:
        yield pair.change("target.milestone.removed", subject,
                          _milestone_text(milestone, old), None, LOOSER,
                          "The milestone no longer has to be reached.",
                          (pair.old.at(milestone.span), None))


def _milestone_moved(pair: _Pair, subject: str, before: Milestone, after: Milestone,
                     old: _Site, new: _Site) -> Change:
    at = pair.at(before.span, after.span)
    text0, text1 = _milestone_text(before, old), _milestone_text(after, new)
    if before.date != after.date:
        sooner = _sign(before.date.toordinal() - after.date.toordinal())
        why = "The milestone is due earlier." if sooner > 0 else "The milestone is due later."
        return pair.change("target.milestone.date", subject, text0, text1, _effect(sooner),
                           why, at)
    level0 = _Level(before.quantity.magnitude, old.unit(before.quantity))
    level1 = _Level(after.quantity.magnitude, new.unit(after.quantity))
    factor = _factor(level1.unit, level0.unit, old, new)
    if factor is None:
        return pair.change("target.milestone.amount", subject, text0, text1, NEUTRAL,
                           "The two milestone amounts cannot be converted to one unit.", at)
    sign = _sign(units.convert(level1.magnitude, factor) - level0.magnitude)
    # A milestone on an upper limit is a ceiling too: raising it lets suppliers do less.
    up = LOOSER if new.target.comparison is Comparison.AT_MOST else STRICTER
    why = {1: "The milestone asks for more.", -1: "The milestone asks for less.",
           0: "The milestone is written differently but comes to the same."}[sign]
    return pair.change("target.milestone.amount", subject, text0, text1, _effect(sign, up),
                       why, at)


def _target_excusals(pair: _Pair, subject: str, old: _Site, new: _Site, at: _At
                     ) -> Iterator[Change]:
    yield from _excusals(pair, f"{subject}, excused period", old.target.excused,
                         new.target.excused)


def _target_coverage(pair: _Pair, subject: str, old: _Site, new: _Site, at: _At
                     ) -> Iterator[Change]:
    before, after = old.target.data_coverage_percent, new.target.data_coverage_percent
    if before != after:
        yield _coverage_change(pair, "target.coverage", f"{subject}, data coverage",
                               (before, before or pair.old.coverage),
                               (after, after or pair.new.coverage), at)


_TargetAspect = Callable[[_Pair, str, _Site, _Site, _At], Iterator[Change]]
_TARGET_ASPECTS: tuple[_TargetAspect, ...] = (
    _target_source,
    _target_bounds,
    _target_scope,
    _target_milestones,
    _target_excusals,
    _target_coverage,
)


# ---------------------------------------------------------------------------- excusals


def _excusal_text(excusal: Excusal) -> str:
    return (f"from {excusal.start.isoformat()} to {excusal.end.isoformat()} because "
            f"{_quote(excusal.reason)}")


def _excusal_moved(pair: _Pair, subject: str, old: Excusal, new: Excusal) -> Change:
    at = pair.at(old.span, new.span)
    if (old.start, old.end) == (new.start, new.end):
        return pair.change("excused.reason", subject, _excusal_text(old), _excusal_text(new),
                           NEUTRAL, "The reason given changed.", at)
    longer = new.start <= old.start and new.end >= old.end
    shorter = old.start <= new.start and old.end >= new.end
    effect, why = (
        (LOOSER, "The excused period is longer, so less is due.") if longer else
        (STRICTER, "The excused period is shorter, so more is due.") if shorter else
        (NEUTRAL, "The excused period moved, so the change cannot be ranked.")
    )
    return pair.change("excused.dates", subject, _excusal_text(old), _excusal_text(new),
                       effect, why, at)


def _excusals(pair: _Pair, subject: str, old: Sequence[Excusal], new: Sequence[Excusal]
              ) -> Iterator[Change]:
    pairs, removed, added = _match(old, new, (lambda e: e, lambda e: e.reason,
                                              lambda e: (e.start, e.end)))
    for before, after in pairs:
        if before != after:
            yield _excusal_moved(pair, subject, before, after)
    for excusal in added:
        yield pair.change("excused.added", subject, None, _excusal_text(excusal), LOOSER,
                          "Nothing is due in this period.", (None, pair.new.at(excusal.span)))
    for excusal in removed:
        yield pair.change("excused.removed", subject, _excusal_text(excusal), None, STRICTER,
                          "Delivery is due again in this period.",
                          (pair.old.at(excusal.span), None))


# ---------------------------------------------------------------------------- reviews


@attrs.frozen
class _ReviewSite:
    review: Review
    contract: Contract | None
    inherited: bool = False


def _review_subject(owner: str, sites: Sequence[_ReviewSite], site: _ReviewSite) -> str:
    if len(sites) < 2:
        return f"{owner}review"
    return f"{owner}review {next(i for i, s in enumerate(sites, 1) if s is site)}"


def _reviews(pair: _Pair, owner: str, old: Sequence[_ReviewSite], new: Sequence[_ReviewSite]
             ) -> Iterator[Change]:
    # A default review that applies on both sides is reported once, with the defaults.
    pairs, removed, added = _match(old, new, (lambda s: (s.review, s.inherited),
                                              lambda s: s.review.schedule, lambda s: 0))
    for before, after in pairs:
        if not (before.inherited and after.inherited):
            subject = _review_subject(owner, new, after)
            at = pair.at(before.review.span, after.review.span)
            for aspect in _REVIEW_ASPECTS:
                yield from aspect(pair, subject, before, after, at)
    for site in added:
        if not site.inherited:
            yield pair.change("review.added", _review_subject(owner, new, site), None,
                              _schedule(site.review.schedule), STRICTER,
                              "A new review rates delivery and can lead to consequences.",
                              (None, pair.new.at(site.review.span)))
    for site in removed:
        if not site.inherited:
            yield pair.change("review.removed", _review_subject(owner, old, site),
                              _schedule(site.review.schedule), None, LOOSER,
                              "The review no longer rates delivery or leads to consequences.",
                              (pair.old.at(site.review.span), None))


def _review_source(pair: _Pair, subject: str, old: _ReviewSite, new: _ReviewSite, at: _At
                   ) -> Iterator[Change]:
    if old.inherited == new.inherited:
        return
    words = {True: "the charter-wide review", False: "the contract's own review"}
    why = ("The contract now follows the charter-wide review." if new.inherited
           else "The contract now sets its own review.")
    yield pair.change("review.source", subject, words[old.inherited], words[new.inherited],
                      NEUTRAL, why, at)


def _review_count(schedule: Schedule, contract: Contract | None) -> int | None:
    if isinstance(schedule, OnDates):
        return len(schedule.dates)
    last = schedule.until or (contract.end if contract else None)
    return None if last is None else sum(1 for _ in every(schedule.months, schedule.start, last))


def _review_schedule(pair: _Pair, subject: str, old: _ReviewSite, new: _ReviewSite, at: _At
                     ) -> Iterator[Change]:
    before, after = old.review.schedule, new.review.schedule
    if before == after:
        return
    text0, text1 = _schedule(before), _schedule(after)
    if isinstance(before, Every) and isinstance(after, Every) and before.months != after.months:
        sign = _sign(before.months - after.months)
        why = "Reviews are now held more often." if sign > 0 else "Reviews are now held less often."
        yield pair.change("review.frequency", subject, text0, text1, _effect(sign), why, at)
        return
    if isinstance(before, Every) and isinstance(after, Every):
        yield pair.change("review.dates", subject, text0, text1, NEUTRAL,
                          "The review dates moved; how often they fall is the same.", at)
        return
    count0, count1 = _review_count(before, old.contract), _review_count(after, new.contract)
    if count0 is None or count1 is None:
        yield pair.change("review.dates", subject, text0, text1, NEUTRAL,
                          "Without a last review date the two schedules cannot be ranked.", at)
        return
    sign = _sign(count1 - count0)
    why = {1: f"There are now {count1} reviews rather than {count0}.",
           -1: f"There are now {count1} reviews rather than {count0}.",
           0: "The same number of reviews falls on other dates."}[sign]
    yield pair.change("review.dates", subject, text0, text1, _effect(sign), why, at)


def _band_text(band: Band) -> str:
    return f"{band.rating.value} when delivery is {band.comparison.value} {_percent(band.percent)}"


_BAND_WORDS = {
    (True, 1): "The threshold is higher, so this rating is harder to earn.",
    (True, -1): "The threshold is lower, so this rating is easier to earn.",
    (False, 1): "The threshold is higher, so more delivery falls into this rating.",
    (False, -1): "The threshold is lower, so less delivery falls into this rating.",
}


def _band_moved(pair: _Pair, subject: str, old: Band, new: Band) -> Change:
    at = pair.at(old.span, new.span)
    if old.comparison is not new.comparison:
        return pair.change("review.band", subject, _band_text(old), _band_text(new), NEUTRAL,
                           "The band now works the other way round, so it cannot be ranked.", at)
    # Raising an "at least" bar makes a good rating harder to earn; raising a "below" bar
    # brings more delivery into a poor rating. Both are stricter.
    sign = _sign(new.percent - old.percent)
    why = _BAND_WORDS[new.comparison is BandComparison.AT_LEAST, sign]
    return pair.change("review.band", subject, _band_text(old), _band_text(new), _effect(sign),
                       why, at)


def _review_bands(pair: _Pair, subject: str, old: _ReviewSite, new: _ReviewSite, at: _At
                  ) -> Iterator[Change]:
    pairs, removed, added = _match(old.review.bands, new.review.bands,
                                   (lambda b: b, lambda b: (b.rating, b.comparison),
                                    lambda b: b.rating))
    for before, after in pairs:
        if before != after:
            yield _band_moved(pair, subject, before, after)
    # A "below" band gives a poor rating; an "at least" band awards a better one.
    for band in added:
        below = band.comparison is BandComparison.BELOW
        yield pair.change("review.band.added", subject, None, _band_text(band),
                          STRICTER if below else LOOSER,
                          "Delivery below this threshold now gets this rating." if below else
                          "Delivery at this threshold can now earn this rating.",
                          (None, pair.new.at(band.span)))
    for band in removed:
        below = band.comparison is BandComparison.BELOW
        yield pair.change("review.band.removed", subject, _band_text(band), None,
                          LOOSER if below else STRICTER,
                          "Delivery below this threshold no longer gets this rating." if below
                          else "Delivery at this threshold can no longer earn this rating.",
                          (pair.old.at(band.span), None))


def _rule_text(rule: Rule) -> str:
    return f"{_consequence(rule.consequence)} when {_condition(rule.condition)}"


def _shape(condition: Condition) -> str:
    # "at 2 consecutive reviews" is "at 2 of the last 2 reviews", so the two are ranked alike.
    return "count" if isinstance(condition, Consecutive | KOfLast) else type(condition).__name__


def _window(condition: Consecutive | KOfLast) -> tuple[int, int]:
    if isinstance(condition, Consecutive):
        return condition.count, condition.count
    return condition.k, condition.n


def _ratings(condition: Condition) -> frozenset[Rating]:
    if isinstance(condition, RemedyFailed):
        return frozenset()
    return frozenset(r for r in Rating if r is condition.rating
                     or (condition.or_worse and r.severity >= condition.rating.severity))


def _window_rank(old: tuple[int, int], new: tuple[int, int]) -> int | None:
    """1 when "k of the last n" now holds whenever it held before, -1 when the old one holds
    whenever the new one does, 0 when they are the same, None when neither.

    The old window holds with at least k0 hits in n0 reviews; a shorter window keeps at least
    k0 - (n0 - n1) of them, so the new one surely holds when k1 is no more than that."""
    (k0, n0), (k1, n1) = old, new
    if old == new:
        return 0
    if k1 <= k0 - max(0, n0 - n1):
        return 1
    return -1 if k0 <= k1 - max(0, n1 - n0) else None


def _condition_parts(old: Condition, new: Condition) -> list[tuple[int | None, str]]:
    """How a rule's condition moved, part by part: 1 when it now triggers more readily."""
    parts: list[tuple[int | None, str]] = []
    reach = _reach(_ratings(old), _ratings(new))
    if reach != 0:
        parts.append((reach, "it counts other ratings"))
    if isinstance(old, Consecutive | KOfLast) and isinstance(new, Consecutive | KOfLast):
        window = _window_rank(_window(old), _window(new))
        if window != 0:
            parts.append((window, "it needs poor ratings at other numbers of reviews"))
    if isinstance(old, AnyAfter) and isinstance(new, AnyAfter) and old.date != new.date:
        parts.append((_sign(old.date.toordinal() - new.date.toordinal()),
                      "it starts from another date"))
    return parts


def _condition_change(old: Rule, new: Rule) -> tuple[Effect, str]:
    if _shape(old.condition) != _shape(new.condition):
        return NEUTRAL, "The condition is of another kind, so it cannot be ranked."
    signs = {sign for sign, _ in _condition_parts(old.condition, new.condition)}
    if not signs:
        return NEUTRAL, "The condition is written differently but means the same."
    if signs == {1}:
        return STRICTER, "The consequence now follows more readily."
    if signs == {-1}:
        return LOOSER, "The consequence now takes more to trigger."
    return NEUTRAL, "The condition is stricter in one way and looser in another."


_HARSHNESS = {ConsequenceKind.NOTE: 0, ConsequenceKind.REMEDY_PLAN: 1,
              ConsequenceKind.BREAK_ALLOWED: 2}


def _consequence_change(old: Rule, new: Rule) -> tuple[Effect, str] | None:
    before, after = old.consequence, new.consequence
    if before.kind is not after.kind:
        sign = _sign(_HARSHNESS[after.kind] - _HARSHNESS[before.kind])
        return _effect(sign), ("The consequence is harsher." if sign > 0
                               else "The consequence is milder.")
    if before.days != after.days:
        # A shorter cure period gives the supplier less time to put things right.
        sign = _sign((before.days or 0) - (after.days or 0))
        return _effect(sign), ("The remedy plan is due sooner." if sign > 0
                               else "The remedy plan is due later.")
    return None


def _rule_moved(pair: _Pair, subject: str, old: Rule, new: Rule) -> Iterator[Change]:
    at = pair.at(old.span, new.span)
    text0, text1 = _rule_text(old), _rule_text(new)
    consequence = _consequence_change(old, new)
    if consequence is not None:
        yield pair.change("review.rule.consequence", subject, text0, text1, *consequence, at)
    if old.condition != new.condition:
        yield pair.change("review.rule.condition", subject, text0, text1,
                          *_condition_change(old, new), at)


def _review_rules(pair: _Pair, subject: str, old: _ReviewSite, new: _ReviewSite, at: _At
                  ) -> Iterator[Change]:
    pairs, removed, added = _match(
        old.review.rules, new.review.rules,
        (lambda r: r, lambda r: (r.consequence.kind, _shape(r.condition)),
         lambda r: r.consequence.kind, lambda r: r.condition),
    )
    for before, after in pairs:
        if before != after:
            yield from _rule_moved(pair, subject, before, after)
    for rule in added:
        yield pair.change("review.rule.added", subject, None, _rule_text(rule), STRICTER,
                          "A new consequence can follow from reviews.",
                          (None, pair.new.at(rule.span)))
    for rule in removed:
        yield pair.change("review.rule.removed", subject, _rule_text(rule), None, LOOSER,
                          "This consequence can no longer follow from reviews.",
                          (pair.old.at(rule.span), None))


_ReviewAspect = Callable[[_Pair, str, _ReviewSite, _ReviewSite, _At], Iterator[Change]]
_REVIEW_ASPECTS: tuple[_ReviewAspect, ...] = (
    _review_source,
    _review_schedule,
    _review_bands,
    _review_rules,
)


# ---------------------------------------------------------------------------- defaults, contracts

_DEFAULTS = "charter-wide "


def _defaults(pair: _Pair) -> Iterator[Change]:
    old, new = pair.old.charter, pair.new.charter
    yield from _targets(pair, _DEFAULTS, [_Site(t, pair.old, None) for t in old.targets],
                        [_Site(t, pair.new, None) for t in new.targets])
    yield from _excusals(pair, "charter-wide excused period", old.excused, new.excused)
    yield from _reviews(pair, _DEFAULTS, [_ReviewSite(r, None) for r in old.reviews],
                        [_ReviewSite(r, None) for r in new.reviews])


def _target_sites(side: _Side, contract: Contract) -> list[_Site]:
    own = {target.metric for target in contract.targets}
    inherited = [t for t in side.charter.targets if t.metric not in own]
    return ([_Site(t, side, contract) for t in contract.targets]
            + [_Site(t, side, contract, inherited=True) for t in inherited])


def _review_sites(side: _Side, contract: Contract) -> list[_ReviewSite]:
    if contract.reviews:
        return [_ReviewSite(review, contract) for review in contract.reviews]
    return [_ReviewSite(review, contract, inherited=True) for review in side.charter.reviews]


def _term(contract: Contract) -> tuple[dt.date, dt.date] | None:
    if contract.start is None or contract.end is None:
        return None
    return contract.start, contract.end


_CONTRACT_FIELDS = (
    _Field("title", lambda c: c.title, _quote, "The contract's name changed."),
    _Field("supplier", lambda c: c.supplier, _quote, "The supplier named changed."),
    _Field("term", _term, lambda t: f"runs from {t[0].isoformat()} to {t[1].isoformat()}",
           "The contract's term changed."),
    _Field("description", lambda c: c.description, _quote, "The description changed."),
)


def _per_value(charter: Charter, contract: Contract) -> bool:
    return any(isinstance(target.amount, PerValue) for target in charter.targets_for(contract))


def _contract_value(pair: _Pair, subject: str, old: Contract, new: Contract, at: _At
                    ) -> Iterator[Change]:
    if old.value == new.value:
        return
    before = _money(old.value) if old.value is not None else None
    after = _money(new.value) if new.value is not None else None
    sign = None if old.value is None or new.value is None else _sign(new.value - old.value)
    if sign and _per_value(pair.new.charter, new):
        # Targets set per £1m of contract value grow and shrink with it.
        why = ("More is due on targets set per contract value." if sign > 0
               else "Less is due on targets set per contract value.")
        yield pair.change("contract.value", subject, before, after, _effect(sign), why, at)
        return
    yield pair.change("contract.value", subject, before, after, NEUTRAL,
                      "The contract value changed; no target is set per contract value.", at)


def _contract_pair(pair: _Pair, subject: str, old: Contract, new: Contract, at: _At
                   ) -> Iterator[Change]:
    yield from _fields(pair, "contract", subject, old, new, _CONTRACT_FIELDS, at)
    yield from _contract_value(pair, f"{subject}: value", old, new, at)
    owner = f"{subject}: "
    yield from _targets(pair, owner, _target_sites(pair.old, old), _target_sites(pair.new, new))
    yield from _excusals(pair, f"{subject}: excused period", old.excused, new.excused)
    yield from _reviews(pair, owner, _review_sites(pair.old, old), _review_sites(pair.new, new))


def _contracts(pair: _Pair) -> Iterator[Change]:
    yield from _by_id(pair, "contract", pair.old.charter.contracts, pair.new.charter.contracts,
                      _contract_pair)


# ---------------------------------------------------------------------------- the diff

_Section = Callable[[_Pair], Iterable[Change]]
_SECTIONS: tuple[_Section, ...] = (
    _header,
    _uses,
    _proxy_uses,
    _areas,
    _strengths,
    _themes,
    _metrics,
    _outcomes,
    _defaults,
    _contracts,
)


def diff(old: Charter, new: Charter) -> CharterDiff:
    """Every semantic difference from ``old`` to ``new``, in the order of the charter text."""
    pair = _Pair(old, new)
    changes = tuple(change for section in _SECTIONS for change in section(pair))
    return CharterDiff(old.source_name, new.source_name, old.title, new.title, changes)


# ---------------------------------------------------------------------------- rendering


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _summary(result: CharterDiff) -> str:
    if not result.changed:
        return "No changes: the two charters say the same."
    counts = ", ".join(f"{result.count(effect)} {effect}" for effect in EFFECTS)
    return f"{_plural(len(result.changes), 'change')}: {counts}."


def _heading(result: CharterDiff) -> str:
    return f"Changes to {_quote(result.new_title)}"


def _sides(change: Change) -> list[tuple[str, str, str | None]]:
    """The was/now lines of a change, each with its citation."""
    sides = [("was", change.old, change.old_at), ("now", change.new, change.new_at)]
    return [(label, value, at) for label, value, at in sides if value is not None]


_LABEL = 10


def _text_change(change: Change, width: int) -> list[str]:
    pad = " " * _LABEL
    lines = [f"{change.effect:<{_LABEL}}{one_line(change.subject)}"]
    for label, value, at in _sides(change):
        cite = f"  ({one_line(at)})" if at else ""
        lines.append(f"{pad}{label}  {one_line(value)}{cite}")
    lines.extend(textwrap.wrap(one_line(change.explanation), max(width, 40), initial_indent=pad,
                               subsequent_indent=pad, break_long_words=False,
                               break_on_hyphens=False))
    return lines


def render_diff_text(result: CharterDiff, *, width: int = 100) -> str:
    """The diff for a terminal: one block per change, effect first."""
    lines = [one_line(_heading(result)), f"old: {one_line(result.old_name)}",
             f"new: {one_line(result.new_name)}", _summary(result)]
    for change in result.changes:
        lines += ["", *_text_change(change, width)]
    return "\n".join(lines) + "\n"


def _md_side(value: str | None, at: str | None) -> str:
    if value is None:
        return ""
    return md(value) + (f" ({md(at)})" if at else "")


def render_diff_markdown(result: CharterDiff) -> str:
    """The diff as CommonMark with one GitHub pipe table of changes."""
    lines = [f"# {md(_heading(result))}", "", f"- Old: {md(result.old_name)}",
             f"- New: {md(result.new_name)}", "", md(_summary(result))]
    if result.changed:
        lines += ["", "| Effect | What | Was | Now | Why |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| **{c.effect}** | {md(c.subject)} | {_md_side(c.old, c.old_at)} | "
                  f"{_md_side(c.new, c.new_at)} | {md(c.explanation)} |" for c in result.changes]
    return "\n".join(lines) + "\n"


_STYLE = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #ffffff; margin: 0; }
main { max-width: 80rem; margin: 0 auto; padding: 1.5rem; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.95em; }
th, td { border: 1px solid #d0d7de; padding: 0.3em 0.6em; text-align: left;
  vertical-align: top; }
thead th { background: #f6f8fa; }
cite { display: block; font-style: normal; color: #424a53; font-size: 0.9em; }
.effect-stricter { color: #82071e; background: #ffebe9; }
.effect-looser { color: #0f5323; background: #dafbe1; }
.effect-neutral { color: #424a53; background: #f6f8fa; }
@media print {
  @page { margin: 1.5cm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  tr { break-inside: avoid; }
  thead th, .effect-stricter, .effect-looser, .effect-neutral { background: none; }
}
"""


def _html_side(value: str | None, at: str | None) -> str:
    if value is None:
        return "<td></td>"
    cite = f"<cite>{esc(at)}</cite>" if at else ""
    return f"<td>{esc(value)}{cite}</td>"


def _html_row(change: Change) -> str:
    return (f'<tr><td class="effect-{change.effect}">{change.effect}</td>'
            f'<th scope="row">{esc(change.subject)}</th>'
            f"{_html_side(change.old, change.old_at)}{_html_side(change.new, change.new_at)}"
            f"<td>{esc(change.explanation)}</td></tr>")


def _html_table(result: CharterDiff) -> str:
    if not result.changed:
        return ""
    head = "".join(f'<th scope="col">{name}</th>' for name in ("Effect", "What", "Was", "Now",
                                                               "Why"))
    rows = "\n".join(_html_row(change) for change in result.changes)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n"


def render_diff_html(result: CharterDiff) -> str:
    """One self-contained page: inline CSS, no scripts, nothing fetched."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(_heading(result))}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{esc(_heading(result))}</h1>\n"
        f"<p>Old: {esc(result.old_name)}<br>New: {esc(result.new_name)}</p>\n"
        f"<p>{esc(_summary(result))}</p>\n"
        f"{_html_table(result)}</main>\n</body>\n</html>\n"
    )


def diff_to_dict(result: CharterDiff) -> dict[str, Any]:
    """The diff as plain JSON data; every change has every key, ``null`` where a side is
    missing."""
    return {
        "format": DIFF_FORMAT,
        "format_version": DIFF_FORMAT_VERSION,
        "old": {"file": clean(result.old_name), "title": clean(result.old_title)},
        "new": {"file": clean(result.new_name), "title": clean(result.new_title)},
        "summary": {"changes": len(result.changes),
                    **{effect: result.count(effect) for effect in EFFECTS}},
        "changes": [{field.name: _clean_optional(getattr(change, field.name))
                     for field in attrs.fields(Change)} for change in result.changes],
    }


def _clean_optional(value: str | None) -> str | None:
    return None if value is None else clean(value)


def render_diff_json(result: CharterDiff, *, indent: int | None = 2) -> str:
    return json.dumps(diff_to_dict(result), indent=indent, ensure_ascii=False) + "\n"


DIFF_RENDERERS: dict[str, Callable[[CharterDiff], str]] = {
    "text": render_diff_text,
    "markdown": render_diff_markdown,
    "html": render_diff_html,
    "json": render_diff_json,
}
