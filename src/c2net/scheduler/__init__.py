"""The global scheduler: a pure pipeline over a snapshot, plugins registered in one place."""

from c2net.scheduler import filters as _filters  # noqa: F401  (registers the built-in filters)
from c2net.scheduler import objectives as _objectives  # noqa: F401  (registers the objectives)
from c2net.scheduler.explain import ExplainRow, explain
from c2net.scheduler.pipeline import schedule
from c2net.scheduler.plugins import (
    FILTERS,
    OBJECTIVES,
    POLICIES,
    Filter,
    Objective,
    Policy,
    ScoreContext,
    get_objective,
    get_policy,
    register,
    register_filter,
    register_objective,
)
from c2net.scheduler.policies import Cheapest, FirstFit
from c2net.scheduler.snapshot import Account, Dataset, PriceBook, QueuedJob, Running, Snapshot
from c2net.scheduler.topology import Network, builtin_network_matrix

__all__ = [
    "FILTERS",
    "OBJECTIVES",
    "POLICIES",
    "Account",
    "Cheapest",
    "Dataset",
    "ExplainRow",
    "Filter",
    "FirstFit",
    "Network",
    "Objective",
    "Policy",
    "PriceBook",
    "QueuedJob",
    "Running",
    "ScoreContext",
    "Snapshot",
    "builtin_network_matrix",
    "explain",
    "get_objective",
    "get_policy",
    "register",
    "register_filter",
    "register_objective",
    "schedule",
]
