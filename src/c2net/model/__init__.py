"""The domain model: pure data and rules, no I/O."""

from c2net.model.center import Center, Health, NodePool, Prices
from c2net.model.identity import AccountKind, Principal, Role
from c2net.model.job import (
    ACTIVE,
    TERMINAL,
    Attempt,
    IllegalTransition,
    Job,
    JobState,
    check_transition,
)
from c2net.model.plan import Exclusion, Pending, Placement, Plan, Preemption, ReasonCode
from c2net.model.resources import Resources, canonical_accelerator, parse_accelerators
from c2net.model.spec import JobSpec, SpecError, load_spec, parse_spec

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "AccountKind",
    "Attempt",
    "Center",
    "Exclusion",
    "Health",
    "IllegalTransition",
    "Job",
    "JobSpec",
    "JobState",
    "NodePool",
    "Pending",
    "Placement",
    "Plan",
    "Preemption",
    "Prices",
    "Principal",
    "ReasonCode",
    "Resources",
    "Role",
    "SpecError",
    "canonical_accelerator",
    "check_transition",
    "load_spec",
    "parse_accelerators",
    "parse_spec",
]
