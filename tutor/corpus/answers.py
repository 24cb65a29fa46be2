"""Answer spans: the few lines of a lesson section that answer a question, with the questions they answer.

Matching a learner's question against the lesson text itself is weak: "làm gì bây giờ?" shares few words with the
lines that answer it. Matching it against questions written for each part of the lesson works far better, so every
lesson has `corpus/answers/<lesson-id>.yaml`: spans of 1–6 consecutive lines of one section, each with the 3–5
questions it answers completely (typed as learners type them, a third without diacritics). A span is anchored by
the beginning of its first and last lines, so editing a lesson breaks no span silently: `tutor corpus validate`
reports every anchor that no longer matches exactly one line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutor.errors import CorpusError
from tutor.types import Lesson

ANSWERS_DIR = "answers"
_BULLET = re.compile(r"^\s*[-*•]\s+")


class _SpanFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class Span(BaseModel):
        model_config = ConfigDict(extra="forbid")
        section: str = Field(min_length=1)
        first: str = Field(min_length=1)
        last: str = Field(min_length=1)
        questions: list[str] = Field(min_length=1)

    lesson: str = Field(min_length=1)
    spans: list[Span]


@dataclass(frozen=True)
class AnswerSpan:
    """Lines `first`..`last` (inclusive, indices into `section_lines`) of one section, and what they answer."""

    lesson_id: str
    section_id: str
    first: int
    last: int
    questions: tuple[str, ...]


def _anchor(text: str) -> str:
    """How lines and anchors are compared: NFC, Markdown emphasis and code marks dropped, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).replace("**", "").replace("`", "").split())


def section_lines(text: str) -> list[str]:
    """A section's non-empty lines: a paragraph or a list item each, as the lesson writes them."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def plain_line(line: str) -> str:
    """A line as an answer shows it: no Markdown emphasis, code marks or bullet; a step keeps its number."""
    return _BULLET.sub("", _anchor(line))


def answer_files(corpus_dir: Path) -> list[Path]:
    folder = corpus_dir / ANSWERS_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _resolve(raw: _SpanFile, lesson: Lesson, path: Path) -> tuple[list[AnswerSpan], list[str]]:
    spans: list[AnswerSpan] = []
    problems: list[str] = []
    for n, span in enumerate(raw.spans, start=1):
        section = lesson.section(span.section)
        if section is None:
            problems.append(f"{path}: span {n}: bài '{lesson.id}' không có mục '{span.section}'.")
            continue
        lines = [_anchor(line) for line in section_lines(section.text)]
        first = [i for i, line in enumerate(lines) if line.startswith(_anchor(span.first))]
        last = [i for i, line in enumerate(lines) if line.startswith(_anchor(span.last))]
        if len(first) != 1 or len(last) != 1 or last[0] < first[0]:
            problems.append(
                f"{path}: span {n} ({span.section}): đầu '{span.first[:40]}' khớp {len(first)} dòng, cuối "
                f"'{span.last[:40]}' khớp {len(last)} dòng; mỗi mốc phải khớp đúng một dòng, cuối sau đầu."
            )
            continue
        questions = tuple(q.strip() for q in span.questions if q.strip())
        spans.append(AnswerSpan(lesson.id, span.section, first[0], last[0], questions))
    return spans, problems


def load_answer_spans(corpus_dir: Path, lessons: Iterable[Lesson]) -> tuple[list[AnswerSpan], list[str]]:
    """Every span of every lesson, and the problems found (a broken span is skipped, never guessed)."""
    by_id = {lesson.id: lesson for lesson in lessons}
    spans: list[AnswerSpan] = []
    problems: list[str] = []
    for path in answer_files(corpus_dir):
        try:
            raw = _SpanFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            problems.append(f"{path}: không đọc được tệp ({exc}).")
            continue
        except ValidationError as exc:
            problems.append(f"{path}: sai cấu trúc ({exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}).")
            continue
        lesson = by_id.get(raw.lesson)
        if lesson is None or path.stem != raw.lesson:
            problems.append(f"{path}: không có bài học '{raw.lesson}' (tên tệp phải là <mã bài>.yaml).")
            continue
        found, bad = _resolve(raw, lesson, path)
        spans += found
        problems += bad
    return spans, problems


def require_spans(corpus_dir: Path, lessons: Sequence[Lesson]) -> list[AnswerSpan]:
    """The spans, or a CorpusError listing what is broken (the serving path skips broken spans instead)."""
    spans, problems = load_answer_spans(corpus_dir, lessons)
    if problems:
        raise CorpusError("Tệp câu trả lời mẫu có lỗi:\n" + "\n".join(problems[:20]))
    return spans
