"""Social value in pounds: gross and net, discounted, traced to rows and charter lines.

For each contract and each metric with a proxy, delivery is counted per contract year (the
first year runs twelve months from the contract's start) in the proxy's unit. A level such as
FTE is turned into FTE-years first: 10 FTE held for 73 days is 2 FTE-years. Then, with Q the
quantity, P the proxy, DW, DS, AT and DO the deadweight, displacement, attribution and
drop-off fractions, r the discount rate and T the years a benefit lasts (one unless the
metric says otherwise)::

    gross_y = Q_y * P
    net_y   = gross_y * (1 - DW) * (1 - DS) * (1 - AT)
    PV      = sum over y and t = 1..T of net_y * (1 - DO) ** (t - 1) / (1 + r) ** (y + t - 1)

Totals are added up within one price year only: proxies of different price years are never
summed into one figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

import attrs

from charterdsl import units
from charterdsl.measure import CONTEXT, Series, grouped, plain, pounds
from charterdsl.model import Adjustments, Contract, Metric, MetricKind
from charterdsl.periods import add_months
from charterdsl.report import GroupTotal, RowRef, ValueLine, ValueTotal

DEFAULT_DISCOUNT_RATE = Decimal("3.5")  # HM Treasury Green Book, percent
DAYS_PER_YEAR = Decimal(365)
ONE = Decimal(1)


def contract_years(contract: Contract, as_of: dt.date) -> list[tuple[int, dt.date, dt.date]]:
    """(year number, first day, last day) of each contract year up to the as-of date."""
    if contract.start is None:
        return []
    end = min(contract.end or as_of, as_of)
    years, number = [], 1
    while (start := add_months(contract.start, 12 * (number - 1))) <= end:
        last = min(add_months(contract.start, 12 * number) - dt.timedelta(days=1), end)
        years.append((number, start, last))
        number += 1
    return years


@attrs.frozen
class Restatement:
    """Restating proxies to one price year with a price index: a proxy of year Y is worth
    ``proxy * index[year] / index[Y]`` in the prices of ``year``."""

    year: int
    index: Mapping[int, Decimal]

    def apply(self, amount: Decimal, year: int) -> tuple[Decimal, str] | None:
        if year == self.year or year not in self.index or self.year not in self.index:
            return None
        restated = CONTEXT.divide(amount * self.index[self.year], self.index[year])
        why = (f"proxy {pounds(amount)} ({year} prices) restated to {self.year} prices: "
               f"x {plain(self.index[self.year])} / {plain(self.index[year])} "
               f"= {pounds(restated)}")
        return restated, why


def value_line(contract: Contract, metric: Metric, series: Series, as_of: dt.date,
               discount_percent: Decimal, proxy_at: str, themes: Sequence[str],
               outcomes: Sequence[str], working_week: Decimal,
               restatement: Restatement | None = None) -> ValueLine | str:
    """The value of one metric on one contract, or why it cannot be valued."""
    proxy = metric.proxy
    assert proxy is not None
    assert metric.unit is not None
    per_year: list[tuple[int, Decimal]] = []
    rows: list[RowRef] = []
    convert = _converter(metric, proxy.per_unit, working_week)
    if convert is None:
        return (f"{metric.id}: delivery in {units.display(metric.unit)} cannot be valued per "
                f"{units.display(proxy.per_unit, ONE)}")
    for number, start, end in contract_years(contract, as_of):
        quantity, used = convert(series, start, end)
        if used:
            per_year.append((number, quantity))
            rows += used
    if not per_year:
        return f"{metric.id}: no delivery to value"
    unique = tuple(dict.fromkeys(rows))  # a row that spans two contract years is cited once
    return _line(contract, metric, per_year, unique, discount_percent, proxy_at,
                 themes, outcomes, restatement)


# Counts one contract year of a series in the proxy's unit, with the rows it used.
Convert = Callable[[Series, dt.date, dt.date], tuple[Decimal, tuple[RowRef, ...]]]


def _converter(metric: Metric, per_unit: str, working_week: Decimal) -> Convert | None:
    unit = metric.unit
    assert unit is not None
    if metric.kind is MetricKind.AVERAGED:
        per_year = units.factor(f"{unit}_year", per_unit, working_week) if (
            f"{unit}_year" in units.BY_NAME) else None
        if per_year is None:
            return None

        def level(series: Series, start: dt.date, end: dt.date
                  ) -> tuple[Decimal, tuple[RowRef, ...]]:
            unit_days, used = series.level_days(start, end)
            return CONTEXT.divide(units.convert(unit_days, per_year), DAYS_PER_YEAR), used

        return level
    factor = units.factor(unit, per_unit, working_week)
    if factor is None:
        return None

    def stock(series: Series, start: dt.date, end: dt.date
              ) -> tuple[Decimal, tuple[RowRef, ...]]:
        measured = series.total(start, end)
        return units.convert(measured.value or Decimal(0), factor), measured.rows

    return stock


def _fraction(percent: Decimal | None) -> Decimal:
    return ONE - (percent or Decimal(0)) / 100


def net_factor(adjustments: Adjustments) -> Decimal:
    return (
        _fraction(adjustments.deadweight)
        * _fraction(adjustments.displacement)
        * _fraction(adjustments.attribution)
    )


def present_value(net_by_year: Sequence[tuple[int, Decimal]], drop_off: Decimal | None,
                  benefit_years: int, discount_percent: Decimal) -> Decimal:
    rate = ONE + discount_percent / 100
    keep = _fraction(drop_off)
    total = Decimal(0)
    for year, net in net_by_year:
        for t in range(1, benefit_years + 1):
            total += CONTEXT.divide(net * keep ** (t - 1), rate ** (year + t - 1))
    return total


def _line(contract: Contract, metric: Metric, per_year: list[tuple[int, Decimal]],
          rows: tuple[RowRef, ...], discount_percent: Decimal, proxy_at: str,
          themes: Sequence[str], outcomes: Sequence[str],
          restatement: Restatement | None) -> ValueLine:
    proxy = metric.proxy
    assert proxy is not None
    amount, price_year, restated = proxy.amount, proxy.price_year, None
    if restatement is not None:
        restated = restatement.apply(proxy.amount, proxy.price_year)
        if restated is not None:
            amount, price_year = restated[0], restatement.year
    quantity = sum((q for _, q in per_year), Decimal(0))
    gross = quantity * amount
    factor = net_factor(metric.adjustments)
    net = gross * factor
    years = metric.benefit_years or 1
    pv = present_value([(y, q * amount * factor) for y, q in per_year],
                       metric.adjustments.drop_off, years, discount_percent)
    unit = units.display(proxy.per_unit)
    # Quantities keep six decimal places so that the arithmetic can be followed by hand.
    explanation = (
        "quantity " + " + ".join(f"{grouped(q, 6)} in year {y}" for y, q in per_year)
        + f" = {grouped(quantity, 6)} {unit}",
        *([restated[1]] if restated else []),
        f"gross = {grouped(quantity, 6)} x {pounds(amount)} = {pounds(gross)} "
        f"({price_year} prices)",
        f"net = gross x {plain(factor, 4)} after deadweight, displacement and attribution "
        f"= {pounds(net)}",
        f"present value at {plain(discount_percent, 2)}% a year over {years} year(s) of "
        f"benefit = {pounds(pv)}",
    )
    return ValueLine(
        contract.id, metric.id, quantity, unit, amount, units.display(proxy.per_unit, ONE),
        price_year, gross, net, pv,
        theme=themes[0] if themes else None, outcomes=tuple(outcomes),
        original_proxy=proxy.amount if restated else None,
        original_price_year=proxy.price_year if restated else None,
        proxy_at=proxy_at, rows_used=rows, explanation=explanation,
    )


def totals(lines: Iterable[ValueLine], contract_value: Decimal | None = None
           ) -> tuple[ValueTotal, ...]:
    """Totals per price year, with net present value per £1 of contract value."""
    by_year: dict[int, list[ValueLine]] = {}
    for line in lines:
        by_year.setdefault(line.price_year, []).append(line)
    result = []
    for year in sorted(by_year):
        group = by_year[year]
        pv = sum((v.present_value for v in group), Decimal(0))
        per_pound = CONTEXT.divide(pv, contract_value) if contract_value else None
        result.append(ValueTotal(
            year,
            sum((v.gross for v in group), Decimal(0)),
            sum((v.net for v in group), Decimal(0)),
            pv,
            per_pound,
        ))
    return tuple(result)


def group_totals(lines: Sequence[ValueLine], key: Callable[[ValueLine], Iterable[str]]
                 ) -> tuple[GroupTotal, ...]:
    groups: dict[str, list[ValueLine]] = {}
    for line in lines:
        for name in key(line) or ("(none)",):
            groups.setdefault(name, []).append(line)
    return tuple(GroupTotal(name, totals(groups[name])) for name in sorted(groups))
