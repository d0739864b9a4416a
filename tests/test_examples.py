"""Every bundled example checks clean, formats back to the same charter, and exports to JSON
that reads back the same."""

from __future__ import annotations

from pathlib import Path

import pytest

import charterdsl
from charterdsl.formatter import format_charter
from tests.conftest import EXAMPLES

CHARTERS = sorted(EXAMPLES.glob("**/*.charter"))


@pytest.mark.parametrize("path", CHARTERS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_checks_clean(path: Path) -> None:
    result = charterdsl.check_file(path)
    assert result.diagnostics == (), charterdsl.errors.render_all(result.diagnostics)


@pytest.mark.parametrize("path", CHARTERS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_round_trips(path: Path) -> None:
    charter = charterdsl.parse_file(path)
    again = charterdsl.parse(format_charter(charter), path.name, base_dir=path.parent)
    assert again == charter
    assert charterdsl.from_json(charterdsl.to_json(charter)) == charter


def test_there_are_examples() -> None:
    assert len(CHARTERS) >= 6
