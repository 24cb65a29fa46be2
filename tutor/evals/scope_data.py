"""The scope classifier's training data: what the lessons answer against everyday off-topic questions."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tutor.answering.scope import INSIDE_FILE, OUTSIDE_FILE, read_examples
from tutor.config import Settings
from tutor.corpus.answers import load_answer_spans
from tutor.corpus.load import load_lessons
from tutor.evals.dataset import load_gold
from tutor.learner.quizbank import load_quiz_bank

#: Held-out sets already measured once (rounds 1 and 2, eval/results/scope_round1.md, scope_round2.md): from the
#: next round on they are training data, and a fresh set (scope_heldoutD_vi.jsonl) measures the result.
MEASURED_SETS = (
    "scope_heldout_vi.jsonl",
    "scope_heldout2_vi.jsonl",
    "scope_heldoutA_vi.jsonl",
    "scope_heldoutB_vi.jsonl",
    "scope_heldoutC_vi.jsonl",
)


def labelled(path: Path) -> tuple[list[str], list[str]]:
    """(in scope, out of scope) questions of a held-out set (`question`, `in_scope` per JSON line)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if r["in_scope"]], [r["question"] for r in rows if not r["in_scope"]]


def training_data(settings: Settings, gold_path: Path) -> tuple[list[str], list[str]]:
    """(in scope, out of scope), each once, in a fixed order.

    In scope: every answer span's questions, the quiz stems, lesson titles, the first gold set's answerable
    questions, corpus/scope/in_scope.txt and the in-scope questions of the sets measured in earlier rounds. Out of
    scope: corpus/scope/out_of_scope.txt, the first gold set's out-of-scope questions and the earlier rounds' off-topic
    ones. The fresh held-out set (D) and the second gold set are never part of it.
    """
    lessons = load_lessons(settings.lessons_dir)
    spans, _ = load_answer_spans(settings.corpus_dir, lessons)
    gold = load_gold(gold_path)
    inside = [q for s in spans for q in s.questions]
    inside += [item.stem for item in load_quiz_bank(settings.quiz_dir)]
    inside += [lesson.title for lesson in lessons]
    inside += [i.question for i in gold if i.answerable]
    inside += read_examples(settings.corpus_dir / INSIDE_FILE)
    outside = read_examples(settings.corpus_dir / OUTSIDE_FILE) + [i.question for i in gold if not i.answerable]
    for name in MEASURED_SETS:
        on, off = labelled(gold_path.parent / name)
        inside += on
        outside += off
    outside_set = set(outside)
    return [q for q in dict.fromkeys(inside) if q not in outside_set], list(dict.fromkeys(outside))


def data_sha256(inside: list[str], outside: list[str]) -> str:
    """Hash of the labelled training texts, stored with the model so a stale model is noticed."""
    h = hashlib.sha256()
    for label, texts in (("in", inside), ("out", outside)):
        for text in sorted(texts):
            h.update(f"{label}\t{text}\n".encode())
    return h.hexdigest()
