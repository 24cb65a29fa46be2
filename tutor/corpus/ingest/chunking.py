"""Sections to chunks: whole Vietnamese sentences packed up to max_chars, overlapping by whole sentences."""

from __future__ import annotations

from tutor.corpus.ingest.parsed import RawSection
from tutor.corpus.ingest.report import SectionRef
from tutor.text import sentences, slugify
from tutor.types import Chunk

#: Section id and title for text that comes before any heading (or a document with no headings at all).
PREAMBLE_ID = "noi-dung"
PREAMBLE_TITLE = "Nội dung"


def _pack_overlapping(parts: list[str], max_chars: int, overlap: int) -> list[list[str]]:
    """Pack whole sentences into pieces of at most max_chars, each starting with the last `overlap` sentences
    of the one before. A sentence longer than max_chars stands alone; the overlap shrinks when the next
    sentence would not fit beside it, so every piece brings at least one new sentence."""
    pieces: list[list[str]] = []
    start = 0
    while start < len(parts):
        end, size = start + 1, len(parts[start])
        while end < len(parts) and size + 1 + len(parts[end]) <= max_chars:
            size += 1 + len(parts[end])
            end += 1
        pieces.append(parts[start:end])
        if end >= len(parts):
            break
        k = min(overlap, end - start - 1)
        while k > 0 and sum(len(s) + 1 for s in parts[end - k : end + 1]) - 1 > max_chars:
            k -= 1
        start = end - k
    return pieces


def chunk_sections(
    doc_id: str, title: str, sections: list[RawSection], max_chars: int, overlap: int
) -> tuple[list[Chunk], list[SectionRef]]:
    """Every section's chunks and its SectionRef; ids come from the page, the heading's slug or the preamble."""
    chunks: list[Chunk] = []
    refs: list[SectionRef] = []
    used: set[str] = set()
    for n, section in enumerate(sections, start=1):
        parts = sentences(section.text)
        if not parts:
            continue
        if section.page is not None:
            base, heading = f"trang-{section.page}", f"Trang {section.page}"
        elif section.title:
            base, heading = slugify(section.title) or f"muc-{n}", section.title
        else:
            base, heading = PREAMBLE_ID, PREAMBLE_TITLE
        section_id, k = base, 2
        while section_id in used:  # two headings with the same text
            section_id, k = f"{base}-{k}", k + 1
        used.add(section_id)
        pieces = _pack_overlapping(parts, max_chars, overlap)
        for i, piece in enumerate(pieces):
            chunks.append(
                Chunk(
                    id=f"{doc_id}#{section_id}/{i}",
                    lesson_id=doc_id,
                    section_id=section_id,
                    lesson_title=title,
                    section_title=heading,
                    text="\n".join(piece),
                    groups=(),
                    levels=(),
                )
            )
        refs.append(SectionRef(id=section_id, title=heading, page=section.page, chunks=len(pieces)))
    return chunks, refs
