"""Timing helpers and the Result record shared by every benchmark."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Result", "machine", "timed"]


@dataclass
class Result:
    benchmark: str
    case: str
    seconds: float  # the code under test, median of repeats
    baseline_seconds: float  # the baseline, same inputs, same run
    baseline: str  # what the baseline is
    extra: dict[str, float | str] = field(default_factory=dict)

    @property
    def speedup(self) -> float:
        return self.baseline_seconds / self.seconds if self.seconds else float("inf")


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Median wall seconds of `repeat` calls, and the last call's result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {mem_gib:.0f} GiB, {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
