"""Build, check and load the persisted index from the lesson corpus."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from tutor.corpus.chunk import chunk_lessons
from tutor.corpus.load import corpus_hash, lesson_files, load_lessons
from tutor.errors import IndexMismatchError
from tutor.index.faiss_store import FaissStore, Manifest, read_manifest, save_index
from tutor.protocols import Embedder
from tutor.text import for_matching

Progress = Callable[[int, int], None]
BATCH = 8


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


def index_status(index_root: Path, lessons_dir: Path, embedder_id: str) -> IndexStatus:
    current = corpus_hash(lesson_files(lessons_dir))
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


def build_index(index_root: Path, lessons_dir: Path, embedder: Embedder, progress: Progress | None = None) -> Manifest:
    """Load, chunk and embed every lesson, then swap the new index in atomically."""
    paths = lesson_files(lessons_dir)
    digest = corpus_hash(paths)
    chunks = chunk_lessons(load_lessons(lessons_dir))
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for start in range(0, len(chunks), BATCH):
        batch = chunks[start : start + BATCH]
        vectors[start : start + len(batch)] = embedder.embed_passages([for_matching(c.embed_text) for c in batch])
        if progress:
            progress(start + len(batch), len(chunks))
    store = FaissStore.from_vectors(vectors, chunks)
    manifest = Manifest(
        embedder=embedder.id,
        dim=embedder.dim,
        corpus_hash=digest,
        chunk_count=len(chunks),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    save_index(index_root, store, manifest)
    return manifest
