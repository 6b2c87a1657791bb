"""Filter -> score for the whole cycle: every candidate's first failing filter and its objective,
then, per job class, the feasible candidates in the order the policy prefers them."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from c2net.scheduler.candidates import CandidateBatch, CandidateView, Context
from c2net.scheduler.classes import JobClass
from c2net.scheduler.filters import first_rejection
from c2net.scheduler.plugins import Policy, ScoreContext, get_objective

__all__ = ["ClassPlan", "rank_classes"]


@dataclass
class ClassPlan:
    """A class's candidates: static verdicts, and the feasible ones in preference order."""

    view: CandidateView
    stage: np.ndarray  # (M,) index into batch.filters of the first rejection (len: none)
    order: np.ndarray  # feasible candidate indices (into the view), preferred first
    # Python lists over `order`, for the placement loop:
    pools: list[int]
    options: list[int]
    needs: list[list[tuple[int, float]]]  # per option: [(dim, amount)] per node
    cls: JobClass
    num_nodes: int
    order_list: list[int]  # order, as Python ints
    ptr: int = 0  # candidates before ptr had no room for this class this cycle

    @property
    def objective(self) -> np.ndarray:
        return self.view.objective

    @property
    def feasible(self) -> bool:
        return len(self.pools) > 0

    def score_context(self, rng: random.Random) -> ScoreContext:
        """Per center: the best feasible candidate's price, cost and objective (NaN if none)."""
        n = len(self.view.ctx.table.names)
        price, cost, objective = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
        best = self.order[::-1]  # the first (best) candidate per center is written last
        center = self.view.center[best]
        price[center] = self.view.price[best]
        cost[center] = self.view.cost[best]
        objective[center] = self.objective[best]
        return ScoreContext(price, self.cls.spec.runtime_hours, rng, cost, objective)

    def center_order(self, scores: np.ndarray) -> np.ndarray:
        """Feasible candidates ordered by their center's score, then by objective."""
        view = self.view
        idx = self.order
        keys = (
            view.pool[idx],
            view.ctx.table.name_rank[view.center[idx]],
            self.objective[idx],
            np.asarray(scores, dtype=float)[view.center[idx]],
        )
        return np.asarray(idx[np.lexsort(keys)])

    def reorder(self, order: np.ndarray) -> None:
        self.order = order
        self.order_list = order.tolist()
        self.pools = self.view.pool[order].tolist()
        self.options = self.view.option[order].tolist()


def _objectives(batch: CandidateBatch) -> np.ndarray:
    out = np.empty(batch.shape)
    names = np.array([c.spec.objective for c in batch.classes], dtype=object)[batch.row_class]
    for name in sorted(set(names.tolist())):
        rows = names == name
        out[rows] = get_objective(name).value(batch)[rows]
    return out


def rank_classes(ctx: Context, classes: Sequence[JobClass], policy: Policy) -> list[ClassPlan]:
    """Run every filter and objective over the cycle's (options x pools) matrix, then order
    each class's feasible candidates: the policy's rank (or center score), then objective,
    cost, center name and pool; an `ordered` choice puts its options first, in order."""
    batch = CandidateBatch(ctx, classes)
    batch.stage = first_rejection(batch)
    batch.objective = _objectives(batch)
    n_pools = len(ctx.table.pool_name)
    table = ctx.table
    rank = getattr(policy, "rank", None)
    plans = []
    for k, cls in enumerate(classes):
        view = CandidateView(batch, k)
        stage = view.flat(batch.stage)
        ok = np.flatnonzero(stage == len(batch.filters))
        pool, option = ok % n_pools, ok // n_pools
        keys: list[np.ndarray] = [
            pool,
            table.name_rank[table.pool_center[pool]],
            view.flat(batch.cost)[ok],
            view.objective[ok],
        ]
        if callable(rank):
            keys.append(np.asarray(rank(view), dtype=float)[ok])
        if cls.spec.accelerator_choice == "ordered" and len(cls.options) > 1:
            keys.append(option.astype(float))
        order = ok[np.lexsort(keys)] if len(ok) else ok
        needs = [
            [(d, float(v)) for d, v in enumerate(batch.row_vector[r].tolist()) if v > 0]
            for r in range(view.rows.start, view.rows.stop)
        ]
        plan = ClassPlan(
            view,
            stage,
            order,
            (order % n_pools).tolist(),
            (order // n_pools).tolist(),
            needs,
            cls,
            cls.num_nodes,
            order.tolist(),
        )
        if not callable(rank) and getattr(policy, "per_class", False) and len(order):
            plan.reorder(plan.center_order(policy.score(plan.score_context(random.Random(0)))))
        plans.append(plan)
    return plans
