"""The accelerator catalogue: complete, sourced, consistent with the known names, extensible."""

from __future__ import annotations

import pytest

from c2net.model.accelerators import Catalogue, builtin_catalogue
from c2net.model.resources import KNOWN_ACCELERATORS

REQUIRED = (
    "T4", "P100", "V100", "A10", "A30", "A100", "A100-80GB", "A800", "H100", "H800", "H20",
    "L20", "L40S", "RTX4090", "910B", "MLU370",
)  # fmt: skip


def test_covers_the_required_devices_with_sources() -> None:
    catalogue = builtin_catalogue()
    for name in REQUIRED:
        acc = catalogue.get(name)
        assert acc is not None, name
        assert acc.source and acc.tdp_w > 0 and acc.memory_gb > 0
        assert acc.fp16_tflops is not None  # every one has a dense FP16 figure to compare by


def test_known_names_match_the_catalogue() -> None:
    assert set(KNOWN_ACCELERATORS) == {a.name for a in builtin_catalogue()}


@pytest.mark.parametrize(
    ("name", "fp16", "tdp"),
    [
        # dense (no sparsity): the datasheets headline twice these with 2:4 sparsity
        ("A100", 312.0, 400.0),
        ("H100", 989.5, 700.0),
        ("T4", 65.0, 70.0),
    ],
)
def test_dense_figures(name: str, fp16: float, tdp: float) -> None:
    acc = builtin_catalogue().get(name)
    assert acc is not None
    assert (acc.fp16_tflops, acc.tdp_w) == (fp16, tdp)


def test_extended_from_a_file_replaces_and_adds() -> None:
    extra = {
        "accelerators": [
            {"name": "t4", "memory_gb": 16, "fp16_tflops": 60, "tdp_w": 70, "source": "mine"},
            {"name": "X1", "memory_gb": 8, "tdp_w": 50, "source": "lab bench"},
        ]
    }
    cat = builtin_catalogue().extended(extra)
    assert cat.fp16("T4") == 60.0  # canonical spelling, replaced
    assert cat.fp16("X1") is None and cat.power_w("X1") == 50.0
    assert len(cat) == len(builtin_catalogue()) + 1


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "Z", "memory_gb": 8, "tdp_w": 50}, "source are required"),
        ({"name": "Z", "memory_gb": 8, "tdp_w": -1, "source": "s"}, "tdp_w: must be > 0"),
        (
            {"name": "Z", "memory_gb": "8", "tdp_w": 1, "source": "s"},
            "memory_gb: expected a number",
        ),
    ],
)
def test_bad_entries_are_refused(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Catalogue.from_mapping({"accelerators": [entry]})
