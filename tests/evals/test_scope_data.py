"""The shipped scope classifier was trained on today's data: a changed lesson, span or example list means retraining."""

from __future__ import annotations

import json
from pathlib import Path

from tutor.config import Settings
from tutor.evals.scope_data import data_sha256, training_data

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_classifier_was_trained_on_the_current_examples():
    settings = Settings(corpus_dir=ROOT / "corpus", prompts_dir=ROOT / "prompts")
    inside, outside = training_data(settings, ROOT / "eval/datasets/gold_vi.jsonl")
    shipped = json.loads((ROOT / "corpus/scope/classifier.json").read_text())
    assert shipped["data_sha256"] == data_sha256(inside, outside), "retrain it: make scope-train"


def test_held_out_questions_are_not_the_training_data():
    # Written apart from it; a short everyday question can still be typed the same way by two writers (one such
    # coincidence per set today, e.g. a football score), so a few exact matches are allowed, never a copied list.
    settings = Settings(corpus_dir=ROOT / "corpus", prompts_dir=ROOT / "prompts")
    inside, outside = training_data(settings, ROOT / "eval/datasets/gold_vi.jsonl")
    seen = {q.strip().lower() for q in inside + outside}
    for name in ("scope_heldoutA_vi.jsonl", "scope_heldoutB_vi.jsonl"):
        lines = (ROOT / "eval/datasets" / name).read_text().splitlines()
        held = [json.loads(line)["question"] for line in lines if line.strip()]
        same = [q for q in held if q.strip().lower() in seen]
        assert len(same) <= 0.01 * len(held), (name, same)
