"""FaissStore through the VectorStore contract: exact search, HNSW, and an index saved to disk and mapped back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.contracts.vector_store import MakeStore, VectorStoreContract
from tutor.index.faiss_store import FaissStore, Manifest, load_index, save_index
from tutor.protocols import VectorStore
from tutor.types import Chunk


class TestFlatFaissStore(VectorStoreContract):
    @pytest.fixture
    def make_store(self) -> MakeStore:
        return FaissStore.from_vectors


class TestHnswFaissStore(VectorStoreContract):
    @pytest.fixture
    def make_store(self) -> MakeStore:
        def hnsw(vectors: np.ndarray, chunks: Sequence[Chunk]) -> VectorStore:
            store = FaissStore.from_vectors(vectors, chunks, hnsw_above=-1)
            assert store.kind == "hnsw"
            return store

        return hnsw


class TestLoadedFaissStore(VectorStoreContract):
    """Written as `tutor index build` writes it, loaded (memory-mapped) as the service loads it."""

    @pytest.fixture
    def make_store(self, tmp_path: Path) -> MakeStore:
        def loaded(vectors: np.ndarray, chunks: Sequence[Chunk]) -> VectorStore:
            root = tmp_path / f"index-{len(chunks)}"
            built = FaissStore.from_vectors(vectors, chunks)
            manifest = Manifest("test:32", built.dim, "sha-test", len(chunks), "2026-01-01T00:00:00")
            save_index(root, built, manifest)
            return load_index(root, "test:32")[0]

        return loaded
