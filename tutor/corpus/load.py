"""Load lessons: Markdown with YAML front matter, normalised to NFC, split into `##` sections."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from tutor.corpus.schema import LessonMeta
from tutor.errors import CorpusError
from tutor.text import normalize, slugify
from tutor.types import Lesson, Section


def lesson_files(lessons_dir: Path) -> list[Path]:
    if not lessons_dir.is_dir():
        raise CorpusError(
            f"Không tìm thấy thư mục bài học {lessons_dir}. Đặt TUTOR_CORPUS_DIR tới thư mục chứa lessons/."
        )
    return sorted(lessons_dir.glob("*.md"))


def corpus_hash(paths: Iterable[Path]) -> str:
    """Hash of file names and contents: the index is stale when this changes."""
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _split_front_matter(raw: str, path: Path) -> tuple[str, str, int]:
    """Return (yaml text, body, line number where the body starts)."""
    if not raw.startswith("---\n"):
        raise CorpusError(f"{path}:1: thiếu phần đầu YAML (dòng đầu phải là ---).")
    end = raw.find("\n---\n", 4)
    if end < 0:
        raise CorpusError(f"{path}:1: phần đầu YAML không có dòng --- kết thúc.")
    front = raw[4:end]
    body_start_line = front.count("\n") + 3
    return front, raw[end + 5 :], body_start_line


def _sections(body: str, first_line: int) -> tuple[str | None, list[Section]]:
    title: str | None = None
    sections: list[Section] = []
    current: tuple[str, int] | None = None
    buf: list[str] = []

    def flush() -> None:
        if current is not None:
            heading, line = current
            text = normalize("\n".join(buf))
            sections.append(Section(id=slugify(heading), title=heading, text=text, line=line))

    for offset, line in enumerate(body.split("\n")):
        if line.startswith("# ") and title is None and current is None:
            title = line[2:].strip()
        elif line.startswith("## "):
            flush()
            current, buf = (line[3:].strip(), first_line + offset), []
        else:
            buf.append(line)
    flush()
    return title, sections


def parse_lesson(path: Path) -> Lesson:
    """Parse one lesson file; every problem is a CorpusError naming the file and line."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: không đọc được tệp ({exc}). Lưu lại bằng UTF-8.") from exc
    # NFC only: a full normalize() would merge blank lines and shift the line numbers we report.
    raw = unicodedata.normalize("NFC", raw.replace("\r\n", "\n"))
    front, body, body_line = _split_front_matter(raw, path)
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        raise CorpusError(f"{path}:{line}: YAML không hợp lệ: {exc}") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{path}:2: phần đầu YAML phải là các cặp khóa: giá trị.")
    try:
        meta = LessonMeta.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise CorpusError(f"{path}:2: phần đầu không đúng mẫu: {problems}") from exc
    if meta.id != path.stem:
        raise CorpusError(f"{path}:2: id '{meta.id}' phải trùng tên tệp '{path.stem}'.")
    _, sections = _sections(body, body_line)
    if not sections:
        raise CorpusError(f"{path}:{body_line}: bài học không có mục '## ...' nào.")
    return Lesson(
        id=meta.id,
        title=meta.title,
        domain=meta.domain,
        competences=tuple(meta.competences),
        groups=tuple(meta.groups),
        levels=tuple(meta.levels),
        tags=tuple(meta.tags),
        sources=tuple(meta.sources),
        valid_as_of=meta.valid_as_of.isoformat(),
        sections=tuple(sections),
        path=str(path),
    )


def load_lessons(lessons_dir: Path, *, allow_empty: bool = False) -> list[Lesson]:
    """Load every lesson; a corpus with no lessons (unless `allow_empty`: a tutor serving only trainers'
    documents) is an error."""
    paths = lesson_files(lessons_dir)
    if not paths and not allow_empty:
        raise CorpusError(f"Thư mục {lessons_dir} chưa có bài học (*.md) nào.")
    lessons = [parse_lesson(p) for p in paths]
    return lessons
