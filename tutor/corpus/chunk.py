"""Cut lessons into passages at Vietnamese sentence boundaries, keeping lesson and section ids."""

from __future__ import annotations

from collections.abc import Iterable

from tutor.text import sentences
from tutor.types import Chunk, Lesson

# ~800 characters is ~200 e5 tokens: well under the model's 512, and small enough to cite precisely.
DEFAULT_MAX_CHARS = 800
# Sections written for one level; the others (steps, safety, glossary) serve every level.
LEVEL_SECTIONS = {"co-ban", "trung-cap", "nang-cao", "chuyen-sau"}


def _pack(parts: list[str], max_chars: int) -> list[str]:
    """Greedily pack whole sentences into pieces of at most max_chars (a longer sentence stands alone)."""
    pieces: list[str] = []
    buf: list[str] = []
    size = 0
    for sent in parts:
        if buf and size + len(sent) + 1 > max_chars:
            pieces.append("\n".join(buf))
            buf, size = [], 0
        buf.append(sent)
        size += len(sent) + 1
    if buf:
        pieces.append("\n".join(buf))
    return pieces


def chunk_lesson(lesson: Lesson, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in lesson.sections:
        levels = (section.id,) if section.id in LEVEL_SECTIONS else tuple(str(lv) for lv in lesson.levels)
        for i, piece in enumerate(_pack(sentences(section.text), max_chars)):
            chunks.append(
                Chunk(
                    id=f"{lesson.id}#{section.id}/{i}",
                    lesson_id=lesson.id,
                    section_id=section.id,
                    lesson_title=lesson.title,
                    section_title=section.title,
                    text=piece,
                    groups=tuple(str(g) for g in lesson.groups),
                    levels=levels,
                )
            )
    return chunks


def chunk_lessons(lessons: Iterable[Lesson], max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    return [c for lesson in lessons for c in chunk_lesson(lesson, max_chars)]
