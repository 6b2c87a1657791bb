"""Centers: registration, health from heartbeats, and what each one holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import RowMapping

from c2net.model import (
    ACTIVE,
    Center,
    Health,
    Resources,
)
from c2net.network import CENTER_FORM_KEYS, center_to_dict, parse_center
from c2net.store.base import Conflict, NotFound, StoreBase
from c2net.store.schema import attempts, centers, jobs

__all__ = ["CenterRepo", "CenterStatus"]


@dataclass(frozen=True)
class CenterStatus:
    center: Center
    registered_at: float
    last_heartbeat: float
    used: Resources
    running_jobs: int
    agent: dict[str, Any]
    owner_account_id: int | None = None
    health_reason: str = ""
    reported_free: tuple[Resources, ...] | None = None  # per node, from the cluster itself


class CenterRepo(StoreBase):
    def register_center(
        self, center: Center, now: float, agent: dict[str, Any], owner: int | None = None
    ) -> None:
        """Add or update a center. A center belongs to the provider account that first
        registered it; another account registering the same name is refused."""
        data = center_to_dict(center)
        row = {
            "hub": center.hub,
            "region": center.region,
            "role": center.role,
            "backend": center.backend,
            "emulated": center.emulated,
            "elastic": center.elastic,
            "pools": data["pools"],
            "prices": data["prices"],
            "last_heartbeat": now,
            "agent": agent,
            "reported_free": None,
            "backend_error": "",
        }
        with self._lock, self.engine.begin() as conn:
            exists = conn.execute(
                select(centers.c.owner_account_id).where(centers.c.name == center.name)
            ).first()
            if exists:
                if exists[0] is not None and owner is not None and exists[0] != owner:
                    raise Conflict(f"center {center.name} belongs to another provider")
                conn.execute(update(centers).where(centers.c.name == center.name).values(**row))
            else:
                seq = conn.execute(select(func.coalesce(func.max(centers.c.seq), 0))).scalar_one()
                conn.execute(
                    insert(centers).values(
                        name=center.name,
                        seq=int(seq) + 1,
                        registered_at=now,
                        owner_account_id=owner,
                        **row,
                    )
                )

    def _center(self, row: RowMapping, now: float) -> tuple[Center, str]:
        """The center as registered, with its health now and the reason when unhealthy."""
        data = {k: v for k, v in row.items() if k in CENTER_FORM_KEYS}
        age = now - row["last_heartbeat"]
        if age > self.heartbeat_timeout:
            reason = f"no heartbeat for {age:.0f}s (timeout {self.heartbeat_timeout:g}s)"
        else:
            reason = f"cluster unreachable: {row['backend_error']}" if row["backend_error"] else ""
        health = Health.UNHEALTHY if reason else Health.HEALTHY
        return replace(parse_center(data), health=health), reason

    def centers(self, now: float) -> list[CenterStatus]:
        with self._read() as conn:
            rows = conn.execute(select(centers).order_by(centers.c.seq)).mappings().all()
            active = conn.execute(
                select(attempts.c.center, attempts.c.resources, attempts.c.nodes).where(
                    attempts.c.state.in_([s.value for s in ACTIVE])
                )
            ).all()
        used: dict[str, list[Resources]] = {}
        for name, res, gang in active:  # per-node resources, on every node of a gang
            used.setdefault(name, []).append(Resources.from_dict(res).scaled(len(gang or [0])))
        out = []
        for r in rows:
            center, reason = self._center(r, now)
            reported = r["reported_free"]
            out.append(
                CenterStatus(
                    center=center,
                    registered_at=r["registered_at"],
                    last_heartbeat=r["last_heartbeat"],
                    used=Resources.total(used.get(r["name"], [])),
                    running_jobs=len(used.get(r["name"], [])),
                    agent=dict(r["agent"] or {}),
                    owner_account_id=r["owner_account_id"],
                    health_reason=reason,
                    reported_free=None
                    if reported is None
                    else tuple(Resources.from_dict(x) for x in reported),
                )
            )
        return out

    def heartbeat(
        self,
        center: str,
        now: float,
        held: Sequence[int],
        *,
        free: Sequence[Resources] | None = None,
        backend_error: str = "",
    ) -> list[int]:
        """Record a heartbeat, renew the leases of the attempts the agent holds, and return the
        attempts it must stop (cancelled, preempted, or no longer the job's live attempt).

        `free` is what the center's own scheduler reports free per node (work submitted to the
        cluster outside the network included); `backend_error` says the cluster cannot be
        reached, which makes the center unhealthy until a heartbeat without it."""
        values: dict[str, Any] = {"last_heartbeat": now, "backend_error": backend_error}
        if free is not None:
            values["reported_free"] = [r.to_dict() for r in free]
        with self._lock, self.engine.begin() as conn:
            done = conn.execute(update(centers).where(centers.c.name == center).values(**values))
            if done.rowcount == 0:
                raise NotFound(f"center {center} is not registered")
            live = conn.execute(
                select(
                    attempts.c.id,
                    jobs.c.cancel_requested | attempts.c.preempted_reason.is_not(None),
                )
                .join(jobs, jobs.c.id == attempts.c.job_id)
                .where(attempts.c.center == center, attempts.c.state.in_([s.value for s in ACTIVE]))
            ).all()
            live_ids = {a for a, _ in live}
            renew = [a for a in held if a in live_ids]
            if renew:
                conn.execute(  # locked in id order, as expire_leases does: no deadlock
                    select(attempts.c.id)
                    .where(attempts.c.id.in_(renew))
                    .order_by(attempts.c.id)
                    .with_for_update()
                )
                conn.execute(
                    update(attempts)
                    .where(attempts.c.id.in_(renew))
                    .values(lease_expires_at=now + self.lease_seconds)
                )
            stop = [a for a, cancel in live if cancel and a in held]
            stop += [a for a in held if a not in live_ids]
            return sorted(set(stop))
