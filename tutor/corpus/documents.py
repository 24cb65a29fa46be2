"""Trainers' ingested documents as readable pages: each one a Lesson marked as the trainer's own material.

A citation of a document opens `/lessons/<doc-id>#<section>` exactly as a lesson's does, so the page needs the
document's sections whole. They are rebuilt from the saved chunks: consecutive chunks of a section overlap by
whole sentences (chunking.py), and the overlap is dropped when they are joined.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from tutor.corpus.ingest import load_ingested, load_manifest
from tutor.types import Chunk, Group, Lesson, Level, Section

#: How pages and the trainer preview name a document's origin, apart from the vetted lessons.
TRAINER_MATERIAL = "Tài liệu của tập huấn viên"


def join_overlapping(pieces: Sequence[str]) -> str:
    """Join consecutive chunks of one section, dropping the sentences each repeats from the one before.

    Chunks hold one sentence a line, so the overlap is the longest run of last lines of one chunk that are
    also the first lines of the next.
    """
    lines: list[str] = []
    for piece in pieces:
        new = piece.split("\n")
        overlap = next(
            (k for k in range(min(len(lines), len(new) - 1), 0, -1) if lines[-k:] == new[:k]),
            0,
        )
        lines.extend(new[overlap:])
    return "\n".join(lines)


def _enum_values(values: Iterable[str], kind: type[Level] | type[Group]) -> tuple:
    known = {v.value for v in kind}
    return tuple(kind(v) for v in values if v in known)


def load_document_pages(ingested_dir: Path) -> dict[str, Lesson]:
    """Every ingested document as a page, keyed by its id (`doc-…`); {} when nothing was ingested.

    A damaged manifest or chunk file is a CorpusError, as for an index build.
    """
    docs = load_manifest(ingested_dir)
    if not docs:
        return {}
    by_section: dict[tuple[str, str], list[Chunk]] = {}
    for chunk in load_ingested(ingested_dir):
        by_section.setdefault((chunk.lesson_id, chunk.section_id), []).append(chunk)
    pages: dict[str, Lesson] = {}
    for doc in docs:
        sections = tuple(
            Section(
                id=ref.id,
                title=ref.title,
                text=join_overlapping([c.text for c in by_section.get((doc.doc_id, ref.id), [])]),
                line=0,
            )
            for ref in doc.sections
        )
        pages[doc.doc_id] = Lesson(
            id=doc.doc_id,
            title=doc.title,
            domain=0,
            competences=(),
            groups=_enum_values(doc.groups, Group),
            levels=_enum_values(doc.levels, Level),
            tags=(),
            # The file name only: the trainer's folders are nobody else's business.
            sources=(Path(doc.path).name,),
            valid_as_of="",
            sections=sections,
            path=doc.path,
            trainer_material=True,
        )
    return pages


def document_phrases(ingested_dir: Path) -> list[str]:
    """Short texts saying what the ingested documents are about: each title, then its section headings.

    For the scope gate's in-scope examples, so a question a trainer's document answers is not refused as off
    topic. Generic headings (the preamble's "Nội dung", "Trang 3" of a PDF) say nothing and are left out;
    duplicates appear once. [] when nothing was ingested.
    """
    from tutor.corpus.ingest import PREAMBLE_TITLE

    phrases: list[str] = []
    for doc in load_manifest(ingested_dir):
        phrases.append(doc.title)
        phrases += [s.title for s in doc.sections if s.page is None and s.title != PREAMBLE_TITLE]
    return list(dict.fromkeys(p.strip() for p in phrases if p.strip()))
