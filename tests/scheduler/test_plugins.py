"""Filters, objectives and policies are plugins registered in one place, checked against their
Protocol."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from c2net.model import ReasonCode
from c2net.scheduler import (
    FILTERS,
    OBJECTIVES,
    Snapshot,
    register_filter,
    register_objective,
    schedule,
)
from c2net.scheduler.candidates import CandidateBatch
from tests.scheduler.builders import cpu_center, job_spec, queued

A = cpu_center("a-site", 0.1)
B = cpu_center("b-site", 0.2)


class NotOnA:
    name, code = "test-not-on-a", ReasonCode.REGION

    def reject(self, batch: CandidateBatch) -> np.ndarray:
        names = np.array(batch.ctx.table.names)[batch.ctx.table.pool_center]
        return np.broadcast_to(names == "a-site", batch.shape)


class Dearest:
    name = "test-dearest"

    def value(self, batch: CandidateBatch) -> np.ndarray:
        return np.asarray(-batch.cost)


@pytest.fixture
def plugins() -> Iterator[None]:
    yield
    FILTERS.pop("test-not-on-a", None)
    OBJECTIVES.pop("test-dearest", None)


def test_a_registered_filter_runs_after_the_built_ins(plugins: None) -> None:
    assert schedule(Snapshot.idle([A, B]), [queued(1, job_spec())]).placements[0].center == "a-site"
    register_filter(NotOnA())
    plan = schedule(Snapshot.idle([A, B]), [queued(1, job_spec())])
    assert plan.placements[0].center == "b-site"
    lonely = schedule(Snapshot.idle([A]), [queued(1, job_spec())])
    assert lonely.pending[0].exclusions[0].code is ReasonCode.REGION


def test_a_registered_objective_can_be_asked_for(plugins: None) -> None:
    register_objective(Dearest())
    spec = replace(job_spec(), objective="test-dearest")  # parse_spec knows only the built-ins
    plan = schedule(Snapshot.idle([A, B]), [queued(1, spec)])
    assert plan.placements[0].center == "b-site"


def test_protocols_are_checked() -> None:
    with pytest.raises(TypeError, match="Filter protocol"):
        register_filter(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Objective protocol"):
        register_objective(object())  # type: ignore[arg-type]
