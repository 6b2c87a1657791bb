"""The Ray backend against a real Ray head (tests/fixtures/ray.py): jobs, states, logs, cancel,
accelerators as custom resources, capacity and free room, re-attach after a restart.

The head has 2 CPUs and a custom resource A100: 2. Each test uses its own submission prefix and
stops whatever it left in Ray, so the next test finds the head idle.
"""

from __future__ import annotations

import itertools
import math
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from ray.job_submission import JobSubmissionClient

from c2net.agent.backends import Backend, BackendError, Task, TaskStatus
from c2net.agent.backends.ray import RayBackend
from c2net.model import JobState, Resources
from c2net.network import parse_center
from tests.fixtures.ray import RayHead

pytestmark = pytest.mark.slow

S = JobState
T = TypeVar("T")
_prefixes = itertools.count(1)
_DEADLINE = 60.0  # a guard against hanging, not a timing assertion


def task(
    attempt: int,
    run: str,
    *,
    setup: str = "",
    cpus: float = 1,
    acc: dict[str, int] | None = None,
    envs: dict[str, str] | None = None,
    time_limit: float | None = None,
) -> Task:
    return Task(
        attempt_id=attempt,
        job_id=100 + attempt,
        name=f"t{attempt}",
        run=run,
        setup=setup,
        envs=envs or {},
        resources=Resources(cpus, 0.5, acc or {}),
        node=0,
        workdir="",
        time_limit_seconds=time_limit,
    )


def wait_for(get: Callable[[], T], done: Callable[[T], bool], what: str) -> T:
    deadline = time.monotonic() + _DEADLINE
    value = get()
    while not done(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {value!r} after {_DEADLINE:g} s")
        time.sleep(0.2)
        value = get()
    return value


def finished(b: RayBackend, bid: str) -> TaskStatus:
    return wait_for(lambda: b.poll(bid), lambda s: s.state not in (S.ASSIGNED, S.RUNNING), bid)


def wait_until_file(path: Path) -> str:
    """A job body that blocks until the test creates `path` (no sleeps of guessed length)."""
    return f"while [ ! -e {path} ]; do sleep 0.1; done"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def prefix(ray_head: RayHead) -> Iterator[str]:
    """A submission prefix of this test's own; stops this test's jobs in Ray afterwards."""
    name = f"test{next(_prefixes)}-{int(time.time())}"
    yield name
    client = JobSubmissionClient(ray_head.address)
    mine = [j.submission_id for j in client.list_jobs() if (j.submission_id or "").startswith(name)]
    for sid in mine:
        assert sid is not None
        client.stop_job(sid)
    for sid in mine:
        assert sid is not None
        _wait_stopped(client, sid)


def _wait_stopped(client: JobSubmissionClient, sid: str) -> None:
    wait_for(lambda: client.get_job_status(sid), lambda st: st.is_terminal(), sid)


@pytest.fixture
def backend(ray_head: RayHead, prefix: str, tmp_path: Path) -> RayBackend:
    """Built the way the agent builds it: from the head's center file."""
    data = ray_head.center()
    data["backend_options"]["submission_prefix"] = prefix
    b = RayBackend.from_center(parse_center(data), data["backend_options"], tmp_path)
    assert b.address == ray_head.address
    return b


def test_is_a_backend(backend: RayBackend) -> None:
    assert isinstance(backend, Backend)
    assert backend.name == "ray"


def test_output_exit_code_and_envs_come_back(backend: RayBackend) -> None:
    t = task(
        1,
        'echo out; echo err >&2; echo "$GREETING job=$C2NET_JOB_ID attempt=$C2NET_ATTEMPT_ID"',
        setup="echo setting up",
        envs={"GREETING": "hi"},
    )
    bid = backend.submit(t)
    st = finished(backend, bid)
    assert (st.state, st.exit_code) == (S.SUCCEEDED, 0)
    assert st.wall_seconds is not None and st.wall_seconds >= 0
    text = backend.read_output(bid, 0).decode()
    lines = text.splitlines()
    # setup runs before run; job_id = 100 + attempt 1 (see task())
    ours = [ln for ln in lines if ln in ("setting up", "out", "err", "hi job=101 attempt=1")]
    assert ours == ["setting up", "out", "err", "hi job=101 attempt=1"]
    # reading on from an offset gives the rest, byte for byte
    whole = backend.read_output(bid, 0)
    assert backend.read_output(bid, 7) == whole[7:]
    assert backend.read_output(bid, len(whole)) == b""


@pytest.mark.parametrize(
    ("run", "setup", "code", "line"),
    [
        ("echo about to fail; exit 3", "", 3, "about to fail"),
        ("echo never", "exit 5", 5, "c2net: setup exited with code 5"),
    ],
)
def test_failing_job_reports_its_exit_code(
    backend: RayBackend, run: str, setup: str, code: int, line: str
) -> None:
    # Ray 2.60 exposes the entrypoint's exit code as JobDetails.driver_exit_code
    bid = backend.submit(task(2, run, setup=setup))
    st = finished(backend, bid)
    assert (st.state, st.exit_code) == (S.FAILED, code)
    assert f"exit code {code}" in st.reason  # Ray's message, without the log tail it appends
    assert "last available logs" not in st.reason
    out = backend.read_output(bid, 0).decode().splitlines()
    assert line in out
    assert "never" not in out


def test_time_limit_fails_the_job_with_timeouts_code(backend: RayBackend) -> None:
    st = finished(backend, backend.submit(task(3, "sleep 60", time_limit=1)))
    # coreutils timeout exits 124 when the limit ends the command
    assert (st.state, st.exit_code) == (S.FAILED, 124)
    assert st.reason == "time limit of 1s reached (exit code 124)"


def test_cancel_stops_the_job_and_its_processes(backend: RayBackend) -> None:
    bid = backend.submit(task(4, "echo pid $$; sleep 300 & echo child $!; wait"))
    out = wait_for(
        lambda: backend.read_output(bid, 0).decode(), lambda s: "child " in s, "pids printed"
    )
    pids = [int(ln.split()[1]) for ln in out.splitlines() if ln.startswith(("pid ", "child "))]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    backend.cancel(bid)
    st = finished(backend, bid)
    assert st.state == S.CANCELLED
    assert st.reason  # Ray's message, e.g. "Job was intentionally stopped."
    assert not any(alive(p) for p in pids)
    backend.cancel(bid)  # idempotent: stopping a stopped job does nothing
    assert backend.poll(bid).state == S.CANCELLED


def test_unknown_job_is_lost_and_harmless(backend: RayBackend) -> None:
    assert backend.poll("no-such-job").state == S.LOST
    assert backend.read_output("no-such-job", 0) == b""
    backend.cancel("no-such-job")


def test_accelerator_job_holds_the_custom_resource(
    backend: RayBackend, ray_head: RayHead, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    bid = backend.submit(
        task(5, f'echo "sees $C2NET_ACCELERATORS"; {wait_until_file(go)}', acc={"A100": 1})
    )
    wait_for(lambda: backend.poll(bid).state, lambda s: s == S.RUNNING, "accelerator job runs")
    # while it runs Ray counts it: A100 2 on the head - 1 held = 1; CPU 2 - 1 = 1
    free = wait_for(
        backend.free,
        lambda f: f[0].accelerators.get("A100") == ray_head.resources["A100"] - 1,
        "A100 held",
    )
    assert free[0].cpus == ray_head.cpus - 1
    go.touch()
    st = finished(backend, bid)
    assert st.state == S.SUCCEEDED
    assert "sees A100:1" in backend.read_output(bid, 0).decode().splitlines()


def test_accelerator_the_cluster_lacks_is_refused(backend: RayBackend) -> None:
    with pytest.raises(BackendError, match="H100"):
        backend.submit(task(6, "true", acc={"H100": 1}))
    with pytest.raises(BackendError, match="can hold"):
        backend.submit(task(7, "true", cpus=64))  # the head has 2 CPUs


def test_capacity_matches_the_head(backend: RayBackend, ray_head: RayHead) -> None:
    reply = httpx.get(f"{ray_head.address}/api/v0/nodes").json()
    (node,) = reply["data"]["result"]["result"]
    # Ray sizes `memory` itself; c2net counts it in whole GB of 2**30 bytes, rounded down
    memory_gb = math.floor(node["resources_total"]["memory"] / 2**30)
    pools = backend.capacity()
    assert pools is not None and len(pools) == 1
    (pool,) = pools
    assert pool.count == 1
    acc = {k: int(v) for k, v in ray_head.resources.items()}
    assert pool.shape == Resources(ray_head.cpus, memory_gb, acc)


def test_job_waiting_for_cpus_is_assigned_with_rays_reason(
    backend: RayBackend, ray_head: RayHead, prefix: str, tmp_path: Path
) -> None:
    # work submitted to Ray outside the network takes both CPUs of the head
    go = tmp_path / "go"
    outside = JobSubmissionClient(ray_head.address)
    hog = outside.submit_job(
        entrypoint=wait_until_file(go),
        submission_id=f"{prefix}-outside",
        entrypoint_num_cpus=ray_head.cpus,
    )
    wait_for(lambda: outside.get_job_status(hog).value, lambda s: s == "RUNNING", "hog runs")
    free = wait_for(backend.free, lambda f: f[0].cpus == 0, "free CPUs reflect the hog")
    assert free[0].accelerators == {
        k: int(v) for k, v in ray_head.resources.items()
    }  # no A100 held
    bid = backend.submit(task(9, "echo finally"))
    # every new Ray job is PENDING for a moment; a job that needs no CPU, submitted after it,
    # runs to the end while this one still waits: it waits for the CPUs, not for its start-up
    control = backend.submit(task(10, "echo control", cpus=0))
    assert finished(backend, control).state == S.SUCCEEDED
    st = backend.poll(bid)
    assert st.state == S.ASSIGNED
    assert "waiting for resources" in st.reason  # Ray's own words for a pending job
    go.touch()
    st = finished(backend, bid)
    assert st.state == S.SUCCEEDED
    assert "finally" in backend.read_output(bid, 0).decode().splitlines()


def test_fresh_backend_reattaches_by_submission_id(
    backend: RayBackend, ray_head: RayHead, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    t = task(11, f"echo started; {wait_until_file(go)}; echo done")
    bid = backend.submit(t)
    wait_for(lambda: backend.poll(bid).state, lambda s: s == S.RUNNING, "job runs")
    # an agent restart: a new backend instance, the same center file
    again = RayBackend(ray_head.address, prefix=backend.prefix)
    assert again.submit(t) == bid  # a retried submit re-attaches, it does not start a second job
    jobs = [j for j in JobSubmissionClient(ray_head.address).list_jobs() if j.submission_id == bid]
    assert len(jobs) == 1
    assert again.poll(bid).state == S.RUNNING
    with pytest.raises(BackendError, match="something else"):
        again.submit(task(11, "echo other work under the same attempt id"))
    go.touch()
    st = finished(again, bid)
    assert st.state == S.SUCCEEDED
    out = again.read_output(bid, 0).decode().splitlines()
    assert out.count("started") == 1 and "done" in out


def test_unreachable_cluster_is_a_backend_error() -> None:
    with socket.socket() as s:  # a port nobody listens on once this closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = RayBackend(f"127.0.0.1:{port}", timeout=5)
    for call in (lambda: dead.poll("x"), dead.capacity, dead.free, lambda: dead.cancel("x")):
        with pytest.raises(BackendError, match=re.escape(f"Ray at http://127.0.0.1:{port}")):
            call()
