"""Coverage-guided fuzzing of the column reader against the line reader with atheris.

Any bytes must give the same report on both engines, or the same FileProblem for the whole
file (needs polars, the `fast` extra):

    pip install atheris
    python fuzz/fuzz_columnar.py -atheris_runs=20000 fuzz/corpus/delivery
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import charterdsl
    from charterdsl import columnar, delivery, evaluator
    from charterdsl.delivery import FileProblem

CHARTER = charterdsl.parse_file(Path(__file__).parents[1] / "examples" / "brightwell.charter")
AS_OF = dt.date(2026, 4, 30)


def test_one_input(data: bytes) -> None:
    try:
        careful = delivery.read_csv_text(delivery.decode_text(data, "fuzz"), "fuzz")
    except FileProblem as problem:
        try:
            columnar.read_csv_bytes(data, "fuzz")
        except FileProblem as same:
            assert str(same) == str(problem), (str(same), str(problem))
            return
        raise AssertionError("the column reader read a file the line reader refused") from None
    fast = columnar.read_csv_bytes(data, "fuzz")
    report = evaluator.evaluate(CHARTER, fast, as_of=AS_OF)
    assert report == evaluator.evaluate(CHARTER, careful, as_of=AS_OF)
    assert report.rows_read == report.rows_used + report.rows_rejected


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
