"""The fault-injection suite: a few thousand tiny jobs through one gateway on SQLite while the
gateway is SIGKILLed and restarted on the same database several times, one agent is killed
for good, one is SIGKILLed and restarted (it re-attaches), and one center is cut off (its
requests dropped) for longer than both the heartbeat timeout and the lease.

Then: every accepted job reached exactly one terminal state (SUCCEEDED, with exactly one
succeeded attempt); no job ran twice at once (the jobs' own journal); every lost attempt was
requeued and its job still finished; lost attempts are not billed; the ledger balances.
Each fault waits for the state it needs (work running where it strikes), never for a time.
"""

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
    check_ledger,
    journal_run,
    rows,
    running,
    submit_all,
    wait_for,
)

pytestmark = pytest.mark.slow

JOBS = 2000
GATEWAY_KILLS = 3
BACKLOG = 150
SUBMITTERS = 4
HEARTBEAT_TIMEOUT = 3.0  # seconds without heartbeat: the center is unhealthy
LEASE_SECONDS = 10.0  # > the agent's longest retry backoff (10 s) plus a gateway restart
CENTERS = ["doomed", "cutoff", "restarted", "steady"]


def _center(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "hub": "gansu",
        "region": "cn-gansu",
        "role": "west",
        "emulated": True,
        "pools": [{"name": "cpu", "count": 1, "cpus": 12, "memory": 64}],
        "prices": {"cpu_hour": 0.05, "memory_gb_hour": 0.005},
    }


def _states(db: str) -> Counter[str]:
    return Counter({r["state"]: r["n"] for r in rows(db, _BY_STATE)})


_BY_STATE = "SELECT state, count(*) AS n FROM jobs GROUP BY state"
_ACTIVE_AT = "SELECT id FROM attempts WHERE center = :c AND state IN ('ASSIGNED', 'RUNNING')"


class _Room:
    """Whether the queue has room: fewer than BACKLOG pending (read every 20 submits)."""

    def __init__(self, db: str) -> None:
        self.db, self.calls, self.ok = db, 0, True

    def __call__(self) -> bool:
        if self.calls % 20 == 0 or not self.ok:
            self.ok = _states(self.db)["PENDING"] < BACKLOG
        self.calls += 1
        return self.ok


def _done(db: str) -> int:
    s = _states(db)
    return s["SUCCEEDED"] + s["FAILED"] + s["CANCELLED"] + s["LOST"]


def test_thousands_of_jobs_survive_gateway_kills_and_lost_centers(tmp_path: Path) -> None:
    started = time.monotonic()
    db = f"sqlite:///{tmp_path / 'c2net.db'}"
    journal = tmp_path / "journal.txt"
    cluster = Cluster(
        tmp_path,
        db,
        [_center(n) for n in CENTERS],
        server_args=(
            "--heartbeat-timeout",
            str(HEARTBEAT_TIMEOUT),
            "--lease-seconds",
            str(LEASE_SECONDS),
        ),
    )
    figures: dict[str, Any] = {"jobs": JOBS}
    with running(cluster.start(via_proxy=["cutoff"])):
        ids: list[int] = []
        specs = [
            {"name": f"tiny-{i}", "run": journal_run(journal, 0.05), "resources": {"cpus": 1}}
            for i in range(JOBS)
        ]
        keys = [f"fault-{i}" for i in range(JOBS)]
        user = cluster.user()
        # SUBMITTERS users' streams, at most BACKLOG jobs queued at once
        submitters = [
            threading.Thread(
                target=submit_all,
                args=(cluster.user(), specs[i::SUBMITTERS], keys[i::SUBMITTERS], ids, _Room(db)),
            )
            for i in range(SUBMITTERS)
        ]
        for t in submitters:
            t.start()

        def progress(n: int) -> None:
            wait_for(lambda: _done(db) >= n, 120, f"{n} jobs done")

        def active_at(center: str) -> list[int]:
            return [r["id"] for r in rows(db, _ACTIVE_AT, c=center)]

        # 1. the gateway dies under load and comes back on the same database
        progress(100)
        cluster.restart_gateway(0)
        # 2. a center's agent dies for good while it holds work
        wait_for(lambda: active_at("doomed"), 60, "work at doomed")
        cluster.agents["doomed"].kill()
        # 3. the gateway again
        progress(_done(db) + 100)
        cluster.restart_gateway(0)
        # 4. an agent is SIGKILLed while its jobs run and restarted: it re-attaches
        wait_for(lambda: active_at("restarted"), 60, "work at restarted")
        cluster.agents["restarted"].kill()
        orphaned = active_at("restarted")  # held by the dead agent: nobody else can end them
        cluster.agents["restarted"].start()
        # 5. a center is cut off past the heartbeat timeout and its leases, the gateway dies
        #    meanwhile, then the cable is back
        wait_for(lambda: active_at("cutoff"), 60, "work at cutoff")
        cluster.proxies["cutoff"].pause()
        cut = active_at("cutoff")
        wait_for(lambda: "cutoff" not in cluster.healthy(), 60, "cutoff unhealthy")
        cluster.restart_gateway(0)
        wait_for(lambda: not set(cut) & set(active_at("cutoff")), 120, "cutoff's leases to expire")
        cluster.proxies["cutoff"].resume()
        wait_for(lambda: "cutoff" in cluster.healthy(), 60, "cutoff back")

        for t in submitters:
            t.join(timeout=300)
            assert not t.is_alive()
        wait_for(lambda: _done(db) >= JOBS, 300, "every job to end", every=0.5)
        bill = user.bill()
        user.close()

    # every accepted job exactly once, and it ended: no job lost, none made twice by a retry
    assert len(ids) == len(set(ids)) == JOBS
    jobs = {r["id"]: r for r in rows(db, "SELECT id, state, idempotency_key FROM jobs")}
    assert set(jobs) == set(ids)
    assert Counter(r["state"] for r in jobs.values()) == {"SUCCEEDED": JOBS}
    attempts = rows(db, "SELECT id, job_id, number, center, state, started_at FROM attempts")
    by_job: dict[int, list[dict[str, Any]]] = {}
    for a in sorted(attempts, key=lambda a: a["number"]):
        by_job.setdefault(a["job_id"], []).append(a)
    for job_id, tries in by_job.items():
        states = [a["state"] for a in tries]
        # one succeeded attempt, the last; any before it was lost, then requeued
        assert states == ["LOST"] * (len(states) - 1) + ["SUCCEEDED"], (job_id, states)

    # no job ran twice at once, and every run the journal saw ended
    runs = Journal.read(journal)
    assert runs.overlapping() == []
    assert runs.unfinished() == []
    for job_id, tries in by_job.items():
        assert tries[-1]["id"] in runs.runs[job_id]  # the succeeded attempt really ran

    # lost attempts: requeued (above), and never billed
    lost = [a for a in attempts if a["state"] == "LOST"]
    assert {a["center"] for a in lost} >= {"doomed", "cutoff"}
    lines = {(line["job_id"], line["attempt"]): line for line in bill["lines"]}
    for a in lost:
        line = lines[(a["job_id"], a["number"])]
        assert (line["billed"], float(line["cost"])) == (False, 0.0)
    assert all(line["billed"] for line in bill["lines"] if line["state"] == "SUCCEEDED")

    # the restarted agent re-attached: what it held when killed ended there, not lost
    reattached = [a for a in attempts if a["id"] in set(orphaned)]
    assert reattached and {(a["center"], a["state"]) for a in reattached} == {
        ("restarted", "SUCCEEDED")
    }

    figures |= {
        "gateway_kills": GATEWAY_KILLS,
        "gateway_starts": cluster.gateways[0].starts,
        "agents_killed_for_good": 1,
        "agents_killed_and_restarted": 1,
        "centers_cut_off": 1,
        "attempts": len(attempts),
        "lost_attempts": len(lost),
        "lost_by_center": dict(Counter(a["center"] for a in lost)),
        "lost_attempts_billed": 0,
        "reattached_attempts": len(reattached),
        "journal_runs": sum(len(s) for s in runs.runs.values()),
        "concurrent_duplicates": len(runs.overlapping()),
        "jobs_not_succeeded": JOBS - sum(r["state"] == "SUCCEEDED" for r in jobs.values()),
        "ledger_transactions_balanced": check_ledger(db),
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    assert cluster.gateways[0].starts == GATEWAY_KILLS + 1
    print("fault-suite figures:", json.dumps(figures))
    (tmp_path / "figures.json").write_text(json.dumps(figures, indent=2))
