import datetime as dt
from decimal import Decimal

import pytest

import charterdsl
from charterdsl.model import (
    Absolute,
    Baseline,
    ByDate,
    Change,
    Comparison,
    Consecutive,
    ConsequenceKind,
    EachPeriod,
    Every,
    KOfLast,
    MetricKind,
    OnDates,
    OverContract,
    Period,
    PerValue,
    Quantity,
    Rating,
    RemedyFailed,
    Share,
    Status,
)


@pytest.fixture
def charter(sketch: str) -> charterdsl.Charter:
    # The sketch uses no catalogue, so it parses on its own.
    return charterdsl.parse(sketch, "sketch.charter")


def test_header(charter: charterdsl.Charter) -> None:
    header = charter.header
    assert header.title == "Brightwell Community Value Charter"
    assert header.version == "1.2"
    assert header.status is not None and header.status.status is Status.ADOPTED
    assert header.status.on == dt.date(2025, 3, 12)
    assert header.consultation is not None and header.consultation.responses == 412
    assert header.consultation.groups[1] == "local SMEs"
    assert header.conventions.financial_year_start == (4, 1)
    assert header.conventions.working_week_hours == Decimal("37.5")


def test_metrics(charter: charterdsl.Charter) -> None:
    jobs = charter.metric("local_jobs")
    assert jobs is not None
    assert (jobs.kind, jobs.unit, jobs.code) == (MetricKind.AVERAGED, "FTE", "NT1")
    assert jobs.eligibility is not None and jobs.eligibility.area == "local"
    assert jobs.proxy is not None
    assert (jobs.proxy.amount, jobs.proxy.per_unit, jobs.proxy.price_year) == (
        Decimal(29000), "FTE_year", 2024)
    assert jobs.adjustments.deadweight == 15 and jobs.adjustments.attribution == 10
    total = charter.metric("total_spend")
    assert total is not None and total.record_only


def test_targets_of_every_kind(charter: charterdsl.Charter) -> None:
    jobs, weeks, spend, carbon = charter.contracts[0].targets
    assert jobs.amount == Absolute(Quantity(Decimal(25), "FTE"))
    assert jobs.scope == EachPeriod(Period.FINANCIAL_YEAR)
    assert weeks.amount == PerValue(Quantity(Decimal(52), "person_week"), Decimal(1_000_000))
    assert weeks.scope == OverContract()
    assert weeks.milestones[0].date == dt.date(2026, 3, 31)
    assert spend.amount == Share(Decimal(30), "total_spend")
    assert carbon.scope == ByDate(dt.date(2027, 3, 31))


def test_contract_money_and_term(charter: charterdsl.Charter) -> None:
    contract = charter.contracts[0]
    assert contract.value == Decimal(12_000_000)
    assert (contract.start, contract.end) == (dt.date(2025, 4, 1), dt.date(2030, 3, 31))
    assert contract.excused[0].reason == "site closure"


def test_review(charter: charterdsl.Charter) -> None:
    review = charter.contracts[0].reviews[0]
    assert review.schedule == Every(6, dt.date(2025, 10, 1))
    assert [b.rating for b in review.bands] == list(Rating)
    remedy, breaking = review.rules
    assert remedy.consequence.kind is ConsequenceKind.REMEDY_PLAN
    assert remedy.consequence.days == 30
    assert remedy.condition == Consecutive(Rating.REQUIRES_IMPROVEMENT, False, 2)
    assert breaking.condition == Consecutive(Rating.INADEQUATE, False, 3)


@pytest.mark.parametrize(
    ("written", "magnitude"),
    [("£12m", "12000000"), ("£2.4k", "2400"), ("£1,200", "1200"), ("£0.25", "0.25"),
     ("£1.5bn", "1500000000")],
)
def test_money_as_officers_write_it(written: str, magnitude: str) -> None:
    charter = charterdsl.parse(
        f'charter "x"\ncontract c "t"\n  value {written}\n  runs from 2025-04-01 to 2026-03-31\n'
    )
    assert charter.contracts[0].value == Decimal(magnitude)


def test_baseline_conditions_and_dates() -> None:
    text = '''charter "x"
metric fleet "f"
  counts tCO2e, summed
contract c "t"
  runs from 2025-04-01 to 2028-03-31
  target fleet reduced by 20% from 500 tCO2e in 2024 each financial year
  review on 2025-10-01, 2026-04-01
    note when approaching target or worse at 2 of the last 3 reviews
    break allowed when inadequate at any review after 2026-01-01
    break allowed when remedy period ends without improvement
'''
    contract = charterdsl.parse(text).contracts[0]
    target = contract.targets[0]
    assert target.comparison is Comparison.AT_MOST
    assert target.amount == Baseline(Change.REDUCED, Decimal(20),
                                     Quantity(Decimal(500), "tCO2e"), 2024)
    review = contract.reviews[0]
    assert review.schedule == OnDates((dt.date(2025, 10, 1), dt.date(2026, 4, 1)))
    note, late, failed = review.rules
    assert note.condition == KOfLast(Rating.APPROACHING, True, 2, 3)
    assert late.condition.date == dt.date(2026, 1, 1)  # type: ignore[union-attr]
    assert failed.condition == RemedyFailed()


def test_spans_do_not_take_part_in_equality(sketch: str) -> None:
    moved = "\n\n\n" + sketch
    assert charterdsl.parse(moved) == charterdsl.parse(sketch)


def test_model_holds_no_lark_or_pint_objects(charter: charterdsl.Charter) -> None:
    seen: set[int] = set()

    def walk(value: object) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        module = type(value).__module__
        assert not module.startswith(("lark", "pint")), type(value)
        if hasattr(value, "__attrs_attrs__"):
            for field in value.__attrs_attrs__:  # type: ignore[attr-defined]
                walk(getattr(value, field.name))
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)

    walk(charter)


@pytest.mark.parametrize("day", ["99999999999999999999", "32", "0"])
def test_a_financial_year_starting_on_no_day_is_an_error_not_a_crash(day: str) -> None:
    result = charterdsl.check_text(f'charter "x"\n  financial year starts {day} April\n')
    assert [d.code for d in result.errors] == ["CH401"]
    assert f"{day} April is not a day of the year" in result.errors[0].message
    assert result.errors[0].hint == "write a day of that month, like 1 April"
