"""Readers for a job spec's fields: each checks one field, returns its value, and appends a
one-line problem (naming the field and what is allowed) instead of raising, so a spec with
several mistakes is told about all of them at once (c2net.model.spec.parse_spec)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from c2net.model.resources import Resources, canonical_accelerator, parse_accelerators

Option = tuple[str, int]  # (accelerator type, devices per node)

_RESOURCE_KEYS = ("cpus", "memory", "accelerators", "use_spot")
_CHOICE_KEYS = ("any_of", "ordered")
_MEMORY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(tb|t|gb|g|gib|mb|m|mib)?\s*\+?\s*$", re.I)
_MEMORY_UNIT = {"t": 1024.0, "tb": 1024.0, "m": 1 / 1024, "mb": 1 / 1024, "mib": 1 / 1024}
_DATASET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$")


def read_number(
    value: object, where: str, problems: list[str], *, allow_zero: bool
) -> float | None:
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


def read_memory(value: object, problems: list[str]) -> float | None:
    if isinstance(value, str):
        m = _MEMORY.match(value)
        if not m:
            problems.append(f"resources.memory: expected GB as a number or '16GB', got {value!r}")
            return None
        gb = float(m.group(1)) * _MEMORY_UNIT.get((m.group(2) or "g").lower(), 1.0)
        value = gb
    return read_number(value, "resources.memory", problems, allow_zero=False)


def read_unknown(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> list[str]:
    return [
        f"{where}{key}: unknown key (allowed: {', '.join(allowed)})"
        for key in data
        if key not in allowed
    ]


def read_options(value: object, where: str, problems: list[str]) -> tuple[Option, ...]:
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


def read_accelerators(
    value: object, problems: list[str]
) -> tuple[dict[str, int], tuple[Option, ...], str]:
    """(first choice, alternatives, any_of|ordered) from `resources.accelerators`."""
    where = "resources.accelerators"
    if isinstance(value, Mapping) and any(
        k in _CHOICE_KEYS or isinstance(v, list) for k, v in value.items()
    ):
        problems += read_unknown(value, _CHOICE_KEYS, where + ".")
        if len([k for k in _CHOICE_KEYS if k in value]) > 1:
            problems.append(f"{where}: give any_of or ordered, not both")
        choice = "any_of" if "any_of" in value else "ordered"
        options = read_options(value.get(choice), f"{where}.{choice}", problems)
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


def read_resources(
    data: object, problems: list[str]
) -> tuple[Resources, tuple[Option, ...], str, bool | None]:
    """(resources per node, accelerator alternatives, choice, use_spot)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        problems.append("resources: expected a mapping {cpus, memory, accelerators}")
        return (Resources(1.0, 1.0), (), "any_of", None)
    problems += read_unknown(data, _RESOURCE_KEYS, "resources.")
    cpus = read_number(data.get("cpus", 1), "resources.cpus", problems, allow_zero=False)
    memory = read_memory(data.get("memory", 1), problems)
    first, options, choice = read_accelerators(data.get("accelerators"), problems)
    use_spot = read_flag(data.get("use_spot"), "resources.use_spot", problems)
    return (Resources(cpus or 1.0, memory or 1.0, first), options, choice, use_spot)


def read_regions(value: object, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append("regions: expected a hub/region name or a list of them")
        return ()
    return tuple(value)


def read_envs(value: object, problems: list[str]) -> dict[str, str]:
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


def read_flag(value: object, where: str, problems: list[str]) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        problems.append(f"{where}: expected true or false, got {value!r}")
        return None
    return value


def read_one_of(
    data: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str, problems: list[str]
) -> str:
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or value not in allowed:
        problems.append(f"{key}: expected one of {', '.join(allowed)}, got {value!r}")
        return default
    return value


def read_runtime(value: object, problems: list[str]) -> tuple[float, Option | None]:
    """`runtime: 2.5` or `runtime: {hours: 2.5, device: A100:8}`."""
    if not isinstance(value, Mapping):
        return (read_number(value, "runtime", problems, allow_zero=False) or 1.0, None)
    problems += read_unknown(value, ("hours", "device"), "runtime.")
    hours = read_number(value.get("hours"), "runtime.hours", problems, allow_zero=False) or 1.0
    device = None
    if value.get("device") is not None:
        options = read_options([value["device"]], "runtime.device", problems)
        device = options[0] if options else None
    return (hours, device)


def read_speed(value: object, problems: list[str]) -> dict[str, float]:
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
        checked = read_number(number, f"speed.{key}", problems, allow_zero=False)
        if checked is not None:
            out[name] = checked
    return out


def read_compute(value: object, problems: list[str]) -> float | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.append("compute: expected a mapping {fp16_tflops: N}")
        return None
    problems += read_unknown(value, ("fp16_tflops",), "compute.")
    return read_number(value.get("fp16_tflops"), "compute.fp16_tflops", problems, allow_zero=False)


def read_whole(value: object, where: str, problems: list[str]) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.append(f"{where}: must be a whole number >= 1, got {value!r}")
        return 1
    return value


def read_inputs(value: object, problems: list[str]) -> tuple[str, ...]:
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


def read_optional_number(data: Mapping[str, Any], key: str, problems: list[str]) -> float | None:
    if data.get(key) is None:
        return None
    return read_number(data[key], key, problems, allow_zero=False)
