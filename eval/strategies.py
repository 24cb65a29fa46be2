"""Every answer strategy on the same gold items in one run: focused pass, old pass, length, first words, with CIs.

Each strategy is one `tutor eval run` (same dataset, same stratified `--limit`, same commit), so the rows compare
like with like; the LLM strategies use the embedded llama.cpp model. Writes eval/results/strategies.md (and the
runs under eval/results/strategies/<strategy>/).

    .venv/bin/python eval/strategies.py --limit 60 [--strategies quoted,composed,generated,lead,rewrite,select]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LLM_MODES = {"generated", "lead", "rewrite", "select"}
WHAT = {
    "quoted": "the retrieved lesson sections quoted whole (the old default)",
    "composed": "answer spans matched to the question, level budget, no model (the default)",
    "generated": "the embedded model writes the answer from the passages; guard; composed on failure",
    "lead": "the composed answer, the model writes only a one-sentence opening",
    "rewrite": "the model rewrites the composed answer in plainer words; guard; composed on failure",
    "select": "the model picks which of the composer's candidate answers fits the question",
}


def run(strategy: str, dataset: Path, limit: int, out: Path) -> float:
    cmd = [
        str(ROOT / ".venv/bin/tutor"),
        "eval",
        "run",
        "--dataset",
        str(dataset),
        "--limit",
        str(limit),
        "--answer",
        strategy,
        "--out",
        str(out),
    ]
    if strategy in LLM_MODES:
        cmd += ["--llm", "llamacpp"]
    started = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.time() - started


def ci(stat: dict[str, float], scale: float = 100.0, unit: str = "%", digits: int = 1) -> str:
    m, lo, hi = (stat[k] * scale for k in ("mean", "low", "high"))
    return f"{m:.{digits}f}{unit} [{lo:.{digits}f}, {hi:.{digits}f}]"


def row(strategy: str, out: Path, seconds: float) -> str:
    summary = json.loads((out / "summary.json").read_text())
    o = summary["overall"]
    items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines() if line.strip()]
    cb = [
        i["metrics"]["answer_syllables"]
        for i in items
        if i["level"] == "co-ban" and i["metrics"].get("answer_syllables")
    ]
    ttft = summary["latency"]["ttft_s"]  # the run's own percentiles
    return (
        f"| {strategy} | {ci(o['focused_pass_rate'])} | {ci(o['pass_rate'])} "
        f"| {ci(o['answer_syllables'], 1, '')} | {statistics.median(cb) if cb else 0:.0f} "
        f"| {ci(o['ttft_s'], 1, ' s', 2)} | {ttft['p50']:.2f} / {ttft['p95']:.2f} s "
        f"| {ci(o['total_s'], 1, ' s', 2)} | {ci(o['replaced_rate'])} | {seconds / 60:.1f} min |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", type=Path, default=ROOT / "eval/datasets/gold_vi.jsonl")
    ap.add_argument("--limit", type=int, default=60)
    ap.add_argument("--strategies", default="quoted,composed,lead,select,rewrite,generated")
    ap.add_argument("--out", type=Path, default=ROOT / "eval/results/strategies.md")
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    rows = []
    for strategy in args.strategies.split(","):
        out = args.out.parent / "strategies" / strategy
        seconds = run(strategy, args.dataset, args.limit, out)
        rows.append(row(strategy, out, seconds))
        print(rows[-1], flush=True)
    lines = [
        "# Answer strategies on the same gold items",
        "",
        f"`{args.dataset.name}`, `--limit {args.limit}` (stratified by type), commit `{commit.strip()}`, one run each; "
        "brackets: 95% bootstrap CI. Focused pass = pass (key-point coverage ≥ 0.8, no must_not, valid citations, "
        "correct refusal) and the answer within its level's length budget. First words = time to the first shown "
        "token, one question at a time on this 2-core machine (the classroom figures are in `make bench`).",
        "",
        "| strategy | focused pass | pass (old rule) | syllables (mean) | Cơ bản median | first words (mean) "
        "| first words p50 / p95 | answer complete (mean) | replaced by guard | run time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "In lead, select and rewrite the composed answer is on screen at once (first words); the model's version "
        "replaces it when it is ready (answer complete).",
        "",
        *(f"- **{s}**: {WHAT[s]}" for s in args.strategies.split(",")),
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
