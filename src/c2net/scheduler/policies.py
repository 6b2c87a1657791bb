"""Scoring policies, registered by name in one place. Lower scores win."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["POLICIES", "Policy", "ScoreContext", "get_policy", "register"]


@dataclass(frozen=True)
class ScoreContext:
    """What a policy may look at for one job: arrays over the centers, in network order."""

    price_per_hour: np.ndarray
    runtime_hours: float
    rng: random.Random


@runtime_checkable
class Policy(Protocol):
    name: str

    def score(self, ctx: ScoreContext) -> np.ndarray:
        """One score per center; the scheduler picks the lowest among feasible centers."""
        ...


POLICIES: dict[str, Policy] = {}


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


class Cheapest:
    """Estimated cost = the center's price for the request x the job's runtime."""

    name = "cheapest"

    def score(self, ctx: ScoreContext) -> np.ndarray:
        return ctx.price_per_hour * ctx.runtime_hours


class FirstFit:
    """The first center in network order that fits: what a plain federation does."""

    name = "first-fit"

    def score(self, ctx: ScoreContext) -> np.ndarray:
        return np.arange(len(ctx.price_per_hour), dtype=float)


register(Cheapest())
register(FirstFit())
