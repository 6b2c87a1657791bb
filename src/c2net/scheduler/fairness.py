"""The order in which queued jobs are considered: priority classes with aging, then weighted
dominant-resource fairness (DRF) between accounts.

Higher priority first. A job gains one priority class per `aging_hours` waited (up to the top
class), so low-priority work cannot starve. Among equal priorities, the account with the lowest
dominant share / weight goes next (its share = the largest fraction of any resource it holds,
counting what runs now and what this cycle has placed for it); within an account, oldest first.
A tenant that floods the queue only lengthens its own line: each placement raises its share, so
another tenant's jobs go first until both stand at their weights.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence

import numpy as np

from c2net.model.spec import PRIORITY_CLASSES
from c2net.scheduler.snapshot import QueuedJob, Snapshot

__all__ = ["FairQueue", "jain_index"]

_TOP = len(PRIORITY_CLASSES) - 1


class FairQueue:
    """Hands out queue positions in fair order; told what each placement used."""

    def __init__(
        self,
        queue: Sequence[QueuedJob],
        snapshot: Snapshot,
        dims: list[str],
        capacity: np.ndarray,
        now: float,
        aging_hours: float = 4.0,
    ) -> None:
        self._inv_cap = [1.0 / c if c > 0 else 0.0 for c in capacity.tolist()]
        index = {d: i for i, d in enumerate(dims)}
        self.usage: dict[str, list[float]] = {}
        for r in snapshot.running:
            used = self.usage.setdefault(r.account, [0.0] * len(dims))
            used[0] += r.resources.cpus
            used[1] += r.resources.memory_gb
            for t, n in r.resources.accelerators.items():
                if t in index:
                    used[index[t]] += n
        accounts = [job.account for job in queue]
        names = sorted(set(accounts))
        self._weight = {a: max(snapshot.account(a).weight, 1e-9) for a in names}
        n = len(queue)
        prio = np.fromiter((job.spec.priority_rank for job in queue), dtype=np.int64, count=n)
        submitted = np.fromiter((job.submitted_at for job in queue), dtype=float, count=n)
        if aging_hours > 0:
            waited = np.maximum(now - submitted, 0.0) / 3600.0
            prio = np.minimum(prio + (waited // aging_hours).astype(np.int64), _TOP)
        of_name = {a: i for i, a in enumerate(names)}
        account = np.fromiter((of_name[a] for a in accounts), dtype=np.int64, count=n)
        order = np.lexsort((np.arange(n), submitted, -prio, account))
        bounds = np.searchsorted(account[order], np.arange(len(names) + 1))
        # Per account: positions in its own order, and each one's negated effective priority.
        self._lines: dict[str, list[int]] = {
            a: order[bounds[i] : bounds[i + 1]].tolist() for i, a in enumerate(names)
        }
        self._neg_prio = (-prio).tolist()
        self._head = dict.fromkeys(self._lines, 0)
        self._heap: list[tuple[int, float, str]] = []
        self._current = ""
        # One account: its own line is the order; usage is kept only for a quota.
        self._single = len(self._lines) == 1
        self.tracking = not self._single or any(snapshot.account(a).limited for a in names)
        if self._single:
            self._current = names[0]
            self._order: Iterator[int] = iter(self._lines[self._current])
        else:
            for name in names:
                self._push(name)

    def share(self, account: str) -> float:
        """Dominant share over weight: max over resources of used / capacity, / weight."""
        used = self.usage.get(account)
        if not used:
            return 0.0
        return max(u * inv for u, inv in zip(used, self._inv_cap, strict=True)) / self._weight.get(
            account, 1.0
        )

    def _push(self, account: str) -> None:
        line, head = self._lines[account], self._head[account]
        if head < len(line):
            key = (self._neg_prio[line[head]], self.share(account), account)
            heapq.heappush(self._heap, key)

    def __iter__(self) -> FairQueue:
        return self

    def __next__(self) -> int:
        """The queue position of the next job to consider."""
        if self._single:
            return next(self._order)
        if not self._heap:
            raise StopIteration
        _, _, account = heapq.heappop(self._heap)
        pos = self._lines[account][self._head[account]]
        self._head[account] += 1
        self._current = account
        return pos

    def settle(self, used: list[tuple[int, float]] | None) -> None:
        """What the last job handed out now holds ([(dim, amount)], None if not placed)."""
        if not self.tracking:
            return
        account = self._current
        if used:
            total = self.usage.setdefault(account, [0.0] * len(self._inv_cap))
            for d, v in used:
                total[d] += v
        if not self._single:
            self._push(account)


def jain_index(values: Sequence[float]) -> float:
    """Jain's fairness index (sum x)^2 / (n sum x^2): 1 when all equal, 1/n when one has all."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0 or not np.any(x):
        return 1.0
    return float(x.sum() ** 2 / (len(x) * (x**2).sum()))
