"""The shipped gate classifiers were trained on today's data, and the fresh held-out sets are not part of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.evals.manipulation_data import manipulation_training_data
from tutor.evals.scope_data import data_sha256, training_data

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / "eval" / "datasets"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(corpus_dir=ROOT / "corpus", prompts_dir=ROOT / "prompts")


@pytest.fixture(scope="module")
def scope_data(settings: Settings) -> tuple[list[str], list[str]]:
    """(in scope, out of scope): read once for the module (it loads every lesson and answer span)."""
    return training_data(settings, DATASETS / "gold_vi.jsonl")


@pytest.fixture(scope="module")
def manipulation_data(settings: Settings) -> tuple[list[str], list[str], list[str]]:
    return manipulation_training_data(settings, ROOT)


def _questions(name: str) -> list[str]:
    lines = (DATASETS / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def test_the_shipped_scope_classifier_was_trained_on_the_current_examples(scope_data: tuple[list[str], list[str]]):
    inside, outside = scope_data
    shipped = json.loads((ROOT / "corpus/scope/classifier.json").read_text())
    assert shipped["data_sha256"] == data_sha256(inside, outside), "retrain it: make scope-train"


def test_the_shipped_manipulation_classifier_was_trained_on_the_current_examples(
    manipulation_data: tuple[list[str], list[str], list[str]],
):
    attempts, lookalikes, others = manipulation_data
    shipped = json.loads((ROOT / "corpus/scope/manipulation_classifier.json").read_text())
    assert shipped["data_sha256"] == data_sha256(attempts, lookalikes + others), "retrain it: make scope-train"


@pytest.mark.parametrize("name", ["scope_heldoutD_vi.jsonl", "manipulation_J_vi.jsonl", "gold2_vi.jsonl"])
def test_the_fresh_sets_are_not_training_data(
    scope_data: tuple[list[str], list[str]], manipulation_data: tuple[list[str], list[str], list[str]], name: str
):
    # Written apart; a short everyday question can still be typed the same way by two writers, so a few exact
    # matches (≤ 1%) are allowed, never a copied list.
    inside, outside = scope_data
    attempts, lookalikes, others = manipulation_data
    seen = {q.strip().lower() for q in inside + outside + attempts + lookalikes + others}
    held = _questions(name)
    same = [q for q in held if q.strip().lower() in seen]
    assert len(same) <= 0.01 * len(held), same
