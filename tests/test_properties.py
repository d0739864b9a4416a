"""Whatever the input, the front end answers with a result or a CharterError, never anything
else, and quickly."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import charterdsl
from charterdsl.errors import CharterError
from tests.conftest import SKETCH

WORDS = ["charter", "metric", "target", "at", "least", "£12m", "30%", "2025-04-01", "FTE",
         "\n", "  ", "\t", '"', "#", "review", "every", "6", "months", "from", "of", ","]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_any_text_gives_a_result(text: str) -> None:
    result = charterdsl.check_text(text)
    assert result.ok or result.errors


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS + list(string.printable)), max_size=80))
def test_charter_shaped_noise_gives_a_result(words: list[str]) -> None:
    try:
        charterdsl.parse('charter "x"\n' + " ".join(words))
    except CharterError as error:
        assert error.diagnostics


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SKETCH) - 1), st.integers(0, 20), st.text(max_size=5))
def test_mutated_sketch_gives_a_result(at: int, cut: int, insert: str) -> None:
    text = SKETCH[:at] + insert + SKETCH[at + cut :]
    try:
        charterdsl.parse(text)
    except CharterError as error:
        for diagnostic in error.diagnostics:
            rendered = diagnostic.render()
            assert "Token(" not in rendered and "Tree(" not in rendered


def test_binary_junk_and_deep_nesting_are_errors() -> None:
    junk = bytes(range(256)).decode("latin-1") * 10
    assert not charterdsl.check_text(junk).ok
    nested = 'charter "x"\n' + "".join("  " * i + 'metric a "b"\n' for i in range(1, 5000))
    assert not charterdsl.check_text(nested).ok


def test_a_ten_megabyte_file_is_refused_quickly(tmp_path: object) -> None:
    import time
    from pathlib import Path

    path = Path(str(tmp_path)) / "big.charter"
    path.write_text('charter "x"\n' + "# padding\n" * 1_100_000, encoding="utf-8")
    started = time.perf_counter()
    [error] = charterdsl.check_file(path).errors
    assert error.code == "CH601"
    assert time.perf_counter() - started < 5  # generous: refused before it is read
