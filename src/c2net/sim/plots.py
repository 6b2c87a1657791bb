"""The report's figures (matplotlib, headless), each returned as PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from c2net.sim.metrics import Metrics

__all__ = ["cost_and_wait", "fairness", "utilization_heatmap", "wait_cdf"]


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def cost_and_wait(runs: Sequence[Metrics]) -> bytes:
    """Total cost (with the lower bound) and wait p50/p95 per policy."""
    names = [m.policy for m in runs]
    x = np.arange(len(runs))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    left.bar(x, [m.cost for m in runs], color="#4c78a8", label="cost")
    left.plot(x, [m.cost_lower_bound for m in runs], "k_", markersize=24, label="lower bound")
    left.set_xticks(x, names, rotation=30)
    left.set_ylabel(f"total cost ({runs[0].currency if runs else ''})")
    left.legend()
    right.bar(x - 0.2, [m.wait_p50_s / 3600 for m in runs], 0.4, label="p50")
    right.bar(x + 0.2, [m.wait_p95_s / 3600 for m in runs], 0.4, label="p95")
    right.set_xticks(x, names, rotation=30)
    right.set_ylabel("wait (hours)")
    right.legend()
    return _png(fig)


def utilization_heatmap(run: Metrics) -> bytes:
    """Share of each hub's devices busy over the arrival window, one row per hub."""
    hubs = sorted(run.utilization_by_hub)
    grid = np.array([run.utilization_by_hub[h] for h in hubs]) if hubs else np.zeros((1, 1))
    fig, ax = plt.subplots(figsize=(10, 0.45 * max(len(hubs), 2) + 1.2))
    image = ax.imshow(
        grid,
        aspect="auto",
        vmin=0,
        vmax=1,
        cmap="viridis",
        extent=(run.window_h[0], run.window_h[1], len(hubs), 0),
    )
    ax.set_yticks(np.arange(len(hubs)) + 0.5, hubs)
    ax.set_xlabel("simulated hours")
    ax.set_title(f"{run.policy}: {run.unit} busy per hub")
    fig.colorbar(image, ax=ax, fraction=0.03)
    return _png(fig)


def wait_cdf(runs: Sequence[Metrics]) -> bytes:
    """Share of jobs started within t, per policy (log time axis)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for m in runs:
        waits = np.sort(np.maximum(np.asarray(m.waits_s, dtype=float), 1.0))
        if len(waits):
            ax.step(
                waits / 60, np.arange(1, len(waits) + 1) / len(waits), where="post", label=m.policy
            )
    ax.set_xscale("log")
    ax.set_xlabel("wait (minutes, waits under 1 s drawn at 1 s)")
    ax.set_ylabel("share of jobs")
    ax.legend(fontsize=8)
    return _png(fig)


def fairness(runs: Sequence[Metrics]) -> bytes:
    """Jain's index across tenants per policy (1 = all tenants slowed down alike)."""
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar([m.policy for m in runs], [m.jain_fairness for m in runs], color="#59a14f")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("Jain's index")
    ax.tick_params(axis="x", rotation=30)
    return _png(fig)
