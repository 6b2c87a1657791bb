"""End to end with real engines: one network of a local center, three Slurm clusters and a Ray
head, each center behind its own agent process, driven through the CLI.

Prices steer each job to one center (cheapest first), so a job's center shows the routing:
  cpu/h: hpc-c 0.05 < ray-west 0.10 < hpc-b 0.20 < hpc-a 0.30 < local-east 0.50
  T4:    only hpc-a (5.0/h);  A100: hpc-b 20.0/h < ray-west 30.0/h;  east: only local-east
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from c2net.cli.launcher import Network, start_network, stop_network
from c2net.client import Client
from tests.fixtures.ray import RayHead
from tests.fixtures.slurm import SlurmCluster, SlurmClusters, start_cluster

pytestmark = pytest.mark.slow


def _prices(cpu: float, accel: dict[str, float] | None = None) -> dict[str, Any]:
    return {"cpu_hour": cpu, "memory_gb_hour": cpu / 10, "accelerators": accel or {}}


@pytest.fixture(scope="module")
def cluster_c(
    munge_socket: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SlurmCluster]:
    """A cluster of our own: this module kills its slurmctld."""
    cluster = start_cluster("cc", tmp_path_factory.mktemp("cc"), munge_socket, [(2, 2048, {})])
    yield cluster
    for d in cluster.daemons:
        d.stop()


@pytest.fixture(scope="module")
def net(
    slurm_clusters: SlurmClusters,
    cluster_c: SlurmCluster,
    ray_head: RayHead,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Network, Client]]:
    root = tmp_path_factory.mktemp("engines")
    local = {
        "name": "local-east",
        "hub": "yangtze-river-delta",
        "region": "cn-shanghai",
        "role": "east",
        "pools": [{"name": "cpu", "count": 1, "cpus": 4, "memory": 8}],
        "prices": _prices(0.5),
    }
    centers = [
        local,
        slurm_clusters.a.center_dict(
            "hpc-a", hub="gansu", role="west", prices=_prices(0.3, {"T4": 5.0})
        ),
        slurm_clusters.b.center_dict(
            "hpc-b", hub="ningxia", role="west", prices=_prices(0.2, {"A100": 20.0})
        ),
        cluster_c.center_dict("hpc-c", hub="guizhou", role="west", prices=_prices(0.05)),
        ray_head.center("ray-west", prices=_prices(0.1, {"A100": 30.0})),
    ]
    network_file = root / "network.yaml"
    network_file.write_text(yaml.safe_dump({"centers": centers}, sort_keys=False))
    network = start_network(root / "net", str(network_file), heartbeat_timeout=10)
    client = Client(network.gateway, network.tokens["user"])
    try:
        yield network, client
    finally:
        client.close()
        stop_network(network)


def run(client: Client, timeout: float = 90, **spec: Any) -> dict[str, Any]:
    job = client.submit(spec)
    return client.wait(job["id"], timeout=timeout)


def wait_state(client: Client, job_id: int, state: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (job := client.job(job_id))["state"] != state:
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
    return job


def test_centers_come_from_the_clusters(net: tuple[Network, Client]) -> None:
    _, client = net
    centers = {c["name"]: c for c in client.centers()}
    assert set(centers) == {"local-east", "hpc-a", "hpc-b", "hpc-c", "ray-west"}
    assert all(c["health"] == "HEALTHY" for c in centers.values())
    # discovered from sinfo/scontrol: cluster B has two nodes with two A100 each
    assert centers["hpc-b"]["nodes"] == 2
    assert centers["hpc-b"]["capacity"]["accelerators"] == {"A100": 4}
    assert centers["ray-west"]["capacity"]["accelerators"] == {"A100": 2}
    assert centers["hpc-a"]["backend"] == "slurm" and centers["ray-west"]["backend"] == "ray"


def test_t4_job_runs_in_slurm_and_shows_in_squeue(
    net: tuple[Network, Client], slurm_clusters: SlurmClusters
) -> None:
    _, client = net
    job = client.submit(
        {"run": "echo on $SLURMD_NODENAME; sleep 4", "resources": {"accelerators": "T4:1"}}
    )
    running = wait_state(client, job["id"], "RUNNING")
    assert running["center"] == "hpc-a"
    slurm_id = running["attempts"][0]["backend_id"]
    squeue = slurm_clusters.a.run("squeue", "-h", "-o", "%i").stdout.split()
    assert slurm_id in squeue
    done = client.wait(job["id"], timeout=60)
    assert done["state"] == "SUCCEEDED" and done["exit_code"] == 0
    assert client.logs(job["id"])["data"].strip() == "on can1"


def test_exit_code_and_output_come_back_from_slurm(net: tuple[Network, Client]) -> None:
    _, client = net
    done = run(client, run="echo partial; exit 4", resources={"accelerators": "A100:1"})
    # A100: hpc-b 0.2 + 0.02 + 20 = 20.22/h < ray-west 0.1 + 0.01 + 30 = 30.11/h
    assert (done["center"], done["state"], done["exit_code"]) == ("hpc-b", "FAILED", 4)
    assert "partial" in client.logs(done["id"])["data"]


def test_cancel_reaches_scancel(net: tuple[Network, Client], slurm_clusters: SlurmClusters) -> None:
    _, client = net
    job = client.submit({"run": "sleep 600", "resources": {"accelerators": "A100:1"}})
    running = wait_state(client, job["id"], "RUNNING")
    slurm_id = running["attempts"][0]["backend_id"]
    client.cancel(job["id"])
    assert client.wait(job["id"], timeout=60)["state"] == "CANCELLED"
    squeue = slurm_clusters.b.run("squeue", "-h", "-o", "%i").stdout.split()
    assert slurm_id not in squeue


def test_two_node_job_runs_on_both_nodes(net: tuple[Network, Client]) -> None:
    _, client = net
    done = run(client, run="echo $SLURMD_NODENAME", num_nodes=2, resources={"cpus": 1, "memory": 1})
    # only hpc-b has two nodes: the gang is one allocation over both (srun on each)
    assert (done["center"], done["state"]) == ("hpc-b", "SUCCEEDED")
    assert done["attempts"][0]["nodes"] == [0, 1]
    assert sorted(client.logs(done["id"])["data"].split()) == ["cbn1", "cbn2"]


def test_east_job_runs_locally(net: tuple[Network, Client]) -> None:
    _, client = net
    done = run(client, run="echo east", regions=["east"])
    assert (done["center"], done["state"]) == ("local-east", "SUCCEEDED")


def test_ray_job_output_exit_code_and_job_list(
    net: tuple[Network, Client], ray_head: RayHead
) -> None:
    from ray.job_submission import JobSubmissionClient

    _, client = net
    # only ray-west is in hub gansu and has A100 (hpc-a, also in gansu, has T4 only)
    done = run(
        client,
        run="echo from ray; exit 3",
        resources={"accelerators": "A100:1"},
        regions=["gansu"],
    )
    assert (done["center"], done["state"], done["exit_code"]) == ("ray-west", "FAILED", 3)
    assert "from ray" in client.logs(done["id"])["data"]
    ray_ids = {j.submission_id for j in JobSubmissionClient(ray_head.address).list_jobs()}
    assert done["attempts"][0]["backend_id"] in ray_ids


def test_cancel_reaches_ray(net: tuple[Network, Client], ray_head: RayHead) -> None:
    from ray.job_submission import JobStatus, JobSubmissionClient

    _, client = net
    job = client.submit(
        {"run": "sleep 600", "regions": ["gansu"], "resources": {"accelerators": "A100:1"}}
    )
    running = wait_state(client, job["id"], "RUNNING", timeout=90)
    client.cancel(job["id"])
    assert client.wait(job["id"], timeout=60)["state"] == "CANCELLED"
    status = JobSubmissionClient(ray_head.address).get_job_status(
        running["attempts"][0]["backend_id"]
    )
    assert status == JobStatus.STOPPED


def test_killing_slurmctld_makes_the_center_unhealthy(
    net: tuple[Network, Client], cluster_c: SlurmCluster
) -> None:
    _, client = net
    first = run(client, run="true")
    assert first["center"] == "hpc-c"  # the cheapest CPU
    ctld = next(d for d in cluster_c.daemons if d.name == "slurmctld")
    ctld.proc.kill()
    ctld.proc.wait()
    deadline = time.monotonic() + 60
    while (c := {x["name"]: x for x in client.centers()}["hpc-c"])["health"] == "HEALTHY":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert "unreachable" in c["health_reason"]
    after = run(client, run="true")
    assert after["center"] == "ray-west"  # the next cheapest CPU, with hpc-c out
