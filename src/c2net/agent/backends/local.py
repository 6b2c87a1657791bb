"""Local backend: each attempt is a process group on this machine, in its own work directory.

A small wrapper script records the start time, the exit code and the end time in files beside
the output, so an agent that restarts re-attaches to what it started by reading them.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from c2net.agent.backends.base import BackendError, Capabilities, Task, TaskStatus
from c2net.model import Center, JobState, NodePool

__all__ = ["LocalBackend"]

_WRAPPER = """#!/usr/bin/env bash
date +%s.%N > started_at
if [ -s setup.sh ]; then
  bash ./setup.sh
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "c2net: setup exited with code $rc" >&2
    echo $rc > exit_code.tmp; date +%s.%N > ended_at; mv exit_code.tmp exit_code; exit $rc
  fi
fi
if [ -s time_limit ]; then timeout "$(cat time_limit)" bash ./run.sh; else bash ./run.sh; fi
rc=$?
echo $rc > exit_code.tmp; date +%s.%N > ended_at; mv exit_code.tmp exit_code
exit $rc
"""


class LocalBackend:
    name = "local"
    capabilities = Capabilities(multi_node=False, real_accelerators=False, reattach=True)

    def __init__(
        self, root: str | Path, pools: tuple[NodePool, ...] = (), kill_grace: float = 3.0
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.pools = pools
        self.kill_grace = kill_grace
        self._procs: dict[str, subprocess.Popen[bytes]] = {}

    @classmethod
    def from_center(cls, center: Center, options: Mapping[str, Any], workdir: Path) -> LocalBackend:
        return cls(workdir, center.pools, float(options.get("kill_grace", 3.0)))

    # --------------------------------------------------------------- helpers

    def _dir(self, backend_id: str) -> Path:
        return self.root / backend_id

    def _device_slots(self, task: Task) -> dict[str, list[int]]:
        """Device indices for each accelerator type on the task's node, avoiding slots held
        by other live tasks on that node."""
        taken: dict[str, set[int]] = {}
        for d in self.root.iterdir():
            meta = d / "meta.json"
            if not meta.exists() or (d / "exit_code").exists() or (d / "cancelled").exists():
                continue
            info = json.loads(meta.read_text())
            if info.get("node") == task.node:
                for kind, slots in info.get("devices", {}).items():
                    taken.setdefault(kind, set()).update(slots)
        out: dict[str, list[int]] = {}
        for kind, count in task.resources.accelerators.items():
            free = (i for i in range(10_000) if i not in taken.get(kind, set()))
            out[kind] = [next(free) for _ in range(count)]
        return out

    def _pid(self, backend_id: str) -> int | None:
        pid_file = self._dir(backend_id) / "pid"
        return int(pid_file.read_text()) if pid_file.exists() else None

    def _alive(self, backend_id: str) -> bool:
        proc = self._procs.get(backend_id)
        if proc is not None:
            return proc.poll() is None
        pid = self._pid(backend_id)
        if pid is None:
            return False
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended

    # --------------------------------------------------------------- protocol

    def submit(self, task: Task) -> str:
        backend_id = f"attempt-{task.attempt_id}"
        work = self._dir(backend_id)
        if (work / "pid").exists():  # submitted before (agent restart): re-attach
            return backend_id
        work.mkdir(parents=True, exist_ok=True)
        devices = self._device_slots(task)
        (work / "meta.json").write_text(
            json.dumps(
                {"job_id": task.job_id, "node": task.node, "devices": devices, "name": task.name}
            )
        )
        (work / "setup.sh").write_text(task.setup + "\n" if task.setup else "")
        (work / "run.sh").write_text(task.run + "\n")
        (work / "wrapper.sh").write_text(_WRAPPER)
        if task.time_limit_seconds:  # coreutils timeout: TERM at the limit, exit code 124
            (work / "time_limit").write_text(f"{task.time_limit_seconds:.3f}s")
        env = dict(os.environ)
        env.update(task.envs)
        env.update(
            {
                "C2NET_JOB_ID": str(task.job_id),
                "C2NET_ATTEMPT_ID": str(task.attempt_id),
                "C2NET_NODE": str(task.node),
                "C2NET_WORKDIR": str(work),
                "C2NET_ACCELERATORS": ",".join(
                    f"{k}:{v}" for k, v in task.resources.accelerators.items()
                ),
                "CUDA_VISIBLE_DEVICES": ",".join(str(i) for s in devices.values() for i in s),
            }
        )
        out = (work / "output.log").open("ab")
        try:
            proc = subprocess.Popen(
                ["bash", "wrapper.sh"],
                cwd=work,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise BackendError(f"cannot start {shlex.quote(task.name)}: {exc}") from exc
        finally:
            out.close()
        (work / "pid").write_text(str(proc.pid))
        self._procs[backend_id] = proc
        return backend_id

    def poll(self, backend_id: str) -> TaskStatus:
        work = self._dir(backend_id)
        if not work.exists():
            return TaskStatus(JobState.LOST, reason=f"{backend_id} is unknown to this backend")
        wall = self._wall(work)
        if (work / "exit_code").exists():
            code = int((work / "exit_code").read_text().strip() or "1")
            self._reap(backend_id)
            state = JobState.SUCCEEDED if code == 0 else JobState.FAILED
            reason = "" if code == 0 else f"exit code {code}"
            if code == 124 and (work / "time_limit").exists():
                reason = f"TIMEOUT: time limit {(work / 'time_limit').read_text()} reached"
            return TaskStatus(state, code, reason, wall)
        if self._alive(backend_id):
            return TaskStatus(JobState.RUNNING)
        self._reap(backend_id)
        if (work / "cancelled").exists():
            return TaskStatus(JobState.CANCELLED, None, "cancelled", wall)
        return TaskStatus(JobState.FAILED, None, "process ended without an exit code", wall)

    def _wall(self, work: Path) -> float | None:
        try:
            start = float((work / "started_at").read_text())
        except (OSError, ValueError):
            return None
        try:
            end = float((work / "ended_at").read_text())
        except (OSError, ValueError):
            end = time.time()
        return max(end - start, 0.0)

    def _reap(self, backend_id: str) -> None:
        proc = self._procs.pop(backend_id, None)
        if proc is not None:
            proc.wait()

    def cancel(self, backend_id: str) -> None:
        work = self._dir(backend_id)
        if not work.exists() or (work / "exit_code").exists():
            return
        (work / "cancelled").touch()
        if not (work / "ended_at").exists():
            (work / "ended_at").write_text(f"{time.time():.6f}")
        pid = self._pid(backend_id)
        if pid is None:
            return
        for sig, wait in ((signal.SIGTERM, self.kill_grace), (signal.SIGKILL, 1.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self._group_alive(pid):
                time.sleep(0.05)
            if not self._group_alive(pid):
                break
        self._reap(backend_id)

    def _group_alive(self, pgid: int) -> bool:
        proc_dir = Path("/proc")
        for entry in proc_dir.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                return True
        return False

    def read_output(self, backend_id: str, offset: int) -> bytes:
        path = self._dir(backend_id) / "output.log"
        if not path.exists():
            return b""
        with path.open("rb") as fh:
            fh.seek(offset)
            return fh.read(1 << 20)

    def capacity(self) -> list[NodePool] | None:
        return None  # a plain machine: the center file declares its (possibly emulated) nodes
