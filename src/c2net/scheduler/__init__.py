"""The global scheduler: a pure pipeline over a snapshot, policies as registered plugins."""

from c2net.scheduler.filters import Evaluation, evaluate
from c2net.scheduler.pipeline import schedule
from c2net.scheduler.policies import POLICIES, Policy, ScoreContext, get_policy, register
from c2net.scheduler.snapshot import Arrays, QueuedJob, Snapshot

__all__ = [
    "POLICIES",
    "Arrays",
    "Evaluation",
    "Policy",
    "QueuedJob",
    "ScoreContext",
    "Snapshot",
    "evaluate",
    "get_policy",
    "register",
    "schedule",
]
