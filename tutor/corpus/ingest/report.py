"""What an ingest run returns: ingested documents, skipped files, and the chunk ids that trace back to them.

Every chunk is traceable: `Chunk.lesson_id` is `doc-<first 12 hex of the file's sha256>`, `Chunk.id` is
`<lesson_id>#<section_id>/<i>`, and `IngestedDoc` (path, sha256, title, kind, pages, sections) records where
each `section_id` came from (heading text, or page number for a PDF). The same file content always gives the
same ids, whatever the file is called, as long as `max_chars` and `overlap_sentences` are the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from tutor.types import DOCUMENT_ID, Chunk

# Why a file was skipped; `Skipped.code` is one of these, `Skipped.reason` says it in Vietnamese.
SKIP_CODES = (
    "missing",
    "unsupported",
    "unreadable",
    "too-large",
    "empty",
    "binary",
    "encoding",
    "mojibake",
    "corrupt",
    "encrypted",
    "no-text",
    "duplicate",
)


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested. `reason` is for the operator (Vietnamese); `code` is from SKIP_CODES."""

    path: str
    reason: str
    code: str = "corrupt"


@dataclass(frozen=True)
class SectionRef:
    """Where one `section_id` of a document came from: its heading, or its page for a PDF."""

    id: str
    title: str
    page: int | None = None
    chunks: int = 0


@dataclass(frozen=True)
class IngestedDoc:
    """One ingested file. `doc_id` is every chunk's `lesson_id`; `pages` is the PDF page count (else None)."""

    doc_id: str
    path: str
    sha256: str
    title: str
    kind: str
    pages: int | None = None
    encoding: str | None = None
    sections: tuple[SectionRef, ...] = ()
    chunk_count: int = 0
    #: Levels and groups the trainer wrote it for (`tutor ingest --level/--group`); empty: every learner.
    levels: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def section(self, section_id: str) -> SectionRef | None:
        return next((s for s in self.sections if s.id == section_id), None)


@dataclass(frozen=True)
class IngestReport:
    documents: list[IngestedDoc] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def document(self, doc_id: str) -> IngestedDoc | None:
        return next((d for d in self.documents if d.doc_id == doc_id), None)

    def locate(self, chunk_id: str) -> tuple[IngestedDoc, SectionRef] | None:
        """The file and section (heading or page) a chunk id came from, or None if it is not in this report."""
        doc_id, section_id, _ = parse_chunk_id(chunk_id)
        doc = self.document(doc_id)
        section = doc.section(section_id) if doc else None
        return (doc, section) if doc and section else None


def with_metadata(
    report: IngestReport, *, title: str | None = None, levels: tuple[str, ...] = (), groups: tuple[str, ...] = ()
) -> IngestReport:
    """The report with the trainer's own title (one document only), levels and groups on its documents and chunks.

    Levels and groups travel on every chunk, so retrieval boosts the document for those learners as it does a
    lesson written for them.
    """
    if title is not None and len(report.documents) > 1:
        raise ValueError("a title can be given to one document only")
    docs = [replace(d, title=title or d.title, levels=levels, groups=groups) for d in report.documents]
    chunks = [replace(c, lesson_title=title or c.lesson_title, levels=levels, groups=groups) for c in report.chunks]
    return IngestReport(documents=docs, chunks=chunks, skipped=list(report.skipped))


def doc_id_for(sha256: str) -> str:
    """The document id (and every chunk's `lesson_id`) for a file whose content has this sha256."""
    return f"doc-{sha256[:12]}"


def parse_chunk_id(chunk_id: str) -> tuple[str, str, int]:
    """Split `doc-<hash>#<section-id>/<i>` into (doc id, section id, index); ValueError if it is not one."""
    doc_id, sep, rest = chunk_id.partition("#")
    section_id, slash, index = rest.rpartition("/")
    if not sep or not slash or not DOCUMENT_ID.match(doc_id) or not section_id or not index.isdigit():
        raise ValueError(f"not an ingested chunk id: {chunk_id!r}")
    return doc_id, section_id, int(index)


class Skip(Exception):
    """Raised while reading, decoding or parsing a file that cannot be ingested; the run records a Skipped."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
