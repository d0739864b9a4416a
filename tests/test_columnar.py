"""The columnar engine gives the very report the line-by-line engine gives, whatever the rows."""

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import charterdsl
from charterdsl import columnar, delivery, evaluator
from charterdsl.columnar import ColumnarData
from charterdsl.delivery import Columns, DeliveryData, FileProblem
from charterdsl.serde import report_to_json

pytest.importorskip("polars")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
CHARTER = charterdsl.parse_file(EXAMPLES / "brightwell.charter")
RETURNS = (EXAMPLES / "brightwell-returns-2025-26.csv").read_bytes()
HEADER = b"contract,metric,period_start,period_end,quantity,unit,evidence\n"
AS_OF = dt.date(2026, 4, 30)


def both(data: bytes, charter: charterdsl.Charter = CHARTER, as_of: dt.date = AS_OF,
         **options: object) -> tuple[str, str]:
    """The JSON report of each engine on the same bytes, after checking the reports equal."""
    careful = delivery.read_csv_text(delivery.decode_text(data, "d.csv"), "d.csv",
                                     **options)  # type: ignore[arg-type]
    fast = columnar.read_csv_bytes(data, "d.csv", **options)  # type: ignore[arg-type]
    assert fast.rows_read == careful.rows_read
    slow_report = evaluator.evaluate(charter, careful, as_of=as_of)
    fast_report = evaluator.evaluate(charter, fast, as_of=as_of)
    assert fast_report == slow_report
    assert fast_report.rows_read == fast_report.rows_used + fast_report.rows_rejected
    return report_to_json(fast_report), report_to_json(slow_report)


def same(data: bytes, **options: object) -> None:
    fast, slow = both(data, **options)
    assert fast == slow


def test_the_worked_example_gives_the_same_report() -> None:
    same(RETURNS)


def test_most_lines_of_the_worked_example_stay_columns() -> None:
    fast = columnar.read_csv_bytes(RETURNS, "d.csv")
    (part,) = fast.parts
    assert part.frame.height >= 30  # the few bad rows go the careful way
    assert fast.rows_read == 35


# Each line alone reports April 2026, which no row of the worked example covers, so that a
# line is not swept the careful way for overlapping another.
LINES = [
    # Spreadsheet habits: quoted amounts with separators, spaces, other date forms.
    b'HR-2025-014,local_spend,2026-04-01,2026-04-30,"1,310,000",GBP,ledger',
    b'HR-2025-014,local_spend,2026-04-01,2026-04-30,"1,310,000.50",GBP,"a, b"',
    b'"HR-2025-014",local_spend,2026-04-01,2026-04-30,10,GBP,x',
    b' HR-2025-014 , local_jobs ,2026-04-01,2026-04-30, 21.5 , FTE ,x',
    b"HR-2025-014,local_jobs,46113,2026-04-30,21.5,FTE,x",
    b"HR-2025-014,local_jobs,1 April 2026,30 April 2026,21.5,FTE,x",
    b"HR-2025-014,local_jobs,01/04/2026,30/04/2026,21.5,FTE,x",
    b"HR-2025-014,local_spend,2026-04-01,2026-04-30,\xc2\xa3310000,GBP,x",
    b"HR-2025-014,local_spend,2026-04-01,2026-04-30,310,\xc2\xa3k,x",
    b"HR-2025-014,apprentice_weeks,2026-04-01,2026-04-30,1\xc2\xa0000,person-weeks,x",
    # Bad rows of every kind.
    b"HR-2025-O14,local_jobs,2026-04-01,2026-04-30,21.5,FTE,x",
    b"HR-2025-014,local_job,2026-04-01,2026-04-30,21.5,FTE,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,21.5,FTEs,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,21.5,tCO2e,x",
    b"HR-2025-014,local_jobs,2025-02-30,2025-06-30,21.5,FTE,x",
    b"HR-2025-014,local_jobs,2025-06-30,2025-04-01,21.5,FTE,x",
    b"HR-2025-014,local_jobs,2024-01-01,2024-03-31,21.5,FTE,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-06-30,21.5,FTE,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,-3,FTE,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,NaN,FTE,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,1e3,FTE,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,,FTE,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,21.5,,x",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,21.5,FTE",
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,21.5,FTE,x,y",
    b'HR-2025-014,local_jobs,2026-04-01,2026-04-30,"21.5,FTE,x',
    b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,\xd9\xa3,FTE,x",
    b",,,,,,",
    b"   ",
    b"",
    # Repeats and overlaps, on columns and across the careful way.
    b"GM-2025-002,carbon_saved,2026-04-01,2026-04-30,5,tCO2e,x",
    b"GM-2025-002,carbon_saved,2026-04-01,2026-04-30,5,tCO2e,x",
    b"GM-2025-002,carbon_saved,2025-05-01,2025-05-31,5,tCO2e,x",
    b'GM-2025-002,carbon_saved,2025-07-01,2025-09-30,"5,000",kgCO2e,x',
    b"GM-2025-002,carbon_saved,2025-07-01,2025-09-30,5000,kgCO2e,x",
    b"GM-2025-002,carbon_saved,2025-09-30,2025-12-31,6,tCO2e,x",
    b"X" * 600,
]


@pytest.mark.parametrize("line", LINES, ids=range(len(LINES)))
def test_each_kind_of_line_is_read_alike(line: bytes) -> None:
    same(RETURNS + line + b"\n")


def test_all_kinds_at_once_with_windows_line_ends_and_a_byte_order_mark() -> None:
    body = RETURNS + b"\n".join(LINES) + b"\n"
    same(body)
    same(b"\xef\xbb\xbf" + body.replace(b"\n", b"\r\n"))
    same(body.replace(b"\n", b"\r"))
    same(body.rstrip(b"\n"))


def test_day_first_and_other_columns_are_honoured() -> None:
    same(RETURNS + b"HR-2025-014,local_jobs,01/04/2026,30/04/2026,21.5,FTE,x\n",
         day_first=True)
    renamed = RETURNS.replace(b"quantity", b"Amount", 1)
    same(renamed, columns=Columns(quantity="Amount"))


def test_files_polars_cannot_cut_into_lines_are_read_line_by_line() -> None:
    odd = RETURNS + b"HR-2025-014,local_jobs,2025-04-01,2025-06-30,1,FTE,\x1f\n"
    same(odd)
    assert columnar.read_csv_bytes(odd, "d.csv").parts == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "d.csv is empty"),
        (b"\xff\xfec\x00", "d.csv is UTF-16; save it as CSV UTF-8"),
        (HEADER + b"HR,local_jobs,2025-04-01,2025-06-30,1,FTE,caf\xe9\n", "not UTF-8"),
        (b"contract,metric\nx,y\n", "the header has no column"),
        (b"\xef\xbb\xbf" + HEADER + b"HR,local_jobs,2025-04-01,2025-06-30,1,FTE,caf\xe9\n",
         "byte 0xE9 on line 2"),
        (HEADER.replace(b"\n", b"\r") + b"HR,jobs\r\xe9\r", "byte 0xE9 on line 3"),
        (b"contract,metric\nx,\xe9\n", "not UTF-8"),
        (b"contract,contract\nx,y\n", "the header repeats the column 'contract'"),
        (b"\xef\xbb\xbf\xff\xfec\x00", "not UTF-8"),
    ],
)
def test_files_that_cannot_be_read_are_refused_in_the_same_words(data: bytes,
                                                                 message: str) -> None:
    with pytest.raises(FileProblem) as careful:
        delivery.read_csv_text(delivery.decode_text(data, "d.csv"), "d.csv")
    with pytest.raises(FileProblem) as fast:
        columnar.read_csv_bytes(data, "d.csv")
    assert str(fast.value) == str(careful.value)
    assert message in str(fast.value)


def test_a_header_alone_has_no_rows() -> None:
    for data in (HEADER, HEADER.rstrip(b"\n")):
        fast = columnar.read_csv_bytes(data, "d.csv")
        assert fast.rows_read == 0


def test_several_files_keep_their_order_for_repeats(tmp_path: Path) -> None:
    first = tmp_path / "a.csv"
    second = tmp_path / "b.csv"
    first.write_bytes(RETURNS)
    second.write_bytes(HEADER + RETURNS.splitlines(keepends=True)[1]
                       + b"GM-2025-002,carbon_saved,2025-04-01,2025-06-30,7,tCO2e,x\n")
    for order in ([second, first], [first, second], [first, first]):
        slow = evaluator.load_data([str(p) for p in order], Columns(), engine="python")
        fast = evaluator.load_data([str(p) for p in order], Columns(), engine="polars")
        assert isinstance(fast, ColumnarData) and isinstance(slow, DeliveryData)
        assert evaluator.evaluate(CHARTER, fast, as_of=AS_OF) == \
            evaluator.evaluate(CHARTER, slow, as_of=AS_OF)


def test_a_json_file_and_a_csv_file_together(tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_bytes(RETURNS)
    json_file = tmp_path / "b.json"
    json_file.write_text('[{"contract": "GM-2025-002", "metric": "carbon_saved", '
                         '"period_start": "2025-04-01", "period_end": "2025-06-30", '
                         '"quantity": 7, "unit": "tCO2e"}]', encoding="utf-8")
    paths = [str(json_file), str(csv_file)]
    fast = evaluator.load_data(paths, Columns(), engine="polars")
    slow = evaluator.load_data(paths, Columns(), engine="python")
    assert evaluator.evaluate(CHARTER, fast, as_of=AS_OF) == \
        evaluator.evaluate(CHARTER, slow, as_of=AS_OF)


def test_the_engine_is_chosen_by_size_unless_named(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "returns.csv"
    path.write_bytes(RETURNS)
    assert isinstance(evaluator.load_data([str(path)], Columns()), DeliveryData)
    assert isinstance(evaluator.load_data([str(path)], Columns(), engine="polars"),
                      ColumnarData)
    monkeypatch.setattr(columnar, "AUTO_THRESHOLD_BYTES", 10)
    assert isinstance(evaluator.load_data([str(path)], Columns()), ColumnarData)
    assert isinstance(evaluator.load_data([str(path)], Columns(), engine="python"),
                      DeliveryData)
    with pytest.raises(ValueError, match="engine must be one of"):
        evaluator.load_data([str(path)], Columns(), engine="fast")


def test_the_polars_engine_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)
    assert not columnar.available()
    with pytest.raises(ValueError, match=r"charterdsl\[fast\]"):
        evaluator.load_data(["x.csv"], Columns(), engine="polars")


def test_generated_returns_with_every_kind_of_bad_row() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import generate_delivery
    finally:
        sys.path.remove(str(BENCHMARKS))
    generated = generate_delivery.generate(6_000, 7)
    charter = charterdsl.parse(generated.charter, "generated.charter")
    fast, slow = both(generated.csv.encode(), charter, generated.as_of)
    assert fast == slow
    report = evaluator.evaluate(charter, columnar.read_csv_bytes(generated.csv.encode(), "d"),
                                as_of=generated.as_of)
    assert report.rows_rejected == generated.expected_rejected


# Cells a supplier's file may hold, good and bad, for rows put together at random.
CONTRACTS = st.sampled_from(["HR-2025-014", "GM-2025-002", "HR-2025-O14", " HR-2025-014", ""])
METRICS = st.sampled_from(["local_jobs", "apprentice_weeks", "local_spend", "carbon_saved",
                           "fleet_emissions", "contract_spend", "local_job"])
DATES = st.sampled_from(["2025-04-01", "2025-06-30", "2025-07-01", "2025-09-30",
                         "2025-05-15", "2025-10-01", "2025-12-31", "2026-01-01", "2026-03-31",
                         "2026-05-01", "2025-02-30", "45748", ""])
QUANTITIES = st.sampled_from(["1", "21.5", "0", "310000", '"1,310,000"', "-2", "x", "",
                              "7.25", "1e3"])
UNITS = st.sampled_from(["FTE", "fte", "person-weeks", "GBP", "GBP million", "£k", "tCO2e",
                         "kgCO2e", "FTEs", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(CONTRACTS, METRICS, DATES, DATES, QUANTITIES, UNITS),
                min_size=1, max_size=40))
def test_rows_put_together_at_random_read_alike(rows: list[tuple[str, ...]]) -> None:
    body = "".join(",".join((*row, "evidence")) + "\n" for row in rows)
    same(HEADER + body.encode())


def test_quantities_longer_than_a_decimal_context_agree() -> None:
    long = b"0.33333333333333333333333333333"  # 29 significant digits
    same(HEADER + b"HR-2025-014,local_jobs,2026-04-01,2026-04-03," + long + b",FTE,x\n")
    same(HEADER + b"HR-2025-014,local_jobs,2025-04-01,2025-04-01,1,FTE,x\n"
         b"HR-2025-014,local_jobs,2026-04-01,2026-04-03, " + long + b",FTE,x\n")


def test_two_fields_from_one_column_are_read_alike() -> None:
    same(RETURNS, columns=Columns(metric="contract"))


def test_a_first_line_with_other_cells_keeps_the_rest_as_columns() -> None:
    body = RETURNS.split(b"\n", 1)[1]
    for first in (b'HR-2025-014,local_spend,2026-04-01,2026-04-30,"310,000",GBP,x',
                  b"HR-2025-014,local_jobs,2026-04-01,2026-04-30,1,FTE", b""):
        data = HEADER + first + b"\n" + body
        same(data)
        assert columnar.read_csv_bytes(data, "d.csv").parts[0].frame.height >= 30


def test_files_of_one_name_are_read_alike() -> None:
    other = HEADER + (b"HR-2025-14,local_jobs,2026-04-01,2026-04-30,1,FTE,x\n"
                      b'"HR-2025-15",local_jobs,2026-04-01,2026-04-30,1,FTE,x\n')
    slow = (delivery.read_csv_text(RETURNS.decode(), "d.csv")
            + delivery.read_csv_text(other.decode(), "d.csv"))
    fast = columnar.read_csv_bytes(RETURNS, "d.csv") + columnar.read_csv_bytes(other, "d.csv")
    assert evaluator.evaluate(CHARTER, fast, as_of=AS_OF) == \
        evaluator.evaluate(CHARTER, slow, as_of=AS_OF)


def test_a_path_given_to_evaluate_is_named_by_its_file_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(EXAMPLES / "brightwell-returns-2025-26.csv")
    for engine in ("python", "polars"):
        report = evaluator.evaluate(CHARTER, path, as_of=AS_OF, engine=engine)
        assert {r.file for r in report.rejections} == {"brightwell-returns-2025-26.csv"}
