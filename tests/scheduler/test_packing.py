"""Packing jobs on the nodes of one pool: feasible, and the better of two greedy orders."""

from __future__ import annotations

import numpy as np

from c2net.scheduler.packing import pack


def test_small_jobs_worth_more_together_beat_one_large_job() -> None:
    # One node of 4 cpus. The 3-cpu job is worth 3; the two 2-cpu jobs 2.5 each.
    # By worth per cpu (1, 1.25, 1.25) the two small ones go in: 5 > 3.
    chosen = pack(np.array([[4.0]]), np.array([[3.0], [2.0], [2.0]]), np.array([3.0, 2.5, 2.5]))
    assert chosen == [-1, 0, 0]


def test_a_job_worth_nothing_stays_out_and_no_node_overflows() -> None:
    free = np.array([[8.0, 2.0], [8.0, 2.0]])  # two nodes: 8 cpus, 2 GPUs
    need = np.array([[5.0, 1.0], [4.0, 1.0], [4.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    worth = np.array([5.0, 4.0, 4.0, 1.0, 0.0])
    chosen = pack(free, need, worth)
    assert chosen[4] == -1  # worth 0: no reason to move it in
    used = np.zeros_like(free)
    for job, node in enumerate(chosen):
        if node >= 0:
            used[node] += need[job]
    assert np.all(used <= free + 1e-9)
    # 5 + 1 cpus on one node and 4 + 4 on the other: every job worth something fits
    assert sorted(j for j, n in enumerate(chosen) if n >= 0) == [0, 1, 2, 3]
