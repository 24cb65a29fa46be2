"""`ingest_paths`: walk files and folders, parse, clean and chunk each one, and report every file skipped.

A bad file never stops the run: it is listed in `IngestReport.skipped` with a Vietnamese reason and a stable
`code`, and the other files go on.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from tutor.corpus.ingest.chunking import chunk_sections
from tutor.corpus.ingest.decode import PRIVATE_USE, check_readable
from tutor.corpus.ingest.parse_markup import parse_html, parse_markdown, parse_text
from tutor.corpus.ingest.parse_office import parse_docx, parse_pdf
from tutor.corpus.ingest.parsed import Parsed, RawSection
from tutor.corpus.ingest.report import IngestedDoc, IngestReport, Skip, Skipped, doc_id_for
from tutor.errors import CorpusError
from tutor.text import normalize, sentences
from tutor.types import Chunk

#: File extension -> document kind.
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
DEFAULT_MAX_CHARS = 800
#: Longest title taken from a document's first line.
TITLE_CHARS = 80
#: Files larger than this are skipped: a trainer's document is far smaller, and parsers hold it all in memory.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# Document kind -> parser; every kind in SUPPORTED_EXTENSIONS has one.
_PARSERS: dict[str, Callable[[bytes], Parsed]] = {
    "md": parse_markdown,
    "txt": parse_text,
    "html": parse_html,
    "pdf": parse_pdf,
    "docx": parse_docx,
}


def ingest_paths(
    paths: Sequence[Path],
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    overlap_sentences: int = 1,
    seen_hashes: set[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest files and folders (walked recursively, hidden entries ignored) into chunks.

    Never raises for a bad file: it goes to `skipped` with a reason. Files whose sha256 is in `seen_hashes`
    (e.g. `ingested_hashes(directory)`) or equal to an earlier file of this run are skipped as duplicates;
    `seen_hashes` is not modified. Raises CorpusError only when none of `paths` exists. `progress(done, total)`
    is called once the files are listed (so the total is known from the start) and after each file.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if overlap_sentences < 0:
        raise ValueError("overlap_sentences must not be negative")
    given = [Path(p) for p in paths]
    if not any(p.exists() or p.is_symlink() for p in given):
        names = ", ".join(str(p) for p in given) or "(không có đường dẫn nào)"
        raise CorpusError(f"Không tìm thấy tài liệu nào để nạp: {names}. Kiểm tra lại đường dẫn tệp hoặc thư mục.")

    seen = set(seen_hashes or ())
    first_path_of: dict[str, str] = {}
    documents: list[IngestedDoc] = []
    chunks: list[Chunk] = []
    skipped: list[Skipped] = []
    listed = list(_expand(given))
    total = sum(isinstance(p, Path) for p in listed)
    done = 0
    if progress:
        progress(0, total)
    for path in listed:
        if isinstance(path, Skipped):
            skipped.append(path)
            continue
        if progress and done:
            progress(done, total)
        done += 1
        shown = str(path.absolute())
        try:
            doc, doc_chunks = _ingest_one(path, shown, max_chars, overlap_sentences, max_bytes, seen, first_path_of)
        except Skip as skip:
            skipped.append(Skipped(shown, skip.reason, skip.code))
            continue
        except ImportError as exc:  # the parser library for this kind is not installed
            reason = f"Thiếu thư viện '{exc.name}' để đọc loại tệp này. Cài lại tutor với các phụ thuộc của nó."
            skipped.append(Skipped(shown, reason, "unsupported"))
            continue
        except Exception as exc:  # a parser failing on a malformed file must not stop the run
            detail = f"{type(exc).__name__}: {exc}"[:200]
            skipped.append(Skipped(shown, f"Tệp hỏng hoặc không đọc được nội dung ({detail}).", "corrupt"))
            continue
        first_path_of[doc.sha256] = shown
        documents.append(doc)
        chunks.extend(doc_chunks)
    if progress:
        progress(total, total)
    return IngestReport(documents=documents, chunks=chunks, skipped=skipped)


def first_line_title(text: str, max_chars: int = TITLE_CHARS) -> str:
    """A title from a document's first line, for files that declare none (plain text, a PDF without metadata).

    A first line that is a paragraph gives its first sentence, or, if that is long too, its first words up to a
    word boundary and an ellipsis; a trailing full stop or colon is dropped.
    """
    line = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    if len(line) > max_chars:
        line = next(iter(sentences(line)), line)
    if len(line) > max_chars:
        cut = line[: max_chars + 1].rsplit(" ", 1)[0] if " " in line[:max_chars] else line[:max_chars]
        return cut.rstrip(" ,;:-–") + "…"
    return line.rstrip(".:;").strip()


def _expand(given: list[Path]) -> Iterator[Path | Skipped]:
    """Files in the order given; folders walked in sorted order; the same file only once. A path that cannot be
    listed comes as a Skipped in its place, so the report keeps the order of the input."""
    visited: set[Path] = set()
    pending: list[Skipped] = []

    def once(p: Path) -> bool:
        try:
            key = p.resolve()
        except (OSError, RuntimeError):  # a symlink loop: let reading it report the problem
            key = p.absolute()
        if key in visited:
            return False
        visited.add(key)
        return True

    def unreadable_dir(err: OSError) -> None:
        where = str(Path(err.filename).absolute()) if err.filename else str(err)
        pending.append(
            Skipped(where, f"Không mở được thư mục ({err.strerror or err}). Kiểm tra quyền đọc.", "unreadable")
        )

    for p in given:
        if p.is_dir():
            for root, dirs, files in os.walk(p, onerror=unreadable_dir, followlinks=False):
                yield from pending
                pending.clear()
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    # Hidden files and Word's "~$name.docx" lock files are never documents.
                    if name.startswith((".", "~$")):
                        continue
                    child = Path(root) / name
                    if once(child):
                        yield child
            yield from pending
            pending.clear()
        elif p.exists() or p.is_symlink():
            if once(p):
                yield p
        else:
            yield Skipped(str(p.absolute()), "Không tìm thấy tệp hoặc thư mục này.", "missing")


def _ingest_one(
    path: Path,
    shown: str,
    max_chars: int,
    overlap: int,
    max_bytes: int,
    seen: set[str],
    first_path_of: dict[str, str],
) -> tuple[IngestedDoc, list[Chunk]]:
    kind = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise Skip("unsupported", f"Không hỗ trợ loại tệp '{path.suffix or '(không đuôi)'}'. Dùng: {known}.")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise Skip("unreadable", "Không phải tệp thường (thư mục đặc biệt, thiết bị hoặc ống dẫn).")
        if info.st_size > max_bytes:
            raise Skip("too-large", f"Tệp quá lớn ({info.st_size} byte, tối đa {max_bytes}). Chia nhỏ tài liệu.")
        data = path.read_bytes()
    except OSError as exc:
        raise Skip("unreadable", f"Không đọc được tệp ({exc.strerror or exc}). Kiểm tra quyền đọc.") from exc
    if not data:
        raise Skip("empty", "Tệp rỗng (0 byte).")
    sha = hashlib.sha256(data).hexdigest()
    if sha in first_path_of:
        raise Skip("duplicate", f"Trùng nội dung với {first_path_of[sha]} (đã nạp ở lần này).")
    if sha in seen:
        raise Skip("duplicate", "Trùng nội dung với một tài liệu đã nạp trước đây.")

    # Only when the document has no text to take a title from (a file name says little: "p150", "scan_03").
    fallback_title = normalize(path.stem) or path.name
    parsed = _PARSERS[kind](data)
    sections = [RawSection(s.title, normalize(PRIVATE_USE.sub("", s.text)), s.page) for s in parsed.sections]
    sections = [s for s in sections if s.text]
    if not sections:
        raise Skip("empty", "Tệp không có chữ nào (chỉ có khoảng trắng hoặc phần đầu).")
    check_readable("\n".join(s.text for s in sections))

    doc_id = doc_id_for(sha)
    title = normalize(parsed.title or "") or first_line_title(sections[0].text) or fallback_title
    first, _, rest = sections[0].text.partition("\n")
    if not parsed.title and first.strip() == title and rest.strip():
        # A heading line of a plain file became the title: the page and the quotes show it once, as the title.
        sections[0] = RawSection(sections[0].title, rest.strip(), sections[0].page)
    chunks, refs = chunk_sections(doc_id, title, sections, max_chars, overlap)
    doc = IngestedDoc(
        doc_id=doc_id,
        path=shown,
        sha256=sha,
        title=title,
        kind=kind,
        pages=parsed.pages,
        encoding=parsed.encoding,
        sections=tuple(refs),
        chunk_count=len(chunks),
    )
    return doc, chunks
