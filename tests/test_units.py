from decimal import Decimal
from fractions import Fraction

import pytest

from charterdsl import units


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("FTE", "FTE"),
        ("person-weeks", "person_week"),
        ("person-week", "person_week"),
        ("GBP million", "GBP_million"),
        ("GBP  million", "GBP_million"),
        ("kgCO2e", "kgCO2e"),
        ("tCO2e", "tCO2e"),
        ("hours", "hour"),
        ("%", "percent"),
        ("miles", "mile"),
    ],
)
def test_lookup_accepts_the_documented_spellings(written: str, name: str) -> None:
    assert units.lookup(written) == name


def test_lookup_is_exact_and_suggests_the_near_miss() -> None:
    assert units.lookup("FTEs") is None
    assert units.suggest("FTEs") == "FTE"
    assert units.lookup("fte") is None
    assert units.lookup_folded("fte") == "FTE"


@pytest.mark.parametrize(
    ("source", "target", "factor"),
    [
        ("kgCO2e", "tCO2e", Fraction(1, 1000)),
        ("GBP_million", "GBP", Fraction(1_000_000)),
        ("person_hour", "person_week", Fraction(2, 75)),  # 37.5-hour week
        ("mile", "km", Fraction(25146, 15625)),  # 1.609344 km, exactly
        ("FTE_year", "FTE_year", Fraction(1)),
    ],
)
def test_factors_are_exact(source: str, target: str, factor: Fraction) -> None:
    assert units.factor(source, target) == factor


def test_working_week_changes_person_week_conversions() -> None:
    assert units.factor("person_week", "person_hour", Decimal(40)) == 40


@pytest.mark.parametrize(
    ("source", "target"),
    [("GBP", "tCO2e"), ("tonne", "tCO2e"), ("FTE", "person"), ("hour", "person_hour")],
)
def test_different_dimensions_never_convert(source: str, target: str) -> None:
    assert units.factor(source, target) is None


def test_convert_is_exact_when_the_result_is() -> None:
    assert units.convert(Decimal(1050), Fraction(2, 75)) == Decimal(28)
    assert units.convert(Decimal("14200"), Fraction(1, 1000)) == Decimal("14.2")


def test_display_pluralises() -> None:
    assert units.display("person_week", Decimal(1)) == "person-week"
    assert units.display("person_week", Decimal(52)) == "person-weeks"
    assert units.display("FTE", Decimal(25)) == "FTE"


def test_convert_is_exact_for_whole_factors_and_leaves_a_factor_of_one_alone() -> None:
    long = Decimal("0.33333333333333333333333333333")  # more digits than a default context
    assert units.convert(long, Fraction(1)) is long
    assert units.convert(long, Fraction(1000)) == Decimal("333.33333333333333333333333333")
    assert units.convert(Decimal("75"), Fraction(2, 75)) == Decimal(2)
