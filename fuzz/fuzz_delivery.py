"""Coverage-guided fuzzing of the delivery data loaders with atheris.

Any CSV or JSON bytes must give rows and rejections whose counts add up to the rows read, or a
FileProblem for the whole file, and nothing else:

    pip install atheris
    python fuzz/fuzz_delivery.py -atheris_runs=200000 fuzz/corpus/delivery
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import charterdsl
    from charterdsl import delivery
    from charterdsl.delivery import FileProblem

CHARTER = charterdsl.parse_file(Path(__file__).parents[1] / "examples" / "brightwell.charter")
AS_OF = dt.date(2026, 4, 30)


def test_one_input(data: bytes) -> None:
    for reader in (delivery.read_csv_text, delivery.read_json_text):
        try:
            text = delivery.decode_text(data, "fuzz")
            loaded = reader(text, "fuzz")
        except FileProblem:
            continue
        checked = delivery.validate(CHARTER, loaded, AS_OF)
        assert checked.rows_read == len(checked.rows) + len(checked.rejections)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
