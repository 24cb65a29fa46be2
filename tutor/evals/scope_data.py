"""The scope classifier's training data: what the lessons answer against everyday off-topic questions."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tutor.answering.scope import INSIDE_FILE, OUTSIDE_FILE, read_examples
from tutor.config import Settings
from tutor.corpus.answers import load_answer_spans
from tutor.corpus.load import load_lessons
from tutor.evals.dataset import load_gold
from tutor.learner.quizbank import load_quiz_bank


def training_data(settings: Settings, gold_path: Path) -> tuple[list[str], list[str]]:
    """(in scope, out of scope), each once, in a fixed order.

    In scope: every answer span's questions, the quiz stems, lesson titles, the first gold set's answerable
    questions and corpus/scope/in_scope.txt. Out of scope: corpus/scope/out_of_scope.txt and the first gold set's
    out-of-scope questions. Held-out sets are never part of it.
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
    outside_set = set(outside)
    return [q for q in dict.fromkeys(inside) if q not in outside_set], list(dict.fromkeys(outside))


def data_sha256(inside: list[str], outside: list[str]) -> str:
    """Hash of the labelled training texts, stored with the model so a stale model is noticed."""
    h = hashlib.sha256()
    for label, texts in (("in", inside), ("out", outside)):
        for text in sorted(texts):
            h.update(f"{label}\t{text}\n".encode())
    return h.hexdigest()
