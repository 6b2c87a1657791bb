import pytest

from c2net.model import Resources
from c2net.sim import read_alibaba_nodes, read_alibaba_pods, read_job_history, read_swf
from c2net.sim.traces import ANY_GPU
from tests.sim.builders import DATA


def test_alibaba_pods_fields_and_order() -> None:
    pods = read_alibaba_pods(DATA / "alibaba_pods_tiny.csv")
    assert len(pods) == 10
    assert [p.submit for p in pods] == sorted(p.submit for p in pods)
    first = pods[0]  # openb-pod-0000: 12000 milli-cpu, 16384 MiB, 1 GPU, 0 -> 12537496
    assert first.resources == Resources(12.0, 16.0, {ANY_GPU: 1})
    assert first.duration == 12537496
    by_submit = {p.submit: p for p in pods}
    # openb-pod-0001 asks 460 milli-GPU: rounded up to one whole GPU
    assert by_submit[427061].resources.accelerators == {ANY_GPU: 1}
    # openb-pod-0061 never scheduled: duration = deletion - creation = 10001403 - 10001278
    assert by_submit[10001278].duration == 125
    # openb-pod-0005: CPU only, 20 cpus, 64 GB; ran 12902960 - 2759676 = 10143284 s
    assert by_submit[2759674].resources == Resources(20.0, 64.0)
    assert by_submit[2759674].duration == 10143284
    # openb-pod-0009 (gpuspec33) names V100M16|V100M32: the first type is kept
    assert by_submit[4975773].resources.accelerators == {"V100M16": 1}
    assert all(p.tenant == "" and p.home == "" for p in pods)


def test_alibaba_pods_limit_takes_the_earliest() -> None:
    assert [p.submit for p in read_alibaba_pods(DATA / "alibaba_pods_tiny.csv", 2)] == [0, 427061]


def test_alibaba_nodes() -> None:
    nodes = read_alibaba_nodes(DATA / "alibaba_nodes_tiny.csv")
    assert [n.model for n in nodes] == ["P100", "P100", "G2", "T4"]
    # openb-node-0026: 96000 milli-cpu, 393216 MiB = 384 GB, 8 x G2
    assert nodes[2].shape == Resources(96.0, 384.0, {"G2": 8})


@pytest.mark.parametrize("name", ["nasa_tiny.swf", "nasa_tiny.swf.gz"])
def test_swf_plain_and_gz(name: str) -> None:
    jobs = read_swf(DATA / name, memory_gb_per_cpu=2.0)
    # 5 records; job 99 has run time 0 and is skipped
    assert [j.id for j in jobs] == [1, 2, 3, 4]
    assert jobs[1].submit == 1460 and jobs[1].duration == 3726
    # 128 processors, memory unknown: 128 x 2 GB
    assert jobs[0].resources == Resources(128, 256)
    assert [j.tenant for j in jobs] == ["u1", "u1", "u1", "u2"]


def test_job_history_export() -> None:
    jobs = read_job_history(DATA / "jobs_tiny.json")
    assert [j.id for j in jobs] == [3, 7]  # by submit time
    etl, train = jobs
    # never ran: the spec's runtime estimate, 0.5 h = 1800 s
    assert etl.duration == 1800 and etl.resources == Resources(2, 4)
    # the LOST attempt (300 s) does not count; the successful one ran 3600 s
    assert train.duration == 3600
    assert train.resources == Resources(8, 32, {"A100": 1})
    assert (train.tenant, train.home) == ("lab-a", "yangtze-river-delta")
