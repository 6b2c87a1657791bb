"""What the store hands the scheduler (tenants, running work, datasets, the network) and what
it writes back (preemptions, reason codes, estimated starts, only what changed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import event, select

from c2net.model import AccountKind, JobState, ReasonCode, parse_spec
from c2net.network import parse_center
from c2net.scheduler import builtin_network_matrix, schedule
from c2net.store import Store
from c2net.store.schema import attempt_terms
from tests.builders import center, node, spec

S = JobState
EAST = center(
    "east", (1, node(8, 32, "A100:2")), acc_prices={"A100": 9.0}, hub="yangtze-river-delta"
)
WEST = center(
    "west", (1, node(8, 32, "A100:2")), acc_prices={"A100": 3.0}, hub="ningxia", role="west"
)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url, heartbeat_timeout=1e9, lease_seconds=1e9, retry_backoff=0)
    s.register_center(EAST, 0.0, {})
    s.register_center(WEST, 0.0, {})
    yield s
    s.engine.dispose()


def cycle(store: Store, now: float) -> None:
    snap, queue = store.snapshot(now)
    store.commit(schedule(snap, queue), now)


def consumer(store: Store, name: str, **policy: float | int | str | None) -> int:
    acct = store.create_account(name, AccountKind.CONSUMER, 0.0)
    if policy:
        store.set_account_policy(name, **policy)
    return acct.id


def test_tenants_reach_the_snapshot(store: Store) -> None:
    a = consumer(store, "ann", weight=3.0, max_accelerators=4, home="yangtze-river-delta")
    consumer(store, "bob")
    store.submit(spec(1, 1, "A100:1"), 1.0, account_id=a)
    snap, queue = store.snapshot(2.0)
    assert snap.account("ann").weight == 3.0
    assert snap.account("ann").max_accelerators == 4
    assert snap.account("bob").weight == 1.0 and not snap.account("bob").limited
    (job,) = queue
    assert (job.account, job.home) == ("ann", "yangtze-river-delta")
    assert snap.network == builtin_network_matrix()


def test_running_work_is_known_by_tenant_and_kind(store: Store) -> None:
    a = consumer(store, "ann")
    job = store.submit(replace(spec(2, 4, "A100:1"), spot=True), 1.0, account_id=a)
    cycle(store, 2.0)
    snap, _ = store.snapshot(3.0)
    (held,) = snap.running
    assert (held.job_id, held.account, held.spot) == (job.id, "ann", True)
    assert held.resources == node(2, 4, "A100:1")
    assert held.ends_at == pytest.approx(2.0 + 3600.0)  # assigned at 2.0, runtime 1 h


def test_a_tenant_at_its_quota_waits_with_reason_quota(store: Store) -> None:
    a = consumer(store, "ann", max_accelerators=1)
    first = store.submit(spec(1, 1, "A100:1"), 1.0, account_id=a)
    second = store.submit(spec(1, 1, "A100:1"), 1.0, account_id=a)
    cycle(store, 2.0)
    assert store.job(first.id).state is S.ASSIGNED
    waiting = store.job(second.id)
    assert waiting.state is S.PENDING and waiting.reason_code is ReasonCode.QUOTA
    store.set_account_policy("ann", max_accelerators=None)  # lifted: it runs
    cycle(store, 3.0)
    assert store.job(second.id).state is S.ASSIGNED


def test_datasets_keep_a_stay_job_at_its_data(store: Store) -> None:
    a = consumer(store, "ann")
    data = parse_spec(
        {
            "run": "true",
            "resources": {"accelerators": "A100:1"},
            "inputs": ["scans"],
            "data_policy": "stay",
        }
    )
    job = store.submit(data, 1.0, account_id=a)
    cycle(store, 2.0)
    pending = store.job(job.id)
    assert pending.state is S.PENDING and pending.reason_code is ReasonCode.DATA
    store.register_dataset("scans", a, "east", 500.0, 2.5)
    cycle(store, 3.0)
    # east is dearer per hour, but the data stays where it is
    assert (store.job(job.id).state, store.job(job.id).center) == (S.ASSIGNED, "east")


def test_a_preemption_stops_the_attempt_and_requeues_the_job(store: Store) -> None:
    a = consumer(store, "ann")
    cheap = store.submit(
        replace(spec(1, 1, "A100:2"), spot=True, regions=("region-west",)), 1.0, account_id=a
    )
    cycle(store, 2.0)
    (attempt,) = store.lease("west", 2.0, [])
    store.report("west", attempt.id, S.RUNNING, 3.0)
    urgent = store.submit(spec(1, 1, "A100:2", regions=("region-west",)), 4.0, account_id=a)
    snap, queue = store.snapshot(5.0)
    plan = schedule(snap, queue)
    (pre,) = plan.preemptions
    assert (pre.job_id, pre.for_job) == (cheap.id, urgent.id)
    store.commit(plan, 5.0)
    assert store.heartbeat("west", 6.0, [attempt.id]) == [attempt.id]  # the agent stops it
    # a second cycle does not pick the leaving attempt again
    snap, queue = store.snapshot(6.5)
    assert [r.job_id for r in snap.running] == [urgent.id]  # placed in the same plan
    assert schedule(snap, queue).preemptions == ()
    store.report("west", attempt.id, S.CANCELLED, 7.0, exit_code=143)
    job = store.job(cheap.id)
    assert job.state is S.PENDING
    ended = job.attempts[0]
    assert ended.state is S.LOST and ended.reason.startswith("preempted (spot)")


def test_unchanged_reasons_are_not_rewritten(store: Store) -> None:
    a = consumer(store, "ann")
    for _ in range(5):
        store.submit(spec(1, 1, "H100:1"), 1.0, account_id=a)  # nobody offers H100
    writes: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE JOBS"):
            writes.append(statement)

    cycle(store, 2.0)
    first = len(writes)
    assert first == 5  # each job's reason written once ...
    cycle(store, 3.0)
    assert len(writes) == first  # ... and not again while it says the same
    job = store.jobs()[0]
    assert job.reason_code is ReasonCode.NO_ACCELERATOR and "H100" in job.reason


def test_interactive_work_stays_near_home_and_batch_goes_west(store: Store) -> None:
    a = consumer(store, "ann", home="yangtze-river-delta")
    near = parse_spec(
        {
            "run": "true",
            "resources": {"accelerators": "A100:1"},
            "latency": "interactive",
            "max_rtt_ms": 5,
        }
    )
    interactive = store.submit(near, 1.0, account_id=a)
    batch = store.submit(spec(1, 1, "A100:1"), 1.0, account_id=a)
    cycle(store, 2.0)
    # the built-in matrix puts ningxia 23.1 ms from the Yangtze River Delta
    assert store.job(interactive.id).center == "east"
    assert store.job(batch.id).center == "west"


def test_a_cloud_region_rents_fresh_vms_priced_and_billed_whole(db_url: str) -> None:
    s = Store(db_url, heartbeat_timeout=1e9, lease_seconds=1e9, retry_backoff=0)
    vm = parse_center(
        {
            "name": "cloud",
            "elastic": True,
            "pools": [
                {
                    "name": "vm.a10",
                    "count": 1,
                    "cpus": 8,
                    "memory": 32,
                    "price": 9.0,
                    "accelerators": {"A10": 1},
                },
            ],
        }
    )
    s.register_center(vm, 0.0, {})
    a = consumer(s, "ann")
    first = [s.submit(spec(1, 1, "A10:1"), 1.0, account_id=a).id for _ in range(3)]
    cycle(s, 2.0)
    snap, _ = s.snapshot(3.0)
    assert snap.centers == (vm,)  # elastic, priced per node, as registered
    later = s.submit(spec(1, 1, "A10:1"), 4.0, account_id=a).id
    cycle(s, 5.0)
    placed = {j: s.job(j).attempts[-1] for j in [*first, later]}
    # a fresh VM each, numbered after the listed node, never a number a running job holds
    assert sorted(x.node for x in placed.values()) == [1, 2, 3, 4]
    assert {x.price_per_hour for x in placed.values()} == {9.0}
    with s.engine.connect() as conn:
        shares = conn.execute(select(attempt_terms.c.shares)).scalars().all()
    assert shares == [{"vm.a10": "1"}] * 4  # the provider's revenue under the instance type
    assert s.sample_pool(6.0) == 0  # no capacity to fill: not in the utilization history
    s.engine.dispose()
