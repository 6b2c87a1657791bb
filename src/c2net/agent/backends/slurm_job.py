"""A Slurm job as squeue, scontrol or sacct report it, and its mapping to c2net's states."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from c2net.agent.backends.base import TaskStatus
from c2net.agent.backends.slurm_parse import parse_exit_code, seconds_between
from c2net.model import JobState

__all__ = ["TERMINAL_STATES", "SlurmJob", "base_state", "memory_killed", "task_status"]

# Queued inside the cluster: c2net shows ASSIGNED with Slurm's reason (Resources, Priority, ...).
_QUEUED = frozenset(
    {"PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"}
)
_RUNNING = frozenset(
    {"RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "RESIZING"}
)
# Terminal states other than COMPLETED/FAILED/CANCELLED: (c2net state, reason).
_ENDED: Mapping[str, tuple[JobState, str]] = {
    "TIMEOUT": (JobState.FAILED, "TIMEOUT: time limit"),
    "OUT_OF_MEMORY": (JobState.FAILED, "OUT_OF_MEMORY: memory limit"),
    "DEADLINE": (JobState.FAILED, "DEADLINE: deadline reached before the job could end"),
    "SPECIAL_EXIT": (JobState.FAILED, "SPECIAL_EXIT"),
    "NODE_FAIL": (JobState.LOST, "NODE_FAIL: a node of the job failed"),
    "BOOT_FAIL": (JobState.LOST, "BOOT_FAIL: a node of the job failed to boot"),
    "PREEMPTED": (JobState.LOST, "PREEMPTED: requeue"),
    "REVOKED": (JobState.LOST, "REVOKED: the job ran in another cluster of the federation"),
}
TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "CANCELLED", *_ENDED})
_SIGKILL = 9
# slurmstepd's words when the accounting poller (JobAcctGatherParams=OverMemoryKill) kills a
# step over its --mem; clusters without cgroups report such a job as FAILED, signal 9.
_MEMORY_KILL = re.compile(r"slurmstepd[^:\n]*: error: .*(?:exceeded job memory limit|"
                          r"exceeded memory limit)", re.IGNORECASE)  # fmt: skip


def base_state(text: str) -> str:
    """`CANCELLED by 0`, `CANCELLED+`, `running` -> `CANCELLED`, `RUNNING`."""
    return re.split(r"[\s+]", text.strip(), maxsplit=1)[0].upper()


@dataclass(frozen=True)
class SlurmJob:
    """What the cluster says about one job; exit_code and signal only once it has ended."""

    job_id: str
    state: str
    reason: str = ""
    exit_code: int | None = None
    signal: int = 0
    wall_seconds: float | None = None
    nodes: str = ""
    stdout: str = ""

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL_STATES

    @classmethod
    def from_squeue(cls, row: Mapping[str, str]) -> SlurmJob:
        """A row of `squeue -o SQUEUE_FORMAT` (queued or running jobs: no exit code there)."""
        return cls(
            job_id=row["JobID"],
            state=base_state(row["State"]),
            reason=_reason(row.get("Reason", "")),
            nodes=row.get("NodeList", ""),
        )

    @classmethod
    def from_scontrol(cls, record: Mapping[str, str]) -> SlurmJob:
        """A record of `scontrol show -o job ID`."""
        code, sig = parse_exit_code(record.get("ExitCode", "0:0"))
        state = base_state(record.get("JobState", ""))
        ended = state in TERMINAL_STATES
        return cls(
            job_id=record["JobId"],
            state=state,
            reason=_reason(record.get("Reason", "")),
            exit_code=code if ended else None,
            signal=sig if ended else 0,
            wall_seconds=_wall(record) if ended else None,
            nodes=record.get("NodeList", ""),
            stdout=record.get("StdOut", ""),
        )

    @classmethod
    def from_sacct(cls, row: Mapping[str, str]) -> SlurmJob:
        """A row of `sacct [-c] -P -o SACCT_FIELDS` (the jobcomp file or slurmdbd)."""
        code, sig = parse_exit_code(row.get("ExitCode") or "0:0")
        state = base_state(row["State"])
        ended = state in TERMINAL_STATES
        return cls(
            job_id=row["JobID"],
            state=state,
            exit_code=code if ended else None,
            signal=sig if ended else 0,
            wall_seconds=_wall(row) if ended else None,
            nodes=row.get("NodeList", ""),
        )


def _reason(text: str) -> str:
    return "" if text.strip() in {"", "None", "(null)"} else text.strip()


def _wall(fields: Mapping[str, str]) -> float | None:
    start = fields.get("StartTime", fields.get("Start", ""))
    end = fields.get("EndTime", fields.get("End", ""))
    return seconds_between(start, end)


def memory_killed(output_tail: str) -> bool:
    """True when slurmstepd wrote that it killed the job for exceeding its memory limit."""
    return bool(_MEMORY_KILL.search(output_tail))


def task_status(job: SlurmJob, killed_for_memory: bool = False) -> TaskStatus:
    """Map Slurm's state to c2net's, keeping Slurm's reason.

    `killed_for_memory` comes from `memory_killed` on the job's output: without cgroups Slurm
    reports a job killed over its --mem as FAILED (or CANCELLED) with signal 9, not OUT_OF_MEMORY.
    """
    state, wall = job.state, job.wall_seconds
    if state in _QUEUED:
        return TaskStatus(JobState.ASSIGNED, reason=job.reason or state)
    if state in _RUNNING:
        return TaskStatus(JobState.RUNNING, reason="" if state == "RUNNING" else state)
    code = _exit_code(job)
    if killed_for_memory and job.signal == _SIGKILL:
        return TaskStatus(JobState.FAILED, code, "OUT_OF_MEMORY: exceeded job memory limit", wall)
    if state == "COMPLETED":
        return TaskStatus(JobState.SUCCEEDED, 0, "", wall)
    if state == "FAILED":
        return TaskStatus(JobState.FAILED, code, _failure(job), wall)
    if state == "CANCELLED":
        return TaskStatus(JobState.CANCELLED, None, "cancelled in Slurm", wall)
    if state in _ENDED:  # ended by Slurm (the signal it sent is no exit code of the job's)
        c2net_state, reason = _ENDED[state]
        return TaskStatus(c2net_state, None, reason, wall)
    # A state this version does not know: keep polling rather than guess an end.
    return TaskStatus(JobState.RUNNING, reason=f"Slurm state {state}")


def _exit_code(job: SlurmJob) -> int | None:
    """The job's exit code; a job ended by a signal gets 128 + signal, as a shell reports it."""
    if job.exit_code:
        return job.exit_code
    if job.signal:
        return 128 + job.signal
    return job.exit_code if job.state == "COMPLETED" else None


def _failure(job: SlurmJob) -> str:
    if job.exit_code:
        return f"exit code {job.exit_code}"
    if job.signal:
        return f"killed by signal {job.signal}" + (f" ({job.reason})" if job.reason else "")
    return f"FAILED ({job.reason})" if job.reason else "FAILED"
