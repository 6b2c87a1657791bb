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
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from c2net.model.resources import Resources, canonical_accelerator, parse_accelerators

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
_RESOURCE_KEYS = ("cpus", "memory", "accelerators", "use_spot")
_CHOICE_KEYS = ("any_of", "ordered")
_MEMORY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(tb|t|gb|g|gib|mb|m|mib)?\s*\+?\s*$", re.I)
_MEMORY_UNIT = {"t": 1024.0, "tb": 1024.0, "m": 1 / 1024, "mb": 1 / 1024, "mib": 1 / 1024}
_DATASET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$")

DATA_POLICIES = ("move", "stay")
LATENCY_TIERS = ("batch", "interactive")
OBJECTIVES = ("cost", "time", "carbon")
# Priority classes, lowest first; the index is the rank the fairness order uses.
PRIORITY_CLASSES = ("low", "normal", "high")
DEFAULT_INTERACTIVE_RTT_MS = 20.0  # the reported inter-hub target of East Data, West Computing

Option = tuple[str, int]  # (accelerator type, devices per node)


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


def _number(value: object, where: str, problems: list[str], *, allow_zero: bool) -> float | None:
    text = value.rstrip("+").strip() if isinstance(value, str) else value
    try:
        if isinstance(text, bool):
            raise TypeError
        number = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        problems.append(f"{where}: expected a number, got {value!r}")
        return None
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        problems.append(f"{where}: must be a number {bound}, got {value!r}")
        return None
    return number


def _memory(value: object, problems: list[str]) -> float | None:
    if isinstance(value, str):
        m = _MEMORY.match(value)
        if not m:
            problems.append(f"resources.memory: expected GB as a number or '16GB', got {value!r}")
            return None
        gb = float(m.group(1)) * _MEMORY_UNIT.get((m.group(2) or "g").lower(), 1.0)
        value = gb
    return _number(value, "resources.memory", problems, allow_zero=False)


def _unknown(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> list[str]:
    return [
        f"{where}{key}: unknown key (allowed: {', '.join(allowed)})"
        for key in data
        if key not in allowed
    ]


def _options(value: object, where: str, problems: list[str]) -> tuple[Option, ...]:
    """A list of TYPE:COUNT alternatives (a bare TYPE counts 1 device)."""
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: expected a list of TYPE:COUNT, for example [A100:8, H100:8]")
        return ()
    out: list[Option] = []
    for item in value:
        try:
            parsed = parse_accelerators(item)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if len(parsed) != 1:
            problems.append(f"{where}: each item is one TYPE:COUNT, got {item!r}")
            continue
        option = next(iter(parsed.items()))
        if any(t == option[0] for t, _ in out):
            problems.append(f"{where}: {option[0]} is listed twice")
            continue
        out.append(option)
    return tuple(out)


def _accelerators(
    value: object, problems: list[str]
) -> tuple[dict[str, int], tuple[Option, ...], str]:
    """(first choice, alternatives, any_of|ordered) from `resources.accelerators`."""
    where = "resources.accelerators"
    if isinstance(value, Mapping) and any(
        k in _CHOICE_KEYS or isinstance(v, list) for k, v in value.items()
    ):
        problems += _unknown(value, _CHOICE_KEYS, where + ".")
        if len([k for k in _CHOICE_KEYS if k in value]) > 1:
            problems.append(f"{where}: give any_of or ordered, not both")
        choice = "any_of" if "any_of" in value else "ordered"
        options = _options(value.get(choice), f"{where}.{choice}", problems)
        return (dict(options[:1]), options, choice)
    try:
        accelerators = parse_accelerators(value)
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return ({}, (), "any_of")
    if len(accelerators) > 1:
        problems.append(
            f"{where}: ask for one accelerator type per job, got {', '.join(accelerators)} "
            "(list alternatives under any_of or ordered)"
        )
    return (accelerators, (), "any_of")


def _resources(
    data: object, problems: list[str]
) -> tuple[Resources, tuple[Option, ...], str, bool | None]:
    """(resources per node, accelerator alternatives, choice, use_spot)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problems.append("resources: expected a mapping {cpus, memory, accelerators}")
        return (Resources(1.0, 1.0), (), "any_of", None)
    problems += _unknown(data, _RESOURCE_KEYS, "resources.")
    cpus = _number(data.get("cpus", 1), "resources.cpus", problems, allow_zero=False)
    memory = _memory(data.get("memory", 1), problems)
    first, options, choice = _accelerators(data.get("accelerators"), problems)
    use_spot = _flag(data.get("use_spot"), "resources.use_spot", problems)
    return (Resources(cpus or 1.0, memory or 1.0, first), options, choice, use_spot)


def _regions(value: object, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append("regions: expected a hub/region name or a list of them")
        return ()
    return tuple(value)


def _envs(value: object, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append("envs: expected a mapping of NAME: value")
        return {}
    out: dict[str, str] = {}
    for key, val in value.items():
        if not isinstance(key, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            problems.append(f"envs.{key}: not a valid environment variable name")
        elif isinstance(val, Mapping | list):
            problems.append(f"envs.{key}: expected a string or number")
        else:
            out[key] = "" if val is None else str(val)
    return out


def _flag(value: object, where: str, problems: list[str]) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        problems.append(f"{where}: expected true or false, got {value!r}")
        return None
    return value


def _one_of(
    data: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str, problems: list[str]
) -> str:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        problems.append(f"{key}: expected one of {', '.join(allowed)}, got {value!r}")
        return default
    return value


def _runtime(value: object, problems: list[str]) -> tuple[float, Option | None]:
    """`runtime: 2.5` or `runtime: {hours: 2.5, device: A100:8}`."""
    if not isinstance(value, Mapping):
        return (_number(value, "runtime", problems, allow_zero=False) or 1.0, None)
    problems += _unknown(value, ("hours", "device"), "runtime.")
    hours = _number(value.get("hours"), "runtime.hours", problems, allow_zero=False) or 1.0
    device = None
    if value.get("device") is not None:
        options = _options([value["device"]], "runtime.device", problems)
        device = options[0] if options else None
    return (hours, device)


def _speed(value: object, problems: list[str]) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append("speed: expected a mapping {TYPE: relative throughput}")
        return {}
    out: dict[str, float] = {}
    for key, number in value.items():
        try:
            name = canonical_accelerator(str(key))
        except ValueError as exc:
            problems.append(f"speed.{key}: {exc}")
            continue
        checked = _number(number, f"speed.{key}", problems, allow_zero=False)
        if checked is not None:
            out[name] = checked
    return out


def _compute(value: object, problems: list[str]) -> float | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append("compute: expected a mapping {fp16_tflops: N}")
        return None
    problems += _unknown(value, ("fp16_tflops",), "compute.")
    return _number(value.get("fp16_tflops"), "compute.fp16_tflops", problems, allow_zero=False)


def _whole(value: object, where: str, problems: list[str]) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(f"{where}: must be a whole number >= 1, got {value!r}")
        return 1
    return value


def _inputs(value: object, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _DATASET.match(v) for v in value
    ):
        problems.append("inputs: expected a dataset name or a list of them")
        return ()
    return tuple(dict.fromkeys(value))


def _optional_number(data: Mapping[str, Any], key: str, problems: list[str]) -> float | None:
    if data.get(key) is None:
        return None
    return _number(data[key], key, problems, allow_zero=False)


def parse_spec(data: object) -> JobSpec:
    """Check a spec given as a mapping and build a JobSpec; raise SpecError listing problems."""
    if not isinstance(data, Mapping):
        raise SpecError(["spec: expected a mapping with at least a `run` command"])
    problems = _unknown(data, _TOP_KEYS, "")
    run = data.get("run")
    if not isinstance(run, str) or not run.strip():
        problems.append("run: required, the shell command to run")
    name = data.get("name", "job")
    if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", name):
        problems.append(f"name: letters, digits, '-', '_', '.' (at most 64), got {name!r}")
    setup = data.get("setup") or ""
    if not isinstance(setup, str):
        problems.append("setup: expected a shell command")
    resources, options, choice, use_spot = _resources(data.get("resources"), problems)
    regions = _regions(data.get("regions"), problems)
    envs = _envs(data.get("envs"), problems)
    max_price = _optional_number(data, "max_price", problems)
    runtime, runtime_on = _runtime(data.get("runtime", 1.0), problems)
    compute = _compute(data.get("compute"), problems)
    if compute is not None and resources.accelerators and not options:
        problems.append(
            "compute: give either compute or a fixed resources.accelerators; "
            "list the allowed types under resources.accelerators.any_of"
        )
    spot = _flag(data.get("spot"), "spot", problems)
    latency = _one_of(data, "latency", LATENCY_TIERS, "batch", problems)
    max_rtt = _optional_number(data, "max_rtt_ms", problems)
    if max_rtt is not None and latency != "interactive":
        problems.append("max_rtt_ms: only for latency: interactive")
    checked: dict[str, Any] = {
        "speed": _speed(data.get("speed"), problems),
        "num_nodes": _whole(data.get("num_nodes"), "num_nodes", problems),
        "inputs": _inputs(data.get("inputs"), problems),
        "data_policy": _one_of(data, "data_policy", DATA_POLICIES, "move", problems),
        "objective": _one_of(data, "objective", OBJECTIVES, "cost", problems),
        "deadline_hours": _optional_number(data, "deadline", problems),
        "time_limit_hours": _optional_number(data, "time_limit", problems),
        "budget": _optional_number(data, "budget", problems),
        "priority": _one_of(data, "priority", PRIORITY_CLASSES, "normal", problems),
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
