"""Keep ingested chunks on disk: one JSONL file per document plus a manifest, every file switched in atomically.

The directory is e.g. `data/ingested/`. Every file is written to a temporary name and switched in with
`os.replace`, and the manifest is written last: a save that fails half-way leaves the previous state whole.
Saves are not locked against each other; run one ingest at a time per directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from tutor.atomic_file import replace_file
from tutor.corpus.ingest.report import IngestedDoc, IngestReport, SectionRef
from tutor.errors import CorpusError
from tutor.types import DOCUMENT_ID, Chunk

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
T = TypeVar("T")
_CHUNK_FILE = re.compile(r"^doc-[0-9a-f]{12}\.[0-9a-f]{12}\.jsonl$")


def _doc_json(doc: IngestedDoc, file: str, chunks_sha256: str) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "path": doc.path,
        "sha256": doc.sha256,
        "title": doc.title,
        "kind": doc.kind,
        "pages": doc.pages,
        "encoding": doc.encoding,
        "chunks": doc.chunk_count,
        "file": file,
        "chunks_sha256": chunks_sha256,
        "levels": list(doc.levels),
        "groups": list(doc.groups),
        "sections": [{"id": s.id, "title": s.title, "page": s.page, "chunks": s.chunks} for s in doc.sections],
    }


def _doc_from_json(entry: dict[str, Any]) -> IngestedDoc:
    return IngestedDoc(
        doc_id=str(entry["doc_id"]),
        path=str(entry["path"]),
        sha256=str(entry["sha256"]),
        title=str(entry["title"]),
        kind=str(entry["kind"]),
        pages=entry.get("pages"),
        encoding=entry.get("encoding"),
        sections=tuple(
            SectionRef(id=str(s["id"]), title=str(s["title"]), page=s.get("page"), chunks=int(s.get("chunks", 0)))
            for s in entry.get("sections", [])
        ),
        chunk_count=int(entry["chunks"]),
        levels=tuple(str(v) for v in entry.get("levels", ())),
        groups=tuple(str(g) for g in entry.get("groups", ())),
    )


def _read_manifest(directory: Path) -> list[dict[str, Any]]:
    path = directory / MANIFEST_NAME
    if not path.exists():
        return []
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = manifest["documents"]
        if not isinstance(entries, list):
            raise TypeError("documents is not a list")
        for entry in entries:
            if not DOCUMENT_ID.match(str(entry["doc_id"])) or not _CHUNK_FILE.match(str(entry["file"])):
                raise ValueError(f"bad entry {entry.get('doc_id')!r}")
            int(entry["chunks"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorpusError(
            f"{path} hỏng ({exc}). Xoá thư mục {directory} rồi nạp lại tài liệu (lệnh nạp tài liệu)."
        ) from exc
    return entries


def load_manifest(directory: Path) -> list[IngestedDoc]:
    """The documents saved in `directory` (empty if nothing was saved yet)."""
    return [_doc_from_json(e) for e in _read_manifest(directory)]


def ingested_hashes(directory: Path) -> set[str]:
    """sha256 of every saved document: pass as `seen_hashes` so a re-run skips what is already saved."""
    return {str(e["sha256"]) for e in _read_manifest(directory)}


def save_ingested(report: IngestReport, directory: Path, *, prune: bool = True) -> Path:
    """Add the report's documents to `directory` (a document with the same id is replaced); return the manifest.

    Each document's chunks go to a new `<doc-id>.<digest>.jsonl`; `manifest.json` is switched in last, and
    (with `prune`) files it no longer lists are removed after that. A failure at any step leaves the previous
    manifest and every file it lists untouched; it is raised as CorpusError.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        entries = {str(e["doc_id"]): e for e in _read_manifest(directory)}
        by_doc: dict[str, list[Chunk]] = {}
        for chunk in report.chunks:
            by_doc.setdefault(chunk.lesson_id, []).append(chunk)
        for doc in report.documents:
            # A chunk's fields in their declared order: the same bytes (and hash) for the same chunks.
            lines = [json.dumps(asdict(c), ensure_ascii=False) for c in by_doc.get(doc.doc_id, [])]
            if len(lines) != doc.chunk_count:
                raise CorpusError(f"Báo cáo nạp không khớp: {doc.doc_id} có {len(lines)}/{doc.chunk_count} đoạn.")
            content = ("\n".join(lines) + "\n").encode("utf-8")
            digest = hashlib.sha256(content).hexdigest()
            file = f"{doc.doc_id}.{digest[:12]}.jsonl"
            if not (directory / file).exists() or hashlib.sha256((directory / file).read_bytes()).hexdigest() != digest:
                replace_file(directory / file, content)
            entries[doc.doc_id] = _doc_json(doc, file, digest)
        manifest = {"version": MANIFEST_VERSION, "documents": list(entries.values())}
        manifest_path = directory / MANIFEST_NAME
        replace_file(manifest_path, (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise CorpusError(
            f"Không lưu được tài liệu đã nạp vào {directory} ({exc}). Kiểm tra quyền ghi và chỗ trống trên đĩa."
        ) from exc
    if prune:
        _prune(directory)
    return manifest_path


def _prune(directory: Path) -> None:
    """Remove chunk files the manifest no longer lists (left by a replaced document or an undone save)."""
    listed = {str(e["file"]) for e in _read_manifest(directory)}
    for stale in directory.glob("doc-*.jsonl"):
        if stale.name not in listed and _CHUNK_FILE.match(stale.name):
            with contextlib.suppress(OSError):
                stale.unlink()


def store_and_index(report: IngestReport, directory: Path, index: Callable[[], T]) -> T:
    """Save the report's documents and run `index` (which builds the index from them) as one step.

    If `index` fails or is interrupted, the previous manifest is put back byte for byte (or removed, when there
    was none) and the new chunk files deleted, so the documents are neither stored nor indexed and the index on
    disk still matches the manifest: running the same ingest again does the whole job. Chunk files of replaced
    documents are only removed once `index` has succeeded, so the manifest put back never lists a missing file.
    """
    manifest_path = directory / MANIFEST_NAME
    try:
        before = manifest_path.read_bytes() if manifest_path.is_file() else None
    except OSError as exc:
        raise CorpusError(f"Không đọc được {manifest_path} ({exc}). Kiểm tra quyền đọc.") from exc
    save_ingested(report, directory, prune=False)
    try:
        result = index()
    except BaseException:
        with contextlib.suppress(OSError):
            if before is None:
                manifest_path.unlink()
            else:
                replace_file(manifest_path, before)
            _prune(directory)
        raise
    _prune(directory)
    return result


def load_ingested(directory: Path) -> list[Chunk]:
    """Every saved chunk, in manifest order; [] if nothing was saved. A damaged file is a CorpusError."""
    chunks: list[Chunk] = []
    for entry in _read_manifest(directory):
        path = directory / str(entry["file"])
        try:
            content = path.read_bytes()
            expected = entry.get("chunks_sha256")
            if expected and hashlib.sha256(content).hexdigest() != expected:
                raise ValueError("nội dung không khớp mã băm trong manifest")
            doc_chunks = [_chunk_from_json(json.loads(line)) for line in content.decode("utf-8").splitlines() if line]
            if len(doc_chunks) != int(entry["chunks"]):
                raise ValueError(f"có {len(doc_chunks)} đoạn, manifest ghi {entry['chunks']}")
            if any(c.lesson_id != entry["doc_id"] for c in doc_chunks):
                raise ValueError(f"có đoạn không thuộc {entry['doc_id']}")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f"{path} hỏng ({exc}). Nạp lại tài liệu {entry.get('path', '')}.") from exc
        chunks.extend(doc_chunks)
    return chunks


def _chunk_from_json(obj: dict[str, Any]) -> Chunk:
    return Chunk(
        id=str(obj["id"]),
        lesson_id=str(obj["lesson_id"]),
        section_id=str(obj["section_id"]),
        lesson_title=str(obj["lesson_title"]),
        section_title=str(obj["section_title"]),
        text=str(obj["text"]),
        groups=tuple(str(g) for g in obj.get("groups", ())),
        levels=tuple(str(v) for v in obj.get("levels", ())),
    )
