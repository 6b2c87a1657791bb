from dataclasses import replace

import pytest

from c2net.model import Resources
from c2net.sim.pool import Pool, request_key
from tests.builders import center
from tests.sim.builders import gpu_center


def test_snapshot_shows_free_resources_after_allocations_and_releases() -> None:
    # a: 2 nodes of 32 cpus, 128 GB, 4 A10; b: 1 node of the same with 2 A10
    pool = Pool([gpu_center("a", 4, 1.0, nodes=2), gpu_center("b", 2, 1.0)])
    one, two = Resources(4, 16, {"A10": 1}), Resources(8.5, 32, {"A10": 2})
    pool.allocate(0, 1, one)
    pool.allocate(0, 1, two)
    pool.allocate(1, 0, two)
    pool.release(0, 1, one)
    snap = pool.snapshot(0.0)
    # a node 0 untouched; a node 1: 32 - 8.5 cpus, 128 - 32 GB, 4 - 2 A10 (`one` came back);
    # b: 32 - 8.5 cpus, 128 - 32 GB, both A10 taken
    assert snap.node_free[0] == (Resources(32, 128, {"A10": 4}), Resources(23.5, 96, {"A10": 2}))
    assert snap.node_free[1] == (Resources(23.5, 96),)
    assert pool.snapshot(0.0, only=1).node_free == ((Resources(23.5, 96),),)
    assert pool.changed == {0, 1}  # a release marks its center (and every center starts marked)


def test_room_now_and_fitting_vector() -> None:
    pool = Pool([gpu_center("a", 2, 1.0)])
    one, four = Resources(4, 16, {"A10": 1}), Resources(4, 16, {"A10": 4})
    assert pool.fitting_vector(four) is None  # no node has 4 A10
    assert pool.fitting_vector(Resources(1, 1, {"H100": 1})) is None  # no center has H100
    vector = pool.fitting_vector(one)
    assert vector is not None and list(vector) == [4, 16, 1]
    pool.allocate(0, 0, Resources(4, 16, {"A10": 2}))
    assert not pool.room_now(vector[None, :])[0]  # both A10 taken
    pool.release(0, 0, Resources(4, 16, {"A10": 2}))
    assert pool.room_now(vector[None, :])[0]


def test_request_key_ignores_accelerator_order() -> None:
    a = Resources(1, 2, {"A10": 1, "T4": 2})
    b = Resources(1, 2, {"T4": 2, "A10": 1})
    assert request_key(a) == request_key(b) != request_key(Resources(1, 2, {"A10": 1}))


def test_an_elastic_center_is_refused_not_miscounted() -> None:
    with pytest.raises(ValueError, match=r"listed nodes only.*'cloud'"):
        Pool([replace(center("cloud"), elastic=True)])
