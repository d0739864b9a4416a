"""Shared fixtures: paths to the bundled examples and the design sketch charter."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests run on shared, loaded machines: a slow example is not a failure.
settings.register_profile("charterdsl", deadline=None)
settings.load_profile("charterdsl")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# The charter of the design's language sketch, without its catalogue line so it stands alone.
SKETCH = (ROOT / "tests" / "data" / "sketch.charter").read_text(encoding="utf-8")


@pytest.fixture
def sketch() -> str:
    return SKETCH
