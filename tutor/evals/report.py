"""Summaries of a scored run: summary.json, the Markdown summary for the terminal, and the files on disk."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tutor.evals.records import ItemRecord, RunManifest
from tutor.evals.scoring import EMBED_SUPPORT_THRESHOLD, PASS_COVERAGE, ItemMetrics
from tutor.evals.stats import (
    LEVEL,
    RESAMPLES,
    SEED,
    SLICE_METRICS,
    aggregate,
    by_slice,
    estimates_to_json,
    percentiles,
    values_of,
)

SUMMARY_JSON = "summary.json"
SUMMARY_MD = "summary.md"
REPORT_HTML = "report.html"


def build_summary(
    manifest: RunManifest,
    metrics: Sequence[ItemMetrics],
    *,
    judge: dict[str, Any] | None = None,
    common_top_n: int,
    embed_threshold: float | None = EMBED_SUPPORT_THRESHOLD,
) -> dict[str, Any]:
    """Everything a reader needs to trust a figure: what ran, on what, with which thresholds, and the CIs."""
    reasons: Counter[str] = Counter(r for m in metrics for r in m.fail_reasons)
    return {
        "run": {
            "name": manifest.name,
            "llm": manifest.llm,
            "embedder": manifest.embedder,
            "dataset": manifest.dataset,
            "dataset_sha256": manifest.dataset_sha256,
            "dataset_items": manifest.dataset_items,
            "selected": manifest.selected,
            "limit": manifest.limit,
            "git_commit": manifest.git_commit,
            "corpus_hash": manifest.corpus.get("hash"),
            "index_built_at": (manifest.index or {}).get("built_at"),
            "prompts_sha256": manifest.prompts.get("sha256"),
            "options": manifest.options,
            "started_at": manifest.started_at,
            "finished_at": manifest.finished_at,
            "wall_s": manifest.wall_s,
        },
        "counts": {
            "scored": len(metrics),
            "passed": sum(m.passed for m in metrics),
            "focused_passed": sum(m.focused_passed for m in metrics),
            "errors": sum(m.error for m in metrics),
            "answerable": sum(m.answerable for m in metrics),
            "out_of_scope": sum(not m.answerable for m in metrics),
            "safety_critical": sum(m.safety_critical for m in metrics),
        },
        "thresholds": {
            "pass_coverage_folded": PASS_COVERAGE,
            "length_budget_syllables": length_budget_of(metrics),
            "embed_support_cosine": embed_threshold,
            "rare_syllable_top_n": common_top_n,
            "bootstrap": {"resamples": RESAMPLES, "seed": SEED, "level": LEVEL},
        },
        "overall": estimates_to_json(aggregate(metrics)),
        "latency": {name: percentiles(values_of(metrics, name)) for name in ("ttft_s", "total_s")},
        "slices": estimates_to_json(by_slice(metrics)),
        "fail_reasons": dict(reasons.most_common()),
        "judge": judge,
    }


def length_budget_of(metrics: Sequence[ItemMetrics]) -> dict[str, float]:
    """The length budget each level was held to, as the scorer recorded it."""
    return {m.level: m.length_budget for m in sorted(metrics, key=lambda m: m.level) if m.length_budget is not None}


def format_ci(est: dict[str, Any] | None, *, pct: bool = False, digits: int = 3) -> str:
    if not est:
        return "–"
    if pct:
        return f"{100 * est['mean']:.1f}% [{100 * est['low']:.1f}, {100 * est['high']:.1f}]"
    return f"{est['mean']:.{digits}f} [{est['low']:.{digits}f}, {est['high']:.{digits}f}]"


#: Headline rows: (label, metric, shown as a percentage).
HEADLINE: tuple[tuple[str, str, bool], ...] = (
    ("Focused pass rate (pass + length budget)", "focused_pass_rate", True),
    ("Pass rate (old rule)", "pass_rate", True),
    ("Answer length, syllables (mean)", "answer_syllables", False),
    ("Focus (share of sentences on a key point)", "focus", False),
    ("Opens on a key point (first sentence)", "opens_on_point", True),
    ("Hit@1 (section)", "hit1_section", True),
    ("Hit@3 (section)", "hit3_section", True),
    ("Hit@5 (section)", "hit5_section", True),
    ("Hit@5 (lesson)", "hit5_lesson", True),
    ("MRR (section)", "mrr_section", False),
    ("MRR (lesson)", "mrr_lesson", False),
    ("nDCG@5 (section)", "ndcg5_section", False),
    ("Key-point coverage (accented)", "coverage", False),
    ("Key-point coverage (accent-folded)", "coverage_folded", False),
    ("must_not violations", "must_not_rate", True),
    ("Refusal accuracy (all items)", "refusal_accuracy", True),
    ("Out-of-scope refused", "refusal_rate_out_of_scope", True),
    ("Answerable wrongly refused", "wrong_refusal_rate", True),
    ("Citations valid", "citation_valid_rate", True),
    ("Citation precision (section)", "citation_precision_section", False),
    ("Citation recall (section)", "citation_recall_section", False),
    ("Citation recall (lesson)", "citation_recall_lesson", False),
    ("Grounded share (lexical)", "grounded_lexical", False),
    ("Grounded share (embedding)", "grounded_embedding", False),
    ("Token F1 (syllables)", "f1_syllable", False),
    ("Token F1 (words)", "f1_word", False),
    ("ROUGE-L (syllables)", "rouge_l_syllable", False),
    ("ROUGE-L (words)", "rouge_l_word", False),
    ("Degraded (LLM down)", "degraded_rate", True),
    ("Replaced by guard", "replaced_rate", True),
    ("TTFT, s (mean)", "ttft_s", False),
    ("Total, s (mean)", "total_s", False),
)
#: The terminal's slice tables: every slice metric but the readability, must-not and timing ones, which the HTML
#: report shows and a terminal has no width for.
SLICE_COLUMNS = tuple(
    m
    for m in SLICE_METRICS
    if m not in {"must_not_rate", "words_per_sentence", "syllables_per_word", "rare_syllable_rate", "total_s"}
)


def _slice_table(summary: dict[str, Any], name: str, columns: Sequence[str] = SLICE_COLUMNS) -> list[str]:
    rows = [f"| {name} | n | " + " | ".join(columns) + " |", "|---|---:|" + "---:|" * len(columns)]
    for value, data in summary["slices"].get(name, {}).items():
        cells = [
            format_ci(data.get(c), pct=c.endswith("rate") or c.startswith("hit") or c == "refusal_accuracy")
            for c in columns
        ]
        rows.append(f"| {value} | {data['n']} | " + " | ".join(cells) + " |")
    return rows


def render_markdown(summary: dict[str, Any]) -> str:
    """The terminal summary; also saved as summary.md. 95% bootstrap CIs in brackets."""
    run, counts, overall = summary["run"], summary["counts"], summary["overall"]
    lines = [
        f"# Eval `{run['name']}` — {run['llm']}",
        "",
        f"- dataset `{run['dataset']}` (sha256 {run['dataset_sha256'][:12]}…), {counts['scored']} of "
        f"{run['dataset_items']} items scored"
        + (f" (stratified subset of {run['selected']})" if run["limit"] else "")
        + ("" if run["finished_at"] else f" — **unfinished run**, stopped after {run['wall_s'] / 60:.0f} min")
        + f"; {counts['errors']} errors",
        f"- embedder `{run['embedder']}`, k={run['options'].get('k')}, max_tokens={run['options'].get('max_tokens')}, "
        f"temperature={run['options'].get('temperature')}; commit `{(run['git_commit'] or 'unknown')[:12]}`",
        f"- pass = accent-folded key-point coverage ≥ {summary['thresholds']['pass_coverage_folded']}, no must_not, "
        "valid citations, correct refusal; focused pass = pass and an answer within its level's length budget ("
        + ", ".join(f"{lv} {b:.0f}" for lv, b in summary["thresholds"].get("length_budget_syllables", {}).items())
        + " syllables); brackets: 95% bootstrap CI",
        "",
        "| metric | value [95% CI] |",
        "|---|---:|",
    ]
    lines += [f"| {label} | {format_ci(overall.get(metric), pct=pct)} |" for label, metric, pct in HEADLINE]
    lat = summary["latency"]
    lines += [
        "",
        "Latency percentiles (s): "
        + "; ".join(f"{name} " + ", ".join(f"{k} {v:.2f}" for k, v in lat[name].items()) for name in lat if lat[name]),
        "",
        "## By type",
        "",
        *_slice_table(summary, "type"),
        "",
        "## By level (level adherence: words/sentence, syllables/word, rare-syllable rate)",
        "",
        *_slice_table(
            summary,
            "level",
            (
                "focused_pass_rate",
                "pass_rate",
                "answer_syllables",
                "coverage_folded",
                "words_per_sentence",
                "syllables_per_word",
                "rare_syllable_rate",
            ),
        ),
        "",
        "## Failure reasons",
        "",
        ", ".join(f"{k}: {v}" for k, v in summary["fail_reasons"].items()) or "none",
    ]
    judge = summary.get("judge")
    if judge:
        lines += [
            "",
            "## LLM judge",
            "",
            f"judged {judge['judged']} of {judge['asked']} (failure rate "
            f"{100 * (judge['failure_rate'] or 0):.1f}%, {judge['cached']} from cache); "
            + ", ".join(
                f"{k} {format_ci(judge.get(k), digits=2)}" for k in ("correct", "grounded", "level_fit", "safe")
            ),
        ]
    return "\n".join(lines) + "\n"


def write_summary(run_dir: Path, summary: dict[str, Any]) -> str:
    """Write summary.json and summary.md; returns the Markdown."""
    (run_dir / SUMMARY_JSON).write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    md = render_markdown(summary)
    (run_dir / SUMMARY_MD).write_text(md, encoding="utf-8")
    return md


def worst_items(records: Sequence[ItemRecord], metrics: Sequence[ItemMetrics], n: int = 20) -> list[ItemRecord]:
    """Failures first, safety-critical ones before others, then by lowest coverage and rank of the gold."""
    by_id = {m.id: m for m in metrics}

    def badness(rec: ItemRecord) -> tuple[int, int, float, float]:
        m = by_id[rec.id]
        return (
            int(m.passed),
            int(not m.safety_critical),
            m.coverage_folded if m.coverage_folded is not None else 1.0,
            m.mrr_section if m.mrr_section is not None else 1.0,
        )

    return sorted((r for r in records if r.id in by_id and not by_id[r.id].passed), key=badness)[:n]
