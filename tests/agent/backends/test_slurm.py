"""The Slurm backend against the real fixture clusters (tests/fixtures/slurm.py).

Cluster A: one node (2 cpus, 4096 MiB, gpu:t4:1). Cluster B: two nodes (2 cpus, 3072 MiB,
gpu:a100:2 each). Every test cleans up its jobs, so the clusters are idle between tests.
Slurm counts time limits in minutes and checks them every 30 s, so the time-limit job is
submitted when the module starts and checked last; it ends 60-90 s in, while the rest runs.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from c2net.agent.backends import BackendError, Task, TaskStatus, make_backend
from c2net.agent.backends.slurm import SlurmBackend
from c2net.model import TERMINAL, JobState, Resources
from c2net.network import load_center
from tests.fixtures.slurm import SlurmCluster, SlurmClusters

pytestmark = pytest.mark.slow

GOLDEN = Path(__file__).parent / "golden" / "slurm"
GUARD = 120.0  # seconds before a wait gives up: a hang guard, not a performance threshold


def backend(cluster: SlurmCluster, root: Path, **kwargs: object) -> SlurmBackend:
    return SlurmBackend(root, cluster.conf, cluster.partition, **kwargs)  # type: ignore[arg-type]


def make_task(root: Path, attempt: int, run: str, **overrides: object) -> Task:
    fields: dict[str, object] = {
        "attempt_id": attempt,
        "job_id": attempt,
        "name": f"test {attempt}",
        "run": run,
        "setup": "",
        "envs": {},
        "resources": Resources(1, 0.25),
        "node": 0,
        "workdir": str(root / f"attempt-{attempt}"),
    }
    fields.update(overrides)
    return Task(**fields)  # type: ignore[arg-type]


def wait_for(b: SlurmBackend, job_id: str, states: frozenset[JobState]) -> TaskStatus:
    deadline = time.monotonic() + GUARD
    status = b.poll(job_id)
    while status.state not in states:
        assert time.monotonic() < deadline, f"job {job_id} stuck at {status}"
        time.sleep(0.2)
        status = b.poll(job_id)
    return status


def in_squeue(cluster: SlurmCluster, job_id: str) -> bool:
    return bool(cluster.run("squeue", "-h", "-j", job_id, "-o", "%i", check=False).stdout.strip())


def wait_gone(cluster: SlurmCluster, job_id: str) -> None:
    deadline = time.monotonic() + GUARD
    while in_squeue(cluster, job_id):
        assert time.monotonic() < deadline, f"job {job_id} still in squeue"
        time.sleep(0.2)


@pytest.fixture
def on_a(slurm_cluster_a: SlurmCluster, tmp_path: Path) -> Iterator[SlurmBackend]:
    b = backend(slurm_cluster_a, tmp_path)
    yield b
    slurm_cluster_a.run("scancel", "--user=root", check=False)


@pytest.fixture
def on_b(slurm_cluster_b: SlurmCluster, tmp_path: Path) -> Iterator[SlurmBackend]:
    b = backend(slurm_cluster_b, tmp_path)
    yield b
    for job_id in b.root.joinpath("slurm-jobs").glob("*"):
        b.cancel(job_id.name)  # not scancel --user: the time-limit job runs on B meanwhile


@pytest.fixture(scope="module", autouse=True)
def time_limit_job(
    slurm_clusters: SlurmClusters, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SlurmBackend, str]]:
    """A job with a 1 s limit (Slurm: 1 minute) that would sleep 300 s, started first."""
    root = tmp_path_factory.mktemp("slurm-timeout")
    b = backend(slurm_clusters.b, root)
    job_id = b.submit(make_task(root, 900, "sleep 300", time_limit_seconds=1.0))
    yield b, job_id
    b.cancel(job_id)


# ------------------------------------------------------------------ capacity


def test_capacity_matches_the_fixture_nodes(slurm_clusters: SlurmClusters, tmp_path: Path) -> None:
    for cluster in (slurm_clusters.a, slurm_clusters.b):
        pools = backend(cluster, tmp_path / cluster.name).capacity()
        assert pools is not None
        # each pool: nodes of one shape; memory MiB / 1024 = GB; gres type a100 -> A100
        expected_nodes = sorted(
            (
                (n.cpus, n.memory_mb / 1024, {k.upper(): v for k, v in n.gpus.items()})
                for n in cluster.nodes
            ),
            key=repr,
        )
        got_nodes = sorted(
            (
                (p.shape.cpus, p.shape.memory_gb, dict(p.shape.accelerators))
                for p in pools
                for _ in range(p.count)
            ),
            key=repr,
        )
        assert got_nodes == expected_nodes


def test_center_file_helper_builds_a_working_backend(
    slurm_cluster_b: SlurmCluster, tmp_path: Path
) -> None:
    center, data = load_center(slurm_cluster_b.write_center_file(tmp_path / "center.yaml"))
    b = make_backend(center, data["backend_options"], tmp_path / "agent")
    assert b.name == "slurm" and b.capabilities.multi_node
    assert b.capabilities.real_accelerators  # cluster B defines gpu GRES
    discovered = b.capacity()
    assert discovered is not None
    assert [(p.count, p.shape) for p in discovered] == [(p.count, p.shape) for p in center.pools]


# ------------------------------------------------------------------ running jobs


def test_job_runs_and_output_and_exit_code_come_back(
    on_a: SlurmBackend, slurm_cluster_a: SlurmCluster, tmp_path: Path
) -> None:
    # waits for a file we create, so it is certainly in squeue when we look
    run = 'while [ ! -e go ]; do sleep 0.1; done; echo "job=$C2NET_JOB_ID say=$GREETING"'
    t = make_task(tmp_path, 1, run, setup="echo setting up", envs={"GREETING": "hello slurm"})
    job_id = on_a.submit(t)
    assert in_squeue(slurm_cluster_a, job_id)
    assert on_a.poll(job_id).state in {JobState.ASSIGNED, JobState.RUNNING}
    Path(t.workdir, "go").touch()
    status = wait_for(on_a, job_id, TERMINAL)
    assert (status.state, status.exit_code) == (JobState.SUCCEEDED, 0)
    assert status.wall_seconds is not None
    output = on_a.read_output(job_id, 0)
    assert output == b"setting up\njob=1 say=hello slurm\n"  # make_task: job_id == attempt == 1
    assert on_a.read_output(job_id, len(b"setting up\n")) == b"job=1 say=hello slurm\n"
    assert on_a.submit(t) == job_id  # submitting the same attempt again re-attaches


def test_failing_job_reports_its_exit_code(on_a: SlurmBackend, tmp_path: Path) -> None:
    job_id = on_a.submit(make_task(tmp_path, 2, "echo about to fail; exit 7"))
    status = wait_for(on_a, job_id, TERMINAL)
    assert (status.state, status.exit_code, status.reason) == (JobState.FAILED, 7, "exit code 7")
    assert on_a.read_output(job_id, 0) == b"about to fail\n"


def test_failing_setup_stops_before_run(on_a: SlurmBackend, tmp_path: Path) -> None:
    job_id = on_a.submit(make_task(tmp_path, 3, "echo never", setup="exit 4"))
    status = wait_for(on_a, job_id, TERMINAL)
    assert (status.state, status.exit_code) == (JobState.FAILED, 4)
    assert b"setup exited with code 4" in on_a.read_output(job_id, 0)


def test_memory_limit_kills_the_job(on_a: SlurmBackend, tmp_path: Path) -> None:
    # 0.05 GB -> --mem=52M (ceil(0.05 * 1024)); the job touches 300 MB, so slurmstepd's
    # accounting poller (OverMemoryKill, no cgroups here) kills it with signal 9
    run = "python3 -c 'import time; b = bytearray(300 << 20); time.sleep(30)'"
    job_id = on_a.submit(make_task(tmp_path, 4, run, resources=Resources(1, 0.05)))
    status = wait_for(on_a, job_id, TERMINAL)
    assert status.state is JobState.FAILED
    assert status.reason.startswith("OUT_OF_MEMORY")
    assert status.exit_code == 128 + 9  # killed by SIGKILL, as a shell reports it


def test_cancel_leaves_nothing_in_squeue(
    on_a: SlurmBackend, slurm_cluster_a: SlurmCluster, tmp_path: Path
) -> None:
    job_id = on_a.submit(make_task(tmp_path, 5, "echo started; sleep 300"))
    wait_for(on_a, job_id, frozenset({JobState.RUNNING}))
    on_a.cancel(job_id)
    wait_gone(slurm_cluster_a, job_id)
    status = on_a.poll(job_id)
    assert status.state is JobState.CANCELLED
    on_a.cancel(job_id)  # idempotent: the job is gone, no error


def test_job_queued_behind_outside_work_is_assigned_with_slurms_reason(
    on_a: SlurmBackend, slurm_cluster_a: SlurmCluster, tmp_path: Path
) -> None:
    # work submitted outside the network takes both of the node's 2 cpus
    outside = slurm_cluster_a.run(
        "sbatch", "--parsable", "--cpus-per-task=2", "--mem=100M", "--output=/dev/null",
        "--wrap", "sleep 300",
    ).stdout.strip()  # fmt: skip
    deadline = time.monotonic() + GUARD
    while on_a.poll(outside).state is not JobState.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    (node,) = slurm_cluster_a.nodes
    # free = configured - allocated: 2 - 2 = 0 cpus, (4096 - 100) MiB, the T4 untouched
    assert on_a.free() == [Resources(0, (node.memory_mb - 100) / 1024, {"T4": 1})]
    job_id = on_a.submit(make_task(tmp_path, 6, "echo ran"))
    status = on_a.poll(job_id)
    while status.reason != "Resources":  # "PENDING" (no reason yet) until a scheduling pass
        assert status.state is JobState.ASSIGNED, status
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
        status = on_a.poll(job_id)
    slurm_cluster_a.run("scancel", outside)
    status = wait_for(on_a, job_id, TERMINAL)
    assert status.state is JobState.SUCCEEDED


def test_fresh_backend_reattaches_by_job_id(
    on_a: SlurmBackend, slurm_cluster_a: SlurmCluster, tmp_path: Path
) -> None:
    t = make_task(tmp_path, 7, "while [ ! -e go ]; do sleep 0.1; done; echo after restart")
    job_id = on_a.submit(t)
    restarted = backend(slurm_cluster_a, tmp_path)  # the agent restarted: same workdir
    assert restarted.poll(job_id).state in {JobState.ASSIGNED, JobState.RUNNING}
    assert restarted.submit(t) == job_id
    Path(t.workdir, "go").touch()
    assert wait_for(restarted, job_id, TERMINAL).state is JobState.SUCCEEDED
    assert restarted.read_output(job_id, 0) == b"after restart\n"
    # even a backend with another workdir finds the output through scontrol's StdOut
    stranger = backend(slurm_cluster_a, tmp_path / "elsewhere")
    assert stranger.read_output(job_id, 0) == b"after restart\n"


def test_unknown_job_is_lost(on_a: SlurmBackend) -> None:
    assert on_a.poll("987654").state is JobState.LOST
    assert on_a.poll("not-a-job").state is JobState.LOST


# ------------------------------------------------------------------ GPUs and several nodes


def test_gpu_job_gets_the_clusters_gres(
    on_b: SlurmBackend, slurm_cluster_b: SlurmCluster, tmp_path: Path
) -> None:
    run = 'echo "gpus=$SLURM_JOB_GPUS visible=$CUDA_VISIBLE_DEVICES on=$SLURM_GPUS_ON_NODE"'
    # the task says A100 (c2net's name); cluster B's GRES type is a100
    job_id = on_b.submit(make_task(tmp_path, 10, run, resources=Resources(1, 0.25, {"A100": 1})))
    assert "#SBATCH --gres=gpu:a100:1\n" in Path(tmp_path, "attempt-10", "job.sbatch").read_text()
    assert wait_for(on_b, job_id, TERMINAL).state is JobState.SUCCEEDED
    line = on_b.read_output(job_id, 0).decode()
    assert "on=1" in line  # Slurm gave the job one GPU
    if slurm_cluster_b.gres_mode == "file":  # GRES backed by device files: Slurm sets these
        assert "gpus=0 visible=0" in line or "gpus=1 visible=1" in line, line


def test_accelerator_the_cluster_lacks_is_refused_unless_emulated(
    slurm_cluster_a: SlurmCluster, tmp_path: Path
) -> None:
    t = make_task(tmp_path, 11, "echo ok", resources=Resources(1, 0.25, {"A100": 1}))
    with pytest.raises(BackendError, match="A100"):
        backend(slurm_cluster_a, tmp_path).submit(t)  # cluster A only has a T4
    emulated = backend(slurm_cluster_a, tmp_path, emulated=True)
    job_id = emulated.submit(t)
    assert "--gres" not in Path(t.workdir, "job.sbatch").read_text()
    assert wait_for(emulated, job_id, TERMINAL).state is JobState.SUCCEEDED


def test_two_node_job_runs_on_both_nodes(
    on_b: SlurmBackend, slurm_cluster_b: SlurmCluster, tmp_path: Path
) -> None:
    run = 'echo "node=$SLURMD_NODENAME nodes=$C2NET_NUM_NODES"'
    t = make_task(tmp_path, 12, run, setup="echo setup on $SLURMD_NODENAME", num_nodes=2)
    job_id = on_b.submit(t)
    status = wait_for(on_b, job_id, TERMINAL)
    assert (status.state, status.exit_code) == (JobState.SUCCEEDED, 0)
    lines = on_b.read_output(job_id, 0).decode().splitlines()
    names = slurm_cluster_b.node_names
    assert sorted(line for line in lines if line.startswith("node=")) == [
        f"node={n} nodes=2" for n in sorted(names)
    ]
    assert sorted(line for line in lines if line.startswith("setup")) == [
        f"setup on {n}" for n in sorted(names)
    ]


def test_two_node_job_fails_when_one_node_fails(
    on_b: SlurmBackend, slurm_cluster_b: SlurmCluster, tmp_path: Path
) -> None:
    second = slurm_cluster_b.node_names[1]
    run = f'if [ "$SLURMD_NODENAME" = {second} ]; then exit 5; fi; sleep 30'
    job_id = on_b.submit(make_task(tmp_path, 13, run, num_nodes=2))
    status = wait_for(on_b, job_id, TERMINAL)
    # srun --kill-on-bad-exit stops the other node's task at once (MPI style) and exits with
    # the highest code of its tasks: 5 from the failing node, or 128 + the signal that ended
    # the other node's sleep (SIGTERM 15 -> 143, SIGKILL 9 -> 137)
    assert status.state is JobState.FAILED
    assert status.exit_code in {5, 128 + signal.SIGTERM, 128 + signal.SIGKILL}


@pytest.mark.parametrize("golden_file", ["script-single-gpu.sbatch", "script-two-nodes.sbatch"])
def test_golden_scripts_are_valid_for_sbatch(
    slurm_cluster_b: SlurmCluster, golden_file: str
) -> None:
    """The golden scripts (with the fixture's partition, no account) pass sbatch --test-only."""
    text = (GOLDEN / golden_file).read_text()
    text = text.replace("--partition=gpu", "--partition=debug").replace(
        "#SBATCH --account=lab42\n", ""
    )
    text = text.replace("--cpus-per-task=4", "--cpus-per-task=2").replace("6144M", "2048M")
    res = slurm_cluster_b.run("sbatch", "--test-only", stdin=text, check=False)
    assert "to start at" in res.stderr, res.stderr


# ------------------------------------------------------------------ the time limit (last)


def test_time_limit_ends_as_timeout(time_limit_job: tuple[SlurmBackend, str]) -> None:
    b, job_id = time_limit_job
    status = wait_for(b, job_id, TERMINAL)
    assert (status.state, status.reason) == (JobState.FAILED, "TIMEOUT: time limit")
    assert b"DUE TO TIME LIMIT" in b.read_output(job_id, 0)
