"""The local backend, for real: processes, process groups, files."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from c2net.agent.backends import Backend, LocalBackend, Task, TaskStatus
from c2net.model import JobState, Resources
from tests.procs import pids_in_group

S = JobState


def task(
    attempt: int,
    run: str,
    *,
    setup: str = "",
    acc: dict[str, int] | None = None,
    node: int = 0,
    envs: dict[str, str] | None = None,
) -> Task:
    return Task(
        attempt_id=attempt,
        job_id=100 + attempt,
        name=f"t{attempt}",
        run=run,
        setup=setup,
        envs=envs or {},
        resources=Resources(1, 1, acc or {}),
        node=node,
        workdir="",
    )


def wait_done(b: LocalBackend, bid: str, timeout: float = 20) -> TaskStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = b.poll(bid)
        if st.state not in (S.RUNNING, S.ASSIGNED):
            return st
        time.sleep(0.05)
    raise AssertionError(f"{bid} still running")


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    return LocalBackend(tmp_path / "work", kill_grace=1.0)


def test_is_a_backend(backend: LocalBackend) -> None:
    assert isinstance(backend, Backend)


def test_runs_and_reports_output_exit_and_wall(backend: LocalBackend) -> None:
    bid = backend.submit(task(1, "echo out; echo err >&2; echo $GREETING", envs={"GREETING": "hi"}))
    st = wait_done(backend, bid)
    assert (st.state, st.exit_code) == (S.SUCCEEDED, 0)
    assert st.wall_seconds is not None and st.wall_seconds >= 0
    assert backend.read_output(bid, 0) == b"out\nerr\nhi\n"
    assert backend.read_output(bid, 4) == b"err\nhi\n"


def test_failure_keeps_exit_code(backend: LocalBackend) -> None:
    st = wait_done(backend, backend.submit(task(2, "exit 7")))
    assert (st.state, st.exit_code, st.reason) == (S.FAILED, 7, "exit code 7")


def test_setup_runs_first_and_its_failure_stops_run(backend: LocalBackend) -> None:
    bid = backend.submit(task(3, "cat marker", setup="echo ready > marker"))
    assert wait_done(backend, bid).state is S.SUCCEEDED
    assert backend.read_output(bid, 0) == b"ready\n"
    bid = backend.submit(task(4, "echo never", setup="exit 5"))
    st = wait_done(backend, bid)
    assert (st.state, st.exit_code) == (S.FAILED, 5)
    assert b"never" not in backend.read_output(bid, 0)


def test_cancel_kills_the_whole_process_group(backend: LocalBackend) -> None:
    bid = backend.submit(task(5, "sleep 600 & sleep 600 & wait"))
    time.sleep(0.3)
    pgid = int((backend.root / bid / "pid").read_text())
    assert len(pids_in_group(pgid)) >= 3  # wrapper, run.sh's bash, two sleeps
    started = time.monotonic()
    backend.cancel(bid)
    assert pids_in_group(pgid) == []
    assert time.monotonic() - started < 5  # within the grace period (1 s) plus the kill
    assert wait_done(backend, bid).state is S.CANCELLED
    backend.cancel(bid)  # idempotent


def test_term_ignoring_job_is_killed(backend: LocalBackend) -> None:
    bid = backend.submit(task(6, "trap '' TERM; sleep 600"))
    time.sleep(0.3)
    pgid = int((backend.root / bid / "pid").read_text())
    backend.cancel(bid)  # SIGTERM ignored by bash; SIGKILL after 1 s grace
    assert pids_in_group(pgid) == []


def test_accelerator_slots_do_not_overlap_on_a_node(backend: LocalBackend) -> None:
    show = "echo $CUDA_VISIBLE_DEVICES; sleep 2"
    a = backend.submit(task(7, show, acc={"A100": 2}, node=0))
    b = backend.submit(task(8, show, acc={"A100": 1}, node=0))
    c = backend.submit(task(9, show, acc={"A100": 1}, node=1))  # another node starts at 0
    for bid in (a, b, c):
        wait_done(backend, bid)
    assert [backend.read_output(x, 0).strip() for x in (a, b, c)] == [b"0,1", b"2", b"0"]


def test_fresh_backend_reattaches(tmp_path: Path) -> None:
    first = LocalBackend(tmp_path / "w")
    bid = first.submit(task(10, "sleep 0.5; echo late; exit 3"))
    second = LocalBackend(tmp_path / "w")  # an agent restart: no Popen objects, only files
    assert second.poll(bid).state is S.RUNNING
    assert second.submit(task(10, "ignored")) == bid  # resubmit re-attaches, runs nothing new
    st = wait_done(second, bid)
    assert (st.state, st.exit_code) == (S.FAILED, 3)
    assert second.read_output(bid, 0) == b"late\n"
    first.poll(bid)  # reap the child in this process too


def test_unknown_id_is_lost(backend: LocalBackend) -> None:
    assert backend.poll("attempt-999").state is S.LOST


def test_job_environment(backend: LocalBackend) -> None:
    bid = backend.submit(task(11, "echo $C2NET_JOB_ID $C2NET_ATTEMPT_ID; pwd"))
    wait_done(backend, bid)
    lines = backend.read_output(bid, 0).decode().split()
    assert lines[:2] == ["111", "11"]  # job id is 100 + attempt in this file's builder
    assert os.path.samefile(lines[2], backend.root / bid)


def test_time_limit_stops_the_job(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "w")
    limited = Task(
        attempt_id=1,
        job_id=1,
        name="t",
        run="echo start; sleep 600",
        setup="",
        envs={},
        resources=Resources(1, 1),
        node=0,
        workdir="",
        time_limit_seconds=0.5,
    )
    st = wait_done(backend, backend.submit(limited))
    # coreutils timeout sends TERM at the limit and exits 124
    assert (st.state, st.exit_code) == (S.FAILED, 124)
    assert st.reason.startswith("TIMEOUT: time limit 0.500s")
