import pytest

from c2net.model import Resources
from c2net.sim import jain_index, percentiles, simple_bound
from c2net.sim.engine import AttemptRecord, JobRecord
from c2net.sim.metrics import utilization_bins
from tests.sim.builders import gpu_center


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1, 1, 1, 1], 1.0),  # equal shares: 16 / (4 x 4)
        ([1, 0, 0, 0], 0.25),  # one has all: 1 / (4 x 1)
        ([1, 2, 3], 36 / 42),  # (6)^2 / (3 x (1 + 4 + 9))
        ([], 1.0),
    ],
)
def test_jain_index(values: list[float], expected: float) -> None:
    assert jain_index(values) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("values", "qs", "expected"),
    [
        ([1, 2, 3, 4], (50,), [2.5]),  # halfway between 2 and 3
        ([0, 10], (95, 99), [9.5, 9.9]),  # linear: 0.95 x 10, 0.99 x 10
        (list(range(101)), (50, 95, 99), [50, 95, 99]),
        ([], (50,), [0.0]),
    ],
)
def test_percentiles(values: list[float], qs: tuple[float, ...], expected: list[float]) -> None:
    assert percentiles(values, qs) == pytest.approx(expected)


def _attempt(start: float, end: float, gpus: int) -> AttemptRecord:
    res = Resources(1, 1, {"A10": gpus})
    return AttemptRecord(0, 1, "c", 0, res, 1.0, start, end, "SUCCEEDED")


def test_utilization_bins() -> None:
    # capacity 4 GPUs over [0, 200] in two bins of 100 s
    # bin 1: 2 GPUs x 100 s + 1 GPU x 50 s = 250 GPU-s of 400 -> 0.625
    # bin 2: 1 GPU x 50 s (the second attempt runs 50..150) = 50 of 400 -> 0.125
    attempts = [_attempt(0, 100, 2), _attempt(50, 150, 1)]
    assert utilization_bins(attempts, 4, 0, 200, 2, "gpus") == pytest.approx([0.625, 0.125])


def test_simple_bound_takes_the_cheapest_center_that_fits() -> None:
    small = gpu_center("small", 1, 2.0)  # 1 GPU per node at 2/h
    dear = gpu_center("dear", 8, 5.0)  # 8 GPUs per node at 5/h
    one = JobRecord(1, 0, 3600, Resources(4, 16, {"A10": 1}), "t", "h", 0, 3600)
    two = JobRecord(2, 0, 7200, Resources(4, 16, {"A10": 2}), "t", "h", 0, 7200)
    never = JobRecord(3, 0, 3600, Resources(4, 16, {"A10": 1}), "t", "h")  # did not finish
    # one: cheapest 2/h x 1 h = 2; two: only `dear` holds 2 GPUs: 2 x 5/h x 2 h = 20
    assert simple_bound([one, two, never], [small, dear]) == pytest.approx(22.0)
