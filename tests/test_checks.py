import charterdsl
from charterdsl.checks import check
from charterdsl.model import Charter, Header, Theme

BASE = '''charter "x"
area local "L"
theme jobs "J" weight 100%
metric jobs_fte "Local jobs"
  counts FTE, averaged over time
  only people living in local
  theme jobs
metric spend "Spend"
  counts GBP, summed
metric total "Total"
  counts GBP, summed
  record only
contract c "C"
  value £1m
  runs from 2025-04-01 to 2027-03-31
'''


def codes(extra: str) -> list[tuple[str, str]]:
    result = charterdsl.check_text(BASE + extra)
    return [(d.code, d.message) for d in result.diagnostics]


def test_the_base_charter_is_clean() -> None:
    assert codes("") == []


def test_unknown_reference_suggests_the_nearest_id() -> None:
    result = charterdsl.check_text(BASE + "  target jobs_ftee at least 5 FTE each quarter\n")
    [error] = result.errors
    assert (error.code, error.hint) == ("CH201", "did you mean 'jobs_fte'?")
    assert error.span is not None and error.span.column == 10


def test_target_unit_must_convert_to_the_metric_unit() -> None:
    assert codes("  target spend at least 5 tCO2e each quarter\n") == [
        ("CH302", "tCO2e cannot be converted to GBP, the unit of metric 'spend'")
    ]


def test_percent_target_needs_a_denominator() -> None:
    [(code, _)] = codes("  target spend at least 30% each quarter\n")
    assert code == "CH304"
    assert codes("  target spend at least 30% of total each quarter\n") == []


def test_dates_inside_the_term() -> None:
    found = codes(
        "  target spend at least £5 by 2028-01-01\n"
        "  review on 2024-01-01\n"
    )
    assert [c for c, _ in found] == ["CH407", "CH404"]


def test_milestone_after_the_target_date() -> None:
    found = codes("  target spend at least £500 by 2026-03-31\n    milestone £100 by 2026-06-30\n")
    assert [c for c, _ in found] == ["CH405"]


def test_bands_out_of_order() -> None:
    found = codes(
        "  review on 2025-10-01\n"
        "    good when delivery is at least 100% of what is due\n"
        "    requires improvement when delivery is below 95% of what is due\n"
        "    approaching target when delivery is at least 90% of what is due\n"
    )
    assert [c for c, _ in found] == ["CH406"]


def test_duplicates_cite_both_places() -> None:
    result = charterdsl.check_text(BASE + 'area local "Again"\n', "a.charter")
    [error] = result.errors
    assert error.code == "CH202"
    assert error.related == (("first declared", "a.charter:2:1"),)


def test_theme_weights_must_make_100_percent() -> None:
    charter = Charter(Header("x"), themes=(Theme("a", "A", 60), Theme("b", "B", 30)))  # type: ignore[arg-type]
    [diagnostic] = check(charter)
    assert diagnostic.message == "theme weights add up to 90%, not 100%"


def test_every_independent_problem_in_one_run() -> None:
    text = BASE + (
        "  target jobs_fte at least 5 FTEs each quarter\n"
        "  target spend at least 5 tCO2e each quarter\n"
        "  target missing at least 5 FTE each quarter\n"
    )
    assert [d.code for d in charterdsl.check_text(text).errors] == ["CH301", "CH302", "CH201"]
