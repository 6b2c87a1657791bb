"""Feasibility: which centers can take a job, and the first reason each one cannot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from c2net.model import Center, JobSpec, ReasonCode
from c2net.scheduler.snapshot import Arrays

__all__ = ["Evaluation", "evaluate"]

_EPS = 1e-9


@dataclass
class Evaluation:
    """Per center: the first failing filter (or None), the hourly price, nodes with room."""

    codes: Sequence[ReasonCode | None]
    price_per_hour: np.ndarray  # (centers,), NaN where there is no price
    fits_now: np.ndarray  # (nodes,) bool, the nodes with room for the job now

    @property
    def feasible(self) -> np.ndarray:
        return np.array([c is None for c in self.codes], dtype=bool)


def _per_center(arrays: Arrays, node_mask: np.ndarray) -> np.ndarray:
    out = np.zeros(len(arrays.names), dtype=bool)
    np.logical_or.at(out, arrays.node_center, node_mask)
    return out


def evaluate(spec: JobSpec, centers: tuple[Center, ...], arrays: Arrays) -> Evaluation:
    """Run every filter for one job over all centers (vectorised over nodes and centers)."""
    n_centers = len(centers)
    vec = arrays.vector(spec.resources)
    if vec is None:  # an accelerator type no center has at all
        nan = np.full(n_centers, np.nan)
        none = np.zeros(len(arrays.node_center), dtype=bool)
        unhealthy = [
            ReasonCode.UNHEALTHY if not h else ReasonCode.NO_ACCELERATOR for h in arrays.healthy
        ]
        return Evaluation(unhealthy, nan, none)
    asked = vec > 0
    price = np.where(asked, arrays.unit_price * vec, 0.0).sum(axis=1)
    fits_shape = _per_center(arrays, np.all(arrays.node_total + _EPS >= vec, axis=1))
    fits_now_nodes = np.all(arrays.node_free + _EPS >= vec, axis=1)
    fits_now = _per_center(arrays, fits_now_nodes)
    wanted = [arrays.dims.index(t) for t in spec.resources.accelerators]
    has_type = np.ones(n_centers, dtype=bool)
    if wanted:
        has_any = _per_center(arrays, np.all(arrays.node_total[:, wanted] > 0, axis=1))
        has_type = has_any
    codes: list[ReasonCode | None] = []
    for ci, center in enumerate(centers):
        code: ReasonCode | None = None
        if not arrays.healthy[ci]:
            code = ReasonCode.UNHEALTHY
        elif not center.in_regions(spec.regions):
            code = ReasonCode.REGION
        elif not has_type[ci]:
            code = ReasonCode.NO_ACCELERATOR
        elif not fits_shape[ci]:
            code = ReasonCode.NODE_TOO_SMALL
        elif np.isnan(price[ci]):
            code = ReasonCode.NO_PRICE
        elif spec.max_price is not None and price[ci] > spec.max_price + _EPS:
            code = ReasonCode.OVER_MAX_PRICE
        elif not fits_now[ci]:
            code = ReasonCode.BUSY
        codes.append(code)
    return Evaluation(codes, price, fits_now_nodes)
