"""The self-contained HTML report: inline CSS, matplotlib charts as data: PNGs, every untrusted string escaped."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from tutor.errors import MissingExtraError
from tutor.evals.dataset import GoldItem
from tutor.evals.records import ItemRecord
from tutor.evals.report import HEADLINE, format_ci, worst_items
from tutor.evals.scoring import ItemMetrics
from tutor.evals.stats import SLICE_METRICS, values_of

try:
    # Figure + savefig needs no pyplot and no display: safe in a server, a CI box or a thread.
    from matplotlib.figure import Figure
except ImportError as exc:  # serving installs without the `eval` extra
    raise MissingExtraError(exc, "eval", "Biểu đồ của báo cáo đánh giá") from exc

_TEMPLATES = Path(__file__).parent / "templates"


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


def _env() -> jinja2.Environment:
    # Autoescape everything: answers, questions and passages are untrusted text (a prompt-injected
    # model can write "<script>"), and the report is opened in a browser.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _pct(metric: str) -> bool:
    return metric.endswith("rate") or metric.startswith("hit") or metric in ("pass_rate", "refusal_accuracy")


def _slice_tables(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    tables = []
    for name, values in summary["slices"].items():
        rows = [
            {"value": value, "n": data["n"], "cells": [format_ci(data.get(c), pct=_pct(c)) for c in SLICE_METRICS]}
            for value, data in values.items()
        ]
        tables.append({"name": name, "columns": list(SLICE_METRICS), "rows": rows})
    return tables


def _worst(
    records: Sequence[ItemRecord], metrics: Sequence[ItemMetrics], gold: Mapping[str, GoldItem], n: int
) -> list[dict[str, Any]]:
    by_id = {m.id: m for m in metrics}
    out = []
    for rec in worst_items(records, metrics, n):
        m = by_id[rec.id]
        item = gold.get(rec.id)
        gold_loc = f"{item.gold.lesson}#{item.gold.section}" if item and item.gold else None
        rank = next(
            (
                i
                for i, r in enumerate(rec.ranking, 1)
                if item and item.gold and (r.lesson_id, r.section_id) == (item.gold.lesson, item.gold.section)
            ),
            None,
        )
        out.append(
            {
                "id": rec.id,
                "type": m.type,
                "level": m.level,
                "group": m.group,
                "safety_critical": m.safety_critical,
                "reasons": list(m.fail_reasons),
                "question": rec.question,
                "answer": rec.answer,
                "error": rec.error,
                "gold": gold_loc,
                "gold_rank": rank if rank is not None else "—",
                "coverage": f"{m.coverage_folded:.2f}" if m.coverage_folded is not None else "—",
                "missed": list(m.missed_points),
                "must_not": list(m.must_not),
                "citations": [c.model_dump() for c in rec.citations],
                "passages": [p.model_dump() for p in rec.retrieved],
            }
        )
    return out


def render_html(
    summary: Mapping[str, Any],
    records: Sequence[ItemRecord],
    metrics: Sequence[ItemMetrics],
    gold: Mapping[str, GoldItem],
    *,
    worst: int = 25,
) -> str:
    overall = summary["overall"]
    headline = [
        {"label": label, "value": format_ci(overall.get(metric), pct=pct), "n": (overall.get(metric) or {}).get("n", 0)}
        for label, metric, pct in HEADLINE
    ]
    charts = [
        ("pass rate by type", slice_chart(summary, "type")),
        ("pass rate by level", slice_chart(summary, "level")),
        ("retrieval hit@k", retrieval_chart(summary)),
        ("latency", latency_chart(values_of(metrics, "ttft_s"), values_of(metrics, "total_s"))),
    ]
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            run=summary["run"],
            counts=summary["counts"],
            thresholds=summary["thresholds"],
            fail_reasons=summary["fail_reasons"],
            judge=summary.get("judge"),
            headline=headline,
            charts=charts,
            slice_tables=_slice_tables(summary),
            worst=_worst(records, metrics, gold, worst),
        )
    )
