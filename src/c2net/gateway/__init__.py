"""The gateway: REST API, queue, scheduling loop."""

from c2net.gateway.app import create_app
from c2net.gateway.loop import SchedulingLoop

__all__ = ["SchedulingLoop", "create_app"]
