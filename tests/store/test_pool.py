"""The pool repository: utilization samples (written, read back, pruned) and what each tenant
holds and queues, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from c2net.model import AccountKind, JobState, Resources
from c2net.scheduler import schedule
from c2net.store import Store
from tests.builders import center, node, spec

CPU = center("cpu", (2, node(4, 16)), cpu=0.1, mem=0.01)  # 8 cpus, 32 GB on two nodes
GPU = center("gpu", (1, node(8, 32, "A100:2")), cpu=0.9, mem=0.09, acc_prices={"A100": 9.0})


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url, heartbeat_timeout=10, lease_seconds=20, retry_backoff=0)
    s.register_center(CPU, 0.0, {})
    s.register_center(GPU, 0.0, {})
    yield s
    s.engine.dispose()


def cycle(store: Store, now: float) -> int:
    snap, queue = store.snapshot(now)
    return store.commit(schedule(snap, queue), now)


def rows(store: Store, since: float = 0.0, center: str | None = None) -> list[tuple[object, ...]]:
    return [
        (s.at, s.center, s.cpus, s.cpus_used, s.accelerators, s.accelerators_used, s.healthy)
        for s in store.pool_history(since, center)
    ]


def test_a_sample_holds_every_center_capacity_and_use(store: Store) -> None:
    assert store.last_pool_sample() is None
    job = store.submit(spec(3, 4, "A100:1"), 1.0)  # only gpu has an A100
    assert cycle(store, 2.0) == 1
    assert store.job(job.id).center == "gpu"
    assert store.sample_pool(5.0) == 2  # one row per registered center
    assert rows(store) == [
        # cpu: 2 nodes x 4 cpus, nothing held, no accelerators
        (5.0, "cpu", 8.0, 0.0, 0, 0, True),
        # gpu: 8 cpus and 2 A100; the assigned job holds 3 cpus and 1 A100
        (5.0, "gpu", 8.0, 3.0, 2, 1, True),
    ]
    assert store.last_pool_sample() == 5.0


def test_a_gang_counts_on_every_node_and_health_is_recorded(store: Store) -> None:
    gang = replace(spec(3, 8), num_nodes=2)  # 3 cpus on each of cpu's two nodes
    store.submit(gang, 1.0)
    assert cycle(store, 2.0) == 1
    store.heartbeat("cpu", 9.0, [])
    # at 12 s: cpu's last heartbeat 3 s ago, gpu's 12 s ago (past the 10 s timeout)
    store.sample_pool(12.0)
    assert rows(store) == [
        (12.0, "cpu", 8.0, 6.0, 0, 0, True),  # 2 nodes x 3 cpus
        (12.0, "gpu", 8.0, 0.0, 2, 0, False),
    ]


def test_history_reads_from_a_time_and_one_center(store: Store) -> None:
    for at in (10.0, 20.0, 30.0):
        store.sample_pool(at)
    assert [(r[0], r[1]) for r in rows(store, since=20.0)] == [
        (20.0, "cpu"),
        (20.0, "gpu"),
        (30.0, "cpu"),
        (30.0, "gpu"),
    ]
    assert [(r[0], r[1]) for r in rows(store, center="gpu")] == [
        (10.0, "gpu"),
        (20.0, "gpu"),
        (30.0, "gpu"),
    ]
    assert rows(store, since=30.5) == []


def test_samples_older_than_the_retention_are_deleted(store: Store) -> None:
    store.sample_pool(0.0)
    store.sample_pool(100.0)
    store.sample_pool(200.0, keep_seconds=150.0)  # keeps at >= 200 - 150 = 50
    assert sorted({r[0] for r in rows(store)}) == [100.0, 200.0]
    store.sample_pool(250.0, keep_seconds=150.0)  # keeps at >= 100: the sample at 100 stays
    assert sorted({r[0] for r in rows(store)}) == [100.0, 200.0, 250.0]
    assert store.last_pool_sample() == 250.0


def test_tenant_loads_per_account(store: Store) -> None:
    alice = store.create_account("alice", AccountKind.CONSUMER, 0.0)
    bob = store.create_account("bob", AccountKind.CONSUMER, 0.0)
    store.create_account("prov", AccountKind.PROVIDER, 0.0)
    ops = store.create_account("ops", AccountKind.OPERATOR, 0.0)
    carol = store.create_account("carol", AccountKind.CONSUMER, 0.0)
    store.set_account_policy("bob", weight=2.0, max_cpus=6.0, max_accelerators=4)
    store.submit(replace(spec(1, 2), num_nodes=2), 1.0, account_id=alice.id)  # gang: 2 x 1
    assert cycle(store, 1.5) == 1  # first, while both of cpu's nodes have room
    store.submit(spec(2, 4), 1.0, account_id=alice.id)
    store.submit(spec(99, 1), 1.0, account_id=alice.id)  # fits no node: stays pending
    store.submit(spec(4, 8, "A100:2"), 1.0, account_id=bob.id)
    store.submit(spec(1, 1), 1.0, account_id=ops.id)
    done = store.submit(spec(1, 1), 1.0, account_id=carol.id)
    assert cycle(store, 2.0) == 4
    (attempt,) = store.job(done.id).attempts
    store.report(attempt.center, attempt.id, JobState.RUNNING, 3.0)
    store.report(attempt.center, attempt.id, JobState.SUCCEEDED, 4.0)
    loads = {t.account.name: t for t in store.tenant_loads()}
    assert list(loads) == ["alice", "bob", "ops", "carol"]  # not the provider: no work
    assert (loads["alice"].running, loads["alice"].queued) == (2, 1)
    # 2 cpus 4 GB, and the gang's 1 cpu 2 GB on each of two nodes
    assert loads["alice"].held == Resources(4.0, 8.0)
    assert loads["bob"].held == Resources(4.0, 8.0, {"A100": 2})
    assert (loads["bob"].account.weight, loads["bob"].account.max_cpus) == (2.0, 6.0)
    assert loads["bob"].account.max_accelerators == 4
    assert loads["bob"].account.max_memory_gb is None
    assert (loads["ops"].running, loads["ops"].held) == (1, Resources(1.0, 1.0))
    # carol's only job has ended: a consumer without work, listed with nothing
    assert (loads["carol"].running, loads["carol"].queued, loads["carol"].held) == (
        0,
        0,
        Resources(),
    )
    assert not loads["carol"].has_work and loads["alice"].has_work
