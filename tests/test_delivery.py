import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import charterdsl
from charterdsl import delivery
from charterdsl.delivery import Columns, FileProblem

CHARTER = '''charter "x"
metric jobs "Jobs"
  counts FTE, averaged over time
metric weeks "Weeks"
  counts person-weeks, summed
metric share "Share"
  counts ratio of weeks to weeks
contract c "C"
  runs from 2025-04-01 to 2026-03-31
'''
HEADER = "contract,metric,period_start,period_end,quantity,unit,evidence\n"
AS_OF = dt.date(2026, 4, 30)


def run(body: str, **options: object) -> delivery.Validated:
    data = delivery.read_csv_text(HEADER + body, "d.csv", **options)  # type: ignore[arg-type]
    return delivery.validate(charterdsl.parse(CHARTER), data, AS_OF)


def reasons(result: delivery.Validated) -> list[tuple[int, str]]:
    return [(r.row, r.code) for r in result.rejections]


def test_units_as_suppliers_write_them_are_converted_once() -> None:
    result = run("c,weeks,2025-04-01,2025-06-30,75,person-hours,x\n"
                 "c,jobs,2025-04-01,2025-06-30,3,fte,x\n")
    assert [r.quantity for r in result.rows] == [Decimal(2), Decimal(3)]
    assert result.rows[0].unit == "person_week"


@pytest.mark.parametrize(
    ("row", "code"),
    [
        ("d,jobs,2025-04-01,2025-06-30,3,FTE,x", "CH801"),
        ("c,job,2025-04-01,2025-06-30,3,FTE,x", "CH802"),
        ("c,share,2025-04-01,2025-06-30,3,%,x", "CH802"),
        ("c,jobs,2025-04-01,2025-06-30,3,tCO2e,x", "CH803"),
        ("c,jobs,2025-04-01,2025-06-30,3,FTEs,x", "CH803"),
        ("c,jobs,2025-02-30,2025-06-30,3,FTE,x", "CH804"),
        ("c,jobs,03/04/2025,2025-06-30,3,FTE,x", "CH804"),
        ("c,jobs,,2025-06-30,3,FTE,x", "CH804"),
        ("c,jobs,2025-06-30,2025-04-01,3,FTE,x", "CH805"),
        ("c,jobs,2025-01-01,2025-03-31,3,FTE,x", "CH805"),
        ("c,jobs,2026-04-01,2026-06-30,3,FTE,x", "CH805"),
        ("c,jobs,2025-04-01,2025-06-30,-3,FTE,x", "CH806"),
        ("c,jobs,2025-04-01,2025-06-30,NaN,FTE,x", "CH807"),
        ("c,jobs,2025-04-01,2025-06-30,1e9,FTE,x", "CH807"),
        ("c,jobs,2025-04-01,2025-06-30,٣,FTE,x", "CH807"),
        ("c,jobs,2025-04-01,2025-06-30,=1+1,FTE,x", "CH807"),
        ("c,jobs,2025-04-01,2025-06-30,,FTE,x", "CH810"),
        ("c,jobs,2025-04-01,2025-06-30,3,FTE", "CH810"),
        ('c,"jobs,2025-04-01,2025-06-30,3,FTE,x', "CH810"),
    ],
)
def test_each_bad_row_is_rejected_with_its_reason(row: str, code: str) -> None:
    result = run("c,jobs,2025-07-01,2025-09-30,3,FTE,ok\n" + row + "\n")
    assert reasons(result) == [(3, code)]
    assert result.rows_read == len(result.rows) + len(result.rejections) == 2


def test_an_open_quote_never_swallows_the_rows_after_it() -> None:
    result = run('c,"jobs,2025-04-01,2025-06-30,3,FTE,x\n'
                 "c,jobs,2025-07-01,2025-09-30,3,FTE,x\n")
    assert reasons(result) == [(2, "CH810")]
    assert [r.row for r in result.rows] == [3]


def test_duplicates_and_conflicts() -> None:
    result = run(
        "c,jobs,2025-04-01,2025-06-30,3,FTE,a\n"
        "c,jobs,2025-04-01,2025-06-30,3,FTE,again\n"
        "c,weeks,2025-04-01,2025-06-30,3,person-weeks,a\n"
        "c,weeks,2025-04-01,2025-06-30,4,person-weeks,revised\n"
        "c,weeks,2025-07-01,2025-09-30,4,person-weeks,a\n"
        "c,weeks,2025-09-01,2025-12-31,4,person-weeks,overlapping\n"
    )
    assert reasons(result) == [(3, "CH808"), (4, "CH809"), (5, "CH809"), (6, "CH809"),
                               (7, "CH809")]
    assert [r.row for r in result.rows] == [2]


def test_day_first_dates_when_the_file_says_so() -> None:
    result = run("c,jobs,01/04/2025,30/06/2025,3,FTE,x\n", day_first=True)
    assert result.rows[0].start == dt.date(2025, 4, 1)


def test_column_names_are_configurable_and_case_blind() -> None:
    text = "Contract Ref,Measure,From,To,Amount,Unit\nc,jobs,2025-04-01,2025-06-30,3,FTE\n"
    columns = Columns.parse(["contract=contract ref", "metric=MEASURE", "period_start=From",
                             "period_end=to", "quantity=Amount"])
    data = delivery.read_csv_text(text, "d.csv", columns)
    assert data.rows[0].metric == "jobs"


def test_header_problems_are_file_level() -> None:
    with pytest.raises(FileProblem, match="no column 'unit'"):
        delivery.read_csv_text("contract,metric,period_start,period_end,quantity\n")
    with pytest.raises(FileProblem, match="repeats the column"):
        delivery.read_csv_text(HEADER.strip() + ",unit\n")


def test_encodings(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "c,jobs,2025-04-01,2025-06-30,3,FTE,x\n")
                     .encode())
    assert len(delivery.read_file(path).rows) == 1
    path.write_bytes((HEADER + "c,jobs,2025-04-01,2025-06-30,3,FTE,caf\xe9\n").encode("cp1252"))
    with pytest.raises(FileProblem, match="not UTF-8"):
        delivery.read_file(path)
    path.write_bytes(HEADER.encode("utf-16"))
    with pytest.raises(FileProblem, match="UTF-16"):
        delivery.read_file(path)


def test_records_json_and_frames_read_the_same_rows(tmp_path: Path) -> None:
    record = {"contract": "c", "metric": "jobs", "period_start": dt.date(2025, 4, 1),
              "period_end": "2025-06-30", "quantity": 3.5, "unit": "FTE"}
    assert delivery.read_records([record]).rows[0].quantity == Decimal("3.5")
    path = tmp_path / "d.json"
    path.write_text('{"rows": [{"contract": "c", "metric": "jobs", "period_start": '
                    '"2025-04-01", "period_end": "2025-06-30", "quantity": "3.5", '
                    '"unit": "FTE"}, {"quantity": NaN}]}')
    with pytest.raises(FileProblem):
        delivery.read_file(path)


class FakePandas:
    def to_dict(self, orient: str) -> list[dict[str, object]]:
        assert orient == "records"
        return [{"contract": "c", "metric": "jobs", "period_start": "2025-04-01",
                 "period_end": "2025-06-30", "quantity": float("nan"), "unit": "FTE"}]


def test_data_frames_are_checked_like_any_rows() -> None:
    data = delivery.from_frame(FakePandas())
    assert [r.code for r in data.rejections] == ["CH810"]  # a blank cell: NaN in a data frame


CELLS = st.sampled_from(["c", "jobs", "weeks", "x", "", "2025-04-01", "2025-06-30", "3",
                         "-1", "1e5", "FTE", "person-hours", '"', ",", "NaN", "٣", "=1+1"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=0, max_size=9), max_size=30))
def test_every_row_of_any_table_is_used_or_rejected(table: list[list[str]]) -> None:
    body = "".join(",".join(row) + "\n" for row in table)
    data = delivery.read_csv_text(HEADER + body, "d.csv")
    result = delivery.validate(charterdsl.parse(CHARTER), data, AS_OF)
    assert result.rows_read == len(result.rows) + len(result.rejections)
    assert result.rows_read == sum(1 for row in table if ",".join(row).strip())


def test_look_alike_letters_in_ids_are_named() -> None:
    result = run("с,jobs,2025-04-01,2025-06-30,3,FTE,x\n")  # a Cyrillic с
    [rejection] = result.rejections
    assert rejection.code == "CH801"
    assert "it looks like 'c' but holds the letter 'с' (Cyrillic Small Letter Es)" in (
        rejection.reason)


def test_spreadsheet_day_numbers_are_dates() -> None:
    result = run("c,jobs,45748,45838,3,FTE,x\n")  # 1 April and 30 June 2025
    assert (result.rows[0].start, result.rows[0].end) == (dt.date(2025, 4, 1),
                                                          dt.date(2025, 6, 30))
    assert [r.code for r in run("c,jobs,12345,45838,3,FTE,x\n").rejections] == ["CH804"]


def test_json_numbers_are_read_as_written() -> None:
    data = delivery.read_json_text('[{"contract": "c", "metric": "jobs", "period_start": '
                                   '"2025-04-01", "period_end": "2025-06-30", "quantity": '
                                   '1234567.1234567891, "unit": "FTE"}]')
    assert data.rows[0].quantity == Decimal("1234567.1234567891")


def test_month_names_are_not_guessed_from_three_letters() -> None:
    assert run("c,jobs,1 April 2025,30 Jun 2025,3,FTE,x\n").rows[0].start == dt.date(2025, 4, 1)
    assert [r.code for r in run("c,jobs,1 Junk 2025,30 Jun 2025,3,FTE,x\n").rejections] == [
        "CH804"]


def test_rejected_rows_keep_their_ids_trimmed() -> None:
    [rejection] = run(" c , jobs ,2025-04-01,2025-06-30,-3,FTE,x\n").rejections
    assert (rejection.contract, rejection.metric) == ("c", "jobs")
