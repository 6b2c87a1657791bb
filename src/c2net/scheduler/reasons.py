"""Why a job is not placed: per-center codes with a detail line, and one sentence a person can
act on ("no center offers H100", "2 centers (mid, dear-east) have A100 but all are busy")."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from c2net.model import Exclusion, JobSpec, ReasonCode
from c2net.model.plan import Exclusions
from c2net.scheduler.ranking import ClassPlan
from c2net.scheduler.snapshot import Account

__all__ = ["Verdict", "center_verdict", "exclusion_detail", "pending_reason", "quota_reason"]


def _money(x: float) -> str:
    return f"{x:.2f}/h"


def _centers(names: list[str]) -> str:
    shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    return f"{len(names)} center{'s' if len(names) != 1 else ''} ({shown})"


def accelerator_label(spec: JobSpec) -> str:
    """What the job asks for, for sentences: 'A100', 'A100 or H100', ''."""
    if spec.compute_fp16_tflops is not None:
        types = " or ".join(t for t, _ in spec.accelerator_options)
        return types or f"accelerators for {spec.compute_fp16_tflops:g} FP16 TFLOPS"
    return " or ".join(t for t, _ in spec.options())


@dataclass(frozen=True)
class Verdict:
    """Per center, for one class: the static code (None = feasible) and the figures behind it."""

    stage: np.ndarray  # (C,) furthest filter stage any candidate reached (len(codes): none)
    codes_by_stage: tuple[ReasonCode, ...]  # the filters' codes, in the order they ran
    price: np.ndarray  # (C,) lowest price among candidates that reached the max_price check
    finish: np.ndarray  # (C,) earliest finish (hours) among those that reached the deadline
    rtt: np.ndarray  # (C,) ms from the job's home (NaN: no latency limit)

    @property
    def codes(self) -> list[ReasonCode | None]:
        passed = len(self.codes_by_stage)
        return [
            None if s >= passed or s < 0 else self.codes_by_stage[s] for s in self.stage.tolist()
        ]


def center_verdict(plan: ClassPlan) -> Verdict:
    """Each center's most specific verdict: the furthest filter any of its candidates reached
    (a center with an A100 pool too small and a CPU pool says NODE_TOO_SMALL)."""
    view = plan.view
    n = len(view.ctx.table.names)
    best = np.full(n, -1, dtype=np.int64)
    np.maximum.at(best, view.center, plan.stage)
    names = [f.name for f in view.batch.filters]
    price = np.full(n, np.inf)
    reached = plan.stage >= names.index("max-price")
    np.minimum.at(price, view.center[reached], view.price[reached])
    finish = np.full(n, np.inf)
    reached = plan.stage >= names.index("deadline")
    np.minimum.at(finish, view.center[reached], view.finish_hours[reached])
    rtt = np.full(n, np.nan)
    if plan.cls.spec.rtt_limit_ms is not None and plan.cls.home:
        rtt = view.ctx.rtt_from(plan.cls.home)
    codes = tuple(f.code for f in view.batch.filters)
    return Verdict(best, codes, np.where(np.isinf(price), np.nan, price), finish, rtt)


_PER_CENTER = {ReasonCode.OVER_MAX_PRICE, ReasonCode.LATENCY, ReasonCode.DEADLINE}


def exclusion_detail(plan: ClassPlan, verdict: Verdict, ci: int, code: ReasonCode) -> str:
    """The detail line of one center's exclusion."""
    spec = plan.cls.spec
    if code is ReasonCode.OVER_MAX_PRICE:
        return (
            f"price {_money(float(verdict.price[ci]))} is above max_price "
            f"{_money(spec.max_price or 0)}"
        )
    if code is ReasonCode.LATENCY:
        rtt = float(verdict.rtt[ci])
        where = "no known route" if math.isinf(rtt) else f"{rtt:.1f} ms"
        return f"{where} from home {plan.cls.home}, above max_rtt_ms {spec.rtt_limit_ms:g}"
    if code is ReasonCode.DEADLINE:
        left = _hours_left(plan)
        return f"would finish in {verdict.finish[ci]:.2f} h, after the deadline in {left:.2f} h"
    if code is ReasonCode.DATA:
        missing = plan.view.data.missing
        if missing:
            return f"input {', '.join(missing)} is not registered"
        return "does not hold its inputs (data_policy: stay)"
    acc = accelerator_label(spec) or "accelerators"
    text = {
        ReasonCode.UNHEALTHY: "center is unhealthy (no recent heartbeat)",
        ReasonCode.REGION: f"outside the allowed regions {list(spec.regions)}",
        ReasonCode.NO_ACCELERATOR: f"offers no {acc}",
        ReasonCode.NODE_TOO_SMALL: f"no node is large enough for {spec.resources.describe()}",
        ReasonCode.TOO_FEW_NODES: f"no node pool has {spec.num_nodes} nodes for the gang",
        ReasonCode.NO_PRICE: f"has no price for {acc}",
        ReasonCode.BUSY: "every node that could hold it is busy",
        ReasonCode.QUOTA: "its account is at its quota",
    }
    return text[code]


def _hours_left(plan: ClassPlan) -> float:
    deadline = plan.cls.deadline_at
    return math.inf if deadline is None else (deadline - plan.view.ctx.now) / 3600.0


def exclusions(plan: ClassPlan, verdict: Verdict, busy: bool) -> tuple[Exclusion, ...]:
    """One Exclusion per center that cannot take the job now (feasible ones: BUSY if busy)."""
    names = plan.view.ctx.table.names
    shared: dict[ReasonCode, str] = {}
    out = []
    for ci, code in enumerate(verdict.codes):
        if code is None:
            if not busy:
                continue
            code = ReasonCode.BUSY
        if code in _PER_CENTER:
            detail = exclusion_detail(plan, verdict, ci, code)
        else:
            detail = shared.get(code) or shared.setdefault(
                code, exclusion_detail(plan, verdict, ci, code)
            )
        out.append(Exclusion(names[ci], code, detail))
    return tuple(out)


def _by_code(plan: ClassPlan, verdict: Verdict, busy: bool) -> dict[ReasonCode, list[str]]:
    """Center names per code (filter order), feasible centers as BUSY when busy."""
    names = np.array(plan.view.ctx.table.names, dtype=object)
    out: dict[ReasonCode, list[str]] = {}
    passed = len(verdict.codes_by_stage)
    for stage in sorted(set(verdict.stage.tolist())):
        if stage < 0 or (stage >= passed and not busy):
            continue
        code = ReasonCode.BUSY if stage >= passed else verdict.codes_by_stage[stage]
        out[code] = names[verdict.stage == stage].tolist()
    return out


def pending_reason(
    plan: ClassPlan, verdict: Verdict, busy: bool
) -> tuple[str, Exclusions, ReasonCode | None]:
    """(sentence, per-center exclusions built on first read, main code) for a job of this
    class left pending."""
    excluded = Exclusions(lambda: exclusions(plan, verdict, busy))
    by_code = _by_code(plan, verdict, busy)
    if not by_code:
        return ("no centers are registered", excluded, None)
    spec = plan.cls.spec
    order = [*verdict.codes_by_stage, ReasonCode.QUOTA, ReasonCode.BUSY]
    main = max(by_code, key=order.index)
    acc = accelerator_label(spec)
    if plan.view.data.missing:
        missing = ", ".join(plan.view.data.missing)
        return (f"input dataset {missing} is not registered", excluded, ReasonCode.DATA)
    if acc and set(by_code) == {ReasonCode.NO_ACCELERATOR}:
        return (f"no center offers {acc}", excluded, ReasonCode.NO_ACCELERATOR)
    index = {n: i for i, n in enumerate(plan.view.ctx.table.names)}
    parts: list[str] = []
    if busy_at := by_code.get(ReasonCode.BUSY):
        what = f"have {acc}" if acc else "could hold it"
        parts.append(f"{_centers(busy_at)} {what} but all are busy; it will start when room frees")
    if late := by_code.get(ReasonCode.DEADLINE):
        fastest = min(late, key=lambda n: float(verdict.finish[index[n]]))
        parts.append(
            f"no center can finish it by its deadline: the earliest estimate ends in "
            f"{verdict.finish[index[fastest]]:.2f} h at {fastest}, the deadline is in "
            f"{_hours_left(plan):.2f} h"
        )
    if over := by_code.get(ReasonCode.OVER_MAX_PRICE):
        cheapest = min(over, key=lambda n: float(verdict.price[index[n]]))
        parts.append(
            f"the cheapest fitting offer is {_money(float(verdict.price[index[cheapest]]))} at "
            f"{cheapest}, above max_price {_money(spec.max_price or 0)}"
        )
    if few := by_code.get(ReasonCode.TOO_FEW_NODES):
        parts.append(f"{_centers(few)} have no node pool of {spec.num_nodes} nodes")
    if small := by_code.get(ReasonCode.NODE_TOO_SMALL):
        parts.append(
            f"no node at {_centers(small)} is large enough for {spec.resources.describe()}"
        )
    if missing_acc := by_code.get(ReasonCode.NO_ACCELERATOR):
        parts.append(f"{_centers(missing_acc)} offer no {acc}")
    if far := by_code.get(ReasonCode.LATENCY):
        parts.append(
            f"{_centers(far)} are more than {spec.rtt_limit_ms:g} ms from home {plan.cls.home}"
        )
    if elsewhere := by_code.get(ReasonCode.DATA):
        parts.append(f"{_centers(elsewhere)} do not hold its inputs (data_policy: stay)")
    if region := by_code.get(ReasonCode.REGION):
        parts.append(f"{_centers(region)} are outside regions {list(spec.regions)}")
    if noprice := by_code.get(ReasonCode.NO_PRICE):
        parts.append(f"{_centers(noprice)} sell no {acc}")
    if sick := by_code.get(ReasonCode.UNHEALTHY):
        parts.append(f"{_centers(sick)} unhealthy")
    return ("; ".join(parts), excluded, main)


def quota_reason(account: str, limits: Account) -> str:
    shown = ", ".join(
        f"{label} {value:g}"
        for label, value in (
            ("cpus", limits.max_cpus),
            ("memory GB", limits.max_memory_gb),
            ("accelerators", limits.max_accelerators),
        )
        if value is not None
    )
    name = account or "default"
    return f"account {name} is at its quota ({shown}); it will start when its running jobs end"
