"""The metering loop: every `interval` seconds (30 by default, so a long job is booked at least
every minute) book the usage of running attempts, stop jobs past their budget, apply the
brakes and send low-balance alerts. Settlement does not wait for it: an attempt is settled in
the same transaction that ends it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from c2net.clock import Clock
from c2net.store import Store
from c2net.store.ledger import MeterStats

__all__ = ["Metering"]

log = logging.getLogger("c2net.gateway.metering")


class Metering:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        interval: float = 30.0,
        leading: Callable[[], bool] = lambda: True,
    ) -> None:
        self.store = store
        self.clock = clock
        self.interval = interval
        self.leading = leading  # one replica meters: the one leading the scheduling loop
        self.last: MeterStats | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> MeterStats:
        self.last = self.store.meter(self.clock.now())
        return self.last

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if not self.leading():
                continue
            try:
                self.run_once()
            except Exception:  # the loop must outlive one bad pass; the next one retries
                log.exception("metering pass failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="c2net-metering", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
