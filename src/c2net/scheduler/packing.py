"""Packing: which jobs to put on the few nodes of one pool, and on which node.

Given the nodes' free resources and, per candidate job, its request and what putting it on one
of these nodes is worth, choose at most one node per job, no node over its resources, for a
large total worth: a multiple multi-dimensional knapsack. Greedy, twice (by worth per unit of
the job's dominant resource, then by worth), each job best fit on the fullest node it fits;
the better of the two wins. Deterministic and a few hundred operations per pool.
"""

from __future__ import annotations

import numpy as np

from c2net.scheduler.pools import EPS

__all__ = ["pack"]


def pack(free: np.ndarray, need: np.ndarray, worth: np.ndarray) -> list[int]:
    """free: (N, D) per node; need: (J, D) per job; worth: (J,) of placing it.

    Returns the node (index into `free`) per job, -1 for left out. Jobs worth nothing stay out.
    """
    scale = np.maximum(free.max(axis=0, initial=0.0), EPS)
    size = np.maximum((need / scale).max(axis=1, initial=0.0), EPS)
    best: list[int] = [-1] * len(need)
    best_worth = 0.0
    for key in (worth / size, worth):
        order = np.lexsort((np.arange(len(need)), -key)).tolist()
        chosen = _greedy(free, need, worth, scale, order)
        total = float(sum(worth[j] for j, n in enumerate(chosen) if n >= 0))
        if total > best_worth:
            best, best_worth = chosen, total
    return best


def _greedy(
    free: np.ndarray, need: np.ndarray, worth: np.ndarray, scale: np.ndarray, order: list[int]
) -> list[int]:
    left = free.copy()
    out = [-1] * len(need)
    for j in order:
        if worth[j] <= 0:
            continue
        fits = np.all(left + EPS >= need[j], axis=1)
        if not fits.any():
            continue
        slack = ((left - need[j]) / scale).sum(axis=1)
        node = int(np.argmin(np.where(fits, slack, np.inf)))
        left[node] -= need[j]
        out[j] = node
    return out
