"""The job spec a user writes (YAML or JSON), checked field by field.

Key names follow SkyPilot's task YAML where the meaning is the same (`name`, `run`, `setup`,
`envs`, `num_nodes`, `resources: {cpus, memory, accelerators, use_spot}`). c2net adds:

- `regions`, `max_price` (per hour, whole request);
- `runtime`: hours on the reference device, a number or `{hours: H, device: "A100:8"}`; the
  reference is `device`, else the first accelerator option asked for (for `compute:` jobs,
  devices supplying exactly the compute asked for); `speed: {TYPE: relative throughput}` is the
  job's own speed table, used instead of the catalogue's FP16 figures where it names both;
- `resources.accelerators: {any_of: [A100:8, H100:8, 910B:8]}` (cheapest of them) or
  `{ordered: [...]}` (first that can start now wins);
- `compute: {fp16_tflops: N}`: any devices that together supply N dense FP16 TFLOPS;
- `inputs` (dataset names), `data_policy: stay|move`, `latency: interactive|batch`, `max_rtt_ms`,
  `objective: cost|time|carbon`, `deadline` (hours after submit), `priority: low|normal|high`,
  `spot: true|false` (SkyPilot's `resources.use_spot` is accepted too);
- `time_limit` (hours: the center stops the job then, like `sbatch --time`) and `budget` (CNY:
  a cap on the job's total cost; the job is stopped when it is reached).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from c2net.model import fields
from c2net.model.fields import Option
from c2net.model.resources import Resources

__all__ = [
    "DATA_POLICIES",
    "LATENCY_TIERS",
    "OBJECTIVES",
    "PRIORITY_CLASSES",
    "JobSpec",
    "SpecError",
    "load_spec",
    "parse_spec",
]

_TOP_KEYS = (
    "name",
    "run",
    "setup",
    "envs",
    "resources",
    "regions",
    "max_price",
    "runtime",
    "speed",
    "compute",
    "num_nodes",
    "inputs",
    "data_policy",
    "latency",
    "max_rtt_ms",
    "objective",
    "deadline",
    "priority",
    "spot",
    "time_limit",
    "budget",
)
DATA_POLICIES = ("move", "stay")
LATENCY_TIERS = ("batch", "interactive")
OBJECTIVES = ("cost", "time", "carbon")
# Priority classes, lowest first; the index is the rank the fairness order uses.
PRIORITY_CLASSES = ("low", "normal", "high")
DEFAULT_INTERACTIVE_RTT_MS = 20.0  # the reported inter-hub target of East Data, West Computing


class SpecError(ValueError):
    """A spec that cannot be accepted; the message names each field and what is allowed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class JobSpec:
    run: str
    name: str = "job"
    setup: str = ""
    envs: Mapping[str, str] = field(default_factory=dict)
    # Per node. With accelerator options, `resources.accelerators` is the first option.
    resources: Resources = field(default_factory=lambda: Resources(1.0, 1.0))
    regions: tuple[str, ...] = ()
    max_price: float | None = None  # per hour, for the whole request
    runtime_hours: float = 1.0  # the user's estimate on the reference device
    accelerator_options: tuple[Option, ...] = ()  # () = exactly resources.accelerators
    accelerator_choice: str = "any_of"  # any_of | ordered (with accelerator_options)
    compute_fp16_tflops: float | None = None  # dense FP16 TFLOPS for the whole job
    runtime_on: Option | None = None  # the reference device; None = the first option
    speed: Mapping[str, float] = field(default_factory=dict)  # relative throughput per device
    num_nodes: int = 1  # gang: all nodes in one center, all or nothing
    inputs: tuple[str, ...] = ()  # dataset names
    data_policy: str = "move"
    latency: str = "batch"
    max_rtt_ms: float | None = None  # interactive only; None = DEFAULT_INTERACTIVE_RTT_MS
    objective: str = "cost"
    deadline_hours: float | None = None  # after submission
    time_limit_hours: float | None = None  # the center stops the job after this (sbatch --time)
    budget: float | None = None  # a cap on the job's total cost; stopped when reached
    priority: str = "normal"
    spot: bool = False

    @property
    def priority_rank(self) -> int:
        return PRIORITY_CLASSES.index(self.priority)

    @property
    def rtt_limit_ms(self) -> float | None:
        """The round-trip limit to the consumer's home, None for batch work."""
        if self.latency != "interactive":
            return None
        return self.max_rtt_ms if self.max_rtt_ms is not None else DEFAULT_INTERACTIVE_RTT_MS

    def options(self) -> tuple[Option, ...]:
        """The accelerator alternatives (type, per node), in the order the user gave them."""
        if self.accelerator_options:
            return self.accelerator_options
        return tuple(self.resources.accelerators.items())

    def to_dict(self) -> dict[str, Any]:
        """The spec in its own file format (parse_spec(to_dict()) gives it back)."""
        res = self.resources
        out: dict[str, Any] = {
            "name": self.name,
            "run": self.run,
            "resources": {"cpus": res.cpus, "memory": res.memory_gb},
            "runtime": self.runtime_hours,
        }
        if self.accelerator_options:
            items = [f"{t}:{n}" for t, n in self.accelerator_options]
            out["resources"]["accelerators"] = {self.accelerator_choice: items}
        elif res.accelerators:
            out["resources"]["accelerators"] = dict(res.accelerators)
        if self.runtime_on is not None:
            out["runtime"] = {"hours": self.runtime_hours, "device": _option_text(self.runtime_on)}
        optional: dict[str, Any] = {
            "setup": self.setup,
            "envs": dict(self.envs),
            "regions": list(self.regions),
            "max_price": self.max_price,
            "speed": dict(self.speed),
            "inputs": list(self.inputs),
            "max_rtt_ms": self.max_rtt_ms,
            "deadline": self.deadline_hours,
            "time_limit": self.time_limit_hours,
            "budget": self.budget,
        }
        if self.compute_fp16_tflops is not None:
            optional["compute"] = {"fp16_tflops": self.compute_fp16_tflops}
        out.update({k: v for k, v in optional.items() if v not in (None, "", [], {})})
        defaults = JobSpec(run="")
        for key, value, default in (
            ("num_nodes", self.num_nodes, defaults.num_nodes),
            ("data_policy", self.data_policy, defaults.data_policy),
            ("latency", self.latency, defaults.latency),
            ("objective", self.objective, defaults.objective),
            ("priority", self.priority, defaults.priority),
            ("spot", self.spot, defaults.spot),
        ):
            if value != default:
                out[key] = value
        return out


def _option_text(option: Option) -> str:
    return f"{option[0]}:{option[1]}"


def parse_spec(data: object) -> JobSpec:
    """Check a spec given as a mapping and build a JobSpec; raise SpecError listing problems."""
    if not isinstance(data, Mapping):
        raise SpecError(["spec: expected a mapping with at least a `run` command"])
    problems = fields.read_unknown(data, _TOP_KEYS, "")
    run = data.get("run")
    if not isinstance(run, str) or not run.strip():
        problems.append("run: required, the shell command to run")
    name = data.get("name", "job")
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", name):
        problems.append(f"name: letters, digits, '-', '_', '.' (at most 64), got {name!r}")
    setup = data.get("setup") or ""
    if not isinstance(setup, str):
        problems.append("setup: expected a shell command")
    resources, options, choice, use_spot = fields.read_resources(data.get("resources"), problems)
    regions = fields.read_regions(data.get("regions"), problems)
    envs = fields.read_envs(data.get("envs"), problems)
    max_price = fields.read_optional_number(data, "max_price", problems)
    runtime, runtime_on = fields.read_runtime(data.get("runtime", 1.0), problems)
    compute = fields.read_compute(data.get("compute"), problems)
    if compute is not None and resources.accelerators and not options:
        problems.append(
            "compute: give either compute or a fixed resources.accelerators; "
            "list the allowed types under resources.accelerators.any_of"
        )
    spot = fields.read_flag(data.get("spot"), "spot", problems)
    latency = fields.read_one_of(data, "latency", LATENCY_TIERS, "batch", problems)
    max_rtt = fields.read_optional_number(data, "max_rtt_ms", problems)
    if max_rtt is not None and latency != "interactive":
        problems.append("max_rtt_ms: only for latency: interactive")
    checked: dict[str, Any] = {
        "speed": fields.read_speed(data.get("speed"), problems),
        "num_nodes": fields.read_whole(data.get("num_nodes"), "num_nodes", problems),
        "inputs": fields.read_inputs(data.get("inputs"), problems),
        "data_policy": fields.read_one_of(data, "data_policy", DATA_POLICIES, "move", problems),
        "objective": fields.read_one_of(data, "objective", OBJECTIVES, "cost", problems),
        "deadline_hours": fields.read_optional_number(data, "deadline", problems),
        "time_limit_hours": fields.read_optional_number(data, "time_limit", problems),
        "budget": fields.read_optional_number(data, "budget", problems),
        "priority": fields.read_one_of(data, "priority", PRIORITY_CLASSES, "normal", problems),
    }
    if problems:
        raise SpecError(problems)
    return JobSpec(
        run=str(run),
        name=str(name),
        setup=str(setup),
        envs=envs,
        resources=resources,
        regions=regions,
        max_price=max_price,
        runtime_hours=runtime,
        accelerator_options=options,
        accelerator_choice=choice,
        compute_fp16_tflops=compute,
        runtime_on=runtime_on,
        latency=latency,
        max_rtt_ms=max_rtt,
        spot=bool(spot if spot is not None else use_spot),
        **checked,
    )


def load_spec(text: str) -> JobSpec:
    """Parse a spec from YAML or JSON text."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError([f"spec: not valid YAML or JSON ({exc})".replace("\n", " ")]) from exc
    return parse_spec(data)
