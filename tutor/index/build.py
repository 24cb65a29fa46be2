"""Build and check the persisted index from the lesson corpus and the ingested documents."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tutor.corpus.chunk import chunk_lessons
from tutor.corpus.ingest import load_ingested
from tutor.corpus.load import corpus_hash, lesson_files, load_lessons
from tutor.errors import CorpusError, IndexMismatchError
from tutor.index.bm25 import BM25_DIR, BM25Index
from tutor.index.embed_cache import EmbeddingCache, embed_with_cache
from tutor.index.faiss_store import FaissStore, Manifest, read_manifest, save_index
from tutor.index.hybrid import RESTORER_DIR, build_restorer
from tutor.protocols import Embedder
from tutor.text import for_matching
from tutor.types import Chunk

Progress = Callable[[int, int], None]


class IndexState(StrEnum):
    FRESH = "fresh"
    STALE = "stale"
    MISSING = "missing"
    OTHER_EMBEDDER = "other-embedder"


@dataclass(frozen=True)
class IndexStatus:
    state: IndexState
    manifest: Manifest | None
    corpus_hash: str


def _source_files(lessons_dir: Path, ingested_dir: Path | None) -> list[Path]:
    """What the index is built from: the lessons, and the manifest of ingested documents if any."""
    files = lesson_files(lessons_dir)
    if ingested_dir is not None and (ingested_dir / "manifest.json").is_file():
        files.append(ingested_dir / "manifest.json")
    return files


def _chunks(lessons_dir: Path, ingested_dir: Path | None) -> list[Chunk]:
    """Lessons first (the diacritic restorer reads the store's first chunks), then trainers' documents.

    Either may be empty, not both: a tutor serving only a trainer's documents is a real deployment.
    """
    chunks = chunk_lessons(load_lessons(lessons_dir, allow_empty=True))
    if ingested_dir is not None:
        chunks += load_ingested(ingested_dir)
    if not chunks:
        raise CorpusError(
            f"Thư mục {lessons_dir} chưa có bài học (*.md) nào và chưa nạp tài liệu nào. "
            "Thêm bài học, hoặc nạp tài liệu bằng lệnh: tutor ingest TỆP."
        )
    return chunks


def count_chunks(lessons_dir: Path, ingested_dir: Path | None = None) -> int:
    """How many chunks a build will embed: a progress bar's total before the build starts."""
    return len(_chunks(lessons_dir, ingested_dir))


def index_status(
    index_root: Path, lessons_dir: Path, embedder_id: str, *, ingested_dir: Path | None = None
) -> IndexStatus:
    current = corpus_hash(_source_files(lessons_dir, ingested_dir))
    try:
        manifest = read_manifest(index_root)
    except IndexMismatchError:
        return IndexStatus(IndexState.STALE, None, current)
    if manifest is None:
        return IndexStatus(IndexState.MISSING, None, current)
    if manifest.embedder != embedder_id:
        return IndexStatus(IndexState.OTHER_EMBEDDER, manifest, current)
    state = IndexState.FRESH if manifest.corpus_hash == current else IndexState.STALE
    return IndexStatus(state, manifest, current)


def build_index(
    index_root: Path,
    lessons_dir: Path,
    embedder: Embedder,
    progress: Progress | None = None,
    *,
    cache: EmbeddingCache | None = None,
    ingested_dir: Path | None = None,
) -> Manifest:
    """Chunk and embed every lesson and ingested document (cached passages are reused), then swap atomically."""
    digest = corpus_hash(_source_files(lessons_dir, ingested_dir))
    chunks = _chunks(lessons_dir, ingested_dir)
    if progress:
        progress(0, len(chunks))
    vectors, _ = embed_with_cache(embedder, [for_matching(c.embed_text) for c in chunks], cache, progress)
    store = FaissStore.from_vectors(vectors, chunks)
    manifest = Manifest(
        embedder=embedder.id,
        dim=embedder.dim,
        corpus_hash=digest,
        chunk_count=len(chunks),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    save_index(index_root, store, manifest, extra=lambda directory: save_lexical(directory, store.chunks))
    return manifest


def save_lexical(directory: Path, chunks: Sequence[Chunk]) -> None:
    """BM25 and the diacritic restorer, built once here instead of in every worker at start-up, and opened
    memory-mapped by each worker (tutor.wiring.build_retriever)."""
    target = directory / BM25_DIR
    target.mkdir()
    BM25Index(chunks).save(target)
    build_restorer(chunks).save(directory / RESTORER_DIR)
