"""Check the lessons against the template (sections, order, NFC, glossary) and report each problem with file and line.

The quiz bank and the gold sets are checked against these lessons by `tutor corpus validate` (tutor/cli/validate.py):
the corpus knows nothing of the learner model or the eval harness.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from tutor.corpus.load import lesson_files, parse_lesson
from tutor.errors import CorpusError
from tutor.types import Lesson

REQUIRED_SECTIONS = ("co-ban", "trung-cap", "nang-cao", "luu-y-an-toan", "tu-kho")
SECTION_ORDER = ("co-ban", "trung-cap", "nang-cao", "cac-buoc", "luu-y-an-toan", "tu-kho")


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


def validate_lessons(lessons_dir: Path) -> tuple[dict[str, Lesson], list[str]]:
    """Every lesson that parses (by id) and every problem found in the lessons, with file and line."""
    problems: list[str] = []
    lessons: dict[str, Lesson] = {}
    for path in lesson_files(lessons_dir):
        try:
            lesson = parse_lesson(path)
        except CorpusError as exc:
            problems.append(str(exc))
            continue
        lessons[lesson.id] = lesson
        problems += _lesson_problems(path, lesson)
    return lessons, problems
