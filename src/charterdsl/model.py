"""The typed charter: frozen attrs classes that know nothing of parsing, JSON or unit arithmetic.

Every class is immutable and compares by content. Source spans ride along for diagnostics and
traceability but never take part in equality, so a charter built by hand equals the same
charter parsed from text. Magnitudes are exact :class:`~decimal.Decimal`; units are the
canonical unit names of :mod:`charterdsl.units`; percentages are stored as percentage points
(``Decimal("30")`` for 30%).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
from decimal import Decimal

import attrs

from charterdsl.source import Span


def _span() -> Span | None:
    # A keyword-only, equality-blind source position shared by every model class.
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- vocabularies


class Status(enum.Enum):
    DRAFT = "draft"
    CONSULTATION = "consultation"
    ADOPTED = "adopted"
    UNDER_REVIEW = "under review"
    SUPERSEDED = "superseded"


class Capital(enum.Enum):
    SOCIAL = "social"
    NATURAL = "natural"
    HUMAN = "human"
    CULTURAL = "cultural"
    ECONOMIC = "economic"
    BUILT = "built"


class MetricKind(enum.Enum):
    SUMMED = "summed"  # a stock: quantities add up over time (weeks, £, tonnes)
    AVERAGED = "averaged"  # a level: averaged over time, weighted by days (FTE in post)
    RATIO = "ratio"  # the sum of one metric over the sum of another
    QUALITATIVE = "qualitative"  # evidence in words, never summed or monetised


class Comparison(enum.Enum):
    AT_LEAST = "at least"
    AT_MOST = "at most"
    BETWEEN = "between"


class Period(enum.Enum):
    MONTH = "month"
    QUARTER = "quarter"
    FINANCIAL_YEAR = "financial year"


class Change(enum.Enum):
    REDUCED = "reduced"
    INCREASED = "increased"


class Rating(enum.Enum):
    """The Procurement Act 2023 key performance indicator ratings, best first."""

    GOOD = "good"
    APPROACHING = "approaching target"
    REQUIRES_IMPROVEMENT = "requires improvement"
    INADEQUATE = "inadequate"

    @property
    def severity(self) -> int:
        return _RATING_ORDER.index(self)


_RATING_ORDER = list(Rating)


class BandComparison(enum.Enum):
    AT_LEAST = "at least"
    BELOW = "below"


class ConsequenceKind(enum.Enum):
    NOTE = "note"
    REMEDY_PLAN = "remedy plan"
    BREAK_ALLOWED = "break allowed"


# ---------------------------------------------------------------------------- values


@attrs.frozen
class Quantity:
    """An exact amount in a canonical unit; ``unit`` is ``None`` for a bare number, which
    means "in the metric's own unit"."""

    magnitude: Decimal
    unit: str | None


@attrs.frozen
class StatusClause:
    status: Status
    on: dt.date | None = None
    span: Span | None = _span()


@attrs.frozen
class Consultation:
    opens: dt.date
    closes: dt.date
    groups: tuple[str, ...] = ()
    responses: int | None = None
    span: Span | None = _span()


@attrs.frozen
class Conventions:
    """Counting conventions a charter states. ``None`` means "not stated": the documented
    default applies and reports say so."""

    financial_year_start: tuple[int, int] | None = None  # (month, day)
    working_week_hours: Decimal | None = None
    working_year_weeks: Decimal | None = None
    currency: str | None = None
    data_coverage_percent: Decimal | None = None
    discount_rate_percent: Decimal | None = None
    price_year: int | None = None  # restate every proxy to the prices of this year


@attrs.frozen
class Header:
    title: str
    authority: str | None = None
    place: str | None = None
    version: str | None = None
    status: StatusClause | None = None
    consultation: Consultation | None = None
    conventions: Conventions = Conventions()
    price_index: tuple[IndexPoint, ...] = ()
    description: str | None = None
    span: Span | None = _span()


@attrs.frozen
class IndexPoint:
    """One year of a price index: ``2024 at 120.2``."""

    year: int
    value: Decimal


# ---------------------------------------------------------------------------- places, themes


@attrs.frozen
class Area:
    id: str
    title: str
    postcode_districts: tuple[str, ...] = ()
    wards: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    description: str | None = None
    span: Span | None = _span()


@attrs.frozen
class Strength:
    id: str
    title: str
    capital: Capital
    description: str | None = None
    span: Span | None = _span()


@attrs.frozen
class Theme:
    id: str
    title: str
    weight_percent: Decimal | None = None
    description: str | None = None
    span: Span | None = _span()


# ---------------------------------------------------------------------------- metrics


@attrs.frozen
class Eligibility:
    """Only what lies in an area counts: ``only people living in local``."""

    subject: str
    area: str
    span: Span | None = _span()


@attrs.frozen
class Proxy:
    """A monetary value per unit delivered, in the prices of one year."""

    amount: Decimal
    per_unit: str
    price_year: int
    source: str | None = None
    span: Span | None = _span()


@attrs.frozen
class Adjustments:
    """SROI adjustments as percentages; ``None`` where the charter states none."""

    deadweight: Decimal | None = None
    attribution: Decimal | None = None
    displacement: Decimal | None = None
    drop_off: Decimal | None = None


@attrs.frozen
class Metric:
    id: str
    title: str
    code: str | None = None
    kind: MetricKind | None = None
    unit: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    record_only: bool = False
    eligibility: Eligibility | None = None
    proxy: Proxy | None = None
    adjustments: Adjustments = Adjustments()
    benefit_years: int | None = None  # how long one year's delivery goes on giving value
    overlaps: tuple[str, ...] = ()  # metrics that count some of the same benefit
    theme: str | None = None
    counting_rule: str | None = None
    description: str | None = None
    span: Span | None = _span()

    @property
    def is_ratio(self) -> bool:
        return self.kind is MetricKind.RATIO


@attrs.frozen
class Outcome:
    id: str
    title: str
    theme: str | None = None
    builds_on: tuple[str, ...] = ()
    targeted_at: tuple[str, ...] = ()
    measured_by: tuple[str, ...] = ()
    description: str | None = None
    span: Span | None = _span()


# ---------------------------------------------------------------------------- targets


@attrs.frozen
class Absolute:
    """A plain amount: ``at least 25 FTE``."""

    quantity: Quantity


@attrs.frozen
class Share:
    """A percentage of another metric: ``at least 30% of total_spend``."""

    percent: Decimal
    of_metric: str


@attrs.frozen
class PerValue:
    """An amount per sum of contract value: ``52 person-weeks per £1m of contract value``."""

    quantity: Quantity
    per_money: Decimal


@attrs.frozen
class Baseline:
    """A change from a baseline: ``reduced by 20% from 500 tCO2e in 2024``."""

    change: Change
    percent: Decimal
    baseline: Quantity
    year: int


Amount = Absolute | Share | PerValue | Baseline


@attrs.frozen
class EachPeriod:
    period: Period


@attrs.frozen
class ByDate:
    date: dt.date


@attrs.frozen
class OverContract:
    pass


Scope = EachPeriod | ByDate | OverContract


@attrs.frozen
class Milestone:
    quantity: Quantity
    date: dt.date
    span: Span | None = _span()


@attrs.frozen
class Excusal:
    start: dt.date
    end: dt.date
    reason: str
    span: Span | None = _span()


@attrs.frozen
class Target:
    metric: str
    comparison: Comparison
    amount: Amount
    scope: Scope
    upper: Amount | None = None  # the second amount of ``between``
    milestones: tuple[Milestone, ...] = ()
    excused: tuple[Excusal, ...] = ()
    data_coverage_percent: Decimal | None = None
    span: Span | None = _span()


# ---------------------------------------------------------------------------- reviews


@attrs.frozen
class Every:
    """A review every N months from a date, until an optional last date."""

    months: int
    start: dt.date
    until: dt.date | None = None


@attrs.frozen
class OnDates:
    dates: tuple[dt.date, ...]


Schedule = Every | OnDates


@attrs.frozen
class Band:
    """``requires improvement when below 90%``: a rating for delivery as a share of what is due."""

    rating: Rating
    comparison: BandComparison
    percent: Decimal
    span: Span | None = _span()


@attrs.frozen
class Consecutive:
    rating: Rating
    or_worse: bool
    count: int


@attrs.frozen
class KOfLast:
    rating: Rating
    or_worse: bool
    k: int
    n: int


@attrs.frozen
class AnyAfter:
    rating: Rating
    or_worse: bool
    date: dt.date


@attrs.frozen
class RemedyFailed:
    """The cure period of a remedy plan ended without the rating improving."""


Condition = Consecutive | KOfLast | AnyAfter | RemedyFailed


@attrs.frozen
class Consequence:
    kind: ConsequenceKind
    days: int | None = None  # the cure period of a remedy plan


@attrs.frozen
class Rule:
    consequence: Consequence
    condition: Condition
    span: Span | None = _span()


@attrs.frozen
class Review:
    schedule: Schedule
    bands: tuple[Band, ...] = ()
    rules: tuple[Rule, ...] = ()
    span: Span | None = _span()


# ---------------------------------------------------------------------------- contracts


@attrs.frozen
class Contract:
    id: str
    title: str
    supplier: str | None = None
    value: Decimal | None = None  # in the charter's currency
    start: dt.date | None = None
    end: dt.date | None = None
    targets: tuple[Target, ...] = ()
    excused: tuple[Excusal, ...] = ()
    reviews: tuple[Review, ...] = ()
    description: str | None = None
    span: Span | None = _span()


# ---------------------------------------------------------------------------- tenders


class ScoringKind(enum.Enum):
    PROPORTIONAL = "in proportion to the best offer"
    RATIO = "against a target ratio"
    BANDS = "by quality bands"


@attrs.frozen
class Scoring:
    """How a tender scores social value: relative to the best offer, against a target of so
    much social value per £ of bid price, or by quality bands given to written answers."""

    kind: ScoringKind
    value: Decimal | None = None  # the ratio's social value, e.g. £0.25 ...
    per: Decimal | None = None  # ... per this much bid price, e.g. £1


@attrs.frozen
class Tender:
    id: str
    title: str
    estimated_value: Decimal | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    weighting_percent: Decimal | None = None  # share of the total score given to social value
    themes: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    scoring: Scoring = Scoring(ScoringKind.PROPORTIONAL)
    description: str | None = None
    span: Span | None = _span()


@attrs.frozen
class Commitment:
    """``commits local_jobs 25 FTE each financial year in eastgate``."""

    metric: str
    quantity: Quantity
    scope: Scope
    area: str | None = None
    span: Span | None = _span()


@attrs.frozen
class Answer:
    """A written answer and the quality score (0-100) the evaluation panel gave it."""

    text: str
    score: int
    span: Span | None = _span()


@attrs.frozen
class Offer:
    id: str
    bidder: str
    tender: str
    bid_price: Decimal | None = None
    commitments: tuple[Commitment, ...] = ()
    answers: tuple[Answer, ...] = ()
    description: str | None = None
    source_name: str = attrs.field(default="", eq=False)
    span: Span | None = _span()


# ---------------------------------------------------------------------------- catalogues


@attrs.frozen
class CatalogueUse:
    """``use catalogue "path" version "2025.1"``, as written."""

    path: str
    version: str | None = None
    span: Span | None = _span()


@attrs.frozen
class Catalogue:
    """An approved list of metrics, loaded from its own file."""

    name: str
    publisher: str | None = None
    version: str | None = None
    licence: str | None = None
    description: str | None = None
    price_index: tuple[IndexPoint, ...] = ()
    uses: tuple[CatalogueUse, ...] = ()  # catalogues this one builds on
    metrics: tuple[Metric, ...] = ()
    source_name: str = attrs.field(default="", eq=False)
    span: Span | None = _span()


@attrs.frozen
class ProxiesUse:
    """``use proxies "tables/proxies.csv"``, as written."""

    path: str
    span: Span | None = _span()


@attrs.frozen
class ProxyEntry:
    """A proxy value for one metric code, from a table the charter's users supply."""

    code: str
    proxy: Proxy


@attrs.frozen
class ProxyTable:
    name: str  # the file, as the charter names it
    entries: tuple[ProxyEntry, ...] = ()


@attrs.frozen
class Comment:
    """A ``#`` comment, kept so the formatter can put it back. ``own_line`` is false for a
    comment that ends a line of code."""

    text: str
    line: int
    own_line: bool


# ---------------------------------------------------------------------------- the charter


@attrs.frozen
class Charter:
    header: Header
    uses: tuple[CatalogueUse, ...] = ()
    proxy_uses: tuple[ProxiesUse, ...] = ()
    areas: tuple[Area, ...] = ()
    strengths: tuple[Strength, ...] = ()
    themes: tuple[Theme, ...] = ()
    metrics: tuple[Metric, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    targets: tuple[Target, ...] = ()  # charter-wide defaults for every contract
    excused: tuple[Excusal, ...] = ()
    reviews: tuple[Review, ...] = ()
    contracts: tuple[Contract, ...] = ()
    tenders: tuple[Tender, ...] = ()
    catalogues: tuple[Catalogue, ...] = ()  # what the ``use catalogue`` lines loaded
    proxy_tables: tuple[ProxyTable, ...] = ()  # what the ``use proxies`` lines loaded
    source_name: str = attrs.field(default="", eq=False)
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def title(self) -> str:
        return self.header.title

    @functools.cached_property
    def metric_index(self) -> dict[str, Metric]:
        """Every metric the charter can use, by id: its own (each completed from the catalogue
        metric with the same code, which it narrows), then every catalogue metric it does not
        redefine."""
        by_code = self.catalogue_codes
        index: dict[str, Metric] = {}
        for metric in self.metrics:
            base = by_code.get(metric.code) if metric.code else None
            index[metric.id] = narrow(base, metric) if base is not None else metric
        for catalogue in self.catalogues:
            for metric in catalogue.metrics:
                index.setdefault(metric.id, metric)
        proxies = {e.code: e.proxy for table in self.proxy_tables for e in table.entries}
        for ident, metric in index.items():
            if metric.proxy is None and metric.code in proxies:
                index[ident] = attrs.evolve(metric, proxy=proxies[metric.code])
        return index

    @functools.cached_property
    def price_index(self) -> dict[int, Decimal]:
        """The price index by year: the charter's own points, then its catalogues'."""
        points: dict[int, Decimal] = {}
        for series in (self.header.price_index, *(c.price_index for c in self.catalogues)):
            for point in series:
                points.setdefault(point.year, point.value)
        return points

    @functools.cached_property
    def catalogue_codes(self) -> dict[str, Metric]:
        """Every catalogue metric with a code, by code (the first catalogue wins a clash,
        which the checks report)."""
        codes: dict[str, Metric] = {}
        for catalogue in self.catalogues:
            for metric in catalogue.metrics:
                if metric.code:
                    codes.setdefault(metric.code, metric)
        return codes

    def metric(self, metric_id: str) -> Metric | None:
        return self.metric_index.get(metric_id)

    def contract(self, contract_id: str) -> Contract | None:
        return next((c for c in self.contracts if c.id == contract_id), None)

    def targets_for(self, contract: Contract) -> tuple[Target, ...]:
        """A contract's own targets, plus the charter-wide ones on metrics it does not target."""
        own = {t.metric for t in contract.targets}
        return contract.targets + tuple(t for t in self.targets if t.metric not in own)

    def reviews_for(self, contract: Contract) -> tuple[Review, ...]:
        """A contract's own reviews, or the charter-wide ones when it states none."""
        return contract.reviews or self.reviews

    def excusals_for(self, contract: Contract) -> tuple[Excusal, ...]:
        return self.excused + contract.excused


# What a charter may say differently when it narrows a catalogue metric: where and for whom it
# counts, and what it is worth. How it is counted stays the catalogue's.
NARROWABLE = frozenset(
    {"id", "title", "code", "eligibility", "proxy", "adjustments", "benefit_years", "overlaps",
     "theme", "description"}
)


def narrow(base: Metric, local: Metric) -> Metric:
    """A charter metric that names a catalogue metric's code: every clause the charter leaves
    out comes from the catalogue."""
    changes = {
        field.name: getattr(local, field.name)
        for field in attrs.fields(Metric)
        if field.eq and getattr(local, field.name) != field.default
    }
    return attrs.evolve(base, **changes, span=local.span)
