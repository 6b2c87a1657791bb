"""The scheduling loop: expire leases, take a snapshot, schedule, commit. Every cycle and
whenever a job arrives or capacity frees."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

from c2net.clock import Clock
from c2net.model import Plan
from c2net.scheduler import schedule
from c2net.store import Store

__all__ = ["CycleStats", "SchedulingLoop"]

log = logging.getLogger("c2net.gateway.loop")


@dataclass(frozen=True)
class CycleStats:
    at: float
    seconds: float
    queued: int
    placed: int
    lost: int


class SchedulingLoop:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        policy: str = "cheapest",
        interval: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.interval = interval
        self.rng = random.Random(seed)
        self.last: CycleStats | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Plan:
        started = time.perf_counter()
        now = self.clock.now()
        lost = self.store.expire_leases(now)
        snapshot, queue = self.store.snapshot(now)
        plan = schedule(snapshot, queue, self.policy, self.clock, self.rng)
        placed = self.store.commit(plan, now) if queue else 0
        self.last = CycleStats(now, time.perf_counter() - started, len(queue), placed, len(lost))
        return plan

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.run_once()
            except Exception:  # the loop must outlive one bad cycle; the next one retries
                log.exception("scheduling cycle failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="c2net-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
