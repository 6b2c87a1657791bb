"""The gateway's repository: every read and write of network state goes through Store."""

from __future__ import annotations

from c2net.store.agents import AgentRepo
from c2net.store.base import Conflict, NotFound
from c2net.store.centers import CenterStatus
from c2net.store.datasets import DatasetRepo
from c2net.store.identities import IdentityRepo
from c2net.store.jobs import JobRepo
from c2net.store.ledger import LedgerRepo
from c2net.store.pool import PoolRepo
from c2net.store.scheduling import SchedulingRepo

__all__ = ["CenterStatus", "Conflict", "NotFound", "Store"]


class Store(LedgerRepo, PoolRepo, SchedulingRepo, JobRepo, AgentRepo, IdentityRepo, DatasetRepo):
    """Centers, jobs, scheduling, the agents' side, identities and datasets, over one
    database."""
