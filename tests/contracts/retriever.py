"""The Retriever contract over the fixture lessons: what every retriever does, and what a DenseRetriever adds.

A subclass builds the retriever over tests/fixtures/corpus in the `retriever` fixture and gives its embedder in
`embedder` (for the dense checks).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests.contracts.capabilities import Capabilities
from tutor.protocols import DenseRetriever, Embedder, Retriever, VectorStore
from tutor.text import fold, for_matching
from tutor.types import Chunk, Hit

BROAD = "công an hỏi mã OTP để kích hoạt tài khoản Wi-Fi"
ALL = 100  # more than the fixture lessons have sections


def ids(hits: list[Hit]) -> list[str]:
    return [h.chunk.id for h in hits]


def assert_favours(plain: list[Hit], boosted: list[Hit], favoured: Callable[[Chunk], bool]) -> None:
    """The same chunks; a favoured one never falls, and never falls behind one that is not favoured."""
    assert set(ids(plain)) == set(ids(boosted))
    before = {cid: r for r, cid in enumerate(ids(plain))}
    after = {cid: r for r, cid in enumerate(ids(boosted))}
    chunks = {h.chunk.id: h.chunk for h in plain}
    assert any(favoured(c) for c in chunks.values()) and not all(favoured(c) for c in chunks.values())
    for a, chunk in chunks.items():
        if not favoured(chunk):
            continue
        assert after[a] <= before[a], f"{a} fell from {before[a]} to {after[a]}"
        for b, other in chunks.items():
            if before[a] < before[b] and not favoured(other):
                assert after[a] < after[b], f"{b} overtook the favoured {a}"


class RetrieverContract(Capabilities):
    @pytest.fixture
    def retriever(self) -> DenseRetriever:
        raise NotImplementedError

    @pytest.fixture
    def embedder(self) -> Embedder:
        raise NotImplementedError

    def test_is_a_dense_retriever_over_a_vector_store(self, retriever: DenseRetriever) -> None:
        assert isinstance(retriever, Retriever) and isinstance(retriever, DenseRetriever)
        assert isinstance(retriever.store, VectorStore) and len(retriever.store.chunks) > 0

    @pytest.mark.parametrize("k", [0, 1, 3])
    def test_gives_k_hits(self, retriever: DenseRetriever, k: int) -> None:
        assert len(retriever.retrieve(BROAD, k)) == k

    def test_a_k_beyond_the_corpus_gives_every_section_once(self, retriever: DenseRetriever) -> None:
        hits = retriever.retrieve(BROAD, ALL)
        sections = [(h.chunk.lesson_id, h.chunk.section_id) for h in hits]
        assert 3 < len(hits) <= len(retriever.store.chunks)
        assert len(set(sections)) == len(sections)

    def test_hits_come_best_first_and_from_the_store(self, retriever: DenseRetriever) -> None:
        hits = retriever.retrieve(BROAD, ALL)
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        assert set(ids(hits)) <= {c.id for c in retriever.store.chunks}

    @pytest.mark.parametrize("blank", ["", "   ", "\n\t "])
    def test_a_blank_query_finds_nothing(self, retriever: DenseRetriever, blank: str) -> None:
        assert retriever.retrieve(blank, 5) == []

    @pytest.mark.parametrize(
        ("typed", "lesson"),
        [("kich hoat tai khoan dinh danh dien tu muc 2", "vneid-muc-2"), ("dua ma otp cho cong an", "an-toan-otp")],
    )
    def test_a_question_typed_without_accents_finds_the_accented_lesson(
        self, retriever: DenseRetriever, typed: str, lesson: str
    ) -> None:
        assert retriever.retrieve(typed, 3)[0].chunk.lesson_id == lesson

    def test_the_learners_level_favours_the_section_written_for_it(self, retriever: DenseRetriever) -> None:
        plain = retriever.retrieve("mã OTP là gì", ALL)
        boosted = retriever.retrieve("mã OTP là gì", ALL, level="nang-cao")
        assert_favours(plain, boosted, lambda c: c.levels == ("nang-cao",))
        assert boosted[0].chunk.lesson_id == plain[0].chunk.lesson_id

    def test_the_learners_group_favours_the_lessons_meant_for_it(self, retriever: DenseRetriever) -> None:
        plain = retriever.retrieve(BROAD, ALL)
        boosted = retriever.retrieve(BROAD, ALL, group="hoc-sinh")
        assert_favours(plain, boosted, lambda c: "hoc-sinh" in c.groups)

    def test_a_level_or_group_no_lesson_has_changes_nothing(self, retriever: DenseRetriever) -> None:
        plain = retriever.retrieve(BROAD, ALL)
        assert retriever.retrieve(BROAD, ALL, level="khong-co", group="khong-co") == plain

    def test_the_query_vector_is_the_embedding_of_the_dense_text(
        self, retriever: DenseRetriever, embedder: Embedder
    ) -> None:
        query = "kich hoat tai khoan dinh danh"
        vector = retriever.query_vector(query)
        assert vector.shape == (embedder.dim,)
        assert np.allclose(vector, embedder.embed_query(retriever.dense_text(query)), atol=1e-5)

    def test_the_dense_text_restores_missing_marks_and_keeps_typed_ones(self, retriever: DenseRetriever) -> None:
        bare = "kich hoat tai khoan dinh danh"
        restored = retriever.dense_text(bare)
        assert restored != bare and fold(restored) == fold(bare)
        typed = "Kích hoạt tài khoản định danh"
        assert retriever.dense_text(typed) == for_matching(typed)
