"""Room: copies are independent; free rows follow the PoolTable's node order."""

from __future__ import annotations

import numpy as np

from c2net.scheduler import Snapshot
from c2net.scheduler.pools import PoolTable, Room
from tests.scheduler.builders import gpu_center


def test_a_copy_reserves_without_touching_the_original() -> None:
    table = PoolTable.build(Snapshot.idle([gpu_center("a", "A100", 10.0, nodes=2, per_node=4)]))
    room = Room(table)
    gpu = table.dims.index("A100")
    other = room.copy()
    assert other.take(0, [(0, 6.0), (gpu, 3.0)], 1) == [0]
    # the copy's node 0 has 8 - 6 = 2 cpus and 4 - 3 = 1 GPU left; the original is whole
    assert other.free_rows()[0, [0, gpu]].tolist() == [2.0, 1.0]
    assert np.array_equal(room.free_rows(), table.node_free)
