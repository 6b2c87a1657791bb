"""explain(snapshot, job): per center, the filter that rejected the job or the score of its best
candidate there (what `c2net explain ID` prints, like `condor_q -better-analyze`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from c2net.model import ReasonCode
from c2net.scheduler.candidates import Context
from c2net.scheduler.classes import group
from c2net.scheduler.plugins import Policy, get_policy
from c2net.scheduler.pools import EPS, PoolTable
from c2net.scheduler.ranking import ClassPlan, rank_classes
from c2net.scheduler.reasons import center_verdict, exclusion_detail
from c2net.scheduler.snapshot import QueuedJob, Snapshot

__all__ = ["ExplainRow", "explain"]


@dataclass(frozen=True)
class ExplainRow:
    """One center's verdict on one job. `code` None: it could take the job (see the figures)."""

    center: str
    hub: str
    role: str
    code: ReasonCode | None
    filter: str  # the name of the filter that rejected it ("" if none did)
    detail: str
    rank: int | None  # 1 = the center the job would go to first (None if rejected)
    pool: str = ""
    accelerator: str = ""
    price_per_hour: float = float("nan")
    estimated_hours: float = float("nan")  # data transfer + runtime on that hardware
    estimated_cost: float = float("nan")
    objective: float = float("nan")  # the job's objective value (cost, hours or grams CO2)
    available_now: bool = False


def _room_now(table: PoolTable, plan: ClassPlan, i: int) -> bool:
    pool = int(plan.view.pool[i])
    if table.pool_elastic[pool]:
        return True
    nodes = table.node_free[table.node_pool == pool]
    fits = np.all(nodes + EPS >= plan.view.vector[i], axis=1)
    return int(fits.sum()) >= plan.cls.num_nodes


def explain(
    snapshot: Snapshot, job: QueuedJob, policy: Policy | str = "cheapest", now: float | None = None
) -> tuple[ExplainRow, ...]:
    """Every center's verdict on `job` in network order; feasible ones ranked as the scheduler
    would try them (busy ones included, flagged available_now=False)."""
    pol = get_policy(policy) if isinstance(policy, str) else policy
    classes, _ = group([job], snapshot.catalogue)
    extra = {o.accelerator for o in classes[0].options if o.accelerator}
    table = PoolTable.build(snapshot, extra)
    ctx = Context(snapshot, table, snapshot.taken_at if now is None else now)
    plan = rank_classes(ctx, classes, pol)[0]
    verdict = center_verdict(plan)
    view = plan.view
    best: dict[int, int] = {}
    for i in plan.order.tolist():
        best.setdefault(int(view.center[i]), i)
    ranking = {c: r + 1 for r, c in enumerate(best)}
    filters = plan.view.batch.filters
    rows = []
    for ci, center in enumerate(table.centers):
        code = verdict.codes[ci]
        if code is not None:
            stage = [f.code for f in filters].index(code)
            rows.append(
                ExplainRow(
                    center.name,
                    center.hub,
                    center.role,
                    code,
                    filters[stage].name,
                    exclusion_detail(plan, verdict, ci, code),
                    None,
                )
            )
            continue
        i = best[ci]
        option = plan.cls.options[int(view.option[i])]
        now_ok = _room_now(table, plan, i)
        rows.append(
            ExplainRow(
                center=center.name,
                hub=center.hub,
                role=center.role,
                code=None if now_ok else ReasonCode.BUSY,
                filter="",
                detail="could run it now" if now_ok else "every node that could hold it is busy",
                rank=ranking[ci],
                pool=table.pool_name[int(view.pool[i])],
                accelerator=option.accelerator or "",
                price_per_hour=float(view.price[i]),
                estimated_hours=float(view.finish_hours[i]),
                estimated_cost=float(view.cost[i]),
                objective=float(plan.objective[i]),
                available_now=now_ok,
            )
        )
    return tuple(rows)
