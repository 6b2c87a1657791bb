"""Candidates: every (job class option x node pool) pair of a cycle, as matrices.

Rows are the options of every class (an option is one way to run a class: an accelerator type
and count per node), columns are the node pools ("center-flavors"). Filters and objectives read
the whole `CandidateBatch` at once, so a cycle costs a few numpy passes over a
(options x pools) matrix, however many jobs are queued. `CandidateView` is one class's slice,
flattened option-major (candidate m = option * pools + pool), for ranking and explaining.
Per-center facts shared by many classes (regions, latency from a home, data transfer) are cached
in a `Context` for the whole cycle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from c2net.scheduler.classes import JobClass
from c2net.scheduler.plugins import FILTERS, Filter
from c2net.scheduler.pools import PoolTable
from c2net.scheduler.snapshot import Snapshot

__all__ = ["CandidateBatch", "CandidateView", "Context", "DataPlan"]

# Power drawn per CPU core and per GB of memory besides the accelerators. Memory: 0.3725 W/GB
# (Green Algorithms referenceValues.csv). CPU: 12 W per core is ASSUMED, of the order of a server
# core's share of its package TDP in Green Algorithms' TDP_cpu.csv, one figure for every CPU.
WATTS_PER_CPU = 12.0
WATTS_PER_GB = 0.3725


@dataclass(frozen=True)
class DataPlan:
    """Per center: may the job run there given its data, and what moving the data costs."""

    allowed: np.ndarray  # (C,) bool
    transfer_hours: np.ndarray  # (C,)
    egress_cost: np.ndarray  # (C,)
    missing: tuple[str, ...]  # inputs nobody registered


@dataclass
class Context:
    """Per cycle: the snapshot, its arrays and caches of per-center facts."""

    snapshot: Snapshot
    table: PoolTable
    now: float
    _regions: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    _rtt: dict[str, np.ndarray] = field(default_factory=dict)
    _data: dict[tuple[tuple[str, ...], str], DataPlan] = field(default_factory=dict)
    _carbon: np.ndarray | None = None

    def in_regions(self, regions: tuple[str, ...]) -> np.ndarray:
        mask = self._regions.get(regions)
        if mask is None:
            mask = np.array([c.in_regions(regions) for c in self.table.centers], dtype=bool)
            self._regions[regions] = mask
        return mask

    def rtt_from(self, home: str) -> np.ndarray:
        """(C,) round trip in ms from the consumer's home hub to each center's hub."""
        rtt = self._rtt.get(home)
        if rtt is None:
            net = self.snapshot.network
            rtt = np.array([net.rtt(home, hub) for hub in self.table.hubs], dtype=float)
            self._rtt[home] = rtt
        return rtt

    def data(self, inputs: tuple[str, ...], policy: str) -> DataPlan:
        key = (inputs, policy)
        plan = self._data.get(key)
        if plan is None:
            plan = self._data_plan(inputs, policy)
            self._data[key] = plan
        return plan

    def _data_plan(self, inputs: tuple[str, ...], policy: str) -> DataPlan:
        n = len(self.table.names)
        datasets = self.snapshot.datasets
        net = self.snapshot.network
        sent_from = self.snapshot.prices.egress  # per source center; else the network's price
        missing = tuple(d for d in inputs if d not in datasets)
        allowed = np.full(n, not missing, dtype=bool)
        hours, egress = np.zeros(n), np.zeros(n)
        names = np.array(self.table.names, dtype=object)
        for name in inputs:
            ds = datasets.get(name)
            if ds is None:
                continue
            away = names != ds.center
            if policy == "stay":
                allowed &= ~away
            hours += np.where(away, net.transfer_hours(ds.size_gb), 0.0)
            per_gb = sent_from.get(ds.center, net.egress_per_gb)
            egress += np.where(away, ds.size_gb * per_gb, 0.0)
        return DataPlan(allowed, hours, egress, missing)

    def carbon_per_kwh(self) -> np.ndarray:
        """(C,) grams of CO2 per kWh drawn at the IT load: grid intensity x PUE."""
        if self._carbon is None:
            net = self.snapshot.network
            self._carbon = np.array(
                [net.carbon(c.hub) * net.pue_of(c.name, c.hub) for c in self.table.centers]
            )
        return self._carbon


class CandidateBatch:
    """(R options x P pools) matrices for every class of the cycle; rows grouped by class."""

    def __init__(self, ctx: Context, classes: Sequence[JobClass]) -> None:
        table = ctx.table
        self.ctx = ctx
        self.classes = classes
        self.first_row = np.cumsum([0, *(len(c.options) for c in classes)]).astype(np.int64)
        row_class = np.repeat(np.arange(len(classes)), [len(c.options) for c in classes])
        self.row_class = row_class.astype(np.int64)
        options = [o for c in classes for o in c.options]
        self.row_option = np.array([o.index for o in options], dtype=np.int64)
        self.row_vector = np.array([table.vector(o.request) for o in options]).reshape(
            -1, len(table.dims)
        )
        self.row_hours = np.array([o.hours for o in options], dtype=float)
        per_class_nodes = [c.num_nodes for c in classes]
        per_class_spot = [c.spec.spot for c in classes]
        self.row_nodes = np.array(per_class_nodes, dtype=np.int64)[self.row_class]
        index = table.dim_index
        self.row_type = np.array(
            [index[o.accelerator] if o.accelerator else -1 for o in options], dtype=np.int64
        )
        self.row_spot = np.array(per_class_spot, dtype=bool)[self.row_class]
        self._options = options
        self.filters: tuple[Filter, ...] = tuple(FILTERS.values())  # as registered now
        self.stage: np.ndarray | None = None  # (R, P) index into filters; len = passed
        self.objective: np.ndarray | None = None  # (R, P) each row's class objective

    def __len__(self) -> int:
        return len(self.row_class)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.row_class), len(self.ctx.table.pool_name))

    def rows_of(self, k: int) -> slice:
        return slice(int(self.first_row[k]), int(self.first_row[k + 1]))

    def per_class_center(self, values: Sequence[np.ndarray]) -> np.ndarray:
        """(R, P) from one (C,) array per class, gathered to pools."""
        per_class = np.array(values).reshape(len(self.classes), -1)
        return np.asarray(per_class[self.row_class][:, self.ctx.table.pool_center])

    @cached_property
    def price(self) -> np.ndarray:
        """(R, P) price per hour for the whole job (every node); NaN where not sold."""
        table = self.ctx.table
        center = table.pool_center
        vec = self.row_vector
        price = np.empty(self.shape)
        for spot in (False, True):
            rows = np.flatnonzero(self.row_spot == spot)
            if not len(rows):
                continue
            unit = table.spot_unit_price if spot else table.unit_price
            base = vec[rows, :2] @ unit[center, :2].T  # cpus and memory, (rows, P)
            typed = self.row_type[rows]
            acc = np.zeros_like(base)
            has = typed >= 0
            if has.any():
                acc_unit = unit[center][:, typed[has]].T  # (rows with a type, P)
                acc[has] = acc_unit * vec[rows[has], typed[has]][:, None]
            whole = table.node_spot_price if spot else table.node_price
            price[rows] = np.where(np.isnan(whole)[None, :], base + acc, whole[None, :])
        return np.asarray(price * self.row_nodes[:, None])

    def _data(self) -> tuple[np.ndarray, np.ndarray]:
        shape = self.shape
        transfer, egress = np.zeros(shape), np.zeros(shape)
        center = self.ctx.table.pool_center
        for k, c in enumerate(self.classes):
            if c.spec.inputs:
                plan = self.ctx.data(c.spec.inputs, c.spec.data_policy)
                transfer[self.rows_of(k)] = plan.transfer_hours[center]
                egress[self.rows_of(k)] = plan.egress_cost[center]
        return transfer, egress

    @cached_property
    def transfer_hours(self) -> np.ndarray:
        """(R, P) hours to bring the inputs to each pool's center."""
        transfer, egress = self._data()
        self.__dict__["egress_cost"] = egress
        return transfer

    @cached_property
    def egress_cost(self) -> np.ndarray:
        transfer, egress = self._data()
        self.__dict__["transfer_hours"] = transfer
        return egress

    @cached_property
    def cost(self) -> np.ndarray:
        """(R, P) estimated cost: price x runtime on that hardware + egress for moved data."""
        return np.asarray(self.price * self.row_hours[:, None] + self.egress_cost)

    @cached_property
    def finish_hours(self) -> np.ndarray:
        """(R, P) hours from now to the end if it starts now: data transfer + runtime."""
        return np.asarray(self.transfer_hours + self.row_hours[:, None])

    @cached_property
    def energy_kwh(self) -> np.ndarray:
        """(R,) device power (catalogue TDP) + host power, x runtime x nodes, at the IT load."""
        catalogue = self.ctx.snapshot.catalogue
        watts = []
        for o in self._options:
            device = (catalogue.power_w(o.accelerator) or 0.0) * o.count if o.accelerator else 0.0
            watts.append(
                device + o.request.cpus * WATTS_PER_CPU + o.request.memory_gb * WATTS_PER_GB
            )
        return np.asarray(np.array(watts) * self.row_hours * self.row_nodes / 1000.0)

    @cached_property
    def carbon_g(self) -> np.ndarray:
        """(R, P) grams of CO2: energy x PUE x the hub's grid intensity."""
        per_pool = self.ctx.carbon_per_kwh()[self.ctx.table.pool_center]
        return np.asarray(self.energy_kwh[:, None] * per_pool[None, :])

    @cached_property
    def hours_left(self) -> np.ndarray:
        """(R,) hours from now to the class deadline; +inf without one."""
        now = self.ctx.now
        left = [
            math.inf if c.deadline_at is None else (c.deadline_at - now) / 3600.0
            for c in self.classes
        ]
        return np.asarray(np.array(left)[self.row_class])


@dataclass
class CandidateView:
    """One class's candidates, flattened option-major: m = option * pools + pool."""

    batch: CandidateBatch
    index: int  # the class

    @property
    def ctx(self) -> Context:
        return self.batch.ctx

    @property
    def cls(self) -> JobClass:
        return self.batch.classes[self.index]

    @property
    def rows(self) -> slice:
        return self.batch.rows_of(self.index)

    def __len__(self) -> int:
        return len(self.cls.options) * len(self.ctx.table.pool_name)

    def flat(self, matrix: np.ndarray) -> np.ndarray:
        """This class's rows of an (R, P) matrix, flattened."""
        return np.asarray(matrix[self.rows].reshape(-1))

    @cached_property
    def pool(self) -> np.ndarray:
        return np.tile(np.arange(len(self.ctx.table.pool_name)), len(self.cls.options))

    @cached_property
    def option(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.cls.options)), len(self.ctx.table.pool_name))

    @cached_property
    def center(self) -> np.ndarray:
        return np.asarray(self.ctx.table.pool_center[self.pool])

    @cached_property
    def vector(self) -> np.ndarray:
        return np.asarray(self.batch.row_vector[self.rows][self.option])

    @cached_property
    def price(self) -> np.ndarray:
        return self.flat(self.batch.price)

    @cached_property
    def cost(self) -> np.ndarray:
        return self.flat(self.batch.cost)

    @cached_property
    def finish_hours(self) -> np.ndarray:
        return self.flat(self.batch.finish_hours)

    @cached_property
    def objective(self) -> np.ndarray:
        assert self.batch.objective is not None, "rank the batch first"
        return self.flat(self.batch.objective)

    @property
    def data(self) -> DataPlan:
        return self.ctx.data(self.cls.spec.inputs, self.cls.spec.data_policy)
