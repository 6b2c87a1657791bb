"""Parsing Slurm's output, on golden files of real output captured from the fixture clusters.

How the golden files were made (tests/fixtures/slurm.py clusters, Slurm 22.05.8):
cluster `ca` has one node can1 (CPUs=2 RealMemory=4096 Gres=gpu:t4:1); cluster `cb` has cbn1
and cbn2 (CPUs=2 RealMemory=3072 Gres=gpu:a100:2 each). On cb, four jobs were submitted with
sbatch: X `--cpus-per-task=2 --mem=1000M --gres=gpu:a100:1` (sleep), Y `--cpus-per-task=1
--mem=500M` (sleep), Z `--nodes=2 --cpus-per-task=2` and W `--cpus-per-task=1`, then
`nodes-b-busy`, `squeue-b-busy` and the `job-running/pending-*` records were taken. On ca: a job
that echoes and ends (completed), one that runs `exit 7`, one with `--mem=50M` that allocates
300 MB (memory-kill, and its output file), one cancelled while running, one with `--time=1`
that sleeps 300 s (timeout); then `sacct -c` and the jobcomp file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from c2net.agent.backends.slurm_job import SlurmJob, base_state, memory_killed, task_status
from c2net.agent.backends.slurm_node import (
    SlurmNode,
    free_per_node,
    gres_type_for,
    node_pools,
)
from c2net.agent.backends.slurm_parse import (
    SQUEUE_FIELDS,
    parse_exit_code,
    parse_gres,
    parse_memory_mb,
    parse_records,
    parse_table,
    seconds_between,
)
from c2net.model import JobState, NodePool, Resources

GOLDEN = Path(__file__).parent / "golden" / "slurm"


def golden(name: str) -> str:
    return (GOLDEN / name).read_text()


def job_record(name: str) -> SlurmJob:
    (record,) = parse_records(golden(name))
    return SlurmJob.from_scontrol(record)


def nodes(name: str) -> list[SlurmNode]:
    return [SlurmNode.from_record(r) for r in parse_records(golden(name))]


# ------------------------------------------------------------------ small parsers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gpu:a100:2", {"a100": 2}),
        ("gpu:a100:2(S:0-1)", {"a100": 2}),
        ("gpu:a100:1(IDX:0)", {"a100": 1}),
        ("gpu:a100:0(IDX:N/A)", {"a100": 0}),
        ("gpu:2", {"gpu": 2}),  # a GPU without a type
        ("gpu:t4:1,gpu:a100:2", {"t4": 1, "a100": 2}),
        ("gpu:a100:2(S:0,1),license:3", {"a100": 2}),  # comma inside parentheses, not a GPU
        ("(null)", {}),
        ("", {}),
    ],
)
def test_parse_gres(text: str, expected: dict[str, int]) -> None:
    assert parse_gres(text) == expected


@pytest.mark.parametrize(
    ("text", "mb"),
    [("3072", 3072.0), ("100M", 100.0), ("3G", 3072.0), ("512K", 0.5), ("1T", 1024.0**2)],
)
def test_parse_memory_mb(text: str, mb: float) -> None:
    assert parse_memory_mb(text) == mb


def test_parse_exit_code_and_times() -> None:
    assert parse_exit_code("7:0") == (7, 0)
    assert parse_exit_code("0:9") == (0, 9)
    # 04:19:46 -> 04:21:16 is 90 s
    assert seconds_between("2026-11-29T04:19:46", "2026-11-29T04:21:16") == 90.0
    assert seconds_between("2026-11-29T04:19:46", "Unknown") is None


def test_records_keep_values_with_spaces_and_equals() -> None:
    (record,) = parse_records(golden("nodes-a-idle.txt"))
    assert record["OS"].startswith("Linux ") and "#1 SMP" in record["OS"]
    assert record["CfgTRES"] == "cpu=2,mem=4G,billing=2"
    assert record["AllocTRES"] == ""


@pytest.mark.parametrize(
    ("text", "state"),
    [("CANCELLED by 0", "CANCELLED"), ("CANCELLED+", "CANCELLED"), ("running", "RUNNING")],
)
def test_base_state(text: str, state: str) -> None:
    assert base_state(text) == state


# ------------------------------------------------------------------ nodes, pools, free


def test_nodes_of_the_one_node_cluster() -> None:
    (node,) = nodes("nodes-a-idle.txt")
    # slurm.conf: NodeName=can1 CPUs=2 RealMemory=4096 Gres=gpu:t4:1
    assert (node.name, node.cpus, node.memory_mb, dict(node.gpus)) == ("can1", 2, 4096, {"t4": 1})
    assert node.usable


def test_pools_group_identical_nodes() -> None:
    # two nodes of CPUs=2 RealMemory=3072 (3072 MiB / 1024 = 3 GB) Gres=gpu:a100:2 -> one pool
    shape = Resources(2, 3.0, {"A100": 2})
    assert node_pools(nodes("nodes-b-idle.txt")) == [NodePool("a100x2", 2, shape)]
    assert node_pools(nodes("nodes-a-idle.txt")) == [
        NodePool("t4x1", 1, Resources(2, 4.0, {"T4": 1}))
    ]


def test_pools_leave_out_down_and_drained_nodes() -> None:
    records = parse_records(golden("nodes-b-idle.txt"))
    records[1]["State"] = "IDLE+DRAIN"
    pools = node_pools([SlurmNode.from_record(r) for r in records])
    assert [p.count for p in pools] == [1]  # 2 nodes, one drained
    records[1]["State"] = "DOWN*"
    assert free_per_node([SlurmNode.from_record(r) for r in records])[1:] == []


def test_free_counts_what_jobs_hold() -> None:
    cbn1, cbn2 = free_per_node(nodes("nodes-b-busy.txt"))
    # cbn1 runs X: 2 of 2 cpus, 1000 of 3072 MiB, 1 of 2 a100 -> 0 cpus, 2072/1024 GB, A100:1
    assert cbn1 == Resources(0, 2072 / 1024, {"A100": 1})
    # cbn2 runs Y: 1 of 2 cpus, 500 of 3072 MiB, no GPU -> 1 cpu, 2572/1024 GB, A100:2
    assert cbn2 == Resources(1, 2572 / 1024, {"A100": 2})


def test_gres_type_is_matched_case_insensitively() -> None:
    cluster = nodes("nodes-b-idle.txt")
    assert gres_type_for(cluster, "A100") == "a100"
    assert gres_type_for(cluster, "a100") == "a100"
    assert gres_type_for(cluster, "T4") is None


# ------------------------------------------------------------------ jobs and their states


def test_squeue_rows() -> None:
    rows = parse_table(golden("squeue-b-busy.txt"), SQUEUE_FIELDS)
    by_state = {r["State"]: r for r in rows}
    assert set(by_state) == {"PENDING", "RUNNING"}
    jobs = [SlurmJob.from_squeue(r) for r in rows]
    pending = [task_status(j) for j in jobs if j.state == "PENDING"]
    # Z needs 2 cpus on both nodes while X and Y hold them: Resources; W waits behind Z: Priority
    assert sorted(s.reason for s in pending) == ["Priority", "Resources"]
    assert all(s.state is JobState.ASSIGNED for s in pending)
    running = [j for j in jobs if j.state == "RUNNING"]
    assert sorted(j.nodes for j in running) == ["cbn1", "cbn2"]


@pytest.mark.parametrize(
    ("golden_file", "state", "exit_code", "reason"),
    [
        ("job-pending-resources.txt", JobState.ASSIGNED, None, "Resources"),
        ("job-pending-priority.txt", JobState.ASSIGNED, None, "Priority"),
        ("job-running.txt", JobState.RUNNING, None, ""),
        ("job-completed.txt", JobState.SUCCEEDED, 0, ""),
        ("job-failed-exit7.txt", JobState.FAILED, 7, "exit code 7"),  # the script ran `exit 7`
        ("job-cancelled.txt", JobState.CANCELLED, None, "cancelled in Slurm"),
        ("job-timeout.txt", JobState.FAILED, None, "TIMEOUT: time limit"),
    ],
)
def test_job_states(golden_file: str, state: JobState, exit_code: int | None, reason: str) -> None:
    status = task_status(job_record(golden_file))
    assert (status.state, status.exit_code, status.reason) == (state, exit_code, reason)


def test_wall_seconds_come_from_start_and_end() -> None:
    (record,) = parse_records(golden("job-timeout.txt"))
    status = task_status(job_record("job-timeout.txt"))
    assert status.wall_seconds == seconds_between(record["StartTime"], record["EndTime"])
    # --time=1 is one minute; slurmctld checks limits every 30 s, so it ends 60-90 s in
    assert status.wall_seconds is not None and 60 <= status.wall_seconds <= 90
    assert task_status(job_record("job-running.txt")).wall_seconds is None


def test_memory_kill_without_cgroups() -> None:
    """Without cgroups Slurm says FAILED, signal 9; slurmstepd's message in the output says
    why, and the backend reports OUT_OF_MEMORY from it."""
    job = job_record("job-memory-kill.txt")
    assert (job.state, job.exit_code, job.signal) == ("FAILED", 0, 9)
    output = golden("job-memory-kill-output.txt")
    assert memory_killed(output)
    status = task_status(job, killed_for_memory=memory_killed(output))
    # killed by signal 9: a shell would report 128 + 9 = 137
    assert (status.state, status.exit_code) == (JobState.FAILED, 137)
    assert status.reason.startswith("OUT_OF_MEMORY")
    assert not memory_killed(golden("job-failed-exit7.txt"))


def test_out_of_memory_state_of_cgroup_clusters() -> None:
    # Not producible here (no cgroups): the state Slurm reports when the kernel's OOM killer
    # ends a job under task/cgroup.
    status = task_status(SlurmJob("1", "OUT_OF_MEMORY", exit_code=0, signal=125))
    assert (status.state, status.reason) == (JobState.FAILED, "OUT_OF_MEMORY: memory limit")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("NODE_FAIL", JobState.LOST),
        ("PREEMPTED", JobState.LOST),
        ("BOOT_FAIL", JobState.LOST),
        ("CONFIGURING", JobState.ASSIGNED),
        ("COMPLETING", JobState.RUNNING),
        ("DEADLINE", JobState.FAILED),
    ],
)
def test_other_states(state: str, expected: JobState) -> None:
    assert task_status(SlurmJob("1", state, exit_code=0)).state is expected


def test_jobcomp_through_sacct_and_the_file_agree() -> None:
    """`sacct -c` output and the raw jobcomp lines give the same ends for the same jobs."""
    from_sacct = {r["JobID"]: SlurmJob.from_sacct(r) for r in parse_table(golden("sacct-c.txt"))}
    from_file = {
        r["JobId"]: SlurmJob.from_scontrol(r) for r in parse_records(golden("jobcomp.txt"))
    }
    assert from_sacct.keys() == from_file.keys()
    for job_id, job in from_sacct.items():
        other = from_file[job_id]
        assert (job.state, job.exit_code, job.signal) == (
            other.state,
            other.exit_code,
            other.signal,
        )
    states = {job.state for job in from_sacct.values()}
    assert {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"} <= states
    exit7 = [j for j in from_sacct.values() if j.exit_code == 7]
    assert len(exit7) == 1 and task_status(exit7[0]).reason == "exit code 7"
