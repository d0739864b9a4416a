"""A charter as a public document: plain English for residents and bidders, in HTML or Markdown.

:func:`render_public` lays a charter out once as a list of plain blocks (headings, paragraphs,
bullet lists, tables) and then draws the blocks as a self-contained HTML page or as Markdown,
so the two formats always say the same thing. The order follows what a resident asks: what
the council wants for the place, what it builds on, where offers count most, how each measure
is counted and valued, what each contract must deliver, how delivery is checked and what
happens when it falls short, and how the charter was consulted on.

Sentences are short and words are plain; the tests hold the text of every example to a Flesch
reading ease of at least 60. Ids and charter syntax never appear: a measure is named by its
title, a date is written ``1 April 2025`` and money ``£12 million``.

Everything that comes from a charter or a responses file is untrusted. It is cleaned of
invisible and bidirectional control characters and escaped for the format it lands in, by
the helpers of :mod:`charterdsl.renderers`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import NamedTuple

from charterdsl import units
from charterdsl.consultation import ClauseSummary, ConsultationSummary, Position, Tally
from charterdsl.judging import DEFAULT_BANDS, rate
from charterdsl.model import (
    Absolute,
    Amount,
    AnyAfter,
    Area,
    Band,
    Baseline,
    ByDate,
    Capital,
    Change,
    Charter,
    Comparison,
    Condition,
    Consecutive,
    Consequence,
    ConsequenceKind,
    Consultation,
    Contract,
    EachPeriod,
    Every,
    Excusal,
    KOfLast,
    Metric,
    MetricKind,
    OnDates,
    Outcome,
    OverContract,
    PerValue,
    Quantity,
    Rating,
    RemedyFailed,
    Review,
    Schedule,
    Scope,
    Share,
    Status,
    StatusClause,
    Target,
)
from charterdsl.renderers import CSP, esc, md, money, number, one_line

__all__ = [
    "FORMATS",
    "Block",
    "Bullets",
    "Heading",
    "Item",
    "Para",
    "Table",
    "layout",
    "render_public",
]

FORMATS = ("html", "markdown")

# ---------------------------------------------------------------------------- blocks


class Heading(NamedTuple):
    level: int
    text: str


class Para(NamedTuple):
    text: str


class Item(NamedTuple):
    """A list item: an optional lead in bold (a measure's title, a rating), then sentences."""

    lead: str
    text: str


class Bullets(NamedTuple):
    items: tuple[Item, ...]


class Table(NamedTuple):
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()  # columns of counts, aligned right


Block = Heading | Para | Bullets | Table


def _bullets(texts: Iterable[str]) -> Bullets:
    return Bullets(tuple(Item("", text) for text in texts))


# ---------------------------------------------------------------------------- words

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def day(date: dt.date) -> str:
    """``1 April 2025``: the way GOV.UK writes dates, and never locale-dependent."""
    return f"{date.day} {_MONTHS[date.month - 1]} {date.year}"


def listing(items: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def quoted(text: str) -> str:
    return f"“{text}”"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def pounds(amount: Decimal) -> str:
    """Money as people say it: ``£12 million``, ``£29,000``, ``£17.50``."""
    if amount >= 1_000_000 and amount % 10_000 == 0:
        return f"£{number(amount / 1_000_000)} million"
    if amount == amount.to_integral_value():
        return f"£{amount:,.0f}"
    return money(amount)


def capital(text: str) -> str:
    """Text that starts a line or a list item, with a capital first letter (``residents``
    heads a bullet as ``Residents``)."""
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    """Input text as a sentence of its own: it gets a full stop unless it has one."""
    text = one_line(text).strip()
    return text if not text or text[-1] in ".!?" else text + "."


# Units people would not say as written. The rest read well as units.display prints them.
_UNIT_WORDS: dict[str, tuple[str, str]] = {
    "FTE": ("full-time job", "full-time jobs"),
    "FTE_year": ("year of full-time work", "years of full-time work"),
    "kgCO2e": ("kilogram of carbon", "kilograms of carbon"),
    "tCO2e": ("tonne of carbon", "tonnes of carbon"),
    "kg": ("kilogram", "kilograms"),
    "km": ("kilometre", "kilometres"),
    "GBP": ("pound", "pounds"),
    "GBP_thousand": ("thousand pounds", "thousand pounds"),
    "GBP_million": ("million pounds", "million pounds"),
}
_POUNDS_PER = {"GBP": 1, "GBP_thousand": 1_000, "GBP_million": 1_000_000}

# What a unit means, said once in the measure's section.
_UNIT_NOTES = {
    "FTE": "Two half-time jobs count as one full-time job.",
    "FTE_year": "One person in full-time work for a year is one year of full-time work.",
    "person_hour": "One person for one hour is one person-hour.",
    "person_day": "One person for one working day is one person-day.",
    "person_week": "One person for one working week is one person-week.",
    "tCO2e": "Carbon means carbon dioxide and other greenhouse gases, counted as CO2e.",
    "kgCO2e": "Carbon means carbon dioxide and other greenhouse gases, counted as CO2e.",
}


def unit_words(unit: str | None, magnitude: Decimal = Decimal(2)) -> str:
    if unit is None:
        return ""
    words = _UNIT_WORDS.get(unit)
    if words is not None:
        return words[0] if magnitude == 1 else words[1]
    return units.display(unit, magnitude)


def measure(magnitude: Decimal, unit: str | None) -> str:
    """An amount in words: ``25 full-time jobs``, ``£120,000``, ``30%``."""
    if unit in _POUNDS_PER:
        return pounds(magnitude * _POUNDS_PER[unit])
    if unit == "percent":
        return f"{number(magnitude)}%"
    return f"{number(magnitude)} {unit_words(unit, magnitude)}".rstrip()


def _quantity(quantity: Quantity, fallback: str | None) -> str:
    # A bare number is in the measure's own unit.
    return measure(quantity.magnitude, quantity.unit or fallback)


# ---------------------------------------------------------------------------- the charter


class _Doc:
    """The charter and the look-ups every section needs."""

    def __init__(self, charter: Charter) -> None:
        self.charter = charter
        self.header = charter.header
        self.areas = {area.id: area for area in charter.areas}
        self.strengths = {strength.id: strength for strength in charter.strengths}
        self.themes = {theme.id: theme for theme in charter.themes}
        self.place = charter.header.place or charter.header.authority or "the area"

    def metric(self, ident: str) -> Metric | None:
        return self.charter.metric(ident)

    def metric_title(self, ident: str) -> str:
        metric = self.metric(ident)
        return metric.title if metric is not None else ident

    def area_title(self, ident: str) -> str:
        area = self.areas.get(ident)
        return area.title if area is not None else ident

    def strength_title(self, ident: str) -> str:
        strength = self.strengths.get(ident)
        return strength.title if strength is not None else ident

    def theme_title(self, ident: str) -> str:
        theme = self.themes.get(ident)
        return theme.title if theme is not None else ident


def layout(charter: Charter, responses: ConsultationSummary | None = None) -> list[Block]:
    """The whole public document as blocks, in reading order."""
    doc = _Doc(charter)
    return [
        *_introduction(doc),
        *_outcomes(doc),
        *_strengths(doc),
        *_targeting(doc),
        *_measures(doc),
        *_contracts(doc),
        *_reviews(doc),
        *_consultation(doc, responses),
        *_about(doc),
    ]


# --- introduction ----------------------------------------------------------------------------


def _introduction(doc: _Doc) -> Iterator[Block]:
    header = doc.header
    yield Heading(1, header.title)
    who = f"{header.authority} wrote this charter" if header.authority else "This charter is"
    yield Para(f"{who} for {doc.place}. It says what good we want our contracts to do for "
               "local people. This is called social value. Firms that bid for our contracts "
               "can use it to shape their offers.")
    if header.description:
        yield Para(_sentence(header.description))
    yield Para(" ".join(filter(None, [_status(header.status), _version(header.version)])))


def _version(version: str | None) -> str:
    return f"This is version {version}." if version else ""


# Each status without and with its date.
_STATUS_WORDS = {
    Status.DRAFT: ("This charter is a draft. It is not in force yet.",
                   "This charter is a draft, dated {}. It is not in force yet."),
    Status.CONSULTATION: ("This charter is a draft for public consultation. It is not in force "
                          "yet.",
                          "This charter is a draft for public consultation. It is not in force "
                          "yet. We published it on {}."),
    Status.ADOPTED: ("We have adopted this charter.", "We adopted this charter on {}."),
    Status.UNDER_REVIEW: ("We are reviewing this charter.",
                          "We are reviewing this charter. The review began on {}."),
    Status.SUPERSEDED: ("A newer charter has replaced this one.",
                        "A newer charter replaced this one on {}."),
}


def _status(clause: StatusClause | None) -> str:
    if clause is None:
        return "The charter does not say whether it is a draft or in force."
    undated, dated = _STATUS_WORDS[clause.status]
    return dated.format(day(clause.on)) if clause.on is not None else undated


# --- outcomes --------------------------------------------------------------------------------


def _outcomes(doc: _Doc) -> Iterator[Block]:
    yield Heading(2, f"What we want for {doc.place}")
    outcomes = doc.charter.outcomes
    if not outcomes:
        yield Para("This charter does not set any outcomes yet.")
        return
    yield Para(f"We want to see {counted(len(outcomes), 'change')} in {doc.place}.")
    for outcome in outcomes:
        yield from _outcome(doc, outcome)


def _outcome(doc: _Doc, outcome: Outcome) -> Iterator[Block]:
    yield Heading(3, outcome.title)
    sentences = []
    if outcome.theme:
        sentences.append(f"It is part of the theme {quoted(doc.theme_title(outcome.theme))}.")
    if outcome.builds_on:
        titles = [doc.strength_title(s) for s in outcome.builds_on]
        sentences.append(f"It builds on {listing(titles)}.")
    if outcome.targeted_at:
        titles = [doc.area_title(a) for a in outcome.targeted_at]
        sentences.append(f"It matters most in {listing(titles)}.")
    if sentences:
        yield Para(" ".join(sentences))
    if outcome.description:
        yield Para(_sentence(outcome.description))
    if outcome.measured_by:
        yield Para("We measure it by:")
        yield _bullets(doc.metric_title(m) for m in outcome.measured_by)


# --- strengths -------------------------------------------------------------------------------

_CAPITAL_WORDS = {
    Capital.SOCIAL: "the ties between people and groups",
    Capital.NATURAL: "nature, land and water",
    Capital.HUMAN: "people's skills and health",
    Capital.CULTURAL: "heritage, arts and culture",
    Capital.ECONOMIC: "local firms and jobs",
    Capital.BUILT: "buildings, streets and places",
}


def _strengths(doc: _Doc) -> Iterator[Block]:
    yield Heading(2, "What we build on")
    strengths = doc.charter.strengths
    if not strengths:
        yield Para("This charter does not name any local strengths yet.")
        return
    yield Para(f"Our plans build on what is already strong in {doc.place}.")
    yield Bullets(tuple(
        Item(s.title, " ".join(filter(None, [
            f"This is {s.capital.value} capital: {_CAPITAL_WORDS[s.capital]}.",
            _sentence(s.description or ""),
        ])))
        for s in strengths
    ))


# --- themes and places -----------------------------------------------------------------------


def _targeting(doc: _Doc) -> Iterator[Block]:
    yield Heading(2, "Where offers count most")
    yield from _themes(doc)
    yield from _priority_areas(doc)
    yield from _areas(doc)


def _themes(doc: _Doc) -> Iterator[Block]:
    themes = doc.charter.themes
    if not themes:
        yield Para("This charter does not set any themes yet.")
        return
    yield Para("When we score a bid, part of the score is for social value. We share that "
               "part between these themes.")
    rows = tuple(
        (t.title, f"{number(t.weight_percent)}%" if t.weight_percent is not None else "Not set")
        for t in themes
    )
    yield Table("How the social value score is shared", ("Theme", "Share of the score"), rows,
                frozenset({1}))
    weights = [t.weight_percent for t in themes if t.weight_percent is not None]
    if weights and len(weights) == len(themes):
        yield Para(f"The shares add up to {number(sum(weights, Decimal(0)))}%.")
    described = [Item(t.title, _sentence(t.description)) for t in themes if t.description]
    if described:
        yield Bullets(tuple(described))


def _priority_areas(doc: _Doc) -> Iterator[Block]:
    aimed: dict[str, list[str]] = {}
    for outcome in doc.charter.outcomes:
        for area in outcome.targeted_at:
            aimed.setdefault(area, []).append(quoted(outcome.title))
    if not aimed:
        return
    yield Heading(3, "Where help is needed most")
    yield Para("We most want offers that help these places.")
    yield Bullets(tuple(
        Item(doc.area_title(area), f"This matters most for {listing(outcomes)}.")
        for area, outcomes in aimed.items()
    ))


def _areas(doc: _Doc) -> Iterator[Block]:
    areas = doc.charter.areas
    if not areas:
        return
    yield Heading(3, "What local means")
    yield Para("Some measures only count people or firms in a set area. These are the areas "
               "this charter uses.")
    yield Bullets(tuple(Item(area.title, _area_text(doc, area)) for area in areas))


def _area_text(doc: _Doc, area: Area) -> str:
    sentences = []
    if area.postcode_districts:
        noun = "district" if len(area.postcode_districts) == 1 else "districts"
        sentences.append(f"It covers the postcode {noun} {listing(area.postcode_districts)}.")
    if area.wards:
        noun = "ward" if len(area.wards) == 1 else "wards"
        sentences.append(f"It covers the {noun} of {listing(area.wards)}.")
    if area.places:
        sentences.append(f"It covers {listing(area.places)}.")
    if area.includes:
        sentences.append(f"It is made up of {listing([doc.area_title(a) for a in area.includes])}.")
    if area.description:
        sentences.append(_sentence(area.description))
    return " ".join(sentences)


# --- measures --------------------------------------------------------------------------------


def _used_metrics(charter: Charter) -> list[Metric]:
    """The measures the charter uses: its own, then catalogue measures that an outcome, a
    target or another measure names. Unused catalogue measures would only be noise."""
    wanted = [m.id for m in charter.metrics]
    wanted += [m for outcome in charter.outcomes for m in outcome.measured_by]
    targets = [*charter.targets, *(t for c in charter.contracts for t in c.targets)]
    for target in targets:
        wanted.append(target.metric)
        wanted += [a.of_metric for a in (target.amount, target.upper) if isinstance(a, Share)]
    found: dict[str, Metric] = {}
    while wanted:
        ident = wanted.pop(0)
        metric = charter.metric(ident)
        if metric is None or ident in found:
            continue
        found[ident] = metric
        wanted += [m for m in (metric.numerator, metric.denominator) if m]
    return list(found.values())


def _measures(doc: _Doc) -> Iterator[Block]:
    yield Heading(2, "How we count and value each measure")
    metrics = _used_metrics(doc.charter)
    if not metrics:
        yield Para("This charter does not use any measures yet.")
        return
    yield Para("Each measure says what is counted and how. Some measures also put a money "
               "value on each unit. We call this a proxy value. It is a fair guess of what "
               "the good done is worth.")
    catalogues = _catalogue_note(doc.charter, metrics)
    if catalogues:
        yield Para(catalogues)
    for metric in metrics:
        yield from _metric(doc, metric)


def _catalogue_note(charter: Charter, used: Sequence[Metric]) -> str:
    sentences = []
    for catalogue in charter.catalogues:
        by = f", from {catalogue.publisher}" if catalogue.publisher else ""
        edition = f" (version {catalogue.version})" if catalogue.version else ""
        sentences.append(f"Some measures come from the approved list "
                         f"{quoted(catalogue.name)}{edition}{by}.")
    codes = {m.code for m in used if m.code}
    ids = {m.id for m in used}
    spare = [m for c in charter.catalogues for m in c.metrics
             if m.id not in ids and m.code not in codes]
    if spare:
        lists = "The list has" if len(charter.catalogues) == 1 else "The lists have"
        sentences.append(f"{lists} {counted(len(spare), 'more measure')} that this charter "
                         "does not use.")
    return " ".join(sentences)


def _metric(doc: _Doc, metric: Metric) -> Iterator[Block]:
    yield Heading(3, metric.title)
    yield Para(" ".join(_counting(doc, metric)))
    if metric.counting_rule:
        yield Para("How to count it: " + _sentence(metric.counting_rule))
    value = _value(doc, metric)
    if value:
        yield Para(" ".join(value))
    if metric.description:
        yield Para(_sentence(metric.description))


def _counting(doc: _Doc, metric: Metric) -> list[str]:
    sentences = []
    if metric.code:
        listed = metric.code in doc.charter.catalogue_codes
        sentences.append(f"Its code on the approved list is {metric.code}." if listed
                         else f"Its code is {metric.code}.")
    sentences += _kind(doc, metric)
    if metric.eligibility is not None:
        where = doc.area_title(metric.eligibility.area)
        sentences.append(f"Only {metric.eligibility.subject} in {where} count.")
    if metric.theme:
        sentences.append(f"It counts towards the theme {quoted(doc.theme_title(metric.theme))}.")
    return sentences


def _kind(doc: _Doc, metric: Metric) -> list[str]:
    unit = metric.unit
    in_words = "pounds (£)" if unit in _POUNDS_PER else unit_words(unit)
    note = [_UNIT_NOTES[unit]] if unit in _UNIT_NOTES else []
    match metric.kind:
        case MetricKind.SUMMED:
            return [f"It is counted in {in_words}.", *note,
                    "We add up what is delivered in each period."]
        case MetricKind.AVERAGED:
            return [f"It is counted in {in_words}.", *note,
                    "It is a number at one time, not a total. Over a period, we take the "
                    "average."]
        case MetricKind.RATIO:
            top = quoted(doc.metric_title(metric.numerator or ""))
            bottom = quoted(doc.metric_title(metric.denominator or ""))
            return [f"It is a share: {top} as a percentage of {bottom}."]
        case MetricKind.QUALITATIVE:
            return ["It is described in words, with evidence. It is never added up or given "
                    "a money value."]
    return []


def _value(doc: _Doc, metric: Metric) -> list[str]:
    if metric.record_only:
        return ["We record this figure, but it has no money value."]
    if metric.kind in (MetricKind.RATIO, MetricKind.QUALITATIVE):
        return []
    proxy = metric.proxy
    if proxy is None:
        return ["This charter gives it no money value."]
    each = unit_words(proxy.per_unit, Decimal(1))
    sentences = [f"Each {each} is valued at {pounds(proxy.amount)}, in {proxy.price_year} "
                 "prices."]
    if proxy.source:
        sentences.append("Source of the value: " + _sentence(proxy.source))
    restated = doc.header.conventions.price_year
    if restated is not None and restated != proxy.price_year:
        sentences.append(f"Reports show it in {restated} prices.")
    return sentences + _adjustments(metric, each)


def _adjustments(metric: Metric, each: str) -> list[str]:
    cuts = metric.adjustments
    stated = [
        (cuts.deadweight, "for what would have happened anyway"),
        (cuts.attribution, "for the part that others helped to bring about"),
        (cuts.displacement, "for good that has only moved from somewhere else"),
    ]
    sentences = [f"We take off {number(p)}% {why}." for p, why in stated if p is not None]
    if sentences and metric.proxy is not None:
        net = metric.proxy.amount
        for percent, _ in stated:
            net = net * (100 - (percent or 0)) / 100
        sentences.append(f"So each {each} counts as {pounds(net)} in its first year.")
    if metric.benefit_years is not None:
        sentences.append(f"The value lasts for {counted(metric.benefit_years, 'year')}.")
    if cuts.drop_off is not None:
        sentences.append(f"After the first year, the value falls by {number(cuts.drop_off)}% "
                         "each year.")
    return sentences


# --- contracts and targets -------------------------------------------------------------------


def _contracts(doc: _Doc) -> Iterator[Block]:
    yield Heading(2, "What each contract must deliver")
    charter = doc.charter
    yield Para("Each contract has targets. A target says how much the supplier must deliver, "
               "and by when.")
    if charter.targets or charter.excused:
        yield Heading(3, "Targets for every contract")
        yield Para("These apply to every contract, unless a contract sets its own target for "
                   "the same measure.")
        if charter.targets:
            yield Bullets(tuple(_target(doc, t, None) for t in charter.targets))
        yield from (Para(_excused(e, "under any contract")) for e in charter.excused)
    if not charter.contracts:
        yield Para("No contracts are listed yet.")
    for contract in charter.contracts:
        yield from _contract(doc, contract)


def _contract(doc: _Doc, contract: Contract) -> Iterator[Block]:
    yield Heading(3, f"{contract.title} ({contract.id})")
    yield Para(" ".join(_contract_facts(contract)))
    if contract.description:
        yield Para(_sentence(contract.description))
    targets = doc.charter.targets_for(contract)
    if targets:
        own = set(contract.targets)
        yield Bullets(tuple(_target(doc, t, contract, inherited=t not in own) for t in targets))
    else:
        yield Para("This contract has no targets yet.")
    yield from (Para(_excused(e, "under this contract")) for e in contract.excused)


def _contract_facts(contract: Contract) -> list[str]:
    facts = [f"{contract.supplier} delivers this contract." if contract.supplier
             else "The supplier is not named yet."]
    if contract.value is not None:
        facts.append(f"It is worth {pounds(contract.value)}.")
    if contract.start is not None and contract.end is not None:
        facts.append(f"It runs from {day(contract.start)} to {day(contract.end)}.")
    return facts


def _target(doc: _Doc, target: Target, contract: Contract | None, inherited: bool = False
            ) -> Item:
    metric = doc.metric(target.metric)
    unit = metric.unit if metric is not None else None
    sentences = _requirement(doc, target, unit)
    resolved = _for_contract(target, contract, unit)
    if resolved:
        sentences.append(resolved)
    sentences += _milestones(target, unit)
    sentences += [_excused(e, "for this target") for e in target.excused]
    if target.data_coverage_percent is not None:
        sentences.append(f"A period is rated only when returns cover at least "
                         f"{number(target.data_coverage_percent)}% of it.")
    if inherited:
        sentences.append("This target applies to every contract.")
    return Item(doc.metric_title(target.metric), " ".join(sentences))


def _when(scope: Scope) -> str:
    match scope:
        case EachPeriod(period):
            return f"Each {period.value}"
        case ByDate(date):
            return f"By {day(date)}"
        case OverContract():
            return "Over the whole contract"


def _requirement(doc: _Doc, target: Target, unit: str | None) -> list[str]:
    when = _when(target.scope)
    if isinstance(target.amount, Baseline):
        return _baseline(when, target.amount, unit)
    amount = _amount(doc, target.amount, unit)
    match target.comparison:
        case Comparison.AT_LEAST:
            return [f"{when}, the supplier must reach at least {amount}."]
        case Comparison.AT_MOST:
            return [f"{when}, the supplier must keep it to no more than {amount}."]
        case Comparison.BETWEEN:
            upper = _amount(doc, target.upper, unit) if target.upper is not None else amount
            return [f"{when}, the supplier must keep it between {_lower(target, unit, amount)} "
                    f"and {upper}."]


def _lower(target: Target, unit: str | None, written: str) -> str:
    """The lower bound of ``between``, without its unit when the upper bound repeats it:
    ``between 4 and 8 apprenticeships``."""
    lower, upper = target.amount, target.upper
    if isinstance(lower, Absolute) and isinstance(upper, Absolute):
        first, second = lower.quantity.unit or unit, upper.quantity.unit or unit
        if first == second and first not in _POUNDS_PER and first != "percent":
            return number(lower.quantity.magnitude)
    return written


def _baseline(when: str, amount: Baseline, unit: str | None) -> list[str]:
    cut = amount.change is Change.REDUCED
    return [
        f"{when}, the supplier must {'cut' if cut else 'raise'} it by at least "
        f"{number(amount.percent)}% from the {amount.year} level of "
        f"{_quantity(amount.baseline, unit)}.",
        f"That means {'no more than' if cut else 'at least'} {_level(amount, unit)}.",
    ]


def _level(amount: Baseline, unit: str | None) -> str:
    """What a change from a baseline leaves: 20% off 500 tonnes is 400 tonnes."""
    base = amount.baseline
    sign = -1 if amount.change is Change.REDUCED else 1
    factor = (100 + sign * amount.percent) / 100
    return _quantity(Quantity(base.magnitude * factor, base.unit), unit)


def _amount(doc: _Doc, amount: Amount, unit: str | None) -> str:
    match amount:
        case Absolute(quantity):
            return _quantity(quantity, unit)
        case Share(percent, of_metric):
            return f"{number(percent)}% of {quoted(doc.metric_title(of_metric))}"
        case PerValue(quantity, per_money):
            return f"{_quantity(quantity, unit)} for each {pounds(per_money)} of contract value"
        case Baseline():
            return _level(amount, unit)


def _for_contract(target: Target, contract: Contract | None, unit: str | None) -> str | None:
    """A target per £ of contract value, worked out for one contract."""
    if contract is None or contract.value is None:
        return None
    bounds = [target.amount, *([target.upper] if target.upper is not None else [])]
    if not all(isinstance(b, PerValue) for b in bounds):
        return None
    worked = [_per_value(b, contract.value, unit) for b in bounds if isinstance(b, PerValue)]
    if target.comparison is Comparison.BETWEEN and len(worked) == 2:
        return f"For this contract, that means between {worked[0]} and {worked[1]}."
    how = "at least" if target.comparison is Comparison.AT_LEAST else "no more than"
    return f"For this contract, that means {how} {worked[0]}."


def _per_value(amount: PerValue, value: Decimal, unit: str | None) -> str:
    quantity = amount.quantity
    return _quantity(Quantity(quantity.magnitude * value / amount.per_money, quantity.unit),
                     unit)


def _milestones(target: Target, unit: str | None) -> list[str]:
    sentences = []
    for index, milestone in enumerate(target.milestones):
        lead = "On the way, it" if index == 0 else "It"
        sentences.append(f"{lead} must reach {_quantity(milestone.quantity, unit)} by "
                         f"{day(milestone.date)}.")
    return sentences


def _excused(excusal: Excusal, where: str) -> str:
    return (f"Nothing is due {where} from {day(excusal.start)} to {day(excusal.end)}. "
            f"The reason given is {quoted(one_line(excusal.reason).strip())}.")


# --- reviews ---------------------------------------------------------------------------------

_RATING_WORDS = {
    Rating.GOOD: "Good",
    Rating.APPROACHING: "Approaching target",
    Rating.REQUIRES_IMPROVEMENT: "Requires improvement",
    Rating.INADEQUATE: "Inadequate",
}


def _reviews(doc: _Doc) -> Iterator[Block]:
    yield Heading(2, "How we check delivery")
    charter = doc.charter
    yield Para("We check each contract at set times. We call these reviews. At each review, "
               "each target gets a rating. We use the ratings of the Procurement Act 2023.")
    if charter.reviews:
        yield Heading(3, "Reviews for every contract")
        yield Para("These reviews apply to every contract that does not set its own.")
        users = [c.title for c in charter.contracts if not c.reviews]
        if users:
            yield Para(f"They apply to {listing(users)}.")
        elif charter.contracts:
            yield Para("Every contract listed here sets its own reviews.")
        for review in charter.reviews:
            yield from _review(review)
    for contract in charter.contracts:
        if contract.reviews:
            yield Heading(3, f"Reviews of {contract.title}")
            for review in contract.reviews:
                yield from _review(review)
    unchecked = [c.title for c in charter.contracts if not charter.reviews_for(c)]
    if unchecked:
        yield Para(f"No reviews are set yet for {listing(unchecked)}.")


def _review(review: Review) -> Iterator[Block]:
    yield Para(_schedule(review.schedule))
    yield Para("The rating depends on how much of what was due the supplier has delivered.")
    if not review.bands:
        yield Para("This review uses the standard ratings.")
    yield Bullets(tuple(_bands(review.bands or DEFAULT_BANDS)))
    if review.rules:
        yield Para("If delivery falls short, this is what happens.")
        yield _bullets(_rule(rule.condition, rule.consequence) for rule in review.rules)
    else:
        yield Para("This review does not set any steps for when delivery falls short.")


def _interval(months: int) -> str:
    if months % 12 == 0:
        return "year" if months == 12 else f"{months // 12} years"
    return "month" if months == 1 else f"{months} months"


def _schedule(schedule: Schedule) -> str:
    match schedule:
        case Every(months, start, until):
            last = f" The last review is on or before {day(until)}." if until else ""
            return (f"We review delivery every {_interval(months)}, starting on "
                    f"{day(start)}.{last}")
        case OnDates(dates):
            return f"We review delivery on {listing([day(d) for d in dates])}."


def _bands(bands: Sequence[Band]) -> Iterator[Item]:
    """Each rating with the range of delivery that earns it, worked out with the evaluator's
    own rule so the page says exactly what the verdicts will do."""
    cuts = sorted({Decimal(0), *(band.percent for band in bands)})
    ranges: list[tuple[Rating | None, Decimal, Decimal | None]] = []
    for index, low in enumerate(cuts):
        high = cuts[index + 1] if index + 1 < len(cuts) else None
        band = rate(low, bands)
        rating = band.rating if band is not None else None
        if ranges and ranges[-1][0] == rating:
            ranges[-1] = (rating, ranges[-1][1], high)
        else:
            ranges.append((rating, low, high))
    for rating, low, high in reversed(ranges):
        label = _RATING_WORDS[rating] if rating is not None else "Not rated"
        yield Item(label, _range(low, high))


def _range(low: Decimal, high: Decimal | None) -> str:
    if high is None:
        return f"{number(low)}% or more of what was due."
    if low == 0:
        return f"Less than {number(high)}% of what was due."
    return f"At least {number(low)}% but less than {number(high)}% of what was due."


def _rated(rating: Rating, or_worse: bool) -> str:
    return quoted(_RATING_WORDS[rating]) + (" or worse" if or_worse else "")


def _condition(condition: Condition) -> str:
    match condition:
        case Consecutive(rating, or_worse, count):
            times = "a review" if count == 1 else f"{count} reviews in a row"
            return f"a target is rated {_rated(rating, or_worse)} at {times}"
        case KOfLast(rating, or_worse, k, n):
            return f"a target is rated {_rated(rating, or_worse)} at {k} of the last {n} reviews"
        case AnyAfter(rating, or_worse, date):
            return f"a target is rated {_rated(rating, or_worse)} at any review after {day(date)}"
        case RemedyFailed():
            return "the time for a remedy plan runs out and the rating has not got better"


def _rule(condition: Condition, consequence: Consequence) -> str:
    match consequence.kind:
        case ConsequenceKind.NOTE:
            return f"If {_condition(condition)}, we make a formal note of it."
        case ConsequenceKind.REMEDY_PLAN:
            days = counted(consequence.days or 0, "day")
            return (f"If {_condition(condition)}, the supplier must agree a remedy plan with "
                    f"us within {days}. The plan says how they will put things right.")
        case ConsequenceKind.BREAK_ALLOWED:
            return f"If {_condition(condition)}, we may end the contract."


# --- consultation ----------------------------------------------------------------------------


def _consultation(doc: _Doc, summary: ConsultationSummary | None) -> Iterator[Block]:
    yield Heading(2, "Consultation")
    consultation = doc.header.consultation
    if consultation is None:
        yield Para("This charter does not record a public consultation.")
    else:
        yield from _consultation_facts(doc, consultation)
    if summary is not None:
        yield from _told_us(summary, consultation)


def _consultation_facts(doc: _Doc, consultation: Consultation) -> Iterator[Block]:
    status = doc.header.status
    open_now = status is not None and status.status is Status.CONSULTATION
    window = f"from {day(consultation.opens)} to {day(consultation.closes)}"
    yield Para(f"We are asking for views {window}." if open_now
               else f"We asked for views {window}.")
    if consultation.groups:
        yield Para("We asked these groups:" if not open_now else "We are asking these groups:")
        yield _bullets(capital(group) for group in consultation.groups)
    if consultation.responses is not None:
        yield Para(f"We received {counted(consultation.responses, 'response')}.")


_POSITION_WORDS = {Position.SUPPORT: "support", Position.OBJECT: "object",
                   Position.NEUTRAL: "neutral"}


def _told_us(summary: ConsultationSummary, consultation: Consultation | None
             ) -> Iterator[Block]:
    yield Heading(3, "What people told us")
    yield Para(_rows_note(summary))
    recorded = consultation.responses if consultation is not None else None
    if recorded is not None and recorded != summary.rows_used:
        # The file may hold only some of the responses, such as those sent in writing.
        yield Para(f"The charter counts {counted(recorded, 'response')} in all. This summary "
                   f"covers the {summary.rows_used:,} in the file.")
    total = summary.total
    if total.total:
        yield Para(f"Of these, {total.support:,} support what the charter says, "
                   f"{total.object:,} object and {total.neutral:,} are neutral.")
        yield _tally_table("Responses by part of the charter", "Part of the charter",
                           [*((c.label, c.tally) for c in summary.by_clause),
                            ("All responses", total)])
        yield _tally_table("Responses by group", "Group",
                           [*((capital(g.group), g.tally) for g in summary.by_group),
                            ("All responses", total)])
    yield from _groups_note(summary)
    yield from _comments(summary.by_clause)
    yield from _rejected_rows(summary)


def _rows_note(summary: ConsultationSummary) -> str:
    note = (f"We read {counted(summary.rows_read, 'row')} of responses. We used "
            f"{summary.rows_used:,}.")
    if summary.rows_rejected:
        note += (f" We could not use {summary.rows_rejected:,}. The reasons are at the end "
                 "of this section.")
    return note


def _tally_table(caption: str, first: str, rows: Sequence[tuple[str, Tally]]) -> Table:
    cells = tuple(
        (name, f"{t.support:,}", f"{t.object:,}", f"{t.neutral:,}", f"{t.total:,}")
        for name, t in rows
    )
    return Table(caption, (first, "Support", "Object", "Neutral", "Total"), cells,
                 frozenset({1, 2, 3, 4}))


def _groups_note(summary: ConsultationSummary) -> Iterator[Block]:
    others = [g.group for g in summary.by_group if not g.named]
    if others:
        yield Para(f"Some responses came from groups we did not name: {listing(others)}.")
    if summary.silent_groups:
        yield Para(f"We had no response from {listing(list(summary.silent_groups))}.")
    elif summary.by_group:
        yield Para("Every group we asked gave a response.")


def _comments(clauses: Sequence[ClauseSummary]) -> Iterator[Block]:
    said = [(c, [r for r in c.responses if r.comment]) for c in clauses]
    said = [(c, responses) for c, responses in said if responses]
    if not said:
        return
    yield Heading(3, "What people said")
    for clause, responses in said:
        yield Heading(4, clause.label)
        yield Bullets(tuple(
            Item(f"{capital(r.group)}, {_POSITION_WORDS[r.position]}", _sentence(r.comment))
            for r in responses
        ))


def _rejected_rows(summary: ConsultationSummary) -> Iterator[Block]:
    if not summary.rejected:
        return
    yield Heading(3, "Rows we could not use")
    rows = tuple((f"Row {r.row}", _sentence(r.reason[:1].upper() + r.reason[1:]))
                 for r in summary.rejected)
    yield Table(f"Rows of {summary.file} that were not used", ("Row", "Reason"), rows)


# --- about -----------------------------------------------------------------------------------


def _about(doc: _Doc) -> Iterator[Block]:
    yield Heading(2, "About this charter")
    yield Para("These rules apply when we count and value delivery.")
    yield Bullets(tuple(_conventions(doc)))


def _stated(text: str, stated: bool) -> str:
    return text if stated else text + " This is the standard figure."


def _conventions(doc: _Doc) -> Iterator[Item]:
    rules = doc.header.conventions
    month, first = rules.financial_year_start or (4, 1)
    yield Item("Financial year", _stated(f"It starts on {first} {_MONTHS[month - 1]}.",
                                         rules.financial_year_start is not None))
    week = rules.working_week_hours
    yield Item("Working week", _stated(f"It is {number(week or Decimal('37.5'))} hours.",
                                       week is not None))
    year = rules.working_year_weeks
    yield Item("Working year", _stated(f"It is {number(year or Decimal(52))} weeks.",
                                       year is not None))
    rate_ = rules.discount_rate_percent
    yield Item("Value in later years", _stated(
        f"It counts for {number(rate_ or Decimal('3.5'))}% less for each year ahead.",
        rate_ is not None))
    if rules.price_year is not None:
        yield Item("Prices", f"All money values in reports are in {rules.price_year} prices.")
    cover = rules.data_coverage_percent
    yield Item("Data needed", "A period is rated only when returns cover all of it."
               if cover is None or cover == 100
               else f"A period is rated only when returns cover at least {number(cover)}% of it.")


# ---------------------------------------------------------------------------- Markdown


def _lead(text: str) -> str:
    text = one_line(text).strip()
    return text if not text or text[-1] in ".!?:" else text + "."


def _md_item(item: Item) -> str:
    lead = f"**{md(_lead(item.lead))}** " if item.lead else ""
    return f"- {lead}{md(item.text)}".rstrip()


def _md_table(table: Table) -> list[str]:
    def row(cells: Iterable[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    rule = ("---:" if i in table.numeric else "---" for i in range(len(table.headers)))
    return [
        f"**{md(table.caption)}**",
        "",
        row(md(h) for h in table.headers),
        row(rule),
        *(row(md(cell) for cell in cells) for cells in table.rows),
    ]


def _md_block(block: Block) -> list[str]:
    match block:
        case Heading(level, text):
            return [f"{'#' * level} {md(text)}"]
        case Para(text):
            return [md(text)]
        case Bullets(items):
            return [_md_item(item) for item in items]
        case Table():
            return _md_table(block)


def render_markdown(blocks: Sequence[Block]) -> str:
    return "\n\n".join("\n".join(_md_block(block)) for block in blocks) + "\n"


# ---------------------------------------------------------------------------- HTML

# Text colours keep at least 7:1 contrast on white (WCAG AAA); links are underlined so they
# never rely on colour alone. Print drops the contents list, which has no use on paper.
_STYLE = """
body { font: 18px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1f2328; background: #ffffff; margin: 0; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem; }
h1, h2, h3, h4 { line-height: 1.25; margin: 1.6em 0 0.5em; }
h1 { font-size: 2rem; margin-top: 0.5em; }
h2 { border-bottom: 2px solid #57606a; padding-bottom: 0.2em; }
p, li { max-width: 40rem; }
li { margin: 0.3em 0; }
a { color: #0a3069; text-decoration: underline; }
a:focus { outline: 3px solid #0a3069; outline-offset: 2px; }
nav { border-left: 4px solid #57606a; padding: 0 0 0 1em; margin: 1.5em 0; }
nav h2 { border: none; margin-top: 0; font-size: 1.2rem; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em; }
caption { text-align: left; font-weight: 600; padding: 0.3em 0; }
th, td { border: 1px solid #57606a; padding: 0.3em 0.6em; text-align: left;
  vertical-align: top; }
thead th { background: #f6f8fa; }
tbody th { font-weight: normal; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
@media print {
  @page { margin: 2cm; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2, h3, h4 { break-after: avoid; }
  tr, li { break-inside: avoid; }
  thead th { background: none; }
  a { color: inherit; }
}
"""


def _html_item(item: Item) -> str:
    lead = f"<strong>{esc(_lead(item.lead))}</strong> " if item.lead else ""
    return f"<li>{lead}{esc(item.text)}</li>"


def _html_cell(text: str, index: int, numeric: frozenset[int]) -> str:
    kind = ' class="num"' if index in numeric else ""
    if index == 0:
        return f'<th scope="row"{kind}>{esc(text)}</th>'
    return f"<td{kind}>{esc(text)}</td>"


def _html_table(table: Table) -> str:
    numeric = ' class="num"'
    head = "".join(
        f'<th scope="col"{numeric if i in table.numeric else ""}>{esc(h)}</th>'
        for i, h in enumerate(table.headers)
    )
    body = "\n".join(
        "<tr>" + "".join(_html_cell(c, i, table.numeric) for i, c in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    return (f"<table>\n<caption>{esc(table.caption)}</caption>\n"
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")


def _html_block(block: Block, anchor: str | None) -> str:
    match block:
        case Heading(level, text):
            ident = f' id="{anchor}"' if anchor else ""
            return f"<h{level}{ident}>{esc(text)}</h{level}>"
        case Para(text):
            return f"<p>{esc(text)}</p>"
        case Bullets(items):
            return "<ul>\n" + "\n".join(_html_item(item) for item in items) + "\n</ul>"
        case Table():
            return _html_table(block)


def _anchors(blocks: Sequence[Block]) -> dict[int, tuple[str, str]]:
    """An id and the text of each second-level heading, by block index, for the contents list.
    Ids are numbered, not made from the text, so titles can neither clash nor inject."""
    parts = [(i, b.text) for i, b in enumerate(blocks) if isinstance(b, Heading) and b.level == 2]
    return {index: (f"part-{n}", text) for n, (index, text) in enumerate(parts, start=1)}


def _contents(anchors: dict[int, tuple[str, str]]) -> str:
    links = "\n".join(
        f'<li><a href="#{anchor}">{esc(text)}</a></li>' for anchor, text in anchors.values()
    )
    return (f'<nav aria-labelledby="contents">\n<h2 id="contents">Contents</h2>\n'
            f"<ul>\n{links}\n</ul>\n</nav>")


def render_html(blocks: Sequence[Block], title: str) -> str:
    """One self-contained page: inline CSS, no scripts, nothing fetched, readable in print."""
    anchors = _anchors(blocks)
    parts = []
    for index, block in enumerate(blocks):
        if anchors and index == min(anchors):
            parts.append(_contents(anchors))
        anchor = anchors.get(index)
        parts.append(_html_block(block, anchor[0] if anchor else None))
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------------------- public API


def render_public(charter: Charter, *, fmt: str = "html",
                  responses: ConsultationSummary | None = None) -> str:
    """The charter as a plain-English public document: ``fmt`` is ``"html"`` (a
    self-contained page) or ``"markdown"``. With ``responses`` (from
    :func:`charterdsl.consultation.summarise`), the consultation section says what people
    told us."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    blocks = layout(charter, responses)
    if fmt == "markdown":
        return render_markdown(blocks)
    return render_html(blocks, charter.title)
