from importlib import resources

import pytest
import yaml

from c2net.scheduler import builtin_network_matrix
from c2net.sim import simulate
from c2net.sim.scenario import builtin_scenarios, parse_scenario
from c2net.sim.synthetic import (
    GPU_PRICES,
    SyntheticSpec,
    synthetic_arrivals,
    synthetic_centers,
    synthetic_spec,
)

NET = builtin_network_matrix()


def _gpus(res_acc: dict[str, int]) -> int:
    return sum(res_acc.values())


def test_same_seed_same_network_and_jobs_other_seed_others() -> None:
    spec = SyntheticSpec(jobs=500, centers=16, seed=4)
    centers, _ = synthetic_centers(spec, NET)
    again, _ = synthetic_centers(spec, NET)
    assert centers == again
    assert synthetic_arrivals(spec, centers, NET) == synthetic_arrivals(spec, again, NET)
    other = SyntheticSpec(jobs=500, centers=16, seed=5)
    assert synthetic_arrivals(other, centers, NET) != synthetic_arrivals(spec, centers, NET)


def test_centers_cover_every_hub_with_its_role_and_west_discount() -> None:
    centers, sites = synthetic_centers(SyntheticSpec(jobs=1, centers=16), NET)
    assert len(centers) == 16 and set(sites) == {c.name for c in centers}
    hubs = {c.hub for c in centers}
    assert hubs == set(NET.roles)  # 16 centers, 8 hubs in turn: two each
    for c in centers:
        assert c.role == NET.role(c.hub)
        (kind,) = c.accelerator_types()
        factor = c.prices.accelerator_hour[kind] / GPU_PRICES[kind]
        # jitter 0.9-1.1, x 0.85 in the west (rounded to the fen)
        low, high = (0.85 * 0.9, 0.85 * 1.1) if c.role == "west" else (0.9, 1.1)
        assert low - 0.01 <= factor <= high + 0.01


def test_offered_load_matches_the_spec() -> None:
    spec = SyntheticSpec(jobs=20_000, centers=40, seed=2, load=0.5)
    centers, _ = synthetic_centers(spec, NET)
    jobs = synthetic_arrivals(spec, centers, NET)
    supply = sum(_gpus(dict(c.capacity.accelerators)) for c in centers)
    gpu_hours = sum(a.duration * _gpus(dict(a.resources.accelerators)) for a in jobs) / 3600
    span_h = jobs[-1].submit / 3600  # uniform submits: the last one is within ~1/20,000 of it
    # load = GPU-hours / (GPUs x span)
    assert gpu_hours / (supply * span_h) == pytest.approx(0.5, rel=0.01)
    assert [a.submit for a in jobs] == sorted(a.submit for a in jobs)
    cpu_only = sum(not a.resources.accelerators for a in jobs) / len(jobs)
    assert cpu_only == pytest.approx(spec.cpu_share, abs=0.02)


def test_every_job_fits_a_node_and_runs() -> None:
    data = {"seed": 1, "synthetic": {"jobs": 300, "centers": 12}, "runtime_estimate": "pow2"}
    sc = parse_scenario(data)
    run = simulate(sc, "cost")
    assert not run.unplaceable and not run.stuck
    assert all(j.end is not None for j in run.jobs)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"synthetic": {"jobs": 10, "centers": 2, "colour": 1}}, "unknown keys"),
        ({"synthetic": {"jobs": 0, "centers": 2}}, "jobs and centers"),
        ({"synthetic": {"jobs": 10, "centers": 2}, "trace": {"path": "x.csv"}}, "drop trace"),
        ({"synthetic": {"jobs": 10, "centers": 2}, "runtime_estimate": "guess"}, "runtime_est"),
    ],
)
def test_bad_synthetic_scenarios_are_refused(extra: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_scenario({"seed": 1, **extra})


def test_the_synthetic_scenario_ships_and_its_seed_defaults_to_the_scenarios() -> None:
    assert {"national", "synthetic"} <= set(builtin_scenarios())
    a = parse_scenario({"seed": 1, "synthetic": {"jobs": 50, "centers": 3}})
    b = parse_scenario({"seed": 2, "synthetic": {"jobs": 50, "centers": 3}})
    c = parse_scenario({"seed": 2, "synthetic": {"jobs": 50, "centers": 3, "seed": 1}})
    assert a.arrivals != b.arrivals and a.arrivals == c.arrivals


def test_synthetic_spec_reads_numbers() -> None:
    spec = synthetic_spec({"jobs": "10", "centers": 2, "load": "0.5"})
    assert (spec.jobs, spec.centers, spec.load) == (10, 2, 0.5)


def test_the_shipped_synthetic_scenario_runs_when_made_small() -> None:
    text = (resources.files("c2net") / "data" / "scenarios" / "synthetic.yaml").read_text()
    data = yaml.safe_load(text)
    data["synthetic"] = {**data["synthetic"], "jobs": 200, "centers": 10}
    sc = parse_scenario(data)
    assert (len(sc.arrivals), len(sc.centers)) == (200, 10)
    run = simulate(sc, "first-fit")
    assert sum(j.end is not None for j in run.jobs) == 200
