"""Job classes: queued jobs of identical shape and constraints, decided together.

A class carries its options (each way to run it: an accelerator type and count per node, with
the runtime estimated on that device) so the scheduler evaluates every filter and objective once
per class, not once per job.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from c2net.model import JobSpec, Resources
from c2net.model.accelerators import Catalogue
from c2net.scheduler.snapshot import QueuedJob

__all__ = ["JobClass", "Option", "class_key", "deadline_of", "group", "options_for"]


@dataclass(frozen=True)
class Option:
    """One way to run a job: per-node request and the runtime estimated on that device."""

    index: int  # preference order (matters for `ordered`)
    accelerator: str | None
    count: int  # devices per node
    request: Resources  # per node
    hours: float  # estimated runtime on this option


def _speed(spec: JobSpec, catalogue: Catalogue, name: str, reference: str) -> float:
    """Throughput of one `name` device relative to one `reference` device.

    The job's own speed table wins where it names both; else the catalogue's dense FP16 figures;
    else 1 (an unknown device is assumed as fast as the reference).
    """
    if name == reference:
        return 1.0
    if name in spec.speed and reference in spec.speed:
        return spec.speed[name] / spec.speed[reference]
    mine, theirs = catalogue.fp16(name), catalogue.fp16(reference)
    if mine is None or theirs is None:
        return 1.0
    return mine / theirs


def options_for(spec: JobSpec, catalogue: Catalogue) -> tuple[Option, ...]:
    """Every way to run `spec`, with its estimated runtime.

    - fixed type or any_of/ordered: runtime x (reference devices x reference speed) /
      (devices x device speed), the reference being `runtime.on` or the first option;
    - compute (N dense FP16 TFLOPS over the whole gang): per allowed type with a known FP16
      figure, ceil(N / (TFLOPS x nodes)) devices per node, runtime scaled by N / supplied;
    - no accelerator: one option, the runtime as given.
    """
    cpus, memory = spec.resources.cpus, spec.resources.memory_gb
    if spec.compute_fp16_tflops is not None:
        wanted = spec.compute_fp16_tflops
        allowed = [t for t, _ in spec.accelerator_options] or [a.name for a in catalogue]
        out: list[Option] = []
        for t in allowed:
            tflops = catalogue.fp16(t)
            if tflops is None:
                continue
            count = max(1, math.ceil(wanted / (tflops * spec.num_nodes) - 1e-9))
            supplied = count * tflops * spec.num_nodes
            hours = spec.runtime_hours * wanted / supplied
            out.append(Option(len(out), t, count, Resources(cpus, memory, {t: count}), hours))
        return tuple(out)
    choices = spec.options()
    if not choices:
        return (Option(0, None, 0, spec.resources, spec.runtime_hours),)
    ref_type, ref_count = spec.runtime_on or choices[0]
    return tuple(
        Option(
            i,
            t,
            n,
            Resources(cpus, memory, {t: n}),
            spec.runtime_hours * ref_count / (n * _speed(spec, catalogue, t, ref_type)),
        )
        for i, (t, n) in enumerate(choices)
    )


def deadline_of(job: QueuedJob) -> float | None:
    """The job's deadline in seconds since the epoch, None without one."""
    hours = job.spec.deadline_hours
    return None if hours is None else job.submitted_at + hours * 3600.0


_SPEC_FIELDS = attrgetter(
    "accelerator_options",
    "accelerator_choice",
    "compute_fp16_tflops",
    "runtime_hours",
    "runtime_on",
    "num_nodes",
    "inputs",
    "data_policy",
    "latency",
    "max_rtt_ms",
    "objective",
    "deadline_hours",
    "regions",
    "max_price",
    "spot",
)


def class_key(job: QueuedJob) -> tuple[object, ...]:
    """Jobs with equal keys are interchangeable for every filter and objective."""
    s = job.spec
    r = s.resources
    deadline = None if s.deadline_hours is None else deadline_of(job)
    home = job.home if s.latency == "interactive" else ""
    speed = tuple(sorted(s.speed.items())) if s.speed else ()
    return (
        r.cpus,
        r.memory_gb,
        tuple(r.accelerators.items()),
        _SPEC_FIELDS(s),
        speed,
        home,
        deadline,
    )


@dataclass
class JobClass:
    index: int
    spec: JobSpec  # the first job's spec; every member is equivalent
    home: str
    deadline_at: float | None  # seconds since the epoch
    options: tuple[Option, ...]
    members: list[int] = field(default_factory=list)  # positions in the queue

    @property
    def num_nodes(self) -> int:
        return self.spec.num_nodes


def group(queue: Sequence[QueuedJob], catalogue: Catalogue) -> tuple[list[JobClass], list[int]]:
    """The classes of a queue and, per queued job, the index of its class."""
    classes: list[JobClass] = []
    by_key: dict[tuple[object, ...], int] = {}
    of_job: list[int] = []
    for pos, job in enumerate(queue):
        key = class_key(job)
        index = by_key.get(key)
        if index is None:
            index = by_key[key] = len(classes)
            classes.append(
                JobClass(
                    index, job.spec, job.home, deadline_of(job), options_for(job.spec, catalogue)
                )
            )
        classes[index].members.append(pos)
        of_job.append(index)
    return classes, of_job
