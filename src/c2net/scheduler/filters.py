"""Feasibility: the built-in filters, in the order they run, and the first code per candidate.

Each filter looks at every candidate of the cycle at once: an (options x pools) matrix. BUSY (a
node could hold it but none has room now) and QUOTA are decided while placing, not here.
"""

from __future__ import annotations

import math

import numpy as np

from c2net.model import ReasonCode
from c2net.scheduler.candidates import CandidateBatch
from c2net.scheduler.plugins import register_filter
from c2net.scheduler.pools import EPS

__all__ = ["first_rejection"]


class Unhealthy:
    name, code = "healthy", ReasonCode.UNHEALTHY

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        table = batch.ctx.table
        return np.broadcast_to(~table.healthy[table.pool_center], batch.shape)


class Region:
    name, code = "regions", ReasonCode.REGION

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        ctx = batch.ctx
        return batch.per_class_center([~ctx.in_regions(c.spec.regions) for c in batch.classes])


class DataResidency:
    """`data_policy: stay` keeps a job where its inputs are; an unknown input blocks it."""

    name, code = "data", ReasonCode.DATA

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        out = np.zeros(batch.shape, dtype=bool)
        center = batch.ctx.table.pool_center
        for k, c in enumerate(batch.classes):
            if c.spec.inputs:
                plan = batch.ctx.data(c.spec.inputs, c.spec.data_policy)
                out[batch.rows_of(k)] = ~plan.allowed[center]
        return out


class Latency:
    """Interactive jobs stay within max_rtt_ms of their home hub (batch: anywhere)."""

    name, code = "latency", ReasonCode.LATENCY

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        out = np.zeros(batch.shape, dtype=bool)
        center = batch.ctx.table.pool_center
        for k, c in enumerate(batch.classes):
            limit = c.spec.rtt_limit_ms
            if limit is not None and c.home:
                out[batch.rows_of(k)] = batch.ctx.rtt_from(c.home)[center] > limit + EPS
        return out


class HasAccelerator:
    name, code = "accelerator", ReasonCode.NO_ACCELERATOR

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        shape = batch.ctx.table.pool_shape
        typed = batch.row_type
        out = np.zeros(batch.shape, dtype=bool)
        has = typed >= 0
        out[has] = shape[:, typed[has]].T <= 0
        return out


class NodeShape:
    """A single node, even empty, must hold the per-node request (never fragmented totals)."""

    name, code = "node-shape", ReasonCode.NODE_TOO_SMALL

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        shape = batch.ctx.table.pool_shape
        vec = batch.row_vector
        out = np.zeros(batch.shape, dtype=bool)
        for d in range(shape.shape[1]):
            asked = vec[:, d] > 0
            if asked.any():
                out[asked] |= shape[None, :, d] + EPS < vec[asked, d][:, None]
        return out


class GangSize:
    """num_nodes: N nodes of one pool (one center, one node shape); clouds grow on demand."""

    name, code = "gang", ReasonCode.TOO_FEW_NODES

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        table = batch.ctx.table
        short = table.pool_count[None, :] < batch.row_nodes[:, None]
        return np.asarray(short & ~table.pool_elastic[None, :])


class Priced:
    name, code = "price", ReasonCode.NO_PRICE

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        return np.asarray(np.isnan(batch.price))


class MaxPrice:
    name, code = "max-price", ReasonCode.OVER_MAX_PRICE

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        caps = [
            math.inf if c.spec.max_price is None else c.spec.max_price + EPS for c in batch.classes
        ]
        cap = np.array(caps)[batch.row_class]
        return np.asarray(batch.price > cap[:, None])


class Deadline:
    """Started now, transfer + runtime must end before the deadline."""

    name, code = "deadline", ReasonCode.DEADLINE

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        left = batch.hours_left
        if np.isinf(left).all():
            return np.zeros(batch.shape, dtype=bool)
        return np.asarray(batch.finish_hours > left[:, None] + EPS)


for _plugin in (
    Unhealthy(),
    Region(),
    DataResidency(),
    Latency(),
    HasAccelerator(),
    NodeShape(),
    GangSize(),
    Priced(),
    MaxPrice(),
    Deadline(),
):
    register_filter(_plugin)


def first_rejection(batch: CandidateBatch) -> np.ndarray:
    """(R, P) index into batch.filters of the first filter rejecting each candidate
    (len(batch.filters): none did)."""
    stage = np.full(batch.shape, len(batch.filters), dtype=np.int8)
    open_ = np.ones(batch.shape, dtype=bool)
    for i, plugin in enumerate(batch.filters):
        hit = open_ & plugin.reject(batch)
        stage[hit] = i
        open_ &= ~hit
        if not open_.any():
            break
    return stage
