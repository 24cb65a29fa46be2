"""The self-contained HTML report: inline CSS, charts as data: PNGs, every untrusted string escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from tutor.evals.charts import latency_chart, retrieval_chart, slice_chart
from tutor.evals.dataset import GoldItem
from tutor.evals.records import ItemRecord
from tutor.evals.report import HEADLINE, format_ci, worst_items
from tutor.evals.scoring import ItemMetrics
from tutor.evals.stats import SLICE_METRICS, values_of

_TEMPLATES = Path(__file__).parent / "templates"


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
