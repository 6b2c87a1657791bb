"""Policies side by side: every policy replays the identical arrival sequence."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from c2net.sim.engine import simulate
from c2net.sim.metrics import Metrics, measure
from c2net.sim.scenario import Scenario

__all__ = ["compare"]


def compare(
    scenario: Scenario,
    policies: Sequence[str],
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Metrics]:
    """Metrics per policy, in the order given; `progress(policy, jobs arrived, jobs)`."""
    out = []
    for name in policies:

        def tick(done: int, total: int, name: str = name) -> None:
            if progress:
                progress(name, done, total)

        out.append(measure(simulate(scenario, name, tick), scenario))
    return out
