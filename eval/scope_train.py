"""Train the scope classifier and choose its threshold by cross-validation on the training data only.

    .venv/bin/python eval/scope_train.py          # or `make scope-train`; writes corpus/scope/classifier.json
                                                  # and eval/results/scope_train.md

In scope: the questions of every answer span (corpus/answers/), the quiz stems, lesson titles, the first gold set's
answerable questions and corpus/scope/in_scope.txt. Out of scope: corpus/scope/out_of_scope.txt and the first gold
set's out-of-scope questions, and the held-out sets measured once in earlier rounds (tutor/evals/scope_data.py). The
fresh held-out set D is never read here: it measures the result (`make scope`).

The model is a logistic regression (scikit-learn) over the question's words (TF-IDF of folded syllables and syllable
pairs) and its e5 embedding, exactly as retrieval computes it, so serving needs a few dictionary look-ups and a dot
product, and no scikit-learn. The threshold is the lowest
probability at which, in 5-fold cross-validation, at most MAX_WRONG_REFUSALS of the in-scope examples would be
refused once the digital-word rule has kept its share in scope.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from tutor.answering.scope import MODEL_FILE, digital_words
from tutor.config import Settings
from tutor.evals.scope_data import data_sha256, training_data
from tutor.evals.text_classifier import cross_validated, fit, lowest_threshold
from tutor.index.embed_cache import EmbeddingCache, embed_with_cache
from tutor.wiring import build_embedder, build_retriever

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "datasets" / "gold_vi.jsonl"
OUT_MD = ROOT / "eval" / "results" / "scope_train.md"
#: Share of in-scope training questions the chosen threshold may refuse in cross-validation.
MAX_WRONG_REFUSALS = 0.005
C_VALUES = (3.0, 10.0, 30.0)


def choose_threshold(p: np.ndarray, y: np.ndarray, kept: np.ndarray) -> tuple[float, float, float]:
    """(threshold, out-of-scope refused, in-scope wrongly refused) at the lowest allowed threshold."""
    t = lowest_threshold(p, y, lambda flags: bool((flags & ~kept)[y == 0].mean() <= MAX_WRONG_REFUSALS))
    refused = (p >= t) & ~kept
    return t, float(refused[y == 1].mean()), float(refused[y == 0].mean())


def main() -> int:
    settings = Settings()
    embedder = build_embedder(settings, threads=settings.build_threads)
    retriever = build_retriever(settings, embedder)
    inside, outside = training_data(settings, GOLD)
    texts = inside + outside
    y = np.array([0] * len(inside) + [1] * len(outside))
    cache = EmbeddingCache(settings.embed_cache_dir)
    try:
        x, missing = embed_with_cache(embedder, [retriever.dense_text(t) for t in texts], cache, as_queries=True)
    finally:
        cache.close()
    print(f"{len(inside)} in scope, {len(outside)} out; {missing} embedded now", file=sys.stderr)
    kept = np.array([bool(digital_words(t)) for t in texts])
    rows = []
    best: tuple[float, float, float, float] | None = None
    for c in C_VALUES:
        p = cross_validated(texts, x, y, c)
        t, recall, wrong = choose_threshold(p, y, kept)
        t_rule_off, recall_off, wrong_off = choose_threshold(p, y, np.zeros_like(kept))
        rows.append((c, t, recall, wrong, t_rule_off, recall_off, wrong_off))
        if best is None or recall > best[2]:
            best = (c, t, recall, wrong)
    assert best is not None
    c, threshold, recall, wrong = best
    scope = fit(texts, x, y, c, embedder=embedder.id, threshold=threshold, data_sha256=data_sha256(inside, outside))
    (settings.corpus_dir / MODEL_FILE).write_text(scope.to_json() + "\n", encoding="utf-8")
    lines = [
        "# Scope classifier: training and threshold (cross-validation on the training data only)",
        "",
        f"- {len(inside)} in-scope examples (answer-span questions, quiz stems, lesson titles, first gold set, "
        f"in_scope.txt, the earlier rounds' held-out sets), {len(outside)} out-of-scope examples "
        "(out_of_scope.txt, first gold set, the earlier rounds' held-out sets).",
        "- Logistic regression over TF-IDF of the question words (sublinear, L2) beside the e5 question embedding; "
        "5-fold stratified CV; threshold = the lowest at which "
        f"≤ {100 * MAX_WRONG_REFUSALS:.1f}% of in-scope examples are refused.",
        "",
        "| C | threshold | out of scope refused (CV) | in scope refused (CV) | without the digital-word rule: "
        "threshold | refused | wrongly refused |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {r[0]} | {r[1]:.3f} | {100 * r[2]:.1f}% | {100 * r[3]:.2f}% | {r[4]:.3f} | {100 * r[5]:.1f}% | "
            f"{100 * r[6]:.2f}% |"
            for r in rows
        ],
        "",
        f"Chosen: C = {c}, threshold {threshold:.3f}; written to `corpus/{MODEL_FILE}` "
        f"(data sha256 {scope.data_sha256[:12]}…).",
    ]
    OUT_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(json.dumps({"c": c, "threshold": threshold, "cv_refused": recall, "cv_wrong": wrong}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
