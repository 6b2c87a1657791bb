"""Ray job mapping without Ray: status table, the entrypoint run by a real bash, the request."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from c2net.agent.backends import Task, TaskStatus
from c2net.agent.backends.ray_cluster import RayNode
from c2net.agent.backends.ray_job import (
    EntrypointRequest,
    entrypoint,
    entrypoint_request,
    fingerprint,
    job_env,
    job_metadata,
    submission_id,
    task_status,
)
from c2net.model import JobState, Resources

S = JobState
GIB = 2**30
FAILED_MSG = (
    "Job entrypoint command failed with exit code 3, last available logs (truncated to 20,000"
    " chars):\nboom\n"
)  # the shape of Ray 2.60's message for a failed entrypoint


def task(
    run: str = "true",
    setup: str = "",
    *,
    envs: dict[str, str] | None = None,
    want: Resources | None = None,
    limit: float | None = None,
) -> Task:
    return Task(
        attempt_id=7,
        job_id=3,
        name="demo",
        run=run,
        setup=setup,
        envs=envs or {},
        resources=want or Resources(1, 1),
        node=0,
        workdir="",
        time_limit_seconds=limit,
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("PENDING", "Job has not started yet."),
            TaskStatus(S.ASSIGNED, None, "Job has not started yet."),
        ),
        (("RUNNING", "Job is currently running.", 1000), TaskStatus(S.RUNNING)),
        # wall = (3500 - 1000) ms / 1000 = 2.5 s
        (("SUCCEEDED", "ok", 1000, 3500, 0), TaskStatus(S.SUCCEEDED, 0, "", 2.5)),
        # Ray < 2.10 has no driver_exit_code: success still means 0
        (("SUCCEEDED", "ok", 1000, 3500, None), TaskStatus(S.SUCCEEDED, 0, "", 2.5)),
        (
            ("FAILED", FAILED_MSG, 1000, 2000, 3),
            TaskStatus(S.FAILED, 3, "Job entrypoint command failed with exit code 3", 1.0),
        ),
        (("FAILED", None, 1000, 2000, None), TaskStatus(S.FAILED, None, "failed", 1.0)),
        (("FAILED", "", 1000, 2000, 9), TaskStatus(S.FAILED, 9, "exit code 9", 1.0)),
        (
            ("FAILED", FAILED_MSG, 1000, 2000, 124, True, "30"),
            TaskStatus(S.FAILED, 124, "time limit of 30s reached (exit code 124)", 1.0),
        ),
        (
            ("STOPPED", "Job was intentionally stopped.", 1000, 4000, None),
            TaskStatus(S.CANCELLED, None, "Job was intentionally stopped.", 3.0),
        ),
        # stopped while still queued in Ray (no driver ran): nothing ran, 0 s of wall time
        (("STOPPED", "", 1000, 4000, None, False), TaskStatus(S.CANCELLED, None, "stopped", 0.0)),
        (("WEIRD", ""), TaskStatus(S.LOST, None, "unknown Ray job status 'WEIRD'")),
    ],
)
def test_task_status(args: tuple[object, ...], expected: TaskStatus) -> None:
    assert task_status(*args) == expected  # type: ignore[arg-type]


def _run(t: Task, job_dir: str | None = None) -> tuple[int, list[str]]:
    """Run the entrypoint in the environment Ray would give it (job_env), as Ray does."""
    env = {"PATH": "/usr/bin:/bin", "WHO": "ray", **job_env(t, job_dir)}
    command = entrypoint(t, job_dir)
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=30, env=env)
    return done.returncode, (done.stdout + done.stderr).splitlines()


@pytest.mark.parametrize(
    ("t", "code", "lines"),
    [
        (task("echo run", "echo setup"), 0, ["setup", "run"]),
        # quotes survive; $WHO expands when the job runs, from the job's environment
        (task('echo "it\'s $WHO"; exit 4'), 4, ["it's ray"]),
        (
            task("echo never", "echo trying; exit 5"),
            5,
            ["trying", "c2net: setup exited with code 5"],
        ),
        # the limit (0.2 s) ends `sleep 5`: timeout exits 124
        (task("sleep 5", limit=0.2), 124, []),
    ],
)
def test_entrypoint_runs_setup_then_run_in_bash(t: Task, code: int, lines: list[str]) -> None:
    assert _run(t) == (code, lines)


def test_entrypoint_is_short_and_the_same_for_every_task() -> None:
    # Ray prints the entrypoint into the job's log: the job's text travels in its environment
    assert entrypoint(task("echo a", "echo b")) == entrypoint(task("rm -rf x; echo 'c'"))
    assert "marker-text" not in entrypoint(task("printf marker-text"))


def test_entrypoint_in_a_job_dir(tmp_path: Path) -> None:
    assert _run(task("pwd"), job_dir=f"{tmp_path}/jobs/") == (0, [f"{tmp_path}/jobs/attempt-7"])


def test_env_and_metadata() -> None:
    t = task(envs={"A": "1", "C2NET_JOB_ID": "spoofed"}, want=Resources(1, 1, {"A100": 2}))
    assert job_env(t) == {
        "A": "1",
        "C2NET_JOB_ID": "3",  # c2net's own values win over the job's envs
        "C2NET_ATTEMPT_ID": "7",
        "C2NET_ACCELERATORS": "A100:2",
        "C2NET_SETUP": "",
        "C2NET_RUN": "true",
    }
    assert job_env(t, "/scratch")["C2NET_WORKDIR"] == "/scratch/attempt-7"
    meta = job_metadata(task(limit=60))
    assert meta == {
        "c2net_job_id": "3",
        "c2net_attempt_id": "7",
        "c2net_name": "demo",
        "c2net_fingerprint": fingerprint(task(limit=60)),
        "c2net_time_limit_seconds": "60",
    }


def test_fingerprint_tells_attempts_apart() -> None:
    same = fingerprint(task("echo a"))
    assert fingerprint(task("echo a")) == same
    differs = [
        task("echo b"),
        task("echo a", "echo setup"),
        task("echo a", envs={"X": "1"}),
        task("echo a", want=Resources(2, 1)),
        task("echo a", limit=5),
    ]
    assert all(fingerprint(t) != same for t in differs)
    assert fingerprint(task("echo a"), "/scratch") != same
    assert submission_id("c2net-gansu", 7) == "c2net-gansu-attempt-7"


HEAD = RayNode("h", {"CPU": 2, "memory": 8 * GIB, "A100": 2, "node:127.0.0.1": 1})
GPU_NODE = RayNode("g", {"CPU": 16, "memory": 64 * GIB, "GPU": 4, "accelerator_type:V100": 1})
LABELLED_GPU_NODE = RayNode("l", {"CPU": 8, "memory": 32 * GIB, "GPU": 8, "H100": 8})


@pytest.mark.parametrize(
    ("want", "nodes", "expected"),
    [
        (Resources(1, 0.5), [HEAD], EntrypointRequest(1, None, GIB // 2, {})),
        # a custom resource names the type: ask for it, and no Ray GPU on a node without GPUs
        (Resources(2, 1, {"A100": 1}), [HEAD], EntrypointRequest(2, None, GIB, {"A100": 1.0})),
        # real GPUs typed by Ray: 2 GPUs and a sliver of the node type's marker
        (
            Resources(4, 0, {"V100": 2}),
            [HEAD, GPU_NODE],
            EntrypointRequest(4, 2, None, {"accelerator_type:V100": 0.001}),
        ),
        # GPUs labelled by the admin with a custom resource: both, so Ray sets CUDA devices
        (
            Resources(1, 0, {"H100": 8}),
            [LABELLED_GPU_NODE],
            EntrypointRequest(1, 8, None, {"H100": 8.0}),
        ),
        (Resources(0, 0), [HEAD], EntrypointRequest()),
    ],
)
def test_entrypoint_request(
    want: Resources, nodes: list[RayNode], expected: EntrypointRequest
) -> None:
    assert entrypoint_request(want, nodes) == expected


@pytest.mark.parametrize(
    ("want", "match"),
    [
        (Resources(1, 1, {"T4": 1}), "offers T4"),
        (Resources(3, 1), "can hold"),  # the head has 2 CPUs
        (Resources(1, 1, {"A100": 3}), "can hold"),  # and 2 A100
        (Resources(1, 9), "can hold"),  # and 8 GB
    ],
)
def test_entrypoint_request_refuses_what_no_node_holds(want: Resources, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        entrypoint_request(want, [HEAD])
