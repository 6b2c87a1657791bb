from __future__ import annotations

from collections.abc import Iterator

import pytest

from c2net.model import IllegalTransition, JobState, parse_spec
from c2net.scheduler import schedule
from c2net.store import Conflict, NotFound, Store
from tests.builders import center, node, spec

S = JobState
CPU = center("cpu", (1, node(4, 16)), cpu=0.1, mem=0.01)
GPU = center("gpu", (1, node(8, 32, "A100:1")), cpu=0.2, mem=0.02, acc_prices={"A100": 9.0})


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """Two centers on a fresh database: a SQLite file, then PostgreSQL (tests/fixtures/postgres).
    No requeue backoff here: test_requeue_waits_out_the_backoff covers it."""
    s = Store(db_url, heartbeat_timeout=10, lease_seconds=20, retry_backoff=0)
    s.register_center(CPU, 0.0, {})
    s.register_center(GPU, 0.0, {})
    yield s
    s.engine.dispose()


def cycle(store: Store, now: float) -> int:
    snap, queue = store.snapshot(now)
    return store.commit(schedule(snap, queue), now)


def test_centers_in_registration_order_with_health(store: Store) -> None:
    assert [s.center.name for s in store.centers(5.0)] == ["cpu", "gpu"]
    assert all(s.center.health == "HEALTHY" for s in store.centers(10.0))
    # 10.5 s after the last heartbeat, past the 10 s timeout
    assert all(s.center.health == "UNHEALTHY" for s in store.centers(10.5))
    store.heartbeat("cpu", 10.0, [])
    health = {s.center.name: s.center.health for s in store.centers(10.5)}
    assert health == {"cpu": "HEALTHY", "gpu": "UNHEALTHY"}


def test_submit_place_run_finish(store: Store) -> None:
    job = store.submit(spec(1, 2), 1.0)
    assert job.state is S.PENDING
    assert cycle(store, 2.0) == 1
    job = store.job(job.id)
    assert (job.state, job.center) == (S.ASSIGNED, "cpu")
    (attempt,) = store.lease("cpu", 2.0, [])
    assert attempt.price_per_hour == pytest.approx(0.12)  # 1 x 0.1 + 2 x 0.01
    assert store.lease("cpu", 2.1, [attempt.id]) == []  # held: not sent again
    store.report("cpu", attempt.id, S.RUNNING, 3.0, backend_id="b-1")
    assert store.job(job.id).state is S.RUNNING
    store.report("cpu", attempt.id, S.SUCCEEDED, 13.0, exit_code=0, wall_seconds=9.5)
    job = store.job(job.id)
    assert (job.state, job.exit_code, job.ended_at) == (S.SUCCEEDED, 0, 13.0)
    assert job.attempts[0].wall_seconds == 9.5  # the agent's measure wins
    assert job.attempts[0].backend_id == "b-1"


def test_capacity_is_held_until_the_attempt_ends(store: Store) -> None:
    first = store.submit(spec(4, 16), 0.0)  # fills cpu's only node
    cycle(store, 0.0)
    second = store.submit(spec(4, 16), 0.0)
    cycle(store, 0.0)
    # gpu's node (8 cpus, 32 GB) is the only one left with room
    assert store.job(second.id).center == "gpu"
    third = store.submit(spec(8, 32), 0.0)
    cycle(store, 0.0)
    assert store.job(third.id).state is S.PENDING
    assert "busy" in store.job(third.id).reason
    (a,) = store.lease("cpu", 1.0, [])
    assert a.job_id == first.id
    store.report("cpu", a.id, S.FAILED, 2.0, exit_code=3)
    assert cycle(store, 3.0) == 0  # cpu's node has 4 cpus: still no room for 8
    assert store.job(first.id).state is S.FAILED


def test_report_from_wrong_center_or_after_end_is_refused(store: Store) -> None:
    store.submit(spec(), 0.0)
    cycle(store, 0.0)
    (a,) = store.lease("cpu", 0.0, [])
    with pytest.raises(NotFound):
        store.report("gpu", a.id, S.RUNNING, 1.0)
    store.report("cpu", a.id, S.SUCCEEDED, 1.0, exit_code=0)
    with pytest.raises(Conflict, match="already ended"):
        store.report("cpu", a.id, S.RUNNING, 2.0)


def test_illegal_report_transition_raises(store: Store) -> None:
    store.submit(spec(), 0.0)
    cycle(store, 0.0)
    (a,) = store.lease("cpu", 0.0, [])
    with pytest.raises(IllegalTransition):
        store.report("cpu", a.id, S.PENDING, 1.0)


def test_cancel_pending_and_running(store: Store) -> None:
    pending = store.submit(spec(64, 1), 0.0)  # fits nowhere
    assert store.cancel(pending.id, 1.0).state is S.CANCELLED
    with pytest.raises(Conflict):
        store.cancel(pending.id, 2.0)
    running = store.submit(spec(), 0.0)
    cycle(store, 0.0)
    (a,) = store.lease("cpu", 0.0, [])
    store.report("cpu", a.id, S.RUNNING, 1.0)
    job = store.cancel(running.id, 2.0)
    assert job.state is S.RUNNING and job.cancel_requested
    assert store.heartbeat("cpu", 3.0, [a.id]) == [a.id]  # the agent is told to stop it
    store.report("cpu", a.id, S.CANCELLED, 4.0)
    assert store.job(running.id).state is S.CANCELLED


def test_expired_lease_is_lost_and_requeued(store: Store) -> None:
    job = store.submit(spec(), 0.0)
    cycle(store, 0.0)
    (a,) = store.lease("cpu", 0.0, [])
    store.report("cpu", a.id, S.RUNNING, 1.0)
    store.heartbeat("cpu", 10.0, [a.id])  # renews until 10 + 20 = 30
    assert store.expire_leases(29.0) == []
    assert store.expire_leases(31.0) == [a.id]
    job = store.job(job.id)
    assert job.state is S.PENDING and "requeued" in job.reason
    assert job.attempts[0].state is S.LOST
    store.heartbeat("gpu", 31.0, [])  # only gpu is alive now
    cycle(store, 31.0)
    job = store.job(job.id)
    assert (job.state, job.center, len(job.attempts)) == (S.ASSIGNED, "gpu", 2)
    # the old attempt's late report is refused
    with pytest.raises(Conflict):
        store.report("cpu", a.id, S.SUCCEEDED, 32.0)
    # and the center that comes back is told to stop its orphan copy
    assert store.heartbeat("cpu", 33.0, [a.id]) == [a.id]


def test_retries_run_out(store: Store) -> None:
    job = store.submit(spec(), 0.0)
    now = 0.0
    for _ in range(4):  # max_retries is 3: the 4th loss is final
        store.heartbeat("cpu", now, [])
        store.heartbeat("gpu", now, [])
        cycle(store, now)
        store.lease(store.job(job.id).center or "", now, [])
        now += 100
        store.expire_leases(now)
    assert store.job(job.id).state is S.LOST


def test_idempotent_submit(store: Store) -> None:
    a = store.submit(spec(), 0.0, idempotency_key="k1")
    b = store.submit(spec(), 1.0, idempotency_key="k1")
    c = store.submit(spec(), 1.0, idempotency_key="k2")
    assert a.id == b.id != c.id
    assert len(store.jobs()) == 2


def test_logs_append_once_and_read_incrementally(store: Store) -> None:
    job = store.submit(spec(), 0.0)
    cycle(store, 0.0)
    (a,) = store.lease("cpu", 0.0, [])
    assert store.append_log("cpu", a.id, 0, "hello ") == 6
    assert store.append_log("cpu", a.id, 0, "hello ") == 6  # a resend adds nothing
    # from offset 3, "lo " overlaps what is stored: 3 + len("lo world\\n") = 12
    assert store.append_log("cpu", a.id, 3, "lo world\n") == 12
    with pytest.raises(Conflict, match="gap"):
        store.append_log("cpu", a.id, 99, "x")
    assert store.read_log(job.id) == ("hello world\n", 12)
    assert store.read_log(job.id, 6) == ("world\n", 12)
    assert store.read_log(job.id, 12) == ("", 12)
    with pytest.raises(NotFound):
        store.read_log(999)


def test_list_jobs_by_state(store: Store) -> None:
    store.submit(spec(), 0.0)
    store.submit(spec(64, 1), 0.0)
    cycle(store, 0.0)
    assert [j.state for j in store.jobs([S.PENDING])] == [S.PENDING]
    assert len(store.jobs([S.PENDING, S.ASSIGNED])) == 2


def test_state_survives_reopen(db_url: str) -> None:
    url = db_url
    first = Store(url)
    first.register_center(CPU, 0.0, {})
    job = first.submit(spec(), 0.0)
    first.engine.dispose()
    again = Store(url)
    assert again.job(job.id).spec == spec()
    assert [s.center.name for s in again.centers(0.0)] == ["cpu"]
    again.engine.dispose()


def _lose(store: Store, job_id: int, now: float) -> None:
    """Place the job, lease it and let its lease (20 s) run out: one more lost attempt."""
    store.heartbeat("cpu", now, [])
    store.heartbeat("gpu", now, [])
    assert cycle(store, now) == 1
    store.lease(store.job(job_id).center or "", now, [])
    assert store.expire_leases(now + 21) != []


def test_requeue_waits_out_the_backoff(db_url: str) -> None:
    store = Store(db_url, heartbeat_timeout=100, lease_seconds=20, retry_backoff=10)
    store.register_center(CPU, 0.0, {})
    store.register_center(GPU, 0.0, {})
    job = store.submit(spec(), 0.0)
    _lose(store, job.id, 0.0)  # lost at 21: back after 10 s (the first backoff)
    assert store.snapshot(30.9)[1] == []
    assert [q.id for q in store.snapshot(31.0)[1]] == [job.id]
    _lose(store, job.id, 31.0)  # lost at 52: the second loss waits 2 x 10 = 20 s
    assert store.snapshot(71.9)[1] == []
    assert [q.id for q in store.snapshot(72.0)[1]] == [job.id]
    assert store.requeue_delay(10) == 60.0  # 10 x 2^9 = 5120, capped at retry_backoff_max
    store.engine.dispose()


def test_retry_limit_is_configurable(db_url: str) -> None:
    store = Store(db_url, lease_seconds=20, retry_backoff=0, max_retries=1)
    store.register_center(CPU, 0.0, {})
    store.register_center(GPU, 0.0, {})
    job = store.submit(spec(), 0.0)
    _lose(store, job.id, 0.0)  # 1 of 1 retry used: requeued
    assert store.job(job.id).state is S.PENDING
    _lose(store, job.id, 30.0)  # the second loss is final
    assert store.job(job.id).state is S.LOST
    store.engine.dispose()


def test_a_new_leader_gives_live_leases_a_fresh_term(store: Store) -> None:
    job = store.submit(spec(), 0.0)
    cycle(store, 0.0)
    (a,) = store.lease("cpu", 0.0, [])  # lease until 0 + 20
    # the gateway was down from 1 to 100: nobody could renew; the leader starting at 100
    # extends the lease to 100 + 20
    assert store.extend_leases(100.0) == 1
    assert store.expire_leases(119.0) == []
    assert store.expire_leases(121.0) == [a.id]
    assert store.job(job.id).state is S.PENDING


def test_a_fenced_commit_places_nothing(store: Store) -> None:
    job = store.submit(spec(), 0.0)
    snap, queue = store.snapshot(0.0)
    plan = schedule(snap, queue)
    assert store.commit(plan, 0.0, fence=lambda _conn: False) == 0  # a deposed leader
    assert store.job(job.id).state is S.PENDING
    assert store.commit(plan, 0.0, fence=lambda _conn: True) == 1


def test_a_nul_in_a_log_chunk_is_stored_as_one_character(store: Store) -> None:
    job = store.submit(spec(), 0.0)
    cycle(store, 0.0)
    (a,) = store.lease("cpu", 0.0, [])
    assert store.append_log("cpu", a.id, 0, "a\x00b") == 3
    text, size = store.read_log(job.id)
    # SQLite keeps the NUL; PostgreSQL text cannot hold one and stores U+FFFD instead
    assert size == 3 and text in ("a\x00b", "a\ufffdb")


def test_a_gang_holds_every_one_of_its_nodes(store: Store) -> None:
    # the cheapest center, and the only one with two nodes
    store.register_center(center("pair", (2, node(4, 8)), cpu=0.01, mem=0.001), 0.0, {})
    gang = store.submit(
        parse_spec({"run": "x", "num_nodes": 2, "resources": {"cpus": 4, "memory": 8}}), 0.0
    )
    cycle(store, 0.0)
    job = store.job(gang.id)
    # only "pair" has two nodes; the gang takes both, 4 cpus on each
    assert job.center == "pair" and job.attempts[0].nodes == (0, 1)
    statuses = {s.center.name: s for s in store.centers(0.0)}
    assert statuses["pair"].used.cpus == 8  # 4 per node x 2 nodes
    single = store.submit(spec(1, 1), 0.0)
    cycle(store, 0.0)
    # pair would be its cheapest center, but neither node has room left
    assert store.job(single.id).center == "cpu"
