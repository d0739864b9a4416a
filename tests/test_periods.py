import datetime as dt

from charterdsl.model import Period
from charterdsl.periods import add_months, every, financial_year_of, periods

D = dt.date


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
    assert add_months(D(2027, 8, 31), 6) == D(2028, 2, 29)
    assert add_months(D(2025, 10, 1), 6) == D(2026, 4, 1)


def test_uk_financial_quarters() -> None:
    spans = list(periods(Period.QUARTER, D(2025, 4, 1), D(2026, 3, 31), (4, 1)))
    assert [(s.start, s.end, s.days) for s in spans] == [
        (D(2025, 4, 1), D(2025, 6, 30), 91),
        (D(2025, 7, 1), D(2025, 9, 30), 92),
        (D(2025, 10, 1), D(2025, 12, 31), 92),
        (D(2026, 1, 1), D(2026, 3, 31), 90),
    ]
    assert spans[0].label == "2025-26 Q1 (Apr-Jun 2025)"


def test_financial_years_and_months() -> None:
    years = list(periods(Period.FINANCIAL_YEAR, D(2025, 6, 1), D(2026, 5, 1), (4, 1)))
    assert [y.label for y in years] == ["2025-26 financial year", "2026-27 financial year"]
    assert financial_year_of(D(2026, 3, 31), (4, 1)) == 2025
    months = list(periods(Period.MONTH, D(2024, 2, 10), D(2024, 3, 1), (4, 1)))
    assert [(m.label, m.days) for m in months] == [("February 2024", 29), ("March 2024", 31)]


def test_every_six_months() -> None:
    assert list(every(6, D(2025, 10, 1), D(2027, 3, 31))) == [
        D(2025, 10, 1), D(2026, 4, 1), D(2026, 10, 1), D(2027, 4, 1)][:3]
