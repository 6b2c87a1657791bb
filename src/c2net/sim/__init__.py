"""The simulator: the production scheduler and market replayed on real traces, simulated time."""

from c2net.sim.bound import CostBound, lp_bound, simple_bound
from c2net.sim.comparison import compare
from c2net.sim.dispatch import BROKER, OBJECTIVES, policy_names
from c2net.sim.engine import AttemptRecord, JobRecord, RunResult, simulate
from c2net.sim.metrics import Metrics, jain_index, measure, percentiles
from c2net.sim.report import TABLE_COLUMNS, summary, write_report
from c2net.sim.scenario import (
    DEFAULT_SCENARIO,
    Failure,
    Power,
    Scenario,
    builtin_scenarios,
    load_scenario,
)
from c2net.sim.synthetic import SyntheticSpec, synthetic_arrivals, synthetic_centers
from c2net.sim.traces import (
    Arrival,
    TraceNode,
    read_alibaba_nodes,
    read_alibaba_pods,
    read_job_history,
    read_swf,
)

__all__ = [
    "BROKER",
    "DEFAULT_SCENARIO",
    "OBJECTIVES",
    "TABLE_COLUMNS",
    "Arrival",
    "AttemptRecord",
    "CostBound",
    "Failure",
    "JobRecord",
    "Metrics",
    "Power",
    "RunResult",
    "Scenario",
    "SyntheticSpec",
    "TraceNode",
    "builtin_scenarios",
    "compare",
    "jain_index",
    "load_scenario",
    "lp_bound",
    "measure",
    "percentiles",
    "policy_names",
    "read_alibaba_nodes",
    "read_alibaba_pods",
    "read_job_history",
    "read_swf",
    "simple_bound",
    "simulate",
    "summary",
    "synthetic_arrivals",
    "synthetic_centers",
    "write_report",
]
