"""The VectorStore contract: nearest chunks by cosine, as a base class each store's tests subclass.

A subclass gives `make_store`, which builds its store from vectors and their chunks (in memory, or written to disk
and loaded back the way the service loads it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest

from tests.contracts.capabilities import Capabilities, assert_tells_the_user
from tutor.errors import IndexMismatchError
from tutor.protocols import VectorStore
from tutor.types import Chunk

MakeStore = Callable[[np.ndarray, Sequence[Chunk]], VectorStore]
DIM, N = 32, 60


def sample() -> tuple[np.ndarray, list[Chunk]]:
    vectors = np.random.default_rng(7).standard_normal((N, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [Chunk(f"bai-{i}#muc/0", f"bai-{i}", "muc", f"Bài {i}", "Mục", f"đoạn {i}") for i in range(N)]
    return vectors, chunks


class VectorStoreContract(Capabilities):
    @pytest.fixture
    def make_store(self) -> MakeStore:
        raise NotImplementedError

    @pytest.fixture
    def store(self, make_store: MakeStore) -> VectorStore:
        return make_store(*sample())

    def test_is_a_vector_store_of_the_given_chunks_and_width(self, store: VectorStore) -> None:
        assert isinstance(store, VectorStore)
        assert store.dim == DIM and [c.id for c in store.chunks] == [c.id for c in sample()[1]]

    @pytest.mark.parametrize("k", [1, 5, N])
    def test_gives_k_hits_best_first(self, store: VectorStore, k: int) -> None:
        hits = store.search(sample()[0][0], k)
        assert len(hits) == k
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    @pytest.mark.parametrize("k", [0, -1])
    def test_no_hits_are_asked_for_none_given(self, store: VectorStore, k: int) -> None:
        assert store.search(sample()[0][0], k) == [] and store.search_positions(sample()[0][0], k) == []

    def test_a_k_beyond_the_store_gives_every_chunk_once(self, store: VectorStore) -> None:
        hits = store.search(sample()[0][0], N + 10)
        assert sorted(h.chunk.id for h in hits) == sorted(c.id for c in store.chunks)

    def test_every_chunks_own_vector_finds_it_first_with_cosine_one(self, store: VectorStore) -> None:
        vectors, chunks = sample()
        for vector, chunk in zip(vectors, chunks, strict=True):
            best = store.search(vector, 1)[0]
            assert best.chunk.id == chunk.id and best.score == pytest.approx(1.0, abs=1e-4)

    def test_the_cosine_ignores_the_querys_length_and_leaves_it_unchanged(self, store: VectorStore) -> None:
        query = sample()[0][3] * 7.0
        kept = query.copy()
        long, unit = store.search(query, 5), store.search(query / 7.0, 5)
        assert [h.chunk.id for h in long] == [h.chunk.id for h in unit]
        assert np.allclose([h.score for h in long], [h.score for h in unit], atol=1e-5)
        assert np.array_equal(query, kept)

    def test_positions_and_hits_agree(self, store: VectorStore) -> None:
        query = sample()[0][5]
        positions = store.search_positions(query, 8)
        hits = store.search(query, 8)
        assert [store.chunks[i].id for i, _ in positions] == [h.chunk.id for h in hits]
        assert [s for _, s in positions] == [h.score for h in hits]

    def test_a_query_of_another_width_is_refused_with_a_rebuild_hint(self, store: VectorStore) -> None:
        with pytest.raises(IndexMismatchError) as err:
            store.search(np.ones(DIM + 1, dtype=np.float32), 3)
        assert_tells_the_user(err.value, IndexMismatchError)
        assert "tutor index build" in str(err.value)

    def test_an_empty_store_finds_nothing(self, make_store: MakeStore) -> None:
        empty = make_store(np.zeros((0, DIM), dtype=np.float32), [])
        assert empty.search(sample()[0][0], 3) == [] and len(empty.chunks) == 0
