"""Datasets and account policy over real HTTP: registering data where it sits, and the
weights, quotas and home hubs the scheduler reads."""

from __future__ import annotations

import pytest

from c2net.client import C2netError
from tests.builders import center, node
from tests.fixtures.gateway import LiveGateway

EAST = center("east", (1, node(8, 32)), hub="yangtze-river-delta")
WEST = center("west", (1, node(8, 32)), hub="ningxia", role="west")


def refused(status: int, fn: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(C2netError) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    assert info.value.status == status, info.value.message
    return info.value.message


@pytest.fixture
def gw(manual_gateway: LiveGateway) -> LiveGateway:
    for c in (EAST, WEST):
        manual_gateway.store.register_center(c, 0.0, {})
    return manual_gateway


def test_register_list_and_remove_a_dataset(gw: LiveGateway) -> None:
    out = gw.client.register_dataset("scans", "east", 120.5)
    assert (out["name"], out["center"], out["size_gb"], out["account"]) == (
        "scans",
        "east",
        120.5,
        "alice",
    )
    assert [d["name"] for d in gw.client.datasets()] == ["scans"]
    assert gw.store.dataset("scans").center == "east"
    gw.client.delete_dataset("scans")
    assert gw.client.datasets() == []


def test_bad_datasets_get_clear_errors(gw: LiveGateway) -> None:
    assert "size_gb" in refused(422, gw.client.register_dataset, "scans", "east", -1)
    assert "center nowhere is not registered" in refused(
        404, gw.client.register_dataset, "scans", "nowhere", 1
    )
    gw.client.register_dataset("scans", "east", 1)
    assert "already registered" in refused(409, gw.client.register_dataset, "scans", "west", 1)


def test_another_accounts_dataset_is_not_visible(gw: LiveGateway) -> None:
    gw.client.register_dataset("scans", "east", 1)
    bob = gw.consumer("bob")
    assert bob.datasets() == []
    refused(404, bob.delete_dataset, "scans")
    assert [d["name"] for d in gw.admin.datasets()] == ["scans"]  # operators see all
    assert gw.store.dataset("scans").account == "alice"


def test_operators_set_weights_and_quotas(gw: LiveGateway) -> None:
    out = gw.admin.set_account_policy("alice", weight=4, max_accelerators=8, max_cpus=64)
    assert (out["weight"], out["max_accelerators"], out["max_cpus"]) == (4.0, 8, 64.0)
    lifted = gw.admin.set_account_policy("alice", max_cpus=None)
    assert lifted["max_cpus"] is None and lifted["max_accelerators"] == 8  # others kept
    snap, _ = gw.store.snapshot(1.0)
    assert snap.account("alice").weight == 4.0 and snap.account("alice").max_cpus is None


def test_a_consumer_sets_only_its_own_home(gw: LiveGateway) -> None:
    out = gw.client.set_account_policy("alice", home="yangtze-river-delta")
    assert out["home"] == "yangtze-river-delta"
    assert "operators" in refused(403, gw.client.set_account_policy, "alice", weight=10)
    gw.consumer("bob")
    refused(403, gw.client.set_account_policy, "bob", home="ningxia")
    message = refused(422, gw.client.set_account_policy, "alice", home="atlantis")
    assert "unknown hub 'atlantis'" in message and "ningxia" in message
    assert "weight" in refused(422, gw.admin.set_account_policy, "alice", weight=0)


def test_an_empty_policy_change_changes_nothing(gw: LiveGateway) -> None:
    before = gw.admin.set_account_policy("alice", weight=2)
    assert gw.admin.set_account_policy("alice") == before
    refused(404, gw.admin.set_account_policy, "nobody", weight=1)
