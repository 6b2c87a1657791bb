"""Global optimisation of a cycle: a cheaper plan for the jobs greedy admitted, and a proof of
how close it is to the best possible.

Greedy decides *which* jobs run this cycle (fair order) and places each on the best candidate
with room at its turn, so an early flexible job can take the cheap pool a later rigid one needed.
Here the same jobs are placed again, on nodes, always as a valid plan (`Layout`):

1. by value: the classes that lose most away from their cheapest columns choose first, each job
   taking its cheapest column with room (greedy's plan if some job finds none), then moves;
2. a restricted LP over the columns near that plan gives resource prices and, evaluated over
   every column, a Lagrangian lower bound (`bound.py`): no plan placing the same jobs costs less;
3. the same jobs again, twice: each on its LP column (the jobs the LP places whole first), and
   each on its cheapest column at the LP's prices (a job that can go elsewhere for little
   leaves scarce cheap capacity to those that cannot);
4. the cheapest of these three is polished (`search.py`): moves, repacks of the pools whose
   priced capacity lies idle, ejections and ejection chains;
5. while the plan is more than `target_gap` (1%) above the bound, another round of column
   generation (better prices, a tighter bound) and another polish, at most `max_rounds` LPs.

The cheaper of greedy's plan and this one wins. Jobs with the `time` or `carbon` objective,
gangs, jobs placed by preemption and jobs under an account quota keep their greedy placement
(the pipeline marks them not movable; their cost is a constant in both). Deterministic: no time
limits, no randomness.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from c2net.scheduler.bound import Bound, Master, window
from c2net.scheduler.columns import Columns
from c2net.scheduler.layout import Columnar, Layout
from c2net.scheduler.pools import PoolTable, Room
from c2net.scheduler.ranking import ClassPlan
from c2net.scheduler.search import ejections, moves, repacks
from c2net.scheduler.select import Choice

__all__ = ["Improvement", "improve"]

# The first LP's columns, per class: from `_BELOW` places under the plan's column in the class's
# cost order to `_ABOVE` over it. The LP mostly moves a job to a cheaper column (into capacity
# the plan used badly), so the window reaches further down than up.
_BELOW, _ABOVE = 12, 1
_ENTERING = 3  # columns per class that a later round adds (most negative reduced cost first)
# A later round drops the unused columns whose reduced cost is above this share of the mean
# cost of a job (the restricted LP stays small; a dropped column can come back).
_KEEP = 0.003
_MAX_ROUNDS = 50  # rounds when asked for the LP optimum itself


@dataclass(frozen=True)
class Improvement:
    choices: list[Choice]  # the plan's choices after optimisation (greedy's if not better)
    greedy_cost: float  # every placed job, as greedy placed them
    cost: float  # every placed job, as returned
    lower_bound: float  # no plan placing the same jobs costs less (NaN when not solved)
    solved: bool
    lp_value: float = math.nan  # the last restricted LP's optimum (>= the full LP's)
    exact: bool = False  # lower_bound is the full LP's optimum
    rounds: int = 0  # LPs solved
    room: Room | None = None  # the nodes' room under `choices`, when they are not greedy's


def _cost(plans: Sequence[ClassPlan], of_job: Sequence[int], choices: Sequence[Choice]) -> float:
    return float(sum(plans[of_job[c.position]].view.cost[c.candidate] for c in choices))


def improve(
    plans: Sequence[ClassPlan],
    of_job: Sequence[int],
    choices: list[Choice],
    movable: Sequence[bool],
    table: PoolTable,
    room: Room,
    max_variables: int,
    *,
    target_gap: float = 0.01,
    max_rounds: int | None = 3,
) -> Improvement:
    """`room`: the nodes after greedy placed `choices` (left as it is). `max_rounds` None: solve
    until the bound is the LP optimum."""
    greedy = _cost(plans, of_job, choices)
    fixed = [c for c, m in zip(choices, movable, strict=True) if not m]
    moving = [c for c, m in zip(choices, movable, strict=True) if m]
    members: dict[int, list[int]] = defaultdict(list)
    for c in moving:
        members[of_job[c.position]].append(c.position)
    # If every moving job already sits on its class's cheapest candidate, greedy is optimal.
    floor = _cost(plans, of_job, fixed) + sum(
        len(ps) * float(plans[k].view.cost[plans[k].order].min()) for k, ps in members.items()
    )
    if greedy <= floor + 1e-9 * max(1.0, abs(floor)):
        return Improvement(choices, greedy, greedy, floor, True, floor, True)
    n_pools = len(table.pool_name)
    base = _without(room, moving, plans, of_job, n_pools)
    cols = Columns.build(plans, {k: len(ps) for k, ps in members.items()}, table, base.free_rows())
    if not len(cols) or len(cols) > max_variables or not cols.complete:
        return Improvement(choices, greedy, greedy, math.nan, False)
    master = Master(cols, _cost(plans, of_job, fixed))
    jobs = [(i, p) for i in _value_order(cols) for p in members[cols.classes[i]]]
    columnar = Columnar(cols, plans, n_pools)
    by_value = Layout(columnar, base.copy())
    if not by_value.fill(jobs, range(len(cols))):  # a job found no room: start from greedy's
        by_value = _adopt(columnar, base.copy(), moving, of_job)
    moves(by_value)
    layouts = [by_value]
    bound = master.solve(window(cols, by_value.used(), _BELOW, _ABOVE))
    # the LP's solution rounded: classes it places whole first, each on its LP column
    whole = cols.minimum(-bound.x) <= -(cols.count - 1e-6)
    lp_jobs = [job for job in jobs if whole[job[0]]] + [job for job in jobs if not whole[job[0]]]
    for these, order in ((lp_jobs, _lp_order(cols, bound)), (jobs, _price_order(cols, bound))):
        layout = Layout(columnar, base.copy())
        if layout.fill(these, order):
            moves(layout)
            layouts.append(layout)
    best = min(layouts, key=Layout.cost)
    _polish(best, bound)
    limit = _MAX_ROUNDS if max_rounds is None else max_rounds
    while not bound.exact and bound.rounds < limit:
        close = best.cost() + master.fixed <= bound.value + target_gap * abs(bound.value)
        if close and max_rounds is not None:
            break
        master.prune(_KEEP * bound.lp / float(cols.count.sum()))
        bound = master.solve(master.entering(_ENTERING) | window(cols, best.used(), 1, 1))
        _polish(best, bound)
    cost = best.cost() + master.fixed
    if cost < greedy - 1e-9 * max(1.0, abs(greedy)):
        choices, room_after = fixed + best.choices(), best.room
    else:
        cost, room_after = greedy, None
    return Improvement(
        choices, greedy, cost, bound.value, True, bound.lp, bound.exact, bound.rounds, room_after
    )


def _polish(layout: Layout, bound: Bound, passes: int = 2) -> None:
    """Move, repack pools whose priced capacity lies idle, eject misplaced jobs, move; again
    while a pass saves more than 0.05% of the plan's cost."""
    for _ in range(passes):
        before = layout.cost()
        moves(layout)
        repacks(layout, bound.prices)
        ejections(layout, bound.priced)
        moves(layout)
        if layout.cost() >= before * (1 - 5e-4):
            break


def _without(
    room: Room, moving: Sequence[Choice], plans: Sequence[ClassPlan], of_job: Sequence[int], n: int
) -> Room:
    """A copy of `room` with the moving jobs' reservations given back."""
    out = room.copy()
    for c in moving:
        plan = plans[of_job[c.position]]
        for node in c.nodes:
            out.give_back(c.candidate % n, node, plan.needs[c.candidate // n])
    return out


def _adopt(
    columnar: Columnar, room: Room, moving: Sequence[Choice], of_job: Sequence[int]
) -> Layout:
    """Greedy's placement of the moving jobs as a layout (it always fits: greedy made it)."""
    cols = columnar.cols
    index = {k: i for i, k in enumerate(cols.classes)}
    klass = np.array([index[of_job[c.position]] for c in moving], dtype=np.int64)
    where = cols.locate(klass, np.array([c.candidate for c in moving], dtype=np.int64))
    layout = Layout(columnar, room)
    placed = layout.adopt(
        (int(col), c.position, c.nodes[0]) for col, c in zip(where, moving, strict=True)
    )
    assert placed and bool(np.all(where >= 0)), "greedy's moving jobs sit on columns"
    return layout


def _value_order(cols: Columns) -> list[int]:
    """Classes by how much they lose away from their cheapest column (the upper median of
    their columns' costs minus the cheapest), most first: they choose first."""
    start, cost = cols.start, cols.cost
    loss = cost[(start[:-1] + start[1:]) // 2] - cost[start[:-1]]
    order: list[int] = np.argsort(-loss, kind="stable").tolist()
    return order


def _lp_order(cols: Columns, bound: Bound) -> list[int]:
    """Column indices, grouped by class like the columns: the LP solution's first (most jobs
    first), then the cheapest at `bound`'s prices."""
    order: list[int] = np.lexsort((cols.cost, bound.priced, -bound.x, cols.klass)).tolist()
    return order


def _price_order(cols: Columns, bound: Bound) -> list[int]:
    """Column indices, grouped by class like the columns, cheapest at `bound`'s prices first."""
    order: list[int] = np.lexsort((cols.cost, bound.priced, cols.klass)).tolist()
    return order
