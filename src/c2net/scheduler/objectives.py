"""Objectives: what a job wants minimised (`objective: cost | time | carbon`), as an
(options x pools) matrix over the cycle's candidates; each row uses its class's objective."""

from __future__ import annotations

import numpy as np

from c2net.scheduler.candidates import CandidateBatch
from c2net.scheduler.plugins import register_objective

__all__ = ["Carbon", "Cost", "Time"]


class Cost:
    """Estimated cost = price x runtime estimated on that hardware + egress for moved data."""

    name = "cost"

    def value(self, batch: CandidateBatch) -> np.ndarray:
        return batch.cost


class Time:
    """Earliest estimated finish if started now: data transfer + runtime on that hardware."""

    name = "time"

    def value(self, batch: CandidateBatch) -> np.ndarray:
        return batch.finish_hours


class Carbon:
    """Grams of CO2: device power x runtime x PUE x the hub's grid intensity."""

    name = "carbon"

    def value(self, batch: CandidateBatch) -> np.ndarray:
        return batch.carbon_g


register_objective(Cost())
register_objective(Time())
register_objective(Carbon())
