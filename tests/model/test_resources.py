from __future__ import annotations

import pytest

from c2net.model import Resources, canonical_accelerator, parse_accelerators


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ("A100:1", {"A100": 1}),
        ("a100:2", {"A100": 2}),  # known names keep their canonical spelling
        ("A100", {"A100": 1}),  # no count means one device
        ({"T4": 4}, {"T4": 4}),
        ("910b:8", {"910B": 8}),
        ("MyChip:3", {"MYCHIP": 3}),  # unknown types are accepted, upper-cased
        ("V100:1,V100:2", {"V100": 3}),
    ],
)
def test_parse_accelerators(value: object, expected: dict[str, int]) -> None:
    assert parse_accelerators(value) == expected


@pytest.mark.parametrize(
    "value", ["A100:x", "A100:0", "A100:-1", ":1", {"A100": 0}, {"A100": 1.5}, 3, ["A100"]]
)
def test_parse_accelerators_rejects(value: object) -> None:
    with pytest.raises(ValueError):
        parse_accelerators(value)


def test_canonical_accelerator_rejects_spaces() -> None:
    with pytest.raises(ValueError, match="not an accelerator name"):
        canonical_accelerator("A 100")


def test_arithmetic_and_fit() -> None:
    node = Resources(8, 32, {"A100": 2})
    job = Resources(2, 8, {"A100": 1})
    left = node - job
    # 8-2 cpus, 32-8 GB, 2-1 A100
    assert left == Resources(6, 24, {"A100": 1})
    assert job.fits_in(node)
    assert not Resources(9, 1).fits_in(node)
    assert not Resources(1, 1, {"T4": 1}).fits_in(node)
    assert left + job == node
    assert job.scaled(2) == Resources(4, 16, {"A100": 2})
    # zero counts vanish, so a fully used type compares equal to an absent one
    assert (Resources(1, 1, {"A100": 1}) - Resources(0, 0, {"A100": 1})) == Resources(1, 1)


def test_round_trip_dict() -> None:
    r = Resources(4, 16, {"T4": 1})
    assert Resources.from_dict(r.to_dict()) == r
    assert r.describe() == "4 cpus, 16 GB, T4:1"
