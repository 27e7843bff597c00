"""Shared timing helper for the bench cases."""

from __future__ import annotations

import time


def best_of(fn, repeat: int):
    """Best wall time of ``repeat`` calls of ``fn`` and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out
