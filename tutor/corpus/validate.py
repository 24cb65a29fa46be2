"""Check the whole corpus (lessons, quiz bank, gold set) and report every problem with its file and line."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from tutor.corpus.load import lesson_files, parse_lesson
from tutor.errors import CorpusError
from tutor.evals.dataset import check_gold
from tutor.types import Lesson

REQUIRED_SECTIONS = ("co-ban", "trung-cap", "nang-cao", "luu-y-an-toan", "tu-kho")
SECTION_ORDER = ("co-ban", "trung-cap", "nang-cao", "cac-buoc", "luu-y-an-toan", "tu-kho")


@dataclass(frozen=True)
class Report:
    problems: list[str]
    lessons: int
    quiz_items: int
    gold_items: int

    @property
    def ok(self) -> bool:
        return not self.problems


def _lesson_problems(path: Path, lesson: Lesson) -> list[str]:
    problems = []
    raw = path.read_text(encoding="utf-8")
    if not unicodedata.is_normalized("NFC", raw):
        problems.append(f"{path}:1: tệp chưa ở dạng Unicode NFC; lưu lại bằng NFC.")
    ids = [s.id for s in lesson.sections]
    for required in REQUIRED_SECTIONS:
        if required not in ids:
            problems.append(f"{path}:1: thiếu mục bắt buộc '{required}'.")
    unknown = [s for s in lesson.sections if s.id not in SECTION_ORDER]
    for s in unknown:
        problems.append(f"{path}:{s.line}: mục '{s.title}' không có trong mẫu ({', '.join(SECTION_ORDER)}).")
    known = [i for i in ids if i in SECTION_ORDER]
    if known != sorted(known, key=SECTION_ORDER.index):
        problems.append(f"{path}:1: các mục không đúng thứ tự {' → '.join(SECTION_ORDER)}.")
    if len(set(ids)) != len(ids):
        problems.append(f"{path}:1: có mục bị lặp.")
    for s in lesson.sections:
        if not s.text.strip():
            problems.append(f"{path}:{s.line}: mục '{s.title}' trống.")
    glossary = lesson.section("tu-kho")
    if glossary and not any(line.lstrip("- ").startswith("**") for line in glossary.text.split("\n")):
        problems.append(f"{path}:{glossary.line}: mục Từ khó phải có dạng '- **từ**: giải thích'.")
    return problems


def validate_corpus(corpus_dir: Path, gold_path: Path | None) -> Report:
    problems: list[str] = []
    lessons: dict[str, Lesson] = {}
    for path in lesson_files(corpus_dir / "lessons"):
        try:
            lesson = parse_lesson(path)
        except CorpusError as exc:
            problems.append(str(exc))
            continue
        lessons[lesson.id] = lesson
        problems += _lesson_problems(path, lesson)

    quiz_items = 0
    quiz_dir = corpus_dir / "quiz"
    if quiz_dir.is_dir():
        from tutor.learner.quizbank import load_quiz_bank, validate_quiz_dir

        competences = {lid: set(lesson.competences) for lid, lesson in lessons.items()}
        quiz_problems = validate_quiz_dir(quiz_dir, competences)
        problems += quiz_problems
        if not quiz_problems:
            quiz_items = len(load_quiz_bank(quiz_dir))
        for lid in lessons:
            if not (quiz_dir / f"{lid}.yaml").is_file():
                problems.append(f"{quiz_dir / (lid + '.yaml')}:1: bài '{lid}' chưa có câu hỏi trắc nghiệm.")

    gold_items = 0
    if gold_path is not None:
        items, gold_problems = check_gold(gold_path)
        problems += gold_problems
        gold_items = len(items)
        for lineno, item in items:
            if item.gold is None:
                continue
            target = lessons.get(item.gold.lesson)
            if target is None:
                problems.append(f"{gold_path}:{lineno}: bài '{item.gold.lesson}' không có trong corpus.")
            elif target.section(item.gold.section) is None:
                problems.append(f"{gold_path}:{lineno}: bài '{target.id}' không có mục '{item.gold.section}'.")
    return Report(problems=problems, lessons=len(lessons), quiz_items=quiz_items, gold_items=gold_items)
