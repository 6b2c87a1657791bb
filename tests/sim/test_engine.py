import pytest

from c2net.sim import Failure, measure, simulate
from c2net.sim.scenario import estimate_hours, parse_scenario
from tests.sim.builders import gpu_center, job, national, scenario


def test_jobs_wait_for_room_and_are_billed_per_second() -> None:
    # one node with 2 GPUs at 1/h each (cpu and memory free); the scheduler runs every 60 s
    sc = scenario([gpu_center("a", 2, 1.0)], [job(0, 0, 1, gpus=2), job(1, 10, 1, gpus=1)])
    r = simulate(sc, "first-fit")
    j0, j1 = r.jobs
    assert j0.first_start == 0  # cycle at 0
    # j1 arrives at 10 s; no room until j0 ends at 3600 s, the cycle then starts it
    assert j1.first_start == 3600 and j1.end == 7200
    # 2 GPUs x 1/h x 1 h + 1 GPU x 1/h x 1 h = 3
    assert float(r.bill.total) == pytest.approx(3.0)
    m = measure(r, sc)
    assert (m.wait_mean_s, m.wait_p50_s) == (1795.0, 1795.0)  # (0 + 3590) / 2
    assert m.makespan_h == 2.0


def test_cost_picks_the_cheaper_center_first_fit_the_first() -> None:
    centers = [gpu_center("a-dear", 1, 5.0), gpu_center("b-cheap", 1, 2.0)]
    sc = scenario(centers, [job(0, 0, 1)])
    # first-fit takes network order (a-dear, 5/h); cost takes b-cheap at 2/h
    assert float(simulate(sc, "first-fit").bill.total) == pytest.approx(5.0)
    assert float(simulate(sc, "cost").bill.total) == pytest.approx(2.0)


def test_failure_loses_the_attempt_unbilled_and_requeues() -> None:
    centers = [gpu_center("a", 1, 1.0), gpu_center("b", 1, 3.0)]
    sc = scenario(centers, [job(0, 0, 2)], failures=(Failure("a", 1800, 3600),))
    r = simulate(sc, "cost")
    lost, done = r.attempts
    assert (lost.center, lost.state, lost.end) == ("a", "LOST", 1800)
    # requeued at 1800 (a cycle boundary), runs its full 2 h at b: 3/h x 2 h = 6; a's 0.5 h free
    assert (done.center, done.start, done.end) == ("b", 1800, 1800 + 7200)
    assert float(r.bill.total) == pytest.approx(6.0)
    assert measure(r, sc).lost_to_failures == 1


def test_endless_preemption_gives_up_after_max_attempts() -> None:
    # preempted 3600 times an hour (mean 1 s) a one-hour job never finishes
    sc = scenario([gpu_center("spot", 1, 1.0)], [job(0, 0, 1)], preempt={"spot": 3600.0})
    r = simulate(sc, "first-fit")
    assert r.failed == [0] and len(r.attempts) == sc.max_attempts
    assert float(r.bill.total) == 0.0  # lost attempts are not billed
    assert measure(r, sc).preemptions == sc.max_attempts


def test_a_job_no_node_can_hold_is_unplaceable_with_the_schedulers_reason() -> None:
    sc = scenario([gpu_center("a", 2, 1.0)], [job(0, 0, 1, gpus=4)])
    r = simulate(sc, "first-fit")
    assert list(r.unplaceable) == [0] and r.unplaceable[0]
    assert r.attempts == []


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    data = national(400)
    runs = [measure(simulate(s, "random"), s) for s in (parse_scenario(data),) * 2]
    assert runs[0].summary() == runs[1].summary()
    other = parse_scenario({**data, "seed": data["seed"] + 1})
    assert measure(simulate(other, "random"), other).summary() != runs[0].summary()


def test_cost_policy_is_cheaper_than_first_fit_and_random_on_the_alibaba_trace() -> None:
    sc = parse_scenario(national(1500))
    cost = {p: measure(simulate(sc, p), sc) for p in ("first-fit", "random", "cost", "broker")}
    assert cost["cost"].cost < cost["first-fit"].cost
    assert cost["cost"].cost < cost["random"].cost
    assert cost["cost"].cost >= cost["cost"].cost_lower_bound
    # the broker is as cheap or cheaper but waits: everything queues at the cheapest centers
    assert cost["broker"].wait_p95_s > cost["cost"].wait_p95_s


def test_arrivals_are_replayed_in_submit_order_whatever_the_list_order() -> None:
    # one GPU; the list gives the later job first: job 0 (at 0) must still run first
    sc = scenario([gpu_center("a", 1, 1.0)], [job(1, 100, 1), job(0, 0, 1)])
    late, early = simulate(sc, "first-fit").jobs
    assert (early.id, early.first_start) == (0, 0)
    assert (late.id, late.first_start) == (1, 3600)  # waits for job 0's hour


@pytest.mark.parametrize(
    ("seconds", "how", "hours"),
    [
        (30, "pow2", 1 / 60),  # under a minute: 1 minute
        (60, "pow2", 1 / 60),
        (61, "pow2", 2 / 60),  # just over 1 minute: 2
        (3600, "pow2", 64 / 60),  # 60 minutes: 64
        (3840, "pow2", 64 / 60),  # exactly 64 minutes stays 64
        (3600, "exact", 1.0),
        (90, "exact", 0.025),
    ],
)
def test_runtime_estimate(seconds: float, how: str, hours: float) -> None:
    assert estimate_hours(seconds, how) == pytest.approx(hours)
