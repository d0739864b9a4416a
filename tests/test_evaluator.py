"""Evaluator rules on small charters, each figure worked out by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import charterdsl
from charterdsl import delivery
from charterdsl.evaluator import evaluate
from charterdsl.report import Report, Verdict, VerdictStatus

HEADER = "contract,metric,period_start,period_end,quantity,unit,evidence\n"
CONTRACT = 'contract C-1 "C"\n  value £1m\n  runs from 2025-04-01 to 2026-03-31\n'


def report(charter: str, rows: str, as_of: dt.date) -> Report:
    parsed = charterdsl.parse('charter "x"\n' + charter)
    return evaluate(parsed, delivery.read_csv_text(HEADER + rows, "d.csv"), as_of=as_of)


def only(found: Report, window: str) -> Verdict:
    [verdict] = [v for v in found.verdicts if v.window.label == window]
    return verdict


def test_a_share_converts_the_second_metric_into_the_first_one_s_unit() -> None:
    # £300,000 of £1,000 thousand = 30%.
    found = report(
        'metric local "L"\n  counts GBP, summed\nmetric total "T"\n  counts GBP thousand, summed\n'
        + CONTRACT + "  target local at least 30% of total each quarter\n",
        "C-1,local,2025-04-01,2025-06-30,300000,GBP,e\n"
        "C-1,total,2025-04-01,2025-06-30,1000,GBP thousand,e\n",
        dt.date(2025, 7, 15),
    )
    verdict = only(found, "2025-26 Q1 (Apr-Jun 2025)")
    assert verdict.delivered == 30 and verdict.status is VerdictStatus.MET


def test_a_share_of_two_levels_divides_their_averages() -> None:
    # 10 FTE of 20 FTE, each averaged over the year, is 50%.
    rows = "".join(
        f"C-1,{metric},{start},{end},{fte},FTE,e\n"
        for metric, fte in (("local_staff", 10), ("all_staff", 20))
        for start, end in (("2025-04-01", "2025-06-30"), ("2025-07-01", "2025-09-30"),
                           ("2025-10-01", "2025-12-31"), ("2026-01-01", "2026-03-31"))
    )
    found = report(
        'metric local_staff "L"\n  counts FTE, averaged over time\n'
        'metric all_staff "A"\n  counts FTE, averaged over time\n'
        + CONTRACT + "  target local_staff at least 50% of all_staff each financial year\n",
        rows, dt.date(2026, 4, 15),
    )
    verdict = only(found, "2025-26 financial year")
    assert verdict.delivered == 50 and verdict.status is VerdictStatus.MET


def test_a_ratio_metric_reads_its_numerator_and_denominator() -> None:
    found = report(
        'metric local "L"\n  counts GBP, summed\nmetric total "T"\n  counts GBP, summed\n'
        'metric share "S"\n  counts ratio of local to total\n'
        + CONTRACT + "  target share at least 25% each quarter\n",
        "C-1,local,2025-04-01,2025-06-30,30,GBP,e\nC-1,total,2025-04-01,2025-06-30,100,GBP,e\n",
        dt.date(2025, 7, 15),
    )
    assert only(found, "2025-26 Q1 (Apr-Jun 2025)").delivered == 30


def test_a_row_overlapping_only_a_rejected_row_is_rejected() -> None:
    # Row 2 (Apr-Jun) conflicts with row 3 (April); row 4 (May) overlaps row 2.
    found = report(
        'metric visits "V"\n  counts visits, summed\n' + CONTRACT
        + "  target visits at least 100 visits each month\n",
        "C-1,visits,2025-04-01,2025-06-30,300,visits,e\n"
        "C-1,visits,2025-04-01,2025-04-30,100,visits,e\n"
        "C-1,visits,2025-05-01,2025-05-31,100,visits,e\n",
        dt.date(2025, 7, 15),
    )
    assert sorted(r.row for r in found.rejections) == [2, 3, 4]
    assert only(found, "May 2025").status is VerdictStatus.INSUFFICIENT_DATA


def test_excused_days_still_to_come_are_not_counted() -> None:
    # Excused 1 July to 31 August; on 20 August every day reported so far is excused.
    found = report(
        'metric emis "E"\n  counts tCO2e, summed\n' + CONTRACT
        + "  target emis at most 10 tCO2e each quarter\n"
        + '  excused from 2025-07-01 to 2025-08-31 because "closed"\n',
        "C-1,emis,2025-07-01,2025-07-31,2,tCO2e,e\n",
        dt.date(2025, 8, 20),
    )
    verdict = only(found, "2025-26 Q2 (Jul-Sep 2025)")
    assert verdict.coverage_percent <= 100
    assert verdict.status is VerdictStatus.NOT_YET_DUE


def test_a_zero_discount_rate_is_kept() -> None:
    found = report(
        '  discount rate 0%\nmetric weeks "W"\n  counts person-weeks, summed\n'
        "  proxy £100 per person-week (2025 prices)\n" + CONTRACT,
        "C-1,weeks,2025-04-01,2025-06-30,10,person-weeks,e\n",
        dt.date(2025, 7, 15),
    )
    [line] = found.contracts[0].values
    assert line.present_value == Decimal(1000)
