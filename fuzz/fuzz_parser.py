"""Coverage-guided fuzzing of the charter front end with atheris.

Any bytes must give either a charter or a CharterError, and nothing else. Run for a fixed
number of inputs (the count is recorded in docs/limits.md):

    pip install atheris
    python fuzz/fuzz_parser.py -atheris_runs=200000 fuzz/corpus/charters

Seeds in fuzz/corpus/charters are the example charters; new inputs found are added there.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    import charterdsl
    from charterdsl.errors import CharterError


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    with contextlib.suppress(CharterError):  # an error is an answer; anything else is a finding
        charterdsl.parse(text, "fuzz.charter")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
