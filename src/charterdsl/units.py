"""Units: the explicit set charters and delivery returns may use, built on pint.

Charter and data text never reaches pint's expression parser. A unit word is looked up in
:data:`UNITS` (exact spellings only, so ``FTEs`` is an error with a hint, not a guess); pint is
given only the definitions written in this file, and is used once per pair of units to work out
an exact conversion factor as a :class:`~fractions.Fraction` (a person-hour is exactly 2/75 of
a 37.5-hour person-week), which :func:`convert` applies to plain decimals. Nothing here builds
a pint quantity per data row.

Some conversions depend on a charter's conventions: a person-week is as many person-hours as the
charter's working week (37.5 unless the charter says otherwise), so each set of conventions gets
its own small registry.
"""

from __future__ import annotations

import decimal
import difflib
import functools
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

DEFAULT_WORKING_WEEK_HOURS = Decimal("37.5")
DEFAULT_WORKING_YEAR_WEEKS = Decimal("52")


@attrs.frozen
class Unit:
    """One unit: its canonical name, how it is printed, and every spelling accepted."""

    name: str
    singular: str
    plural: str
    definition: str  # pint definition; "{week}" is the charter's working week in hours
    aliases: tuple[str, ...] = ()
    description: str = ""

    def display(self, magnitude: Decimal) -> str:
        return self.singular if magnitude == 1 else self.plural


def _u(
    name: str, singular: str, plural: str, definition: str, *aliases: str, about: str = ""
) -> Unit:
    return Unit(name, singular, plural, definition, (singular, plural, *aliases), about)


# The documented set (docs/units.md is generated from the same facts). Dimensions in square
# brackets are ours: GBP is a currency of its own and never converts to another currency, and
# carbon is not a plain mass, so tonnes of waste never convert to tonnes of CO2e.
UNITS: tuple[Unit, ...] = (
    _u("FTE", "FTE", "FTE", "[staff]", about="full-time equivalent people in post (a level)"),
    _u("FTE_year", "FTE-year", "FTE-years", "FTE * year", about="a year of one FTE (a stock)"),
    _u("person", "person", "people", "[person]", "persons", "headcount", about="a head count"),
    _u("person_hour", "person-hour", "person-hours", "person * hour", about="hours of one person"),
    _u(
        "person_day",
        "person-day",
        "person-days",
        "person * {week} / 5 * hour",
        about="a fifth of the working week",
    ),
    _u(
        "person_week",
        "person-week",
        "person-weeks",
        "person * {week} * hour",
        about="a working week of one person",
    ),
    _u("hour", "hour", "hours", "[time]", "h", "hrs", about="an hour of time"),
    _u("day", "day", "days", "24 * hour"),
    _u("week", "week", "weeks", "7 * day", about="a calendar week"),
    _u("year", "year", "years", "365 * day", about="a calendar year of 365 days"),
    _u("GBP", "GBP", "GBP", "[currency_gbp]", "£", "pounds", about="pounds sterling"),
    _u("GBP_thousand", "GBP thousand", "GBP thousand", "1000 * GBP", "£k", "GBPk"),
    _u("GBP_million", "GBP million", "GBP million", "1000000 * GBP", "£m", "GBPm"),
    _u("kgCO2e", "kgCO2e", "kgCO2e", "[carbon]", "kg CO2e", about="kilograms of CO2 equivalent"),
    _u("tCO2e", "tCO2e", "tCO2e", "1000 * kgCO2e", "tonnes CO2e", "t CO2e"),
    _u("kg", "kg", "kg", "[mass]", "kilogram", "kilograms"),
    _u("tonne", "tonne", "tonnes", "1000 * kg", "t"),
    _u("metre", "metre", "metres", "[length]", "m"),
    _u("km", "km", "km", "1000 * metre", "kilometre", "kilometres"),
    _u("mile", "mile", "miles", "1609.344 * metre"),
    _u("percent", "%", "%", "0.01", "percent", about="a hundredth"),
    _u("visit", "visit", "visits", "[visit]"),
    _u("session", "session", "sessions", "[session]"),
    _u("placement", "placement", "placements", "[placement]"),
    _u("opportunity", "opportunity", "opportunities", "[opportunity]"),
    _u("apprenticeship", "apprenticeship", "apprenticeships", "[apprenticeship]"),
    _u("home", "home", "homes", "[home]"),
    _u("tree", "tree", "trees", "[tree]"),
    _u("organisation", "organisation", "organisations", "[organisation]", "organizations"),
    _u("event", "event", "events", "[event]"),
)

BY_NAME: dict[str, Unit] = {unit.name: unit for unit in UNITS}
_BY_SPELLING: dict[str, str] = {
    spelling: unit.name for unit in UNITS for spelling in (unit.name, *unit.aliases)
}


def lookup(text: str) -> str | None:
    """The canonical name of a unit as written, or ``None`` when it is not in the set.

    Spellings are exact, except that runs of spaces count as one space."""
    return _BY_SPELLING.get(" ".join(text.split()))


_BY_FOLDED: dict[str, str] = {}
for _spelling, _name in _BY_SPELLING.items():
    _BY_FOLDED.setdefault(_spelling.casefold(), _name)


def lookup_folded(text: str) -> str | None:
    """:func:`lookup` ignoring case, for delivery data typed by many hands (``fte``,
    ``Person-Weeks``). Charters use :func:`lookup`, where case is exact."""
    return _BY_FOLDED.get(" ".join(text.split()).casefold())


def suggest(text: str) -> str | None:
    """The accepted spelling closest to an unknown unit, for a "did you mean" hint."""
    folded = {spelling.casefold(): spelling for spelling in _BY_SPELLING}
    if text.casefold() in folded:
        return folded[text.casefold()]
    matches = difflib.get_close_matches(text.casefold(), list(folded), n=1, cutoff=0.6)
    return folded[matches[0]] if matches else None


def display(unit: str | None, magnitude: Decimal = Decimal(2)) -> str:
    """How a canonical unit is printed after a magnitude (``25 FTE``, ``1 person-week``)."""
    if unit is None:
        return ""
    return BY_NAME[unit].display(magnitude) if unit in BY_NAME else unit


class _Registry:
    """A pint registry holding only our definitions, for one working week."""

    def __init__(self, working_week_hours: Decimal) -> None:
        import pint  # the only import of pint in the package, made when a conversion is needed

        self._registry: Any = pint.UnitRegistry(None, non_int_type=Fraction)
        week = str(working_week_hours)
        for unit in UNITS:
            self._registry.define(f"{unit.name} = {unit.definition.format(week=week)}")

    def factor(self, source: str, target: str) -> Fraction | None:
        registry = self._registry
        try:
            quantity = registry.Quantity(Fraction(1), registry.Unit(source))
            converted = quantity.to(registry.Unit(target))
        except Exception:  # pint's DimensionalityError and friends never leave this module
            return None
        return Fraction(converted.magnitude)



@functools.lru_cache(maxsize=16)
def _registry(working_week_hours: Decimal) -> _Registry:
    return _Registry(working_week_hours)


@functools.lru_cache(maxsize=4096)
def factor(
    source: str, target: str, working_week_hours: Decimal = DEFAULT_WORKING_WEEK_HOURS
) -> Fraction | None:
    """Multiply a magnitude in ``source`` by this to express it in ``target``; ``None`` when the
    two cannot convert (different dimensions, or a unit outside the set)."""
    if source == target:
        return Fraction(1)
    if source not in BY_NAME or target not in BY_NAME:
        return None
    return _registry(working_week_hours).factor(source, target)


# Decimal places enough that a conversion which does not come out exact (a person-hour in
# person-weeks of 37.5 hours, a mile in km) is off by far less than any figure shown.
_CONTEXT = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_EVEN)
# Multiplying by a whole number rounds nothing here: quantities are at most a few hundred digits.
_EXACT = decimal.Context(prec=decimal.MAX_PREC, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN)


def convert(magnitude: Decimal, by: Fraction) -> Decimal:
    """``magnitude * by``: exact when ``by`` is whole, else to 40 significant digits. A factor
    of one gives ``magnitude`` itself, so no path rounds a long quantity that another keeps."""
    if by == 1:
        return magnitude
    product = _EXACT.multiply(magnitude, Decimal(by.numerator))
    if by.denominator == 1:
        return product
    return _CONTEXT.divide(product, Decimal(by.denominator))
