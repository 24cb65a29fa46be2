"""Measure the scope gate (tutor/answering/scope.py) with the real e5 embedder: how many out-of-scope questions it
refuses and how many answerable ones it refuses wrongly, at several margins, on the gold set and on a held-out set.

    .venv/bin/python eval/scope_check.py            # writes eval/results/scope.md and scope.json

The held-out set (eval/datasets/scope_heldout_vi.jsonl, 90 in scope and 90 out) was written apart from the
gate's examples (corpus/scope/out_of_scope.txt) and from the gold set. Needs a built e5 index (`make run` or
`tutor index build`); the example questions are embedded once into the embedding cache.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tutor.config import Settings  # noqa: E402
from tutor.wiring import build_embedder, build_retriever, build_scope_gate  # noqa: E402

MARGINS = (-0.01, 0.0, 0.005, 0.01, 0.015, 0.02, 0.03)


def _load(name: str, label: str) -> list[tuple[str, bool, str]]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "datasets" / name).read_text("utf-8").splitlines() if line]
    return [(r["question"], bool(r[label]), r.get("topic") or r.get("type") or "") for r in rows]


def main() -> None:
    settings = Settings()
    embedder = build_embedder(settings)
    retriever = build_retriever(settings, embedder)
    t0 = time.perf_counter()
    gate = build_scope_gate(settings, embedder, retriever)
    build_s = time.perf_counter() - t0
    if gate is None:
        sys.exit(f"no scope gate for embedder {embedder.id} (TUTOR_SCOPE_GATE off, or not the e5 embedder)")
    sets = {
        "gold (eval/datasets/gold_vi.jsonl)": _load("gold_vi.jsonl", "answerable"),
        "held-out (eval/datasets/scope_heldout_vi.jsonl)": _load("scope_heldout_vi.jsonl", "in_scope"),
        "second held-out (eval/datasets/scope_heldout2_vi.jsonl)": _load("scope_heldout2_vi.jsonl", "in_scope"),
    }
    results: dict[str, dict[str, object]] = {}
    lines = [
        "# Scope gate: out-of-scope questions refused, answerable ones kept",
        "",
        f"Embedder `{embedder.id}`; {len(gate._inside)} inside examples (lesson titles, quiz stems), "
        f"{len(gate._outside)} outside examples (corpus/scope/out_of_scope.txt), k = {gate.k}. "
        f"Serving margin: {settings.scope_margin:+.3f}. Gate built in {build_s:.1f} s (embedding cache "
        "warm after `tutor index build`).",
        "",
        "A question with a digital word (VNeID, OTP, Zalo, chuyển khoản, AI…) is never refused; the columns count "
        "refusals with that rule.",
        "",
    ]
    for name, items in sets.items():
        timings: list[float] = []
        verdicts = []
        for question, _, _ in items:
            t = time.perf_counter()
            verdicts.append(gate.check(question))
            timings.append((time.perf_counter() - t) * 1e3)
        y = np.array([answerable for _, answerable, _ in items])
        lean = np.array([v.lean_outside for v in verdicts])
        kept = np.array([bool(v.reason) for v in verdicts])
        rows = []
        for margin in MARGINS:
            refused = (lean > margin) & ~kept
            rows.append(
                {
                    "margin": margin,
                    "out_of_scope_refused": int(refused[~y].sum()),
                    "out_of_scope": int((~y).sum()),
                    "answerable_refused": int(refused[y].sum()),
                    "answerable": int(y.sum()),
                }
            )
        serving = (lean > settings.scope_margin) & ~kept
        missed = [items[i][0] for i in np.where(~y & ~serving)[0]]
        wrong = [items[i][0] for i in np.where(y & serving)[0]]
        results[name] = {
            "rows": rows,
            "kept_by_digital_word": {"answerable": int(kept[y].sum()), "out_of_scope": int(kept[~y].sum())},
            "check_ms_p50": float(np.percentile(timings, 50)),
            "check_ms_p95": float(np.percentile(timings, 95)),
            "missed_at_serving_margin": missed,
            "wrongly_refused_at_serving_margin": wrong,
        }
        lines += [
            f"## {name}",
            "",
            "| margin | out-of-scope refused | answerable wrongly refused |",
            "|---|---|---|",
        ]
        for r in rows:
            mark = " (serving)" if abs(float(r["margin"]) - settings.scope_margin) < 1e-9 else ""
            lines.append(
                f"| {r['margin']:+.3f}{mark} | {r['out_of_scope_refused']}/{r['out_of_scope']} "
                f"({r['out_of_scope_refused'] / max(1, r['out_of_scope']):.0%}) | "
                f"{r['answerable_refused']}/{r['answerable']} |"
            )
        lines += [
            "",
            f"Kept in scope by a digital word: {int(kept[y].sum())} of {int(y.sum())} answerable, "
            f"{int(kept[~y].sum())} of {int((~y).sum())} out of scope. One check (embedding included, no cache): "
            f"p50 {np.percentile(timings, 50):.1f} ms, p95 {np.percentile(timings, 95):.1f} ms; retrieval then "
            "reuses the embedding.",
            "",
            "Out-of-scope questions still answered at the serving margin:",
            "",
            *[f"- {q}" for q in missed],
            "",
        ]
        if wrong:
            lines += ["Answerable questions refused at the serving margin:", "", *[f"- {q}" for q in wrong], ""]
    out = ROOT / "eval" / "results"
    (out / "scope.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "scope.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
