"""Bills: one line per attempt, and totals that are the sum of the lines."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from c2net.market.ledger import billable
from c2net.market.pricing import attempt_cost

__all__ = ["Bill", "BillLine", "make_line", "total"]


@dataclass(frozen=True)
class BillLine:
    job_id: int
    job_name: str
    attempt: int
    center: str
    resources: str
    state: str
    started_at: float | None
    ended_at: float | None
    wall_seconds: float
    price_per_hour: float
    cost: Decimal
    billed: bool


def make_line(
    *,
    job_id: int,
    job_name: str,
    attempt: int,
    center: str,
    resources: str,
    state: str,
    started_at: float | None,
    ended_at: float | None,
    wall_seconds: float,
    price_per_hour: float,
    reason: str = "",
) -> BillLine:
    """Attempts lost by the platform or a center are not billed (the user did not get the
    work); a preempted spot attempt is (the same rule as the ledger's)."""
    billed = billable(state, reason)
    cost = attempt_cost(price_per_hour, wall_seconds) if billed else Decimal("0.000000")
    return BillLine(
        job_id,
        job_name,
        attempt,
        center,
        resources,
        state,
        started_at,
        ended_at,
        wall_seconds,
        price_per_hour,
        cost,
        billed,
    )


def total(lines: list[BillLine]) -> Decimal:
    return sum((line.cost for line in lines), Decimal("0.000000"))


@dataclass(frozen=True)
class Bill:
    lines: list[BillLine]
    currency: str = "CNY"
    by_center: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def of(cls, lines: list[BillLine], currency: str = "CNY") -> Bill:
        per: dict[str, Decimal] = defaultdict(lambda: Decimal("0.000000"))
        for line in lines:
            per[line.center] += line.cost
        return cls(lines, currency, dict(sorted(per.items())))

    @property
    def total(self) -> Decimal:
        return total(self.lines)

    @property
    def wall_seconds(self) -> float:
        return sum(line.wall_seconds for line in self.lines if line.billed)
