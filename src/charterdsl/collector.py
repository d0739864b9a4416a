"""Pausing Python's cyclic garbage collector around bulk work.

Building many small objects (a tree per declaration, a tuple per delivery row) sets off the
collector again and again, and each full collection walks every object alive, so the cost
grows with the input. None of these objects form cycles the collector would need to find, so
the stages that make them in bulk pause it, and restore it as it was.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
