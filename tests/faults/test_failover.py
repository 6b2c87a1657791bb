"""Two gateway replicas over one PostgreSQL database behind a load balancer: both serve the API,
one leads the scheduling loop. The leader is SIGKILLed under load, the other takes over; the
dead one comes back as a follower and the new leader is killed in turn. Nothing is lost, no job
is placed twice, none runs twice at once."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import (
    Cluster,
    Journal,
    journal_run,
    rows,
    running,
    submit_all,
    wait_for,
)

pytestmark = pytest.mark.slow

JOBS = 400
SUBMITTERS = 3


def _center(name: str, cpu_price: float) -> dict[str, Any]:
    return {
        "name": name,
        "hub": "ningxia",
        "region": "cn-ningxia",
        "role": "west",
        "emulated": True,
        "pools": [{"name": "cpu", "count": 1, "cpus": 12, "memory": 64}],
        "prices": {"cpu_hour": cpu_price, "memory_gb_hour": 0.005},
    }


def _done(db: str) -> int:
    return int(
        rows(db, "SELECT count(*) AS n FROM jobs WHERE state IN ('SUCCEEDED', 'FAILED')")[0]["n"]
    )


def test_killing_the_leader_loses_nothing_and_places_nothing_twice(
    tmp_path: Path, postgres_url: str
) -> None:
    journal = tmp_path / "journal.txt"
    cluster = Cluster(
        tmp_path,
        postgres_url,
        [_center("ningxia-1", 0.05), _center("ningxia-2", 0.06)],
        replicas=2,
        server_args=("--heartbeat-timeout", "5", "--lease-seconds", "15"),
    )
    takeovers: list[float] = []
    with running(cluster.start()):
        first = wait_for(lambda: cluster.leader() is not None, 30, "a leader")
        assert first
        specs = [
            {"name": f"ha-{i}", "run": journal_run(journal, 0.05), "resources": {"cpus": 1}}
            for i in range(JOBS)
        ]
        keys = [f"ha-{i}" for i in range(JOBS)]
        ids: list[int] = []
        submitters = [
            threading.Thread(
                target=submit_all,
                args=(cluster.user(), specs[i::SUBMITTERS], keys[i::SUBMITTERS], ids),
            )
            for i in range(SUBMITTERS)
        ]
        for t in submitters:
            t.start()
        for round_ in (1, 2):  # kill the leader; the other replica takes over
            wait_for(lambda: _done(postgres_url) >= 100 * round_, 120, "work done")  # noqa: B023
            leader = cluster.leader()
            assert leader is not None
            killed_at = time.monotonic()
            cluster.gateways[leader].kill()
            new = wait_for(lambda: cluster.leader() is not None, 60, "a new leader")
            assert new and cluster.leader() == 1 - leader
            takeovers.append(round(time.monotonic() - killed_at, 1))
            cluster.gateways[leader].start()  # back, as a follower
            cluster.wait_gateway(leader)
            assert cluster.leader() == 1 - leader  # the lock stays where it is
        for t in submitters:
            t.join(timeout=300)
            assert not t.is_alive()
        wait_for(lambda: _done(postgres_url) >= JOBS, 300, "every job to end", every=0.5)

    assert len(ids) == len(set(ids)) == JOBS
    jobs = rows(postgres_url, "SELECT id, state FROM jobs")
    assert {r["id"] for r in jobs} == set(ids)
    assert Counter(r["state"] for r in jobs) == {"SUCCEEDED": JOBS}
    attempts = rows(postgres_url, "SELECT job_id, state FROM attempts")
    placements = Counter(a["job_id"] for a in attempts)
    # each job placed exactly once: no attempt lost (the agents kept their leases through the
    # surviving replica) and none made twice by two leaders
    assert set(placements.values()) == {1}
    assert Counter(a["state"] for a in attempts) == {"SUCCEEDED": JOBS}
    runs = Journal.read(journal)
    assert runs.overlapping() == [] and runs.unfinished() == []
    assert sum(len(s) for s in runs.runs.values()) == JOBS
    print(
        "failover figures:",
        json.dumps({"jobs": JOBS, "leader_kills": 2, "takeover_seconds": takeovers}),
    )
