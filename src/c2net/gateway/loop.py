"""The scheduling loop: expire leases, take a snapshot, schedule, commit. Every cycle and
whenever a job arrives or capacity frees. After a cycle, the leader also records the pool's
utilization when the last sample is `sample_seconds` old, and drops samples older than
`keep_seconds` (the history behind GET /v1/pool/history)."""

from __future__ import annotations

import bisect
import logging
import math
import os
import random
import threading
import time
from dataclasses import dataclass, field, replace

from c2net.clock import Clock
from c2net.gateway.leader import Leadership, Solo
from c2net.model import Plan
from c2net.scheduler import schedule
from c2net.store import Store

__all__ = [
    "CYCLE_BUCKETS",
    "KEEP_SECONDS",
    "SAMPLE_SECONDS",
    "CycleStats",
    "CycleTotals",
    "SchedulingLoop",
]

log = logging.getLogger("c2net.gateway.loop")


def _seconds(variable: str, default: float) -> float:
    """A duration from the environment (a gateway started by `c2net server`), else `default`."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise ValueError(f"{variable} must be a positive number of seconds, got {raw!r}")
    return value


# Utilization history: by default one sample of every center a minute, kept a week.
SAMPLE_SECONDS = 60.0
KEEP_SECONDS = 7 * 86400.0


@dataclass(frozen=True)
class CycleStats:
    at: float
    seconds: float
    queued: int
    placed: int
    lost: int
    preempted: int = 0  # spot attempts the plan stops for on-demand work
    placed_west: int = 0  # placements at western hubs (as planned)
    diverted_west: int = 0  # ... of jobs whose consumers' home is not a western hub


# Upper bounds (seconds) of the cycle-time histogram that /metrics exposes.
CYCLE_BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass
class CycleTotals:
    """Counters over every cycle since the loop was made (read by /metrics)."""

    cycles: int = 0
    failed: int = 0
    seconds: float = 0.0
    placed: int = 0
    lost: int = 0
    preempted: int = 0
    placed_west: int = 0
    diverted_west: int = 0
    # cycles whose time was <= CYCLE_BUCKETS[i], not cumulative; the last slot is +Inf
    buckets: list[int] = field(default_factory=lambda: [0] * (len(CYCLE_BUCKETS) + 1))

    def add(self, stats: CycleStats) -> None:
        self.cycles += 1
        self.seconds += stats.seconds
        self.placed += stats.placed
        self.lost += stats.lost
        self.preempted += stats.preempted
        self.placed_west += stats.placed_west
        self.diverted_west += stats.diverted_west
        self.buckets[bisect.bisect_left(CYCLE_BUCKETS, stats.seconds)] += 1


class SchedulingLoop:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        policy: str = "cheapest",
        interval: float = 1.0,
        seed: int = 0,
        sample_seconds: float | None = None,
        keep_seconds: float | None = None,
    ) -> None:
        """`sample_seconds` and `keep_seconds` default to the environment's
        C2NET_POOL_SAMPLE_SECONDS and C2NET_POOL_KEEP_SECONDS, else SAMPLE_SECONDS and
        KEEP_SECONDS."""
        self.store = store
        self.clock = clock
        self.policy = policy
        self.interval = interval
        # utilization history: how often, and for how long
        self.sample_seconds = sample_seconds or _seconds(
            "C2NET_POOL_SAMPLE_SECONDS", SAMPLE_SECONDS
        )
        self.keep_seconds = keep_seconds or _seconds("C2NET_POOL_KEEP_SECONDS", KEEP_SECONDS)
        self._sampled_at: float | None = None  # the newest sample (None: ask the store)
        self.rng = random.Random(seed)
        self.last: CycleStats | None = None
        self._totals = CycleTotals()
        self._totals_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.leadership: Leadership = Solo()  # replaced by start(); see gateway/leader.py
        self.leading = False

    def run_once(self) -> Plan:
        started = time.perf_counter()
        now = self.clock.now()
        lost = self.store.expire_leases(now)
        snapshot, queue = self.store.snapshot(now)
        plan = schedule(snapshot, queue, self.policy, self.clock, self.rng)
        placed = self.store.commit(plan, now, fence=self.leadership.fence) if queue else 0
        stats = plan.stats
        self.last = CycleStats(
            now,
            time.perf_counter() - started,
            len(queue),
            placed,
            len(lost),
            preempted=len(plan.preemptions),
            placed_west=int(stats.get("placed_west", 0.0)),
            diverted_west=int(stats.get("diverted_west", 0.0)),
        )
        with self._totals_lock:
            self._totals.add(self.last)
        return plan

    def totals(self) -> CycleTotals:
        """A consistent copy of the counters."""
        with self._totals_lock:
            t = self._totals
            return replace(t, buckets=list(t.buckets))

    def lead(self) -> bool:
        """Whether this replica leads the loop now. On taking the lead, every live lease gets
        a fresh term: while no gateway ran the loop, agents may have been unable to renew."""
        leader = self.leadership.is_leader()
        if leader and not self.leading:
            self._sampled_at = None  # another replica may have sampled while we did not lead
            extended = self.store.extend_leases(self.clock.now())
            log.info("leading the scheduling loop; %d live leases given a fresh term", extended)
        elif self.leading and not leader:
            log.warning("no longer leading the scheduling loop")
        self.leading = leader
        return leader

    def sample(self) -> bool:
        """Record the pool's utilization if the newest sample is `sample_seconds` old (or there
        is none), and drop samples past `keep_seconds`. Returns whether it sampled."""
        now = self.clock.now()
        if self._sampled_at is None:
            self._sampled_at = self.store.last_pool_sample()
        if self._sampled_at is not None and now - self._sampled_at < self.sample_seconds:
            return False
        self.store.sample_pool(now, self.keep_seconds)
        self._sampled_at = now
        return True

    def step(self) -> bool:
        """One turn of the loop: if this replica leads, a cycle, then the utilization sample
        when one is due. Returns whether it led."""
        if not self.lead():
            return False
        try:
            self.run_once()
        except Exception:  # the loop must outlive one bad cycle; the next one retries
            log.exception("scheduling cycle failed")
            with self._totals_lock:
                self._totals.failed += 1
        try:
            self.sample()
        except Exception:  # a missed sample leaves a gap in the history, nothing more
            log.exception("sampling the pool's utilization failed")
        return True

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.step()
            except Exception:  # leadership could not be checked (the database is away)
                log.exception("scheduling cycle failed")
                with self._totals_lock:
                    self._totals.failed += 1

    def start(self, leadership: Leadership | None = None) -> None:
        if leadership is not None:
            self.leadership = leadership
        self._thread = threading.Thread(target=self._run, name="c2net-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.leadership.release()
        self.leading = False
