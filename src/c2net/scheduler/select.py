"""Selection: the best-scoring feasible center, then the node there that fits best."""

from __future__ import annotations

import numpy as np

from c2net.scheduler.snapshot import Arrays

__all__ = ["pick_center", "pick_node"]


def pick_center(scores: np.ndarray, feasible: np.ndarray, name_rank: np.ndarray) -> int | None:
    """Index of the lowest score among feasible centers; ties go to the first name A-Z."""
    if not feasible.any():
        return None
    candidates = np.flatnonzero(feasible)
    order = np.lexsort((name_rank[candidates], scores[candidates]))
    return int(candidates[order[0]])


def pick_node(arrays: Arrays, center: int, fits_now: np.ndarray, request: np.ndarray) -> int:
    """Row of the node to use: the fullest one that still fits (best fit), lowest index on ties.

    Packing onto nodes already in use leaves whole nodes free for large jobs.
    """
    rows = np.flatnonzero(fits_now & (arrays.node_center == center))
    total = np.maximum(arrays.node_total[rows], 1e-9)
    leftover = ((arrays.node_free[rows] - request) / total).sum(axis=1)
    return int(rows[np.lexsort((rows, leftover))[0]])
