"""Slurm backend: each attempt is one batch job, submitted with sbatch and tracked by its id.

The agent drives the cluster with Slurm's own commands, as any user would: `sbatch --parsable`,
`squeue`, `scontrol show job` (and `sacct -c` on the jobcomp file, or `sacct` with slurmdbd, once
the job has left slurmctld's memory), `scancel`, `scontrol show nodes`. The cluster is chosen by
SLURM_CONF (the center file's `backend_options: {slurm_conf: ...}`); nothing in it is changed.

Each attempt has a directory (task.workdir, which compute nodes must see: a shared filesystem)
holding the batch script, setup.sh, run.sh, output.log and the Slurm job id, so a restarted
agent re-attaches by id. Parsing lives in slurm_parse/slurm_job/slurm_node, pure and tested on
real output; this module only runs commands.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from c2net.agent.backends.base import BackendError, Capabilities, Task, TaskStatus
from c2net.agent.backends.slurm_job import SlurmJob, memory_killed, task_status
from c2net.agent.backends.slurm_node import SlurmNode, free_per_node, gres_type_for, node_pools
from c2net.agent.backends.slurm_parse import (
    SACCT_FIELDS,
    SQUEUE_FIELDS,
    SQUEUE_FORMAT,
    parse_records,
    parse_table,
)
from c2net.agent.backends.slurm_script import (
    OUTPUT_FILE,
    RUN_FILE,
    SCRIPT_FILE,
    SETUP_FILE,
    BatchOptions,
    batch_script,
)
from c2net.model import Center, JobState, NodePool, Resources

__all__ = ["SlurmBackend"]

_JOB_ID = re.compile(r"^\d+$")
_ID_FILE = "slurm_job_id"
_INVALID_ID = "invalid job id"
_OUTPUT_TAIL = 64 * 1024
_READ_CHUNK = 1 << 20


class SlurmBackend:
    name = "slurm"

    def __init__(
        self,
        root: str | Path,
        slurm_conf: str | Path | None = None,
        partition: str | None = None,
        account: str | None = None,
        emulated: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.slurm_conf = Path(slurm_conf) if slurm_conf else None
        self.partition = partition
        self.account = account
        self.emulated = emulated  # accelerators without GRES are bookkeeping only
        self.timeout = timeout
        self.capabilities = Capabilities(
            multi_node=True,
            real_accelerators=False,
            reattach=True,
            discovers_capacity=True,
            extra={"accelerators": "GRES gpu:TYPE", "scheduler": "slurm"},
        )

    @classmethod
    def from_center(cls, center: Center, options: Mapping[str, Any], workdir: Path) -> SlurmBackend:
        conf = options.get("slurm_conf") or os.environ.get("SLURM_CONF")
        if conf and not Path(str(conf)).is_file():
            raise BackendError(f"center {center.name}: slurm_conf {conf} is not a file")
        backend = cls(
            workdir,
            conf,
            options.get("partition"),
            options.get("account"),
            bool(options.get("emulated", center.emulated)),
            float(options.get("timeout", 30.0)),
        )
        backend.capabilities = backend._discover_capabilities()
        return backend

    # --------------------------------------------------------------- commands

    def _run(self, *argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        if self.slurm_conf is not None:
            env["SLURM_CONF"] = str(self.slurm_conf)
        try:
            return subprocess.run(
                list(argv),
                env=env,
                cwd=cwd,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackendError(f"{argv[0]}: {exc}") from exc

    def _checked(self, *argv: str, cwd: Path | None = None) -> str:
        res = self._run(*argv, cwd=cwd)
        if res.returncode != 0:
            raise BackendError(f"{' '.join(argv[:2])}: {(res.stderr or res.stdout).strip()}")
        return res.stdout

    def nodes(self) -> list[SlurmNode]:
        """The cluster's nodes (of the configured partition, when one is set)."""
        out = self._checked("scontrol", "show", "-o", "-d", "nodes")
        nodes = [SlurmNode.from_record(r) for r in parse_records(out) if "NodeName" in r]
        if self.partition:
            nodes = [n for n in nodes if self.partition in n.partitions]
        return nodes

    def _discover_capabilities(self) -> Capabilities:
        try:
            has_gpus = any(node.gpus for node in self.nodes())
        except BackendError:
            has_gpus = False  # cluster not reachable yet: claim nothing
        return Capabilities(
            multi_node=True,
            real_accelerators=has_gpus and not self.emulated,
            reattach=True,
            discovers_capacity=True,
            extra=self.capabilities.extra,
        )

    # --------------------------------------------------------------- submit

    def _gres(self, accelerators: Mapping[str, int]) -> list[str]:
        """`--gres` values for the task's accelerators, spelled as the cluster defines them."""
        if not accelerators:
            return []
        nodes = self.nodes()
        gres = []
        for name, count in sorted(accelerators.items()):
            gres_type = gres_type_for(nodes, name)
            if gres_type is None:
                if self.emulated:
                    continue  # declared in the center file only: nothing to ask Slurm for
                raise BackendError(f"the cluster defines no GRES gpu type for {name}")
            gres.append(f"gpu:{count}" if gres_type == "gpu" else f"gpu:{gres_type}:{count}")
        return gres

    def submit(self, task: Task) -> str:
        work = Path(task.workdir)
        id_file = work / _ID_FILE
        if id_file.exists():  # submitted before the agent restarted: re-attach
            return id_file.read_text().strip()
        options = BatchOptions(
            self.partition, self.account, self._gres(task.resources.accelerators)
        )
        try:
            script = batch_script(task, work, options)
        except ValueError as exc:
            raise BackendError(str(exc)) from exc
        work.mkdir(parents=True, exist_ok=True)
        (work / SETUP_FILE).write_text(task.setup + "\n" if task.setup else "")
        (work / RUN_FILE).write_text(task.run + "\n")
        (work / SCRIPT_FILE).write_text(script)
        out = self._checked("sbatch", "--parsable", str(work / SCRIPT_FILE), cwd=work)
        job_id = out.strip().split(";")[0]  # `ID` or `ID;cluster`
        if not _JOB_ID.match(job_id):
            raise BackendError(f"sbatch printed {out.strip()!r}, not a job id")
        id_file.write_text(job_id + "\n")
        self._index_dir().joinpath(job_id).write_text(str(work))
        return job_id

    def _index_dir(self) -> Path:
        path = self.root / "slurm-jobs"
        path.mkdir(exist_ok=True)
        return path

    # --------------------------------------------------------------- status

    def job(self, backend_id: str) -> SlurmJob | None:
        """What the cluster knows of a job: squeue while queued or running, then scontrol
        (slurmctld's memory, MinJobAge), then the jobcomp file, then slurmdbd."""
        if not _JOB_ID.match(backend_id):
            return None
        queued = self._from_squeue(backend_id)
        if queued is not None and not queued.ended:
            return queued
        return (
            self._from_scontrol(backend_id)
            or self._from_sacct(backend_id, "-c")
            or self._from_sacct(backend_id, "-X")
        )

    def _from_squeue(self, job_id: str) -> SlurmJob | None:
        res = self._run("squeue", "-h", "-j", job_id, "-o", SQUEUE_FORMAT)
        if res.returncode != 0:
            if _INVALID_ID in res.stderr.lower():
                return None
            raise BackendError(f"squeue: {res.stderr.strip()}")
        rows = [r for r in parse_table(res.stdout, SQUEUE_FIELDS) if r["JobID"] == job_id]
        return SlurmJob.from_squeue(rows[0]) if rows else None

    def _from_scontrol(self, job_id: str) -> SlurmJob | None:
        res = self._run("scontrol", "show", "-o", "job", job_id)
        if res.returncode != 0:
            if _INVALID_ID in res.stderr.lower():
                return None
            raise BackendError(f"scontrol show job: {res.stderr.strip()}")
        records = [r for r in parse_records(res.stdout) if r.get("JobId") == job_id]
        return SlurmJob.from_scontrol(records[0]) if records else None

    def _from_sacct(self, job_id: str, source: str) -> SlurmJob | None:
        """`sacct -c` reads the jobcomp file; `sacct -X` asks slurmdbd. Either may be absent."""
        fields = ",".join(SACCT_FIELDS)
        res = self._run("sacct", source, "-P", "-S", "2000-01-01", "-j", job_id, "-o", fields)
        if res.returncode != 0:
            return None
        rows = [r for r in parse_table(res.stdout) if r.get("JobID") == job_id]
        return SlurmJob.from_sacct(rows[-1]) if rows else None

    def poll(self, backend_id: str) -> TaskStatus:
        job = self.job(backend_id)
        if job is None:
            return TaskStatus(
                JobState.LOST, reason=f"Slurm job {backend_id} is unknown to the cluster"
            )
        killed = job.ended and job.signal == 9 and memory_killed(self._output_tail(backend_id))
        return task_status(job, killed)

    # --------------------------------------------------------------- cancel, output

    def cancel(self, backend_id: str) -> None:
        if not _JOB_ID.match(backend_id):
            return
        res = self._run("scancel", backend_id)
        message = (res.stderr + res.stdout).lower()
        if res.returncode != 0 and _INVALID_ID not in message and "completed" not in message:
            raise BackendError(f"scancel {backend_id}: {message.strip()}")

    def _output_path(self, backend_id: str) -> Path | None:
        entry = self._index_dir() / backend_id
        if entry.exists():
            return Path(entry.read_text().strip()) / OUTPUT_FILE
        job = self._from_scontrol(backend_id) if _JOB_ID.match(backend_id) else None
        return Path(job.stdout) if job is not None and job.stdout else None

    def read_output(self, backend_id: str, offset: int) -> bytes:
        path = self._output_path(backend_id)
        if path is None or not path.exists():
            return b""
        with path.open("rb") as fh:
            fh.seek(offset)
            return fh.read(_READ_CHUNK)

    def _output_tail(self, backend_id: str) -> str:
        path = self._output_path(backend_id)
        if path is None or not path.exists():
            return ""
        with path.open("rb") as fh:
            fh.seek(max(path.stat().st_size - _OUTPUT_TAIL, 0))
            return fh.read().decode(errors="replace")

    # --------------------------------------------------------------- capacity

    def capacity(self) -> list[NodePool] | None:
        """Usable nodes grouped by shape; GPU types from their GRES (`a100` -> `A100`)."""
        return node_pools(self.nodes()) or None

    def free(self) -> list[Resources]:
        """Free resources per usable node now, in the node order of capacity()'s pools.

        Counts every allocation on the cluster, so work submitted outside the network is seen.
        """
        return free_per_node(self.nodes())
