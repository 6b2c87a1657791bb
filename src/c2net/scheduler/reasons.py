"""Turn per-center reason codes into one sentence a person can act on."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from c2net.model import Exclusion, JobSpec, ReasonCode

__all__ = ["describe_pending", "exclusions"]


def _money(x: float) -> str:
    return f"{x:.2f}/h"


def _centers(names: list[str]) -> str:
    shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
    return f"{len(names)} center{'s' if len(names) != 1 else ''} ({shown})"


def exclusions(
    spec: JobSpec, names: list[str], codes: Sequence[ReasonCode | None], price: np.ndarray
) -> tuple[Exclusion, ...]:
    """One Exclusion per center that cannot take the job, with a detail line."""
    request = spec.resources.describe()
    acc = ", ".join(spec.resources.accelerators) or "accelerators"
    text = {
        ReasonCode.UNHEALTHY: "center is unhealthy (no recent heartbeat)",
        ReasonCode.REGION: f"outside the allowed regions {list(spec.regions)}",
        ReasonCode.NO_ACCELERATOR: f"offers no {acc}",
        ReasonCode.NODE_TOO_SMALL: f"no node is large enough for {request}",
        ReasonCode.NO_PRICE: f"has no price for {acc}",
        ReasonCode.BUSY: "every node that could hold it is busy",
    }
    out = []
    for ci, code in enumerate(codes):
        if code is None:
            continue
        if code is ReasonCode.OVER_MAX_PRICE:
            detail = (
                f"price {_money(float(price[ci]))} is above max_price {_money(spec.max_price or 0)}"
            )
        else:
            detail = text[code]
        out.append(Exclusion(names[ci], code, detail))
    return tuple(out)


def describe_pending(
    spec: JobSpec, excluded: tuple[Exclusion, ...], price: np.ndarray, names: list[str]
) -> str:
    """A summary such as 'no center offers H100' or '2 centers have A100 but all are busy'."""
    if not excluded:
        return "no centers are registered"
    by_code: dict[ReasonCode, list[str]] = defaultdict(list)
    for e in excluded:
        by_code[e.code].append(e.center)
    acc = ", ".join(spec.resources.accelerators)
    if (
        acc
        and set(by_code) <= {ReasonCode.NO_ACCELERATOR, ReasonCode.UNHEALTHY}
        and ReasonCode.UNHEALTHY not in by_code
    ):
        return f"no center offers {acc}"
    parts: list[str] = []
    if busy := by_code.get(ReasonCode.BUSY):
        what = f"have {acc}" if acc else "could hold it"
        parts.append(f"{_centers(busy)} {what} but all are busy; it will start when room frees")
    if over := by_code.get(ReasonCode.OVER_MAX_PRICE):
        idx = {n: i for i, n in enumerate(names)}
        cheapest = min(over, key=lambda n: float(price[idx[n]]))
        parts.append(
            f"the cheapest fitting offer is {_money(float(price[idx[cheapest]]))} at {cheapest}, "
            f"above max_price {_money(spec.max_price or 0)}"
        )
    if small := by_code.get(ReasonCode.NODE_TOO_SMALL):
        parts.append(
            f"no node at {_centers(small)} is large enough for {spec.resources.describe()}"
        )
    if missing := by_code.get(ReasonCode.NO_ACCELERATOR):
        parts.append(f"{_centers(missing)} offer no {acc}")
    if region := by_code.get(ReasonCode.REGION):
        parts.append(f"{_centers(region)} are outside regions {list(spec.regions)}")
    if noprice := by_code.get(ReasonCode.NO_PRICE):
        parts.append(f"{_centers(noprice)} sell no {acc}")
    if sick := by_code.get(ReasonCode.UNHEALTHY):
        parts.append(f"{_centers(sick)} unhealthy")
    return "; ".join(parts)
