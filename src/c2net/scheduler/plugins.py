"""Every scheduler plugin kind, its protocol and its registry, in one place.

- Filter: rejects candidates, with one ReasonCode; it sees the whole cycle at once, an
  (options of every job class x node pools) matrix. Filters run in registration order and each
  candidate keeps the first code that rejects it.
- Objective: a value per candidate (same matrix), lower is better (`objective: cost | time |
  carbon`).
- Policy: orders centers for a job (`score`, one value per center, lower wins) and may order
  candidates directly (`rank`). Policies whose scores depend only on the job's class declare
  `per_class = True` and are called once per class; others are called once per job.

A plugin is registered by name; registering checks it against its Protocol.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from c2net.model import ReasonCode

if TYPE_CHECKING:
    from c2net.scheduler.candidates import CandidateBatch

__all__ = [
    "FILTERS",
    "OBJECTIVES",
    "POLICIES",
    "Filter",
    "Objective",
    "Policy",
    "ScoreContext",
    "get_objective",
    "get_policy",
    "register",
    "register_filter",
    "register_objective",
]


@dataclass(frozen=True)
class ScoreContext:
    """What a policy may look at for one job: arrays over the centers, in network order.

    `price_per_hour` and `estimated_cost` are those of the center's best candidate for the job
    (NaN where the center cannot take it); `objective` is the job's objective value there.
    """

    price_per_hour: np.ndarray
    runtime_hours: float
    rng: random.Random
    estimated_cost: np.ndarray | None = None
    objective: np.ndarray | None = None


@runtime_checkable
class Filter(Protocol):
    name: str
    code: ReasonCode

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        """(options x pools) bool: True where this filter rules the candidate out."""
        ...


@runtime_checkable
class Objective(Protocol):
    name: str

    def value(self, batch: CandidateBatch) -> np.ndarray:
        """(options x pools) values; the scheduler prefers the lowest."""
        ...


@runtime_checkable
class Policy(Protocol):
    name: str

    def score(self, ctx: ScoreContext) -> np.ndarray:
        """One score per center; the scheduler picks the lowest among feasible centers."""
        ...


FILTERS: dict[str, Filter] = {}
OBJECTIVES: dict[str, Objective] = {}
POLICIES: dict[str, Policy] = {}


def register_filter(plugin: Filter) -> Filter:
    if not isinstance(plugin, Filter):
        raise TypeError(f"{plugin!r} does not implement the Filter protocol")
    FILTERS[plugin.name] = plugin
    return plugin


def register_objective(plugin: Objective) -> Objective:
    if not isinstance(plugin, Objective):
        raise TypeError(f"{plugin!r} does not implement the Objective protocol")
    OBJECTIVES[plugin.name] = plugin
    return plugin


def register(policy: Policy) -> Policy:
    if not isinstance(policy, Policy):
        raise TypeError(f"{policy!r} does not implement the Policy protocol")
    POLICIES[policy.name] = policy
    return policy


def get_policy(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        known = ", ".join(sorted(POLICIES))
        raise ValueError(f"unknown policy {name!r} (known: {known})") from None


def get_objective(name: str) -> Objective:
    try:
        return OBJECTIVES[name]
    except KeyError:
        known = ", ".join(sorted(OBJECTIVES))
        raise ValueError(f"unknown objective {name!r} (known: {known})") from None
