"""The lower bound on a cycle's cost: Lagrangian prices from a restricted LP.

The LP over the columns (class x candidate counts, pool capacities per resource, node
boundaries relaxed) bounds every plan that places the same jobs. Its dual is

    L(lam) = fixed + sum_k m[k] min_j (c[k,j] + need[k,j] . lam[pool j]) - lam . capacity,

valid for *any* prices lam >= 0: a plan pays c = sum (c + need.lam) - lam.load >= L(lam), since
each job pays at least its class's cheapest priced column and load <= capacity. The LP optimum
is the largest L. So the bound needs no exact LP: a restricted LP over a few columns per class
(around where a good plan put them) gives prices, L is evaluated over *every* column in one
numpy pass, and whatever HiGHS returns, the bound is valid. Column generation adds the columns
those prices favour until the restricted LP is optimal for all columns (then L is the LP
optimum: `exact`) or the caller has what it needs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, sparse

from c2net.scheduler.columns import Columns

__all__ = ["Bound", "Master", "lagrangian", "window"]

# scipy's stubs type linprog's matrices as dense arrays; HiGHS takes sparse ones.
_linprog: Any = optimize.linprog
_coo: Any = sparse.coo_matrix


def lagrangian(cols: Columns, prices: np.ndarray, fixed: float) -> tuple[float, np.ndarray]:
    """L(prices) and each column's priced cost (prices: (P, D) >= 0 per unit)."""
    priced = cols.priced(prices)
    value = fixed + float(cols.count @ cols.minimum(priced)) - float((prices * cols.capacity).sum())
    return value, priced


def window(cols: Columns, used: np.ndarray, below: int, above: int) -> np.ndarray:
    """(V,) bool: per class, the columns from `below` ranks under the cheapest used column to
    `above` ranks over the dearest one (`used`: (V,) bool)."""
    k = len(cols.count)
    ranks = cols.rank
    low = np.full(k, np.iinfo(np.int64).max)
    high = np.full(k, -1)
    np.minimum.at(low, cols.klass[used], ranks[used])
    np.maximum.at(high, cols.klass[used], ranks[used])
    return np.asarray(
        (ranks >= low[cols.klass] - below) & (ranks <= high[cols.klass] + above) | used
    )


@dataclass(frozen=True)
class Bound:
    value: float  # a valid lower bound on the cost of any plan placing the same jobs
    lp: float  # the last restricted LP's optimum: >= the full LP's; == value when exact
    exact: bool  # the restricted LP was optimal over every column: value is the LP optimum
    prices: np.ndarray  # (P, D) the prices that gave `value`
    priced: np.ndarray  # (V,) every column's cost at those prices
    x: np.ndarray  # (V,) jobs per column in the last restricted LP's solution
    rounds: int  # LPs solved


class Master:
    """The restricted LP, grown round by round; keeps the best bound seen."""

    def __init__(self, cols: Columns, fixed: float) -> None:
        self.cols = cols
        self.fixed = fixed
        self.active = np.zeros(len(cols), dtype=bool)
        zero = np.zeros_like(cols.capacity)
        value, priced = lagrangian(cols, zero, fixed)
        self.best = Bound(value, math.inf, False, zero, priced, np.zeros(len(cols)), 0)
        self._last: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # priced, duals, x

    def solve(self, add: np.ndarray) -> Bound:
        """Add columns (`add`: (V,) bool), solve, and price every column at the new duals."""
        cols = self.cols
        self.active |= add
        idx = np.flatnonzero(self.active)
        n = len(idx)
        k = len(cols.count)
        width = cols.capacity.shape[1]
        a_eq = _coo((np.ones(n), (cols.klass[idx], np.arange(n))), shape=(k, n)).tocsr()
        need = cols.need[idx]
        var, dim = np.nonzero(need > 0)
        keys, rows = np.unique(cols.pool[idx][var] * width + dim, return_inverse=True)
        a_ub = _coo((need[var, dim], (rows, var)), shape=(len(keys), n)).tocsr()
        b_ub = cols.capacity.reshape(-1)[keys]
        result = _linprog(
            cols.cost[idx], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=cols.count, method="highs"
        )
        rounds = self.best.rounds + 1
        if result.status != 0:
            self.best = dataclasses.replace(self.best, lp=math.inf, exact=False, rounds=rounds)
            return self.best
        flat = np.zeros(cols.capacity.size)
        flat[keys] = np.maximum(-np.asarray(result.ineqlin.marginals), 0.0)
        prices = flat.reshape(cols.capacity.shape)
        value, priced = lagrangian(cols, prices, self.fixed)
        lp = float(result.fun) + self.fixed
        duals = np.asarray(result.eqlin.marginals)
        x = np.zeros(len(cols))
        x[idx] = np.asarray(result.x)
        self._last = (priced, duals, x)
        # L <= the full LP's optimum <= the restricted LP's: equal (to 1 part in a million)
        # means both are the optimum
        exact = value >= lp - 1e-6 * _scale(lp)
        if value > self.best.value:
            self.best = Bound(value, lp, exact, prices, priced, x, rounds)
        else:
            self.best = dataclasses.replace(self.best, lp=lp, exact=exact, x=x, rounds=rounds)
        return self.best

    def prune(self, keep: float) -> None:
        """Drop the active columns the last LP left at zero with a reduced cost above `keep`
        (the restricted LP stays small; a dropped column can enter again)."""
        if self._last is None:
            return
        priced, duals, x = self._last
        reduced = priced - duals[self.cols.klass]
        self.active &= (x > 0) | (reduced <= keep)

    def entering(self, per_class: int) -> np.ndarray:
        """(V,) bool: per class, up to `per_class` inactive columns with the most negative
        reduced cost at the last LP's duals (none after an exact round)."""
        if self._last is None:
            return np.zeros(len(self.cols), dtype=bool)
        priced, duals, _ = self._last
        reduced = priced - duals[self.cols.klass]
        mask = (reduced < -1e-9 * _scale(self.best.lp)) & ~self.active
        idx = np.flatnonzero(mask)
        order = idx[np.lexsort((reduced[idx], self.cols.klass[idx]))]
        klass = self.cols.klass[order]
        nth = np.arange(len(order)) - np.searchsorted(klass, klass)
        out = np.zeros(len(self.cols), dtype=bool)
        out[order[nth < per_class]] = True
        return out


def _scale(value: float) -> float:
    return max(1.0, abs(value)) if math.isfinite(value) else 1.0
