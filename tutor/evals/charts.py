"""Matplotlib charts for the HTML report, rendered off-screen and returned as base64 PNG strings."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import Any

# Figure + savefig needs no pyplot and no display: safe in a server, a CI box or a thread.
from matplotlib.figure import Figure


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _bars_with_ci(ax: Any, labels: Sequence[str], ests: Sequence[Mapping[str, float] | None], color: str) -> None:
    means = [e["mean"] if e else 0.0 for e in ests]
    lows = [e["mean"] - e["low"] if e else 0.0 for e in ests]
    highs = [e["high"] - e["mean"] if e else 0.0 for e in ests]
    ax.bar(range(len(labels)), means, yerr=[lows, highs], capsize=4, color=color)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")


def slice_chart(summary: Mapping[str, Any], slice_name: str, metric: str = "pass_rate") -> str:
    """One bar per slice value with its 95% CI, e.g. pass rate by question type."""
    data = summary["slices"].get(slice_name, {})
    labels = [f"{k} (n={v['n']})" for k, v in data.items()]
    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.subplots()
    _bars_with_ci(ax, labels, [v.get(metric) for v in data.values()], "#3b7dd8")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{metric} by {slice_name} (95% CI)")
    return _png(fig)


def retrieval_chart(summary: Mapping[str, Any]) -> str:
    """hit@1/3/5 at section and lesson level, side by side."""
    overall = summary["overall"]
    ks = ("hit1", "hit3", "hit5")
    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.subplots()
    width = 0.38
    for offset, unit, color in ((-width / 2, "section", "#3b7dd8"), (width / 2, "lesson", "#9ab8e6")):
        ests = [overall.get(f"{k}_{unit}") for k in ks]
        means = [e["mean"] if e else 0.0 for e in ests]
        err = [[e["mean"] - e["low"] if e else 0.0 for e in ests], [e["high"] - e["mean"] if e else 0.0 for e in ests]]
        ax.bar([i + offset for i in range(len(ks))], means, width, yerr=err, capsize=4, label=unit, color=color)
    ax.set_xticks(range(len(ks)), [k.replace("hit", "hit@") for k in ks])
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right")
    ax.set_title("Retrieval hit@k (95% CI)")
    return _png(fig)


def latency_chart(ttft: Sequence[float], total: Sequence[float]) -> str:
    """Histograms of time to first token and total time per item."""
    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.subplots()
    values = [v for v in (*ttft, *total) if v is not None]
    bins = 30 if values else 1
    if ttft:
        ax.hist(ttft, bins=bins, alpha=0.6, label="time to first token", color="#3b7dd8")
    if total:
        ax.hist(total, bins=bins, alpha=0.6, label="total", color="#e07b39")
    ax.set_xlabel("seconds")
    ax.set_ylabel("items")
    ax.legend()
    ax.set_title("Latency per item")
    return _png(fig)
