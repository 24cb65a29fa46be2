"""`tutor corpus validate`: the lessons, the quiz bank and the gold sets checked against each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tutor.corpus.validate import validate_lessons
from tutor.types import Lesson


@dataclass(frozen=True)
class Report:
    problems: list[str]
    lessons: int
    quiz_items: int
    gold_items: int
    #: Items per gold set checked, by file name.
    gold_sets: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _quiz_problems(quiz_dir: Path, lessons: dict[str, Lesson]) -> tuple[list[str], int]:
    # Imported here: the learner model (and its YAML schema) is only needed when there is a quiz bank to check.
    from tutor.learner.quizbank import load_quiz_bank, validate_quiz_dir

    competences = {lid: set(lesson.competences) for lid, lesson in lessons.items()}
    problems = validate_quiz_dir(quiz_dir, competences)
    items = 0 if problems else len(load_quiz_bank(quiz_dir))
    for lid in lessons:
        if not (quiz_dir / f"{lid}.yaml").is_file():
            problems.append(f"{quiz_dir / (lid + '.yaml')}:1: bài '{lid}' chưa có câu hỏi trắc nghiệm.")
    return problems, items


def _span_problems(corpus_dir: Path, lessons: dict[str, Lesson]) -> list[str]:
    """Broken answer spans (an anchor that no longer matches exactly one line after a lesson was edited): the service
    skips them silently, so the trainer who edited the lesson must hear of them here."""
    from tutor.corpus.answers import load_answer_spans

    return load_answer_spans(corpus_dir, lessons.values())[1]


def _gold_problems(gold_path: Path, lessons: dict[str, Lesson]) -> tuple[list[str], int]:
    from tutor.evals.dataset import check_gold

    items, problems = check_gold(gold_path)
    for lineno, item in items:
        if item.gold is None:
            continue
        target = lessons.get(item.gold.lesson)
        if target is None:
            problems.append(f"{gold_path}:{lineno}: bài '{item.gold.lesson}' không có trong corpus.")
        elif target.section(item.gold.section) is None:
            problems.append(f"{gold_path}:{lineno}: bài '{target.id}' không có mục '{item.gold.section}'.")
    return problems, len(items)


def validate_corpus(corpus_dir: Path, gold_paths: Sequence[Path] = ()) -> Report:
    """Every problem of the corpus under `corpus_dir` (lessons, quiz/) and of each gold set, with file and line."""
    lessons, problems = validate_lessons(corpus_dir / "lessons")
    problems += _span_problems(corpus_dir, lessons)
    quiz_items = 0
    quiz_dir = corpus_dir / "quiz"
    if quiz_dir.is_dir():
        quiz_problems, quiz_items = _quiz_problems(quiz_dir, lessons)
        problems += quiz_problems
    gold_sets: dict[str, int] = {}
    for path in gold_paths:
        gold_problems, gold_sets[path.name] = _gold_problems(path, lessons)
        problems += gold_problems
    return Report(
        problems=problems,
        lessons=len(lessons),
        quiz_items=quiz_items,
        gold_items=sum(gold_sets.values()),
        gold_sets=gold_sets,
    )
