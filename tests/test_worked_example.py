"""The worked example of docs/evaluation.md: every figure below is worked out by hand there."""

import datetime as dt
from decimal import Decimal

import pytest

import charterdsl
from charterdsl.delivery import Columns
from charterdsl.evaluator import evaluate, load_data
from charterdsl.report import Report, Verdict, VerdictStatus
from tests.conftest import EXAMPLES

FOLDER = EXAMPLES
AS_OF = dt.date(2026, 4, 30)
S = VerdictStatus


@pytest.fixture(scope="module")
def report() -> Report:
    charter = charterdsl.parse_file(FOLDER / "brightwell.charter")
    data = load_data([str(FOLDER / "brightwell-returns-2025-26.csv")], Columns())
    return evaluate(charter, data, as_of=AS_OF)


def verdict(report: Report, contract: str, metric: str, window: str) -> Verdict:
    [found] = [v for v in report.verdicts
               if (v.contract, v.metric, v.window.label) == (contract, metric, window)]
    return found


def approx(value: Decimal | None, places: int = 2) -> Decimal:
    assert value is not None
    return value.quantize(Decimal(1).scaleb(-places))


def test_every_row_is_accounted_for(report: Report) -> None:
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (35, 25, 10)
    assert [(r.row, r.code) for r in report.rejections] == [
        (23, "CH809"), (28, "CH808"), (29, "CH809"), (30, "CH803"), (31, "CH804"),
        (32, "CH802"), (33, "CH801"), (34, "CH805"), (35, "CH806"), (36, "CH807"),
    ]


def test_local_jobs_are_a_day_weighted_average(report: Report) -> None:
    # (21.5 x 91 + 22 x 92 + 22 x 92 + 22 x 90) / 365 = 7984.5 / 365 FTE
    found = verdict(report, "HR-2025-014", "local_jobs", "2025-26 financial year")
    assert approx(found.delivered, 4) == Decimal("21.8753")
    assert approx(found.percent_of_due) == Decimal("87.50")
    assert found.status is S.REQUIRES_IMPROVEMENT and not found.provisional
    assert [r.row for r in found.rows_used] == [2, 7, 12, 17]
    assert found.band_at.endswith("brightwell.charter:61")  # type: ignore[union-attr]


def test_apprenticeship_milestone_and_pro_rata(report: Report) -> None:
    # 36 + 30 + 1050/37.5 + 40 = 134 person-weeks
    milestone = verdict(report, "HR-2025-014", "apprentice_weeks", "milestone by 2026-03-31")
    assert milestone.delivered == 134 and milestone.due == 150
    assert milestone.status is S.REQUIRES_IMPROVEMENT  # 89.33%
    # 52 x 12 = 624 over 1,826 days, 365 of them reported: 124.73 due so far
    whole = verdict(report, "HR-2025-014", "apprentice_weeks", "over the contract")
    assert approx(whole.due) == Decimal("124.73")
    assert whole.status is S.MET and whole.provisional


@pytest.mark.parametrize(
    ("window", "percent", "status"),
    [
        ("2025-26 Q1 (Apr-Jun 2025)", "34.44", S.MET),
        ("2025-26 Q2 (Jul-Sep 2025)", "25.00", S.REQUIRES_IMPROVEMENT),
        ("2025-26 Q3 (Oct-Dec 2025)", "30.00", S.MET),
        ("2025-26 Q4 (Jan-Mar 2026)", "25.00", S.REQUIRES_IMPROVEMENT),
    ],
)
def test_local_spend_share_each_quarter(report: Report, window: str, percent: str,
                                        status: S) -> None:
    found = verdict(report, "HR-2025-014", "local_spend", window)
    assert approx(found.delivered) == Decimal(percent)
    assert found.status is status


def test_carbon_by_a_date_is_provisional(report: Report) -> None:
    # 14,200 kgCO2e + 15.8 + 16 + 18 tCO2e = 64; due 120 x 365 / 730 = 60 so far
    found = verdict(report, "HR-2025-014", "carbon_saved", "to 2027-03-31")
    assert (found.delivered, approx(found.due)) == (Decimal(64), Decimal("60.00"))
    assert found.status is S.MET and found.provisional


@pytest.mark.parametrize(
    ("window", "status"),
    [
        ("2025-26 Q1 (Apr-Jun 2025)", S.MET),  # 7 of 6
        ("2025-26 Q2 (Jul-Sep 2025)", S.INSUFFICIENT_DATA),  # both rows conflict
        ("2025-26 Q3 (Oct-Dec 2025)", S.REQUIRES_IMPROVEMENT),  # 5 of 6
        ("2025-26 Q4 (Jan-Mar 2026)", S.INADEQUATE),  # 3 of 6
        ("2026-27 Q1 (Apr-Jun 2026)", S.NOT_YET_DUE),
    ],
)
def test_grounds_maintenance_jobs(report: Report, window: str, status: S) -> None:
    assert verdict(report, "GM-2025-002", "local_jobs", window).status is status


def test_emissions_cap_with_excused_days(report: Report) -> None:
    # at most 50 x 0.8 = 40 tCO2e, less 16 excused days: 40 x 349 / 365
    found = verdict(report, "GM-2025-002", "fleet_emissions", "2025-26 financial year")
    assert approx(found.due, 4) == Decimal("38.2466")
    assert found.delivered == 44
    assert approx(found.percent_of_due) == Decimal("86.92")
    assert found.status is S.REQUIRES_IMPROVEMENT


def test_reviews_and_the_remedy_plan(report: Report) -> None:
    housing = report.contracts[0]
    first, second = housing.reviews[:2]
    assert [(r.metric, r.rating) for r in first.ratings] == [
        ("local_jobs", None), ("apprentice_weeks", "good"),
        ("local_spend", "requires improvement"), ("carbon_saved", "approaching target")]
    [remedy] = second.consequences
    assert (remedy.kind, remedy.metric, remedy.due_by) == (
        "remedy plan", "local_spend", dt.date(2026, 5, 1))
    assert remedy.because == (
        "requires improvement or worse at 2 consecutive reviews (2025-10-01, 2026-04-01)")
    assert not housing.reviews[2].held


def test_social_value_in_pounds(report: Report) -> None:
    housing = {v.metric: v for v in report.contracts[0].values}
    jobs = housing["local_jobs"]
    assert approx(jobs.gross) == Decimal("634384.93")  # 7984.5 / 365 FTE-years x £29,000
    assert approx(jobs.net) == Decimal("485304.47")  # x 0.85 x 0.90
    assert approx(jobs.present_value) == Decimal("468893.21")  # / 1.035
    assert housing["apprentice_weeks"].gross == 33500
    assert housing["carbon_saved"].gross == 15680
    totals = {t.price_year: t for t in report.contracts[0].totals}
    assert approx(totals[2024].gross) == Decimal("667884.93")
    assert approx(totals[2024].per_pound, 4) == Decimal("0.0418")
    assert totals[2021].gross == 15680  # never added to the 2024 figures
    assert any("never added together" in note for note in report.notes)
