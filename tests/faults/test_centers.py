"""A center's failures one at a time, end to end: its agent SIGKILLed and restarted while a job
runs (it re-attaches: same attempt, same process, one run), and the center cut off past its
lease (the job is requeued elsewhere; when the center comes back it is told to stop its orphan
copy, and the lost attempt is not billed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import Cluster, Journal, journal_run, running, wait_for
from tests.procs import group_alive

pytestmark = pytest.mark.slow


def _center(name: str, cpu_price: float) -> dict[str, Any]:
    return {
        "name": name,
        "hub": "guizhou",
        "region": "cn-guizhou",
        "role": "west",
        "emulated": True,
        "pools": [{"name": "cpu", "count": 1, "cpus": 4, "memory": 16}],
        "prices": {"cpu_hour": cpu_price, "memory_gb_hour": 0.005},
    }


@pytest.fixture
def cluster(tmp_path: Path) -> Any:
    c = Cluster(
        tmp_path,
        f"sqlite:///{tmp_path / 'c2net.db'}",
        [_center("near", 0.05), _center("far", 0.08)],  # near is cheaper: work goes there first
        server_args=("--heartbeat-timeout", "2", "--lease-seconds", "6"),
    )
    with running(c.start(via_proxy=["near"])):
        yield c


def _attempt_pid(cluster: Cluster, attempt: dict[str, Any]) -> int:
    pid_file = cluster.workdir(attempt["center"]) / f"attempt-{attempt['id']}" / "pid"
    return int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), 30, "the pid"))


def test_a_restarted_agent_reattaches_to_its_running_job(cluster: Cluster, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    user = cluster.user()
    job = user.submit({"run": journal_run(journal, 4), "resources": {"cpus": 1}})
    running_ = wait_for(lambda: user.job(job["id"])["state"] == "RUNNING", 30, "RUNNING")
    assert running_
    (attempt,) = user.job(job["id"])["attempts"]
    pid = _attempt_pid(cluster, attempt)
    cluster.agents["near"].kill()
    assert group_alive(pid)  # the job outlives its agent
    cluster.agents["near"].start()
    done = user.wait(job["id"], timeout=60)
    assert done["state"] == "SUCCEEDED"
    # the same attempt, reported by the new agent: no second attempt, no second run
    assert [(a["id"], a["state"]) for a in done["attempts"]] == [(attempt["id"], "SUCCEEDED")]
    runs = Journal.read(journal)
    assert list(runs.runs[job["id"]]) == [attempt["id"]] and runs.unfinished() == []
    user.close()


def test_a_center_that_comes_back_stops_its_orphan_copy(cluster: Cluster, tmp_path: Path) -> None:
    journal = tmp_path / "journal.txt"
    user = cluster.user()
    job = user.submit({"run": journal_run(journal, 600), "resources": {"cpus": 1}})
    wait_for(lambda: user.job(job["id"])["state"] == "RUNNING", 30, "RUNNING")
    (first,) = user.job(job["id"])["attempts"]
    assert first["center"] == "near"
    orphan = _attempt_pid(cluster, first)
    cluster.proxies["near"].pause()  # near's requests are dropped from now on
    # past the lease, the attempt is lost and the job requeued at far
    moved = wait_for(
        lambda: (
            [a for a in user.job(job["id"])["attempts"] if a["center"] == "far"]
            and user.job(job["id"])["state"] == "RUNNING"
        ),
        60,
        "the job to run at far",
    )
    assert moved
    second = user.job(job["id"])["attempts"][-1]
    assert [a["state"] for a in user.job(job["id"])["attempts"]] == ["LOST", "RUNNING"]
    cluster.proxies["near"].resume()
    # near's next heartbeat holds the lost attempt: the gateway says stop, near kills it
    wait_for(lambda: not group_alive(orphan), 60, "the orphan copy to stop")
    job_now = user.job(job["id"])
    assert job_now["state"] == "RUNNING" and job_now["attempts"][-1]["id"] == second["id"]
    assert group_alive(_attempt_pid(cluster, second))  # the live copy is untouched
    lines = {line["attempt"]: line for line in user.bill()["lines"] if line["job_id"] == job["id"]}
    lost = lines[1]
    assert (lost["state"], lost["billed"], float(lost["cost"])) == ("LOST", False, 0.0)
    user.cancel(job["id"])
    assert user.wait(job["id"], timeout=60)["state"] == "CANCELLED"
    user.close()
