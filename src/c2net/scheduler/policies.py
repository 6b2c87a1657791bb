"""Scoring policies, registered by name in one place (plugins.POLICIES). Lower scores win.

`score(ctx)` ranks centers for a job (the v1 contract, kept for every plugin). A policy may also
define `rank(view)`, one value per candidate (pool x option), which the pipeline uses instead:
that lets `cheapest` compare a center's cheap pool with another center's dear one directly.
`per_class = True` says the scores depend only on the job's class (no rng, no state), so the
pipeline calls the policy once per class rather than once per job.
"""

from __future__ import annotations

import numpy as np

from c2net.scheduler.candidates import CandidateView
from c2net.scheduler.plugins import (
    POLICIES,
    Policy,
    ScoreContext,
    get_policy,
    register,
)

__all__ = ["POLICIES", "Policy", "ScoreContext", "get_policy", "register"]


class Cheapest:
    """Each job's objective (cost by default: price x runtime estimated on that hardware)."""

    name = "cheapest"
    per_class = True

    def score(self, ctx: ScoreContext) -> np.ndarray:
        if ctx.objective is not None:
            return ctx.objective
        return ctx.price_per_hour * ctx.runtime_hours

    def rank(self, view: CandidateView) -> np.ndarray:
        return view.objective


class FirstFit:
    """The first center in network order that fits: what a plain federation does."""

    name = "first-fit"
    per_class = True

    def score(self, ctx: ScoreContext) -> np.ndarray:
        return np.arange(len(ctx.price_per_hour), dtype=float)

    def rank(self, view: CandidateView) -> np.ndarray:
        return view.pool.astype(float)


register(Cheapest())
register(FirstFit())


class RandomChoice:
    """A uniformly random center among those that fit (drawn from the injected rng)."""

    name = "random"

    def score(self, ctx: ScoreContext) -> np.ndarray:
        return np.array([ctx.rng.random() for _ in range(len(ctx.price_per_hour))])


class RoundRobin:
    """Each job considered starts the search one center further along in network order."""

    name = "round-robin"

    def __init__(self) -> None:
        self._next = 0

    def score(self, ctx: ScoreContext) -> np.ndarray:
        n = len(ctx.price_per_hour)
        start, self._next = self._next, self._next + 1
        return ((np.arange(n) - start) % max(n, 1)).astype(float)


register(RandomChoice())
register(RoundRobin())
