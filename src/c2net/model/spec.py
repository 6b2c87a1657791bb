"""The job spec a user writes (YAML or JSON), checked field by field.

Key names follow SkyPilot's task YAML where the meaning is the same (`name`, `run`, `setup`,
`envs`, `resources: {cpus, memory, accelerators}`); c2net adds `regions`, `max_price` and
`runtime`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from c2net.model.resources import Resources, parse_accelerators

__all__ = ["JobSpec", "SpecError", "load_spec", "parse_spec"]

_TOP_KEYS = ("name", "run", "setup", "envs", "resources", "regions", "max_price", "runtime")
_RESOURCE_KEYS = ("cpus", "memory", "accelerators")
_MEMORY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(tb|t|gb|g|gib|mb|m|mib)?\s*\+?\s*$", re.I)
_MEMORY_UNIT = {"t": 1024.0, "tb": 1024.0, "m": 1 / 1024, "mb": 1 / 1024, "mib": 1 / 1024}


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
    resources: Resources = field(default_factory=lambda: Resources(1.0, 1.0))
    regions: tuple[str, ...] = ()
    max_price: float | None = None  # per hour, for the whole request
    runtime_hours: float = 1.0  # the user's estimate, used for quotes and ranking

    def to_dict(self) -> dict[str, Any]:
        """The spec in its own file format (parse_spec(to_dict()) gives it back)."""
        res = self.resources
        out: dict[str, Any] = {
            "name": self.name,
            "run": self.run,
            "resources": {"cpus": res.cpus, "memory": res.memory_gb},
            "runtime": self.runtime_hours,
        }
        if res.accelerators:
            out["resources"]["accelerators"] = dict(res.accelerators)
        if self.setup:
            out["setup"] = self.setup
        if self.envs:
            out["envs"] = dict(self.envs)
        if self.regions:
            out["regions"] = list(self.regions)
        if self.max_price is not None:
            out["max_price"] = self.max_price
        return out


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


def _resources(data: object, problems: list[str]) -> Resources:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problems.append("resources: expected a mapping {cpus, memory, accelerators}")
        return Resources(1.0, 1.0)
    problems += _unknown(data, _RESOURCE_KEYS, "resources.")
    cpus = _number(data.get("cpus", 1), "resources.cpus", problems, allow_zero=False)
    memory = _memory(data.get("memory", 1), problems)
    try:
        accelerators = parse_accelerators(data.get("accelerators"))
    except ValueError as exc:
        problems.append(f"resources.accelerators: {exc}")
        accelerators = {}
    if len(accelerators) > 1:
        problems.append(
            "resources.accelerators: ask for one accelerator type per job, "
            f"got {', '.join(accelerators)}"
        )
    return Resources(cpus or 1.0, memory or 1.0, accelerators)


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
    resources = _resources(data.get("resources"), problems)
    regions = _regions(data.get("regions"), problems)
    envs = _envs(data.get("envs"), problems)
    max_price = None
    if data.get("max_price") is not None:
        max_price = _number(data["max_price"], "max_price", problems, allow_zero=False)
    runtime = _number(data.get("runtime", 1.0), "runtime", problems, allow_zero=False)
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
        runtime_hours=runtime or 1.0,
    )


def load_spec(text: str) -> JobSpec:
    """Parse a spec from YAML or JSON text."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError([f"spec: not valid YAML or JSON ({exc})".replace("\n", " ")]) from exc
    return parse_spec(data)
