"""The pool over time and between tenants: utilization samples (one row per center per sample,
kept for a bounded time) and what each account holds and queues now."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select

from c2net.model import ACTIVE, AccountKind, Health, JobState, Resources
from c2net.store.centers import CenterRepo
from c2net.store.identities import Account, account_from_row
from c2net.store.schema import accounts, attempts, jobs, pool_samples

__all__ = ["PoolRepo", "PoolSample", "TenantLoad"]


@dataclass(frozen=True)
class PoolSample:
    """One center at one moment: capacity and what active attempts held."""

    at: float
    center: str
    cpus: float
    cpus_used: float
    accelerators: int  # devices of every type
    accelerators_used: int
    healthy: bool
    memory_gb: float | None = None  # None: taken before memory was sampled
    memory_gb_used: float | None = None


@dataclass(frozen=True)
class TenantLoad:
    """An account's work now: what its active attempts hold (a gang on every node) and how
    many of its jobs wait in the queue."""

    account: Account
    held: Resources
    running: int  # active (assigned or running) attempts
    queued: int  # pending jobs

    @property
    def has_work(self) -> bool:
        return self.running > 0 or self.queued > 0


class PoolRepo(CenterRepo):
    # ------------------------------------------------------------------ utilization history

    def sample_pool(self, now: float, keep_seconds: float | None = None) -> int:
        """Record every registered center's capacity and use at `now` (not elastic centers':
        they have no capacity to fill); with `keep_seconds`, delete samples older than that.
        Returns the rows written."""
        rows = [
            {
                "at": now,
                "center": s.center.name,
                "cpus": s.center.capacity.cpus,
                "cpus_used": s.used.cpus,
                "memory_gb": s.center.capacity.memory_gb,
                "memory_gb_used": s.used.memory_gb,
                "accelerators": sum(s.center.capacity.accelerators.values()),
                "accelerators_used": sum(s.used.accelerators.values()),
                "healthy": s.center.health is Health.HEALTHY,
            }
            for s in self.centers(now)
            if not s.center.elastic
        ]
        with self._lock, self.engine.begin() as conn:
            if rows:
                conn.execute(insert(pool_samples), rows)
            if keep_seconds is not None:
                conn.execute(delete(pool_samples).where(pool_samples.c.at < now - keep_seconds))
        return len(rows)

    def last_pool_sample(self) -> float | None:
        """When the newest sample was taken (None: never)."""
        with self._read() as conn:
            at = conn.execute(select(func.max(pool_samples.c.at))).scalar_one()
        return None if at is None else float(at)

    def pool_history(self, since: float, center: str | None = None) -> list[PoolSample]:
        """Samples taken at or after `since`, oldest first (one center's, or every center's)."""
        query = select(pool_samples).where(pool_samples.c.at >= since)
        if center is not None:
            query = query.where(pool_samples.c.center == center)
        with self._read() as conn:
            rows = conn.execute(query.order_by(pool_samples.c.at, pool_samples.c.id)).mappings()
            return [
                PoolSample(
                    at=r["at"],
                    center=r["center"],
                    cpus=r["cpus"],
                    cpus_used=r["cpus_used"],
                    accelerators=r["accelerators"],
                    accelerators_used=r["accelerators_used"],
                    healthy=bool(r["healthy"]),
                    memory_gb=r["memory_gb"],
                    memory_gb_used=r["memory_gb_used"],
                )
                for r in rows
            ]

    # ------------------------------------------------------------------ tenants

    def tenant_loads(self) -> list[TenantLoad]:
        """Every consumer account, and any other account with work, in account order."""
        with self._read() as conn:
            tenants = [
                account_from_row(r)
                for r in conn.execute(select(accounts).order_by(accounts.c.id)).mappings()
            ]
            held = conn.execute(
                select(jobs.c.account_id, attempts.c.resources, attempts.c.nodes)
                .join(jobs, jobs.c.id == attempts.c.job_id)
                .where(attempts.c.state.in_([s.value for s in ACTIVE]))
            ).all()
            queued = conn.execute(
                select(jobs.c.account_id, func.count())
                .where(jobs.c.state == JobState.PENDING.value)
                .group_by(jobs.c.account_id)
            ).all()
        holding: dict[int, list[Resources]] = {}
        for account_id, res, gang in held:  # per-node resources, on every node of a gang
            per_node = Resources.from_dict(res)
            holding.setdefault(account_id, []).append(per_node.scaled(len(gang or [0])))
        waiting = Counter({a: int(n) for a, n in queued})
        loads = [
            TenantLoad(
                account=a,
                held=Resources.total(holding.get(a.id, [])),
                running=len(holding.get(a.id, [])),
                queued=waiting[a.id],
            )
            for a in tenants
        ]
        return [t for t in loads if t.account.kind is AccountKind.CONSUMER or t.has_work]
