"""The simulator: the production scheduler and market replayed on real traces, simulated time."""

from c2net.sim.comparison import compare
from c2net.sim.dispatch import BROKER, OBJECTIVES, policy_names
from c2net.sim.engine import AttemptRecord, JobRecord, RunResult, simulate
from c2net.sim.metrics import Metrics, jain_index, lower_bound_cost, measure, percentiles
from c2net.sim.report import TABLE_COLUMNS, summary, write_report
from c2net.sim.scenario import DEFAULT_SCENARIO, Failure, Power, Scenario, load_scenario
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
    "Failure",
    "JobRecord",
    "Metrics",
    "Power",
    "RunResult",
    "Scenario",
    "TraceNode",
    "compare",
    "jain_index",
    "load_scenario",
    "lower_bound_cost",
    "measure",
    "percentiles",
    "policy_names",
    "read_alibaba_nodes",
    "read_alibaba_pods",
    "read_job_history",
    "read_swf",
    "simulate",
    "summary",
    "write_report",
]
