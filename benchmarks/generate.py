"""Deterministic charters for benchmarks, written twice: as a charter and as TOML.

``generate(n, seed)`` returns a :class:`Generated` holding

* ``charter``: charter text with exactly ``n`` top-level declarations (the charter header,
  areas, strengths, themes whose weights add up to 100%, metrics with units, proxies and SROI
  adjustments, outcomes, one charter-wide review, and contracts with several targets, excused
  periods and a review with bands and rules). It checks clean with ``charterdsl.parse``.
* ``toml``: the same information as a TOML document, the way a project that chose TOML for its
  configuration would write it. :func:`load_toml` reads it with :func:`tomllib.loads` and
  structures it with cattrs into the attrs classes below (``TomlCharter`` and friends), with
  hooks for ``Decimal`` and dates: the "parse a config file and structure it into typed
  objects" baseline that ``bench_parse.py`` measures charterdsl against.

The TOML classes mirror the field names of :mod:`charterdsl.model` (less spans, comments and
catalogues), so :func:`same_information` can compare the two results field by field.

Run ``python benchmarks/generate.py 1000 --out /tmp/bench`` to write both files to look at.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import random
import sys
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.strategies import configure_tagged_union

DEFAULT_SEED = 20250312
MIN_DECLARATIONS = 20


# ============================================================================ the TOML side


class TStatus(enum.Enum):
    DRAFT = "draft"
    CONSULTATION = "consultation"
    ADOPTED = "adopted"
    UNDER_REVIEW = "under review"
    SUPERSEDED = "superseded"


class TCapital(enum.Enum):
    SOCIAL = "social"
    NATURAL = "natural"
    HUMAN = "human"
    CULTURAL = "cultural"
    ECONOMIC = "economic"
    BUILT = "built"


class TMetricKind(enum.Enum):
    SUMMED = "summed"
    AVERAGED = "averaged"
    RATIO = "ratio"
    QUALITATIVE = "qualitative"


class TComparison(enum.Enum):
    AT_LEAST = "at least"
    AT_MOST = "at most"
    BETWEEN = "between"


class TPeriod(enum.Enum):
    MONTH = "month"
    QUARTER = "quarter"
    FINANCIAL_YEAR = "financial year"


class TChange(enum.Enum):
    REDUCED = "reduced"
    INCREASED = "increased"


class TRating(enum.Enum):
    GOOD = "good"
    APPROACHING = "approaching target"
    REQUIRES_IMPROVEMENT = "requires improvement"
    INADEQUATE = "inadequate"


class TBandComparison(enum.Enum):
    AT_LEAST = "at least"
    BELOW = "below"


class TConsequenceKind(enum.Enum):
    NOTE = "note"
    REMEDY_PLAN = "remedy plan"
    BREAK_ALLOWED = "break allowed"


@attrs.frozen
class TomlQuantity:
    magnitude: Decimal
    unit: str | None = None


@attrs.frozen
class TomlStatusClause:
    status: TStatus
    on: dt.date | None = None


@attrs.frozen
class TomlConsultation:
    opens: dt.date
    closes: dt.date
    groups: tuple[str, ...] = ()
    responses: int | None = None


@attrs.frozen
class TomlConventions:
    financial_year_start: tuple[int, int] | None = None
    working_week_hours: Decimal | None = None
    working_year_weeks: Decimal | None = None
    currency: str | None = None
    data_coverage_percent: Decimal | None = None


@attrs.frozen
class TomlHeader:
    title: str
    authority: str | None = None
    place: str | None = None
    version: str | None = None
    status: TomlStatusClause | None = None
    consultation: TomlConsultation | None = None
    conventions: TomlConventions = TomlConventions()
    description: str | None = None


@attrs.frozen
class TomlArea:
    id: str
    title: str
    postcode_districts: tuple[str, ...] = ()
    wards: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()
    description: str | None = None


@attrs.frozen
class TomlStrength:
    id: str
    title: str
    capital: TCapital
    description: str | None = None


@attrs.frozen
class TomlTheme:
    id: str
    title: str
    weight_percent: Decimal | None = None
    description: str | None = None


@attrs.frozen
class TomlEligibility:
    subject: str
    area: str


@attrs.frozen
class TomlProxy:
    amount: Decimal
    per_unit: str
    price_year: int
    source: str | None = None


@attrs.frozen
class TomlAdjustments:
    deadweight: Decimal | None = None
    attribution: Decimal | None = None
    displacement: Decimal | None = None
    drop_off: Decimal | None = None


@attrs.frozen
class TomlMetric:
    id: str
    title: str
    code: str | None = None
    kind: TMetricKind | None = None
    unit: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    record_only: bool = False
    eligibility: TomlEligibility | None = None
    proxy: TomlProxy | None = None
    adjustments: TomlAdjustments = TomlAdjustments()
    theme: str | None = None
    counting_rule: str | None = None
    description: str | None = None


@attrs.frozen
class TomlOutcome:
    id: str
    title: str
    theme: str | None = None
    builds_on: tuple[str, ...] = ()
    targeted_at: tuple[str, ...] = ()
    measured_by: tuple[str, ...] = ()
    description: str | None = None


@attrs.frozen
class TomlAbsolute:
    quantity: TomlQuantity


@attrs.frozen
class TomlShare:
    percent: Decimal
    of_metric: str


@attrs.frozen
class TomlPerValue:
    quantity: TomlQuantity
    per_money: Decimal


@attrs.frozen
class TomlBaseline:
    change: TChange
    percent: Decimal
    baseline: TomlQuantity
    year: int


TomlAmount = TomlAbsolute | TomlShare | TomlPerValue | TomlBaseline


@attrs.frozen
class TomlEachPeriod:
    period: TPeriod


@attrs.frozen
class TomlByDate:
    date: dt.date


@attrs.frozen
class TomlOverContract:
    pass


TomlScope = TomlEachPeriod | TomlByDate | TomlOverContract


@attrs.frozen
class TomlMilestone:
    quantity: TomlQuantity
    date: dt.date


@attrs.frozen
class TomlExcusal:
    start: dt.date
    end: dt.date
    reason: str


@attrs.frozen
class TomlTarget:
    metric: str
    comparison: TComparison
    amount: TomlAmount
    scope: TomlScope
    upper: TomlAmount | None = None
    milestones: tuple[TomlMilestone, ...] = ()
    excused: tuple[TomlExcusal, ...] = ()
    data_coverage_percent: Decimal | None = None


@attrs.frozen
class TomlEvery:
    months: int
    start: dt.date
    until: dt.date | None = None


@attrs.frozen
class TomlOnDates:
    dates: tuple[dt.date, ...]


TomlSchedule = TomlEvery | TomlOnDates


@attrs.frozen
class TomlBand:
    rating: TRating
    comparison: TBandComparison
    percent: Decimal


@attrs.frozen
class TomlConsecutive:
    rating: TRating
    or_worse: bool
    count: int


@attrs.frozen
class TomlKOfLast:
    rating: TRating
    or_worse: bool
    k: int
    n: int


@attrs.frozen
class TomlAnyAfter:
    rating: TRating
    or_worse: bool
    date: dt.date


@attrs.frozen
class TomlRemedyFailed:
    pass


TomlCondition = TomlConsecutive | TomlKOfLast | TomlAnyAfter | TomlRemedyFailed


@attrs.frozen
class TomlConsequence:
    kind: TConsequenceKind
    days: int | None = None


@attrs.frozen
class TomlRule:
    consequence: TomlConsequence
    condition: TomlCondition


@attrs.frozen
class TomlReview:
    schedule: TomlSchedule
    bands: tuple[TomlBand, ...] = ()
    rules: tuple[TomlRule, ...] = ()


@attrs.frozen
class TomlContract:
    id: str
    title: str
    supplier: str | None = None
    value: Decimal | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    targets: tuple[TomlTarget, ...] = ()
    excused: tuple[TomlExcusal, ...] = ()
    reviews: tuple[TomlReview, ...] = ()
    description: str | None = None


@attrs.frozen
class TomlCharter:
    header: TomlHeader
    areas: tuple[TomlArea, ...] = ()
    strengths: tuple[TomlStrength, ...] = ()
    themes: tuple[TomlTheme, ...] = ()
    metrics: tuple[TomlMetric, ...] = ()
    outcomes: tuple[TomlOutcome, ...] = ()
    targets: tuple[TomlTarget, ...] = ()
    excused: tuple[TomlExcusal, ...] = ()
    reviews: tuple[TomlReview, ...] = ()
    contracts: tuple[TomlContract, ...] = ()


# Tags of the unions, as written in the TOML ``kind`` keys.
_TAGS: dict[type, str] = {
    TomlAbsolute: "absolute",
    TomlShare: "share",
    TomlPerValue: "per value",
    TomlBaseline: "baseline",
    TomlEachPeriod: "each",
    TomlByDate: "by",
    TomlOverContract: "over contract",
    TomlEvery: "every",
    TomlOnDates: "on",
    TomlConsecutive: "consecutive",
    TomlKOfLast: "k of last",
    TomlAnyAfter: "any after",
    TomlRemedyFailed: "remedy failed",
}


def _structure_decimal(value: Any, _: type) -> Decimal:
    # Exact amounts are written as TOML strings ("37.5"): a TOML float would not be exact.
    if isinstance(value, str | int):
        return Decimal(value)
    raise TypeError(f"expected a decimal written as a string, not {value!r}")


def _structure_date(value: Any, _: type) -> dt.date:
    # tomllib already turns a TOML local date into datetime.date; accept ISO strings too.
    if type(value) is dt.date:
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise TypeError(f"expected a date, not {value!r}")


def make_converter() -> cattrs.Converter:
    """A cattrs converter as a project would set one up: the stock ``Converter`` (with its
    default detailed validation), hooks for Decimal and dates, and tagged unions."""
    converter = cattrs.Converter()
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(dt.date, _structure_date)
    for union in (TomlAmount, TomlScope, TomlSchedule, TomlCondition):
        configure_tagged_union(
            union, converter, tag_generator=lambda cls: _TAGS[cls], tag_name="kind"
        )
    return converter


CONVERTER = make_converter()


def load_toml(text: str, converter: cattrs.Converter = CONVERTER) -> TomlCharter:
    """The baseline front end: ``tomllib.loads`` then cattrs structuring."""
    return converter.structure(tomllib.loads(text), TomlCharter)


# ============================================================================ writing both texts


def _q(text: str) -> str:
    """A quoted text, valid both as a charter STRING and a TOML basic string (the generator
    never uses backslashes or control characters)."""
    assert "\\" not in text
    assert '"' not in text
    return f'"{text}"'


def _money(amount: int) -> str:
    """A sum of money as an officer would write it: £12m, £250k, £29,000, £245."""
    if amount >= 1_000_000 and amount % 1_000_000 == 0:
        return f"£{amount // 1_000_000}m"
    if amount >= 100_000 and amount % 1_000 == 0:
        return f"£{amount // 1_000}k"
    return f"£{amount:,}"


def _qty(magnitude: str, unit: str | None) -> str:
    """A TOML inline table for a quantity."""
    unit_part = f", unit = {_q(unit)}" if unit is not None else ""
    return f"{{ magnitude = {_q(magnitude)}{unit_part} }}"


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(_q(i) for i in items) + "]"


_PLACES = [
    "Brightwell",
    "Eastgate",
    "Millside",
    "Northfield",
    "Riverside",
    "Oakbank",
    "Harrowby",
    "Lyndford",
    "Kingsmead",
    "Ashcombe",
    "Westholme",
    "Fairview",
    "Stonebridge",
    "Elmhurst",
]
_SUPPLIERS = [
    "Example Repairs Ltd",
    "Brightwell Building Services",
    "Greenway Facilities",
    "Lynd Valley Care",
    "Civic Catering Co",
    "Northfield Highways",
    "Meadow Waste Services",
]
_WORKS = [
    "Responsive housing repairs",
    "School catering",
    "Highways maintenance",
    "Adult social care",
    "Waste collection",
    "Parks and open spaces",
    "Leisure centres",
    "Street lighting",
    "Home adaptations",
    "Library services",
]
_CAPITALS = ["social", "natural", "human", "cultural", "economic", "built"]
_THEME_TITLES = [
    "Good local jobs and skills",
    "A greener borough",
    "Stronger communities",
    "A thriving local economy",
    "Healthier lives",
    "Safer streets",
    "Fair work",
]


@attrs.frozen
class Generated:
    """A generated charter and the same information as TOML."""

    declarations: int
    seed: int
    charter: str
    toml: str
    counts: dict[str, int]


@attrs.define
class _Writer:
    """Writes each declaration to both texts at once, so the two cannot drift apart."""

    rng: random.Random
    charter: list[str] = attrs.Factory(list)
    toml: list[str] = attrs.Factory(list)

    def both(self, charter_lines: list[str], toml_lines: list[str]) -> None:
        self.charter.extend(charter_lines)
        self.toml.extend(toml_lines)


def plan(n: int) -> dict[str, int]:
    """How many declarations of each kind a charter of ``n`` declarations holds."""
    if n < MIN_DECLARATIONS:
        raise ValueError(f"a generated charter needs at least {MIN_DECLARATIONS} declarations")
    themes = min(100, max(2, n // 40))  # whole-number weights adding to 100%
    areas = max(2, n * 5 // 100)
    strengths = max(1, n * 4 // 100)
    reviews = 1  # one charter-wide default review
    rest = n - 1 - themes - areas - strengths - reviews
    metrics = max(7, rest * 40 // 100)
    contracts = max(1, rest * 35 // 100)
    outcomes = rest - metrics - contracts
    counts = {
        "header": 1,
        "areas": areas,
        "strengths": strengths,
        "themes": themes,
        "metrics": metrics,
        "outcomes": outcomes,
        "reviews": reviews,
        "contracts": contracts,
    }
    assert outcomes >= 1, counts
    assert sum(counts.values()) == n, counts
    return counts


def generate(n: int, seed: int = DEFAULT_SEED) -> Generated:
    """A charter with exactly ``n`` top-level declarations, and the same as TOML."""
    counts = plan(n)
    w = _Writer(random.Random(f"{seed}:{n}"))
    w.both(
        ["# Generated by benchmarks/generate.py: a charter for measuring the front end.", ""],
        ["# Generated by benchmarks/generate.py: the same charter as TOML.", ""],
    )
    _header(w)
    areas = [_area(w, i) for i in range(counts["areas"])]
    strengths = [_strength(w, i) for i in range(counts["strengths"])]
    themes = _themes(w, counts["themes"])
    families = _metrics(w, counts["metrics"], areas, themes)
    metric_ids = [m for family in families for m in family.values()]
    for i in range(counts["outcomes"]):
        _outcome(w, i, themes, strengths, areas, metric_ids)
    _charter_review(w)
    complete = [f for f in families if len(f) == len(_FAMILY)]
    for i in range(counts["contracts"]):
        _contract(w, i, complete[i % len(complete)])
    return Generated(n, seed, "\n".join(w.charter) + "\n", "\n".join(w.toml) + "\n", counts)


def _header(w: _Writer) -> None:
    w.both(
        [
            'charter "Brightwell Community Value Charter"',
            '  authority "Brightwell Borough Council"',
            '  place "Brightwell"',
            "  version 1.2",
            "  status adopted on 2025-03-12",
            "  consultation from 2025-01-06 to 2025-02-28",
            '    with residents, "local SMEs", "voluntary and community sector"',
            "    responses 412",
            "  financial year starts 1 April",
            "  working week is 37.5 hours",
            "  currency GBP",
            "  needs data for at least 75% of each period",
            '  description "What the council asks of every contract it lets."',
            "",
        ],
        [
            "[header]",
            'title = "Brightwell Community Value Charter"',
            'authority = "Brightwell Borough Council"',
            'place = "Brightwell"',
            'version = "1.2"',
            'description = "What the council asks of every contract it lets."',
            "",
            "[header.status]",
            'status = "adopted"',
            "on = 2025-03-12",
            "",
            "[header.consultation]",
            "opens = 2025-01-06",
            "closes = 2025-02-28",
            'groups = ["residents", "local SMEs", "voluntary and community sector"]',
            "responses = 412",
            "",
            "[header.conventions]",
            "financial_year_start = [4, 1]",
            'working_week_hours = "37.5"',
            'currency = "GBP"',
            'data_coverage_percent = "75"',
            "",
        ],
    )


def _area(w: _Writer, i: int) -> str:
    ident = f"area_{i}"
    place = _PLACES[i % len(_PLACES)]
    title = f"{place} neighbourhood {i}"
    c = [f"area {ident} {_q(title)}"]
    t = ["[[areas]]", f"id = {_q(ident)}", f"title = {_q(title)}"]
    if i % 2 == 0:
        districts = [f"BW{i % 90 + k}" for k in range(1, 1 + w.rng.randint(2, 5))]
        c.append("  postcode districts " + ", ".join(districts))
        t.append(f"postcode_districts = {_toml_list(districts)}")
    else:
        wards = [f"{_PLACES[(i + k) % len(_PLACES)]} {k}" for k in range(w.rng.randint(1, 3))]
        c.append("  wards " + ", ".join(_q(x) for x in wards))
        t.append(f"wards = {_toml_list(wards)}")
    if i % 5 == 1:
        c.append(f"  includes area_{i - 1}")
        t.append(f'includes = ["area_{i - 1}"]')
    if i % 3 == 0:
        text = f"The {place} area as the council's maps draw it."
        c.append(f"  description {_q(text)}")
        t.append(f"description = {_q(text)}")
    w.both([*c, ""], [*t, ""])
    return ident


def _strength(w: _Writer, i: int) -> str:
    ident = f"strength_{i}"
    capital = _CAPITALS[i % len(_CAPITALS)]
    title = f"{_PLACES[i % len(_PLACES)]} {capital} asset {i}"
    c = [f"strength {ident} {_q(title)} is {capital} capital"]
    t = ["[[strengths]]", f"id = {_q(ident)}", f"title = {_q(title)}", f"capital = {_q(capital)}"]
    if i % 2 == 0:
        text = "Named by residents during the consultation."
        c.append(f"  description {_q(text)}")
        t.append(f"description = {_q(text)}")
    w.both([*c, ""], [*t, ""])
    return ident


def _themes(w: _Writer, count: int) -> list[str]:
    # Whole-number weights adding up to exactly 100%.
    cuts = sorted(w.rng.sample(range(1, 100), count - 1))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    idents = []
    for i, weight in enumerate(weights):
        ident = f"theme_{i}"
        title = f"{_THEME_TITLES[i % len(_THEME_TITLES)]} ({i})"
        c = [f"theme {ident} {_q(title)} weight {weight}%"]
        t = [
            "[[themes]]",
            f"id = {_q(ident)}",
            f"title = {_q(title)}",
            f'weight_percent = "{weight}"',
        ]
        if i % 4 == 0:
            text = "Scored in every tender at the weight above."
            c.append(f"  description {_q(text)}")
            t.append(f"description = {_q(text)}")
        w.both([*c, ""], [*t, ""])
        idents.append(ident)
    return idents


# A family of metrics that refer to one another (a ratio of two spends); contracts target
# the metrics of one complete family.
_FAMILY = ("jobs", "weeks", "local_spend", "total_spend", "carbon", "spend_share", "stories")


def _metrics(w: _Writer, count: int, areas: list[str], themes: list[str]) -> list[dict[str, str]]:
    families: list[dict[str, str]] = []
    for i in range(count):
        f, role = divmod(i, len(_FAMILY))
        if role == 0:
            families.append({})
        kind = _FAMILY[role]
        ident = f"{kind}_{f}"
        families[-1][kind] = ident
        _metric(w, kind, ident, f, areas, themes)
    return families


def _metric(w: _Writer, kind: str, ident: str, f: int, areas: list[str], themes: list[str]) -> None:
    rng = w.rng
    theme = themes[rng.randrange(len(themes))]
    c: list[str] = []
    t: list[str] = []

    def add(charter_line: str, *toml_lines: str) -> None:
        c.append("  " + charter_line)
        t.extend(toml_lines)

    if kind == "jobs":
        title = f"Local people employed on contract family {f}"
        add(f"code NT{f + 1}                      # from the approved list", f'code = "NT{f + 1}"')
        add("counts FTE, averaged over time", 'kind = "averaged"', 'unit = "FTE"')
        area = areas[rng.randrange(len(areas))]
        add(
            f"only people living in {area}",
            f'eligibility = {{ subject = "people living", area = "{area}" }}',
        )
        pay = rng.choice([27_000, 29_000, 31_500])
        add(
            f"proxy {_money(pay)} per FTE-year (2024 prices)",
            f'proxy = {{ amount = "{pay}", per_unit = "FTE_year", price_year = 2024 }}',
        )
        dead, attr = rng.choice([15, 20, 25]), rng.choice([5, 10])
        add(
            f"deadweight {dead}%, attribution {attr}%",
            f'adjustments = {{ deadweight = "{dead}", attribution = "{attr}" }}',
        )
    elif kind == "weeks":
        title = f"Weeks of apprenticeship completed (family {f})"
        add("counts person-weeks, summed", 'kind = "summed"', 'unit = "person_week"')
        add(
            'proxy £250 per person-week (2024 prices) source "National TOMs 2024"',
            'proxy = { amount = "250", per_unit = "person_week", price_year = 2024, '
            'source = "National TOMs 2024" }',
        )
    elif kind == "local_spend":
        title = f"Spend with local suppliers (family {f})"
        add("counts GBP, summed", 'kind = "summed"', 'unit = "GBP"')
        rule = "Count invoices paid to suppliers with a local address."
        add(f"counting rule {_q(rule)}", f"counting_rule = {_q(rule)}")
    elif kind == "total_spend":
        title = f"All spend on the contract (family {f})"
        add("counts GBP, summed", 'kind = "summed"', 'unit = "GBP"')
        add("record only", "record_only = true")
    elif kind == "carbon":
        title = f"Carbon emissions avoided (family {f})"
        add("counts tCO2e, summed", 'kind = "summed"', 'unit = "tCO2e"')
        add(
            "proxy £245 per tCO2e (2021 prices)",
            'proxy = { amount = "245", per_unit = "tCO2e", price_year = 2021 }',
        )
        add(
            "displacement 5%, drop-off 20%", 'adjustments = { displacement = "5", drop_off = "20" }'
        )
    elif kind == "spend_share":
        title = f"Share of spend that stays local (family {f})"
        add(
            f"counts ratio of local_spend_{f} to total_spend_{f}",
            'kind = "ratio"',
            'unit = "percent"',
            f'numerator = "local_spend_{f}"',
            f'denominator = "total_spend_{f}"',
        )
    else:
        title = f"Stories of change from residents (family {f})"
        add("qualitative", 'kind = "qualitative"')
    add(f"theme {theme}", f'theme = "{theme}"')
    if f % 3 == 0:
        text = "Reported quarterly with the delivery return."
        add(f"description {_q(text)}", f"description = {_q(text)}")
    header_t = ["[[metrics]]", f"id = {_q(ident)}", f"title = {_q(title)}"]
    # TOML wants a table's plain keys before its inline tables in no particular order, but
    # keep the same order as the charter for readability.
    w.both([f"metric {ident} {_q(title)}", *c, ""], [*header_t, *t, ""])


def _outcome(
    w: _Writer,
    i: int,
    themes: list[str],
    strengths: list[str],
    areas: list[str],
    metrics: list[str],
) -> None:
    rng = w.rng
    ident = f"outcome_{i}"
    title = f"Residents see change {i} in {_PLACES[i % len(_PLACES)]}"
    theme = themes[rng.randrange(len(themes))]
    builds = rng.sample(strengths, min(len(strengths), rng.randint(1, 2)))
    targeted = rng.sample(areas, rng.randint(1, 2))
    measured = rng.sample(metrics, rng.randint(1, 3))
    c = [
        f"outcome {ident} {_q(title)}",
        f"  theme {theme}",
        "  builds on " + ", ".join(builds),
        "  targeted at " + ", ".join(targeted),
        "  measured by " + ", ".join(measured),
    ]
    t = [
        "[[outcomes]]",
        f"id = {_q(ident)}",
        f"title = {_q(title)}",
        f"theme = {_q(theme)}",
        f"builds_on = {_toml_list(builds)}",
        f"targeted_at = {_toml_list(targeted)}",
        f"measured_by = {_toml_list(measured)}",
    ]
    if i % 4 == 0:
        text = "What residents told us they want to see."
        c.append(f"  description {_q(text)}")
        t.append(f"description = {_q(text)}")
    w.both([*c, ""], [*t, ""])


_BANDS_C = [
    "good when delivery is at least 100% of what is due",
    "approaching when at least 90%",
    "requires improvement when below 90%",
    "inadequate when below 60%",
]
_BANDS_T = (
    "bands = ["
    '{ rating = "good", comparison = "at least", percent = "100" }, '
    '{ rating = "approaching target", comparison = "at least", percent = "90" }, '
    '{ rating = "requires improvement", comparison = "below", percent = "90" }, '
    '{ rating = "inadequate", comparison = "below", percent = "60" }]'
)


def _rules(rng: random.Random, after: dt.date) -> tuple[list[str], list[str]]:
    """A ladder of consequences, as charter lines and as TOML inline tables."""
    c = [
        "remedy plan within 30 days when requires improvement at 2 consecutive reviews",
        "break allowed when inadequate at 3 consecutive reviews",
    ]
    t = [
        '{ consequence = { kind = "remedy plan", days = 30 }, condition = { kind = '
        '"consecutive", rating = "requires improvement", or_worse = false, count = 2 } }',
        '{ consequence = { kind = "break allowed" }, condition = { kind = "consecutive", '
        'rating = "inadequate", or_worse = false, count = 3 } }',
    ]
    extra = rng.randrange(4)
    if extra == 0:
        c.append("note when approaching or worse at 2 of the last 4 reviews")
        t.append(
            '{ consequence = { kind = "note" }, condition = { kind = "k of last", '
            'rating = "approaching target", or_worse = true, k = 2, n = 4 } }'
        )
    elif extra == 1:
        c.append(f"note when requires improvement or worse at any review after {after}")
        t.append(
            '{ consequence = { kind = "note" }, condition = { kind = "any after", '
            f'rating = "requires improvement", or_worse = true, date = {after} }} }}'
        )
    elif extra == 2:
        c.append("break allowed when remedy period ends without improvement")
        t.append(
            '{ consequence = { kind = "break allowed" }, condition = { kind = "remedy failed" } }'
        )
    return c, t


def _review_lines(
    rng: random.Random,
    indent: str,
    start: dt.date,
    end: dt.date | None,
    on_dates: bool,
    toml_table: str,
) -> tuple[list[str], list[str]]:
    if on_dates:
        dates = [dt.date(start.year + k, 4, 1) for k in range(1, 4)]
        schedule_c = "on " + ", ".join(d.isoformat() for d in dates)
        schedule_t = f'schedule = {{ kind = "on", dates = [{", ".join(map(str, dates))}] }}'
    else:
        months = rng.choice([3, 6, 12])
        first = dt.date(start.year, 10, 1)
        until = f" until {end}" if end is not None and rng.random() < 0.5 else ""
        schedule_c = f"every {months} months from {first}{until}"
        until_t = f", until = {end}" if until else ""
        schedule_t = f'schedule = {{ kind = "every", months = {months}, start = {first}{until_t} }}'
    rules_c, rules_t = _rules(rng, dt.date(start.year + 1, 4, 1))
    inner = indent + "  "
    c = [
        f"{indent}review {schedule_c}",
        *(inner + b for b in _BANDS_C),
        *(inner + r for r in rules_c),
    ]
    t = [
        f"[[{toml_table}]]",
        schedule_t,
        _BANDS_T,
        "rules = [\n  " + ",\n  ".join(rules_t) + ",\n]",
    ]
    return c, t


def _charter_review(w: _Writer) -> None:
    # Contracts start on 1 April 2024, 2025 or 2026 and run five years; a default review's
    # first date (1 October 2026) falls inside every one of their terms.
    c, t = _review_lines(w.rng, "", dt.date(2026, 4, 1), None, False, "reviews")
    w.both(["# The default review for contracts that state none.", *c, ""], [*t, ""])


def _contract(w: _Writer, i: int, family: dict[str, str]) -> None:
    rng = w.rng
    year = 2024 + i % 3
    start, end = dt.date(year, 4, 1), dt.date(year + 5, 3, 31)
    ident = f"HR-{year}-{i:05d}"
    title = f"{_WORKS[i % len(_WORKS)]} ({_PLACES[i % len(_PLACES)]}, lot {i})"
    supplier = _SUPPLIERS[rng.randrange(len(_SUPPLIERS))]
    value = rng.choice([2, 5, 8, 12, 20, 45]) * 1_000_000
    c = [
        f"contract {ident} {_q(title)}",
        f"  supplier {_q(supplier)}",
        f"  value {_money(value)}",
        f"  runs from {start} to {end}",
        "",
    ]
    t = [
        "[[contracts]]",
        f"id = {_q(ident)}",
        f"title = {_q(title)}",
        f"supplier = {_q(supplier)}",
        f'value = "{value}"',
        f"start = {start}",
        f"end = {end}",
    ]
    if i % 4 == 0:
        text = "Let under the 2025 procurement pipeline."
        c.insert(4, f"  description {_q(text)}")
        t.append(f"description = {_q(text)}")
    t.append("")
    kinds = ["jobs", "weeks", "local_spend", "carbon", "share", "baseline", "between"]
    chosen = sorted(rng.sample(range(len(kinds)), rng.randint(3, 5)))
    for index in chosen:
        tc, tt = _target(rng, kinds[index], family, start)
        c.extend(tc)
        t.extend(tt)
    if rng.random() < 0.5:
        c.append(f'  excused from {year}-12-20 to {year + 1}-01-04 because "site closure"')
        t.extend(
            [
                "[[contracts.excused]]",
                f"start = {year}-12-20",
                f"end = {year + 1}-01-04",
                'reason = "site closure"',
                "",
            ]
        )
    if rng.random() < 0.5:  # the others follow the charter-wide review
        rc, rt = _review_lines(rng, "  ", start, end, rng.random() < 0.25, "contracts.reviews")
        c.extend(["", *rc])
        t.extend([*rt, ""])
    w.both([*c, ""], t)


def _target(
    rng: random.Random, kind: str, family: dict[str, str], start: dt.date
) -> tuple[list[str], list[str]]:
    def target_t(metric: str, comparison: str, amount: str, scope: str, *extra: str) -> list[str]:
        return [
            "[[contracts.targets]]",
            f'metric = "{metric}"',
            f'comparison = "{comparison}"',
            f"amount = {amount}",
            f"scope = {scope}",
            *extra,
        ]

    each = {"q": "quarter", "y": "financial year", "m": "month"}
    if kind == "jobs":
        fte = rng.choice([5, 10, 25, 40])
        period = each[rng.choice("qy")]
        metric = family["jobs"]
        c = [f"  target {metric} at least {fte} FTE each {period}"]
        t = target_t(
            metric,
            "at least",
            f'{{ kind = "absolute", quantity = {_qty(str(fte), "FTE")} }}',
            f'{{ kind = "each", period = "{period}" }}',
        )
        if rng.random() < 0.3:
            c.append("    needs data for at least 80% of each period")
            t.append('data_coverage_percent = "80"')
        return c, [*t, ""]
    if kind == "weeks":
        weeks = rng.choice([26, 52, 104])
        metric = family["weeks"]
        mile = dt.date(start.year + 1, 3, 31)
        c = [
            f"  target {metric} at least {weeks} person-weeks per £1m of contract value "
            "over the contract",
            f"    milestone {weeks * 3} person-weeks by {mile}",
        ]
        t = target_t(
            metric,
            "at least",
            f'{{ kind = "per value", quantity = {_qty(str(weeks), "person_week")}, '
            'per_money = "1000000" }',
            '{ kind = "over contract" }',
        )
        t += [
            "",
            "[[contracts.targets.milestones]]",
            f"quantity = {_qty(str(weeks * 3), 'person_week')}",
            f"date = {mile}",
        ]
        return c, [*t, ""]
    if kind == "local_spend":
        pct = rng.choice([20, 25, 30, 40])
        metric = family["local_spend"]
        c = [f"  target {metric} at least {pct}% of {family['total_spend']} each quarter"]
        t = target_t(
            metric,
            "at least",
            f'{{ kind = "share", percent = "{pct}", of_metric = "{family["total_spend"]}" }}',
            '{ kind = "each", period = "quarter" }',
        )
        return c, [*t, ""]
    if kind == "carbon":
        tonnes = rng.choice([60, 120, 250])
        metric = family["carbon"]
        by, mile = dt.date(start.year + 2, 3, 31), dt.date(start.year + 1, 3, 31)
        c = [
            f"  target {metric} at least {tonnes} tCO2e by {by}",
            f"    milestone {tonnes // 3} tCO2e by {mile}",
            f'    excused from {start.year}-12-20 to {start.year + 1}-01-04 because "depot move"',
        ]
        t = target_t(
            metric,
            "at least",
            f'{{ kind = "absolute", quantity = {_qty(str(tonnes), "tCO2e")} }}',
            f'{{ kind = "by", date = {by} }}',
        )
        t += [
            "",
            "[[contracts.targets.milestones]]",
            f"quantity = {_qty(str(tonnes // 3), 'tCO2e')}",
            f"date = {mile}",
            "",
            "[[contracts.targets.excused]]",
            f"start = {start.year}-12-20",
            f"end = {start.year + 1}-01-04",
            'reason = "depot move"',
        ]
        return c, [*t, ""]
    if kind == "share":
        pct = rng.choice([35, 50])
        metric = family["spend_share"]
        c = [f"  target {metric} at least {pct}% each financial year"]
        t = target_t(
            metric,
            "at least",
            f'{{ kind = "absolute", quantity = {_qty(str(pct), "percent")} }}',
            '{ kind = "each", period = "financial year" }',
        )
        return c, [*t, ""]
    if kind == "baseline":
        pct = rng.choice([10, 15, 20])
        base = rng.choice([300, 500, 800])
        metric = family["carbon"]
        c = [
            f"  target {metric} increased by at least {pct}% from {base} tCO2e in 2024 "
            "each financial year"
        ]
        t = target_t(
            metric,
            "at least",
            f'{{ kind = "baseline", change = "increased", percent = "{pct}", '
            f"baseline = {_qty(str(base), 'tCO2e')}, year = 2024 }}",
            '{ kind = "each", period = "financial year" }',
        )
        return c, [*t, ""]
    assert kind == "between"
    low = rng.choice([10, 20])
    metric = family["jobs"]
    c = [f"  target {metric} between {low} FTE and {low + 10} FTE each month"]
    t = target_t(
        metric,
        "between",
        f'{{ kind = "absolute", quantity = {_qty(str(low), "FTE")} }}',
        '{ kind = "each", period = "month" }',
        f'upper = {{ kind = "absolute", quantity = {_qty(str(low + 10), "FTE")} }}',
    )
    return c, [*t, ""]


# ============================================================================ same information?


_LEFT_OUT = frozenset({"span", "source_name", "comments", "uses", "catalogues"})


def _plain(value: Any) -> Any:
    """attrs instances as nested dicts and lists, enums as their values, spans and fields at
    their defaults left out."""
    if attrs.has(type(value)):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in attrs.fields(type(value))
            if f.name not in _LEFT_OUT and not _is_default(f, getattr(value, f.name))
        }
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _is_default(field: Any, value: Any) -> bool:
    # Fields left at their defaults are left out, so that a field one side has and the other
    # lacks (the model grows) only counts when it holds something.
    default = field.default
    if default is attrs.NOTHING or isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return False
    return bool(value == default)


def same_information(charter: Any, toml_charter: TomlCharter) -> list[str]:
    """Where a parsed charter and the structured TOML differ (empty when they hold the same
    information). Field names match by construction; union variants are told apart by their
    fields."""
    differences: list[str] = []
    _diff(_plain(charter), _plain(toml_charter), "charter", differences)
    return differences


def _diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    if len(out) > 20:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{path}.{key}: only in {'toml' if key in b else 'charter'}")
            else:
                _diff(a[key], b[key], f"{path}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items in the charter, {len(b)} in TOML")
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(x, y, f"{path}[{index}]", out)
    elif a != b:
        out.append(f"{path}: {_short(a)} in the charter, {_short(b)} in TOML")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ============================================================================ a small charter


# The charter of docs' language sketch (without its catalogue line, so it stands alone): the
# "small charter" whose cold `charter check` is measured.
SMALL_CHARTER = (Path(__file__).resolve().parents[1] / "tests" / "data" / "sketch.charter"
                 ).read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("declarations", type=int, nargs="+", help="sizes to generate")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=Path("."), help="folder to write into")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for n in args.declarations:
        generated = generate(n, args.seed)
        for suffix, text in (("charter", generated.charter), ("toml", generated.toml)):
            path = args.out / f"generated-{n}.{suffix}"
            path.write_text(text, encoding="utf-8")
            print(f"{path}: {len(text):,} characters, {text.count(chr(10)):,} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
