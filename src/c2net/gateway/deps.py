"""Shared state of a running gateway, reached from request handlers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from c2net.clock import Clock
from c2net.gateway.loop import SchedulingLoop
from c2net.market.clouds import CloudMarket
from c2net.store import Store

__all__ = ["Gateway", "gateway"]


@dataclass
class Gateway:
    store: Store
    clock: Clock
    loop: SchedulingLoop
    heartbeat_interval: float = 1.0
    clouds: CloudMarket | None = None  # catalogue offers quoted beside the centers


def gateway(request: Request) -> Gateway:
    gw: Gateway = request.app.state.gateway
    return gw
