"""Lower bounds on what a run's completed work could have cost.

`simple_bound`: each completed job at the cheapest center with a node shape that holds it,
capacity ignored.

`lp_bound`: a time-indexed linear programme (HiGHS via scipy) over the run's horizon H = [first
submit, last completion] of its completed jobs, cut into K equal buckets:

- a class is the jobs of one request shape arriving in one bucket; x[q, c, k] >= 0 is hours
  of class q's work at center c in bucket k, for the centers the simple bound allows and the
  buckets from q's arrival bucket on (work may start at the bucket's start: a relaxation);
- sum over c, k of x[q, c, k] = the class's total duration (every job fully run);
- capacity: per center, bucket and dimension (cpus, memory, each GPU type), sum of x x the
  request <= the center's total x the bucket's hours (all nodes pooled: a relaxation);
- rate: per class and bucket, sum over c of x[q, c, k] <= the hours its jobs could run in
  bucket k after their own arrival (one attempt at a time per job);
- minimise sum of x x the center's hourly price of the request.

Any schedule that runs these jobs, each whole on one node, by H satisfies every constraint with
its successful attempts (lost attempts only add cost), so the optimum bounds its cost from
below; splitting jobs, pooling nodes and ignoring outages only relax it further. It exceeds the
simple bound where capacity in H forces work onto dearer centers. The value reported is a dual
bound (weak duality with x <= the class's hours), so solver tolerances cannot push it above the
true optimum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize
from scipy.sparse import coo_matrix, csr_matrix

from c2net.model import Center
from c2net.sim.engine import JobRecord
from c2net.sim.pool import request_key

__all__ = ["MAX_VARIABLES", "CostBound", "lp_bound", "simple_bound"]

# scipy's stubs type linprog's matrices as dense arrays; HiGHS takes sparse ones.
_linprog: Any = optimize.linprog

MAX_VARIABLES = 100_000  # the LP is skipped beyond this (the simple bound is reported)
_BUCKETS = (24, 16, 12, 8, 6, 4, 3, 2, 1)  # K: the most that fit in MAX_VARIABLES


@dataclass(frozen=True)
class CostBound:
    value: float  # the bound (currency of the prices)
    method: str  # "lp" or "simple"
    simple: float  # the simple bound, for comparison
    buckets: int = 0  # K of the LP
    variables: int = 0
    note: str = ""  # why the LP was not used


@dataclass
class _Shapes:
    """Per distinct request of the completed jobs: its vector and eligible (center, price)."""

    dims: list[str]
    vectors: np.ndarray  # (S, D)
    centers: list[np.ndarray]  # per shape, indices of eligible centers
    prices: list[np.ndarray]  # per shape, hourly price at each eligible center
    of_job: np.ndarray  # (J,) shape index per job


def _shapes(jobs: Sequence[JobRecord], centers: Sequence[Center]) -> _Shapes:
    types = sorted({t for c in centers for t in c.accelerator_types()})
    types += sorted({t for j in jobs for t in j.resources.accelerators} - set(types))
    dims = ["cpus", "memory_gb", *types]
    index: dict[tuple[object, ...], int] = {}
    rows: list[list[float]] = []
    eligible: list[np.ndarray] = []
    prices: list[np.ndarray] = []
    of_job = np.empty(len(jobs), dtype=np.int64)
    for n, job in enumerate(jobs):
        res = job.resources
        key = request_key(res)
        if key not in index:
            index[key] = len(rows)
            rows.append(
                [res.cpus, res.memory_gb, *(float(res.accelerators.get(t, 0)) for t in types)]
            )
            ok = [
                (ci, p)
                for ci, c in enumerate(centers)
                if any(res.fits_in(s.shape) for s in c.pools)
                and (p := c.prices.hourly(res)) is not None
            ]
            eligible.append(np.array([ci for ci, _ in ok], dtype=np.int64))
            prices.append(np.array([p for _, p in ok], dtype=float))
        of_job[n] = index[key]
    vectors = np.array(rows, dtype=float).reshape(-1, len(dims))
    return _Shapes(dims, vectors, eligible, prices, of_job)


def simple_bound(jobs: Sequence[JobRecord], centers: Sequence[Center]) -> float:
    """Sum over completed jobs of the cheapest hourly price of any center with a node shape that
    holds the job, x its duration: no placement, queueing or failure can make a job cheaper."""
    done = [j for j in jobs if j.end is not None]
    return _simple(_shapes(done, centers), np.array([j.duration for j in done])) if done else 0.0


def _simple(shapes: _Shapes, duration: np.ndarray) -> float:
    cheapest = np.array([float(p.min()) if len(p) else 0.0 for p in shapes.prices])
    return float((cheapest[shapes.of_job] * duration).sum() / 3600)


@dataclass
class _Classes:
    shape: np.ndarray  # (Q,) shape index
    start: np.ndarray  # (Q,) arrival bucket
    hours: np.ndarray  # (Q,) total duration of its jobs, hours
    count: np.ndarray  # (Q,) jobs
    first_bucket_hours: np.ndarray  # (Q,) sum over its jobs of hours from arrival to bucket end


def _classes(
    shapes: _Shapes, submit: np.ndarray, duration: np.ndarray, edges: np.ndarray
) -> _Classes:
    k = len(edges) - 1
    bucket = np.clip(np.searchsorted(edges, submit, side="right") - 1, 0, k - 1)
    key = shapes.of_job * k + bucket
    uniq, inverse = np.unique(key, return_inverse=True)
    q = len(uniq)
    return _Classes(
        shape=uniq // k,
        start=uniq % k,
        hours=np.bincount(inverse, duration, q) / 3600,
        count=np.bincount(inverse, None, q),
        first_bucket_hours=np.bincount(inverse, edges[bucket + 1] - submit, q) / 3600,
    )


def _variables(shapes: _Shapes, classes: _Classes, k: int) -> int:
    eligible = np.array([len(c) for c in shapes.centers])[classes.shape]
    return int((eligible * (k - classes.start)).sum())


def _build(
    shapes: _Shapes, classes: _Classes, centers: Sequence[Center], edges: np.ndarray
) -> tuple[np.ndarray, csr_matrix, np.ndarray, csr_matrix, np.ndarray, np.ndarray]:
    """c, A_ub, b_ub, A_eq, b_eq and each variable's upper bound (its class's hours)."""
    k = len(edges) - 1
    span = np.diff(edges) / 3600  # bucket hours
    var_q, var_c, var_k, var_p = [], [], [], []
    for q in range(len(classes.shape)):
        s, k0 = int(classes.shape[q]), int(classes.start[q])
        cs, ps = shapes.centers[s], shapes.prices[s]
        nb = k - k0
        var_q.append(np.full(len(cs) * nb, q))
        var_c.append(np.repeat(cs, nb))
        var_k.append(np.tile(np.arange(k0, k), len(cs)))
        var_p.append(np.repeat(ps, nb))
    vq, vc, vk = np.concatenate(var_q), np.concatenate(var_c), np.concatenate(var_k)
    cost = np.concatenate(var_p)
    n, nq, d = len(vq), len(classes.shape), len(shapes.dims)
    a_eq = csr_matrix((np.ones(n), (vq, np.arange(n))), shape=(nq, n))
    # capacity rows (center, bucket, dim), only where a variable uses the dim
    use = shapes.vectors[classes.shape[vq]]  # (n, D)
    var_idx, dim = np.nonzero(use)
    cap_row = (vc[var_idx] * k + vk[var_idx]) * d + dim
    capacity = np.array([_dims(c, shapes.dims) for c in centers], dtype=float).reshape(-1, d)
    # rate rows (class, bucket)
    rate_row = vq * k + vk
    rows = np.concatenate([cap_row, len(centers) * k * d + rate_row])
    cols = np.concatenate([var_idx, np.arange(n)])
    vals = np.concatenate([use[var_idx, dim], np.ones(n)])
    used, row = np.unique(rows, return_inverse=True)
    a_ub = coo_matrix((vals, (row, cols)), shape=(len(used), n)).tocsr()
    b_cap = (capacity[:, None, :] * span[None, :, None]).reshape(-1)  # (center, bucket, dim)
    rate_q, rate_k = np.divmod(np.arange(nq * k), k)
    later = classes.count[rate_q] * span[rate_k]
    first = classes.first_bucket_hours[rate_q]
    b_rate = np.where(rate_k == classes.start[rate_q], first, later)
    b_ub = np.concatenate([b_cap, b_rate])[used]
    return cost, a_ub, b_ub, a_eq, classes.hours, classes.hours[vq]


def _dims(center: Center, dims: Sequence[str]) -> list[float]:
    cap = center.capacity
    return [cap.cpus, cap.memory_gb, *(float(cap.accelerators.get(t, 0)) for t in dims[2:])]


def lp_bound(
    jobs: Sequence[JobRecord],
    centers: Sequence[Center],
    max_variables: int = MAX_VARIABLES,
    buckets: Sequence[int] = _BUCKETS,
) -> CostBound:
    """The time-indexed LP bound with the most buckets (of `buckets`) whose LP has at most
    `max_variables` variables; the simple bound, with a note, when none fits or it fails."""
    done = [j for j in jobs if j.end is not None]
    if not done:
        return CostBound(0.0, "simple", 0.0, note="no completed jobs")
    shapes = _shapes(done, centers)
    submit = np.array([j.submit for j in done])
    duration = np.array([j.duration for j in done])
    simple = _simple(shapes, duration)
    start, end = float(submit.min()), max(float(j.end or 0.0) for j in done)
    if end <= start:
        return CostBound(simple, "simple", simple, note="empty horizon")
    for k in sorted(buckets, reverse=True):
        edges = np.linspace(start, end, k + 1)
        classes = _classes(shapes, submit, duration, edges)
        n = _variables(shapes, classes, k)
        if n <= max_variables:
            break
    else:
        return CostBound(simple, "simple", simple, note=f"LP too large: {n:,} variables at K={k}")
    c, a_ub, b_ub, a_eq, b_eq, upper = _build(shapes, classes, centers, edges)
    res = _linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        return CostBound(simple, "simple", simple, note=f"LP not solved: {res.message}")
    y_eq = np.asarray(res.eqlin.marginals)
    y_ub = np.minimum(np.asarray(res.ineqlin.marginals), 0.0)
    reduced = c - a_eq.T @ y_eq - a_ub.T @ y_ub
    dual = float(b_eq @ y_eq + b_ub @ y_ub + np.minimum(reduced, 0.0) @ upper)
    return CostBound(dual, "lp", simple, buckets=k, variables=n)
