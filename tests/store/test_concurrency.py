"""Two replicas over one database: two Store objects (two engines, two connection pools) race
on the same rows from two threads, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from c2net.model import AccountKind, JobState
from c2net.scheduler import schedule
from c2net.store import Conflict, Store
from c2net.store.scheduling import SchedulingRepo
from tests.builders import center, node, spec

S = JobState
BIG = center("big", (1, node(64, 256)), cpu=0.1, mem=0.01)
JOBS = 20


@pytest.fixture
def replicas(db_url: str) -> Iterator[tuple[Store, Store]]:
    a = Store(db_url, heartbeat_timeout=10, lease_seconds=20, retry_backoff=0)
    b = Store(db_url, heartbeat_timeout=10, lease_seconds=20, retry_backoff=0)
    a.register_center(BIG, 0.0, {})
    yield a, b
    a.engine.dispose()
    b.engine.dispose()


def _race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once, one thread each; results (or the exception raised) in order."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            out[i] = call()
        except Exception as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return out


def test_the_same_plan_committed_twice_at_once_places_each_job_once(
    replicas: tuple[Store, Store],
) -> None:
    a, b = replicas
    for _ in range(JOBS):
        a.submit(spec(1, 1), 0.0)
    snap, queue = a.snapshot(1.0)
    plan = schedule(snap, queue)
    assert len(plan.placements) == JOBS  # 20 x 1 cpu fit the 64-cpu node
    # SchedulingRepo.commit: the placement itself (Store.commit adds the market's terms)
    placed = _race(
        lambda: SchedulingRepo.commit(a, plan, 1.0), lambda: SchedulingRepo.commit(b, plan, 1.0)
    )
    # the conditional UPDATE lets exactly one of the two move each job: 20 in all
    assert sum(placed) == JOBS, placed
    assert [len(j.attempts) for j in a.jobs()] == [1] * JOBS
    assert {j.state for j in a.jobs()} == {S.ASSIGNED}


def test_a_report_racing_lease_expiry_is_all_or_nothing(replicas: tuple[Store, Store]) -> None:
    """The agent's SUCCEEDED (through one replica) and the leader's expiry of the same lease
    (another replica) both want the attempt: one wins, the other sees the result."""
    a, b = replicas
    for _ in range(JOBS):
        a.submit(spec(1, 1), 0.0)
    snap, queue = a.snapshot(0.0)
    a.commit(schedule(snap, queue), 0.0)
    attempts = a.lease("big", 0.0, [])
    for attempt in attempts:
        a.report("big", attempt.id, S.RUNNING, 1.0)
    # leases ran out at 0 + 20; the agent reports at 25, the leader expires at 25
    reports = _race(lambda: [_report(a, x.id) for x in attempts], lambda: b.expire_leases(25.0))[0]
    for attempt, outcome in zip(attempts, reports, strict=True):
        job = a.job(attempt.job_id)
        first = job.attempts[0]
        if outcome == "reported":
            assert (first.state, job.state) == (S.SUCCEEDED, S.SUCCEEDED)
        else:  # expired first: the late report is refused and the job is back in the queue
            assert outcome == "refused"
            assert (first.state, job.state) == (S.LOST, S.PENDING)


def _report(store: Store, attempt_id: int) -> str:
    try:
        store.report("big", attempt_id, S.SUCCEEDED, 25.0, exit_code=0)
    except Conflict:
        return "refused"
    return "reported"


def test_the_same_submit_on_two_replicas_makes_one_job(replicas: tuple[Store, Store]) -> None:
    a, b = replicas
    account = a.create_account("alice", AccountKind.CONSUMER, 0.0).id
    for n in range(10):
        key = f"retry-{n}"
        jobs = _race(
            lambda: a.submit(spec(), 0.0, idempotency_key=key, account_id=account),  # noqa: B023
            lambda: b.submit(spec(), 0.0, idempotency_key=key, account_id=account),  # noqa: B023
        )
        assert not [j for j in jobs if isinstance(j, Exception)], jobs
        assert jobs[0].id == jobs[1].id
    assert len(a.jobs()) == 10


def test_log_chunks_sent_to_two_replicas_are_stored_once(replicas: tuple[Store, Store]) -> None:
    a, b = replicas
    job = a.submit(spec(), 0.0)
    snap, queue = a.snapshot(0.0)
    a.commit(schedule(snap, queue), 0.0)
    (attempt,) = a.lease("big", 0.0, [])
    for n in range(10):  # the agent's retry of each chunk lands on the other replica at once
        chunk = f"line {n}\n"
        offset = a.read_log(job.id)[1]
        _race(
            lambda: a.append_log("big", attempt.id, offset, chunk),  # noqa: B023
            lambda: b.append_log("big", attempt.id, offset, chunk),  # noqa: B023
        )
    assert a.read_log(job.id)[0] == "".join(f"line {n}\n" for n in range(10))
