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
