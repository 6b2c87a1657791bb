from __future__ import annotations

import json

import pytest

from c2net.model import JobSpec, Resources, SpecError, load_spec, parse_spec

YAML = """
name: train
setup: pip install -r requirements.txt
run: |
  python train.py
envs:
  EPOCHS: 3
resources:
  cpus: 8
  memory: 32GB
  accelerators: A100:1
regions: [east]
max_price: 40
runtime: 2.5
"""


def test_yaml_spec() -> None:
    spec = load_spec(YAML)
    assert spec.name == "train"
    assert spec.run.strip() == "python train.py"
    assert spec.envs == {"EPOCHS": "3"}
    assert spec.resources == Resources(8, 32, {"A100": 1})
    assert spec.regions == ("east",)
    assert spec.max_price == 40
    assert spec.runtime_hours == 2.5


def test_json_spec_and_round_trip() -> None:
    spec = load_spec(json.dumps({"run": "echo hi", "resources": {"accelerators": {"T4": 2}}}))
    assert spec.resources.accelerators == {"T4": 2}
    assert spec.runtime_hours == 1.0  # the default estimate
    assert parse_spec(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("memory", "gb"),
    [(16, 16.0), ("16", 16.0), ("16GB", 16.0), ("512MB", 0.5), ("1T", 1024.0), ("8+", 8.0)],
)
def test_memory_units(memory: object, gb: float) -> None:
    assert parse_spec({"run": "x", "resources": {"memory": memory}}).resources.memory_gb == gb


@pytest.mark.parametrize(
    ("data", "field", "allowed"),
    [
        ({"run": "x", "resources": {"cpus": -1}}, "resources.cpus", "> 0"),
        ({"run": "x", "resources": {"cpus": 0}}, "resources.cpus", "> 0"),
        ({"run": "x", "resources": {"memory": 0}}, "resources.memory", "> 0"),
        ({"run": "x", "resources": {"memory": "lots"}}, "resources.memory", "16GB"),
        (
            {"run": "x", "resources": {"accelerators": "A100:two"}},
            "resources.accelerators",
            "TYPE:COUNT",
        ),
        (
            {"run": "x", "resources": {"accelerators": {"A100": 1, "T4": 1}}},
            "resources.accelerators",
            "one accelerator type",
        ),
        ({"run": "x", "resources": {"gpus": 1}}, "resources.gpus", "allowed: cpus, memory"),
        ({"run": "x", "colour": "red"}, "colour", "allowed: name, run"),
        ({"name": "n"}, "run", "required"),
        ({"run": "x", "max_price": -2}, "max_price", "> 0"),
        ({"run": "x", "runtime": "soon"}, "runtime", "a number"),
        ({"run": "x", "regions": [1]}, "regions", "list"),
        ({"run": "x", "envs": {"1BAD": "v"}}, "envs.1BAD", "variable name"),
        ({"run": "x", "name": "has space"}, "name", "letters"),
    ],
)
def test_rejects_with_field_and_what_is_allowed(
    data: dict[str, object], field: str, allowed: str
) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    message = str(info.value)
    assert message.startswith(field + ":") or f"; {field}:" in message
    assert allowed in message
    assert "\n" not in message  # one line, for a CLI


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec({"run": "x", "resources": {"cpus": -1, "memory": 0}, "bogus": 1})
    assert len(info.value.problems) == 3


def test_invalid_yaml() -> None:
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec("run: [unclosed")


def test_defaults() -> None:
    assert parse_spec({"run": "x"}) == JobSpec(run="x")


FULL = """
name: train
run: python train.py
num_nodes: 2
resources:
  cpus: 16
  memory: 64GB
  accelerators: {any_of: [A100:8, H100:8, 910B:8]}
runtime: {hours: 6, device: "A100:8"}
speed: {A100: 1, H100: 2.5, 910B: 0.8}
inputs: [imagenet, checkpoints]
data_policy: stay
latency: interactive
max_rtt_ms: 15
objective: carbon
deadline: 24
priority: high
spot: true
"""


def test_c2net_keys() -> None:
    spec = load_spec(FULL)
    assert spec.resources == Resources(16, 64, {"A100": 8})  # the first option, per node
    assert spec.options() == (("A100", 8), ("H100", 8), ("910B", 8))
    assert spec.accelerator_choice == "any_of"
    assert (spec.runtime_hours, spec.runtime_on) == (6.0, ("A100", 8))
    assert spec.speed == {"A100": 1.0, "H100": 2.5, "910B": 0.8}
    assert (spec.num_nodes, spec.inputs, spec.data_policy) == (
        2,
        ("imagenet", "checkpoints"),
        "stay",
    )
    assert (spec.latency, spec.rtt_limit_ms, spec.objective) == ("interactive", 15.0, "carbon")
    assert (spec.deadline_hours, spec.priority, spec.priority_rank, spec.spot) == (
        24,
        "high",
        2,
        True,
    )
    assert parse_spec(spec.to_dict()) == spec


@pytest.mark.parametrize(
    ("data", "check"),
    [
        ({"resources": {"accelerators": {"ordered": ["H100:8", "A100:8"]}}}, "ordered"),
        ({"compute": {"fp16_tflops": 2000}}, "compute"),
        ({"resources": {"use_spot": True}}, "spot"),  # SkyPilot's spelling
        ({"latency": "interactive"}, "default rtt"),
    ],
)
def test_more_forms_round_trip(data: dict[str, object], check: str) -> None:
    spec = parse_spec({"run": "x", **data})
    assert parse_spec(spec.to_dict()) == spec
    if check == "ordered":
        assert spec.accelerator_choice == "ordered"
        assert spec.resources.accelerators == {"H100": 8}
    elif check == "compute":
        assert (spec.compute_fp16_tflops, spec.resources.accelerators) == (2000, {})
    elif check == "spot":
        assert spec.spot is True
    else:
        assert spec.rtt_limit_ms == 20.0  # the inter-hub target when max_rtt_ms is not given


@pytest.mark.parametrize(
    ("data", "field", "allowed"),
    [
        ({"resources": {"accelerators": {"any_of": []}}}, "resources.accelerators.any_of", "list"),
        (
            {"resources": {"accelerators": {"any_of": ["A100:x"]}}},
            "resources.accelerators.any_of",
            "TYPE:COUNT",
        ),
        (
            {"resources": {"accelerators": {"any_of": ["A100:1", "A100:8"]}}},
            "resources.accelerators.any_of",
            "twice",
        ),
        (
            {"resources": {"accelerators": {"any_of": ["T4"], "ordered": ["T4"]}}},
            "resources.accelerators",
            "not both",
        ),
        (
            {"resources": {"accelerators": {"first": ["T4"]}}},
            "resources.accelerators.first",
            "any_of, ordered",
        ),
        ({"compute": {"fp16_tflops": 0}}, "compute.fp16_tflops", "> 0"),
        ({"compute": {"tflops": 1}}, "compute.tflops", "fp16_tflops"),
        (
            {"compute": {"fp16_tflops": 1}, "resources": {"accelerators": "A100:1"}},
            "compute",
            "any_of",
        ),
        ({"runtime": {"hours": 1, "device": "A100:two"}}, "runtime.device", "TYPE:COUNT"),
        ({"runtime": {"minutes": 1}}, "runtime.minutes", "hours, device"),
        ({"speed": {"A100": -1}}, "speed.A100", "> 0"),
        ({"num_nodes": 0}, "num_nodes", ">= 1"),
        ({"num_nodes": 1.5}, "num_nodes", "whole number"),
        ({"inputs": [""]}, "inputs", "dataset name"),
        ({"data_policy": "copy"}, "data_policy", "move, stay"),
        ({"latency": "fast"}, "latency", "batch, interactive"),
        ({"max_rtt_ms": 10}, "max_rtt_ms", "interactive"),
        ({"objective": "speed"}, "objective", "cost, time, carbon"),
        ({"deadline": "tomorrow"}, "deadline", "a number"),
        ({"priority": "urgent"}, "priority", "low, normal, high"),
        ({"spot": "yes"}, "spot", "true or false"),
    ],
)
def test_new_keys_are_checked_field_by_field(
    data: dict[str, object], field: str, allowed: str
) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec({"run": "x", **data})
    message = str(info.value)
    assert message.startswith(field + ":") or f"; {field}:" in message
    assert allowed in message


def test_time_limit_and_budget() -> None:
    spec = parse_spec({"run": "x", "time_limit": 0.5, "budget": 12})
    assert (spec.time_limit_hours, spec.budget) == (0.5, 12.0)
    assert parse_spec(spec.to_dict()) == spec
    with pytest.raises(SpecError, match="time_limit: must be a number > 0"):
        parse_spec({"run": "x", "time_limit": 0})
    with pytest.raises(SpecError, match="budget: must be a number > 0"):
        parse_spec({"run": "x", "budget": -1})
