"""Cloud catalogues in SkyPilot's schema: each cloud's conventions, ranking, clouds as centers."""

from __future__ import annotations

import math

import pytest

from c2net.market.catalog import OfferTable, builtin_catalog, parse_catalog, read_catalog
from c2net.market.clouds import catalog_centers, rank_offers
from c2net.scheduler import Snapshot, schedule
from tests.scheduler.builders import job_spec, queued

HEADER = "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region"


def rows(*lines: str) -> list[dict[str, str]]:
    keys = HEADER.split(",")
    return [dict(zip(keys, line.split(","), strict=True)) for line in lines]


GCP = rows(
    # host VMs (per zone: two zones of us-central1 at different prices)
    "a2-highgpu-1g,,,12,85,3.00,1.00,us-central1",
    "a2-highgpu-1g,,,12,85,2.80,1.10,us-central1",
    "n1-standard-4,,,4,15,0.19,0.04,us-central1",
    "n1-highmem-8,,,8,52,0.47,0.10,us-central1",
    "n1-standard-96,,,96,360,4.56,1.00,us-central1",
    # accelerators, rows of their own, priced apart from the host
    ",A100,1,,,1.00,0.50,us-central1",
    ",T4,1,,,0.35,0.14,us-central1",
)


def test_gcp_accelerators_are_paired_with_their_hosts() -> None:
    table = parse_catalog(GCP, "gcp")
    offers = {
        (str(t), str(a)): float(p)
        for t, a, p in zip(table.instance_type, table.accelerator, table.price, strict=True)
    }
    assert offers == {
        # zones collapse to the region's lowest price: host 2.80 + A100 1.00
        ("a2-highgpu-1g+A100:1", "A100"): pytest.approx(3.80),
        # T4:1 needs an n1 host with >= 4 vCPUs and >= 16 GB, <= 48 vCPUs / 312 GB:
        # n1-standard-4 has 15 GB (too little), n1-standard-96 too many vCPUs
        ("n1-highmem-8+T4:1", "T4"): pytest.approx(0.47 + 0.35),
        # CPU-only offers: n1 hosts, never the a2 GPU host family
        ("n1-standard-4", ""): pytest.approx(0.19),
        ("n1-highmem-8", ""): pytest.approx(0.47),
        ("n1-standard-96", ""): pytest.approx(4.56),
    }
    a100 = next(i for i, t in enumerate(table.instance_type) if str(t).startswith("a2"))
    assert table.spot_price[a100] == pytest.approx(1.00 + 0.50)  # lowest spot of the zones + GPU


def test_other_clouds_list_whole_instances() -> None:
    table = parse_catalog(
        rows("gpu_1x_a100,A100,1,30,200,1.29,,us-east-1", "cpu_4x,,,4,16,0.20,,us-east-1"),
        "lambda",
    )
    assert list(table.instance_type) == ["gpu_1x_a100", "cpu_4x"]
    assert math.isnan(table.spot_price[0])  # Lambda sells no spot


def test_rank_by_cost_per_work_from_files(tmp_path: object) -> None:
    table = OfferTable.concat(
        [
            parse_catalog(GCP, "gcp"),
            parse_catalog(rows("gpu_1x_h100,H100,1,26,200,2.49,,us-east-1"), "lambda"),
        ]
    )
    spec = job_spec(resources={"accelerators": {"any_of": ["A100:1", "H100:1"]}}, runtime=10)
    ranked = rank_offers(table, spec).top()
    # H100: 10 x 312 / 989.5 = 3.153 h x 2.49 = 7.85; A100 on GCP: 10 h x 3.80 = 38.0
    assert [(o.cloud, o.instance_type) for o in ranked] == [
        ("lambda", "gpu_1x_h100"),
        ("gcp", "a2-highgpu-1g+A100:1"),
    ]
    assert ranked[0].estimated_cost == pytest.approx(2.49 * 10 * 312 / 989.5)
    spot = rank_offers(table, job_spec(resources={"accelerators": "A100:1"}, spot=True)).top()
    assert spot[0].price_per_hour == pytest.approx(1.50)


def test_nothing_matches_says_why() -> None:
    q = rank_offers(parse_catalog(GCP, "gcp"), job_spec(resources={"accelerators": "H100:8"}))
    assert len(q) == 0
    assert q.message == "no catalogued offer has H100:8 with 1 cpus and 1 GB"


def test_reads_files_named_by_cloud(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "gcp" / "vms.csv"  # type: ignore[operator]
    path.parent.mkdir()
    path.write_text("\n".join([HEADER, *(",".join(r.values()) for r in GCP)]) + "\n")
    assert len(read_catalog(path)) == len(parse_catalog(GCP, "gcp"))


def test_builtin_catalogues_load() -> None:
    vast = builtin_catalog("vast")
    assert len(vast) == 64  # all rows of the shipped file (see catalogs/SOURCE.txt)
    with pytest.raises(ValueError, match="unknown built-in catalogue"):
        builtin_catalog("aws")


@pytest.mark.parametrize(
    ("listed", "network"),
    [
        ("Nvidia Tesla V100", "V100"),  # Alibaba, vendor words around the name
        ("A100 80G", "A100-80GB"),  # a memory suffix that names its own type
        ("A800 40G", "A800"),  # one that does not
        ("H", "H20"),  # Alibaba's gn8v (96 GB)
        ("RTX 4090", "RTX4090"),
        ("Tencent Zixiao C100", "ZIXIAO-C100"),  # unknown to the accelerator catalogue: kept
        ("L20N 72G", "L20N"),
    ],
)
def test_chinese_clouds_device_names_become_the_networks(listed: str, network: str) -> None:
    table = parse_catalog(rows(f"ecs.x,{listed},8,96,384,30.0,,cn-beijing"), "alicloud")
    assert len(table) == 1
    assert (table.offer(0).accelerator, table.offer(0).count) == (network, 8)


def test_no_builtin_offer_with_devices_is_left_without_a_device_name() -> None:
    for name in ("alicloud", "tencentcloud"):
        table = builtin_catalog(name)
        assert not ((table.count > 0) & (table.accelerator == "")).any(), name


def test_clouds_as_centers_one_per_region_with_elastic_capacity() -> None:
    table = parse_catalog(
        rows(
            "gpu_1x_a100,A100,1,30,200,1.29,,us-east-1",
            "gpu_1x_a100,A100,1,30,200,1.39,,us-west-1",
        ),
        "lambda",
    )
    centers = catalog_centers(table, rate=7.0, currency="CNY")
    assert [c.name for c in centers] == ["lambda-us-east-1", "lambda-us-west-1"]
    snap = Snapshot.idle(centers)
    jobs = [queued(i, job_spec(resources={"accelerators": "A100:1"})) for i in range(3)]
    plan = schedule(snap, jobs)
    # never full: all three on the cheaper region, a fresh VM each, at 1.29 x 7 per hour
    assert {p.center for p in plan.placements} == {"lambda-us-east-1"}
    assert [p.price_per_hour for p in plan.placements] == [pytest.approx(9.03)] * 3
