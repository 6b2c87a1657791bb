import pytest

from c2net.model import Resources
from c2net.sim import lp_bound, measure, policy_names, simple_bound, simulate
from c2net.sim.engine import JobRecord
from c2net.sim.scenario import parse_scenario
from tests.sim.builders import gpu_center, national

_H = 3600.0


def _done(i: int, submit_h: float, hours: float, end_h: float, gpus: int = 1) -> JobRecord:
    """A completed job: `gpus` A10 (4 cpus, 16 GB, free in the builder's prices)."""
    res = Resources(4, 16, {"A10": gpus})
    start, end = (end_h - hours) * _H, end_h * _H
    return JobRecord(i, submit_h * _H, hours * _H, res, "t", "h", start, end)


def test_capacity_forces_work_to_the_dear_center() -> None:
    # two 1-GPU, 1-hour jobs at 0, both done by 1 h; one GPU at 1/h, one at 3/h
    centers = [gpu_center("cheap", 1, 1.0), gpu_center("dear", 1, 3.0)]
    jobs = [_done(0, 0, 1, 1), _done(1, 0, 1, 1)]
    # simple: both at the cheap price, 2 x 1 h x 1 = 2
    assert simple_bound(jobs, centers) == pytest.approx(2.0)
    # by 1 h the cheap GPU holds 1 GPU-hour: the other hour runs at 3 -> 1 + 3 = 4, the optimum
    bound = lp_bound(jobs, centers)
    assert bound.method == "lp" and bound.simple == pytest.approx(2.0)
    assert bound.value == pytest.approx(4.0, abs=1e-6)


def test_work_starts_no_earlier_than_its_arrival() -> None:
    # a: 0.1 h at 0; b and c: 1 h each, arriving at 1 h; all done by 2 h
    centers = [gpu_center("cheap", 1, 1.0), gpu_center("dear", 1, 3.0)]
    jobs = [_done(0, 0, 0.1, 0.1), _done(1, 1, 1, 2), _done(2, 1, 1, 2)]
    # optimum: a cheap (0.1), b cheap in [1, 2] (1), c dear in [1, 2] (3) = 4.1
    assert lp_bound(jobs, centers, buckets=(2,)).value == pytest.approx(4.1, abs=1e-6)
    # one bucket forgets the arrivals: cheap has 2 GPU-h for 2.1 h -> 2 + 0.1 x 3 = 2.3
    assert lp_bound(jobs, centers, buckets=(1,)).value == pytest.approx(2.3, abs=1e-6)


def test_a_job_runs_at_most_one_hour_per_hour() -> None:
    # two GPUs at 1/h on one node, two at 3/h; buckets [0, 1 h], [1 h, 2 h]
    # h: 1 GPU for 2 h from 0; i: 2 GPUs for 1 h from 1 h; both done by 2 h
    centers = [gpu_center("cheap", 2, 1.0), gpu_center("dear", 2, 3.0)]
    jobs = [_done(0, 0, 2, 2), _done(1, 1, 1, 2, gpus=2)]
    # h runs 1 h in each bucket (not 2 h in the first); bucket 2 needs 1 + 2 = 3 GPU-h of
    # which cheap has 2: 1 GPU-h at 3. Total: 1 (h, bucket 1) + 2 (cheap) + 3 (dear) = 6
    bound = lp_bound(jobs, centers, buckets=(2,))
    assert bound.value == pytest.approx(6.0, abs=1e-6)
    assert bound.simple == pytest.approx(4.0)  # 2 h x 1 + 1 h x 2 GPUs x 1


def test_too_large_falls_back_to_the_simple_bound_and_says_so() -> None:
    centers = [gpu_center("cheap", 1, 1.0), gpu_center("dear", 1, 3.0)]
    jobs = [_done(0, 0, 1, 1), _done(1, 0, 1, 1)]
    # one class x 2 centers x 1 bucket = 2 variables > 1
    bound = lp_bound(jobs, centers, max_variables=1)
    assert (bound.method, bound.value) == ("simple", pytest.approx(2.0))
    assert "too large" in bound.note


def test_no_completed_jobs_bound_nothing() -> None:
    never = JobRecord(0, 0.0, _H, Resources(4, 16, {"A10": 1}), "t", "h")
    assert lp_bound([never], [gpu_center("a", 1, 1.0)]).value == 0.0


def test_lp_bound_below_every_policy_and_above_the_simple_bound() -> None:
    data = national(300)
    data["synthesis"] = {**data["synthesis"], "time_scale": 0.001}  # 4x the load: contention
    sc = parse_scenario(data)
    for policy in policy_names():
        run = simulate(sc, policy)
        bound = lp_bound(run.jobs, sc.centers)
        assert bound.method == "lp", policy
        assert bound.value >= bound.simple - 1e-6 * bound.simple, policy
        assert bound.value <= float(run.bill.total) + 1e-6, policy
        m = measure(run, sc)
        assert m.cost_bound_method == "lp"
        assert m.cost_lower_bound_simple <= m.cost_lower_bound <= m.cost, policy
