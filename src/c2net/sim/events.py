"""The event heap: events pop in time order, and in the order they were pushed at equal times."""

from __future__ import annotations

import heapq
from enum import IntEnum
from typing import NamedTuple

__all__ = ["Event", "EventKind", "EventQueue"]


class EventKind(IntEnum):  # arrivals are not events: the engine reads them from the trace
    END = 1  # payload: attempt index
    PREEMPT = 2  # payload: attempt index
    FAIL = 3  # payload: center index
    RECOVER = 4  # payload: center index
    CYCLE = 5  # the scheduler runs


class Event(NamedTuple):
    time: float
    seq: int
    kind: EventKind
    payload: int


class EventQueue:
    """A min-heap on (time, sequence): deterministic, whatever the kinds."""

    def __init__(self) -> None:
        self._heap: list[Event] = []
        self._seq = 0

    def push(self, time: float, kind: EventKind, payload: int = 0) -> Event:
        event = Event(time, self._seq, kind, payload)
        self._seq += 1
        heapq.heappush(self._heap, event)
        return event

    def pop(self) -> Event:
        return heapq.heappop(self._heap)

    def next_time(self) -> float:
        """Time of the event `pop` would return (infinity when empty)."""
        return self._heap[0].time if self._heap else float("inf")

    def __len__(self) -> int:
        return len(self._heap)
