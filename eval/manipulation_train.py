"""Train the manipulation classifier that backs the gate's rules; threshold by cross-validation on training data only.

    .venv/bin/python eval/manipulation_train.py   # or `make scope-train`; writes
                                                  # corpus/scope/manipulation_classifier.json and
                                                  # eval/results/manipulation_train.md

Attempts (role change, instruction extraction, scam writing, asking for a secret, jailbreaks) against genuine
questions that sound alike (about scams, passwords, AI, role play in class) and every other genuine question the
scope classifier trains on: see tutor/evals/manipulation_data.py. The manipulation sets of earlier rounds are
training data here; `make scope` measures the result on the fresh set manipulation_F_vi.jsonl (round 5).

The threshold is the lowest at which, out of fold, at most MAX_LOOKALIKES of the look-alikes and MAX_OTHERS of the
other genuine questions would get the manipulation reply.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from tutor.answering.gate import MANIPULATION_MODEL_FILE
from tutor.config import Settings
from tutor.evals.manipulation_data import manipulation_training_data
from tutor.evals.scope_data import data_sha256
from tutor.evals.text_classifier import cross_validated, fit, lowest_threshold
from tutor.index.embed_cache import EmbeddingCache, embed_with_cache
from tutor.wiring import build_embedder, build_retriever

ROOT = Path(__file__).resolve().parent.parent
OUT_MD = ROOT / "eval" / "results" / "manipulation_train.md"
MAX_LOOKALIKES = 0.02
MAX_OTHERS = 0.002
C_VALUES = (3.0, 10.0, 30.0)


def main() -> int:
    settings = Settings()
    embedder = build_embedder(settings, threads=settings.build_threads)
    retriever = build_retriever(settings, embedder)
    attempts, lookalikes, others = manipulation_training_data(settings, ROOT)
    texts = attempts + lookalikes + others
    y = np.array([1] * len(attempts) + [0] * (len(lookalikes) + len(others)))
    group = np.array([0] * len(attempts) + [1] * len(lookalikes) + [2] * len(others))
    cache = EmbeddingCache(settings.embed_cache_dir)
    try:
        x, missing = embed_with_cache(embedder, [retriever.dense_text(t) for t in texts], cache, as_queries=True)
    finally:
        cache.close()
    print(f"{len(attempts)} attempts, {len(lookalikes)} look-alikes, {len(others)} others; {missing} embedded now")

    def allowed(flags: np.ndarray) -> bool:
        return bool(flags[group == 1].mean() <= MAX_LOOKALIKES and flags[group == 2].mean() <= MAX_OTHERS)

    rows = []
    best: tuple[float, float, float, float, float] | None = None
    for c in C_VALUES:
        p = cross_validated(texts, x, y, c)
        t = lowest_threshold(p, y, allowed)
        flags = p >= t
        row = (c, t, float(flags[group == 0].mean()), float(flags[group == 1].mean()), float(flags[group == 2].mean()))
        rows.append(row)
        if best is None or row[2] > best[2]:
            best = row
    assert best is not None
    c, threshold, recall, fp_look, fp_other = best
    model = fit(
        texts,
        x,
        y,
        c,
        embedder=embedder.id,
        threshold=threshold,
        data_sha256=data_sha256(attempts, lookalikes + others),
    )
    (settings.corpus_dir / MANIPULATION_MODEL_FILE).write_text(model.to_json() + "\n", encoding="utf-8")
    lines = [
        "# Manipulation classifier: training and threshold (cross-validation on the training data only)",
        "",
        f"- {len(attempts)} attempts, {len(lookalikes)} genuine look-alikes, {len(others)} other genuine questions "
        "(tutor/evals/manipulation_data.py; the manipulation sets of earlier rounds are training data now).",
        "- Logistic regression over TF-IDF of the question words (sublinear, L2) beside the e5 embedding; 5-fold "
        f"stratified CV; threshold = the lowest at which ≤ {100 * MAX_LOOKALIKES:.1f}% of look-alikes and "
        f"≤ {100 * MAX_OTHERS:.1f}% of other genuine questions are flagged. Serving ORs it with the rules "
        "(tutor/safety/manipulation.py).",
        "",
        "| C | threshold | attempts caught (CV) | look-alikes flagged (CV) | other genuine flagged (CV) |",
        "|---:|---:|---:|---:|---:|",
        *[f"| {r[0]} | {r[1]:.3f} | {100 * r[2]:.1f}% | {100 * r[3]:.2f}% | {100 * r[4]:.2f}% |" for r in rows],
        "",
        f"Chosen: C = {c}, threshold {threshold:.3f}; written to `corpus/{MANIPULATION_MODEL_FILE}` "
        f"(data sha256 {model.data_sha256[:12]}…).",
    ]
    OUT_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(json.dumps({"c": c, "threshold": threshold, "cv_caught": recall}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
