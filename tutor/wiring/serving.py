"""Builders of a serving process: what its workers share, the Tutor it swaps on a rebuild, the eval job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutor.errors import ConfigError, IndexMismatchError, IndexMissingError
from tutor.wiring.answering import build_embedder, build_tutor, refresh_tutor

if TYPE_CHECKING:
    from limits.storage import Storage

    from tutor.answering.tutor import Tutor
    from tutor.config import Settings
    from tutor.learner.quizbank import QuizItem
    from tutor.learner.store import LearnerStore
    from tutor.ops.jobs import EvalJob, JobBoard
    from tutor.ops.runtime import TutorRuntime
    from tutor.ops.usage import Usage
    from tutor.protocols import Embedder
    from tutor.speech.base import Speaker
    from tutor.types import Lesson


def build_speaker(settings: Settings) -> Speaker | None:
    """The read-aloud engine served by the tutor; None when switched off (phones may still use their own voice)."""
    if settings.tts == "none":
        return None
    if settings.tts == "espeak":
        from tutor.speech.espeak import EspeakSpeaker

        return EspeakSpeaker(settings.tts_voice, settings.tts_rate)
    raise ConfigError(f"Không có giọng đọc '{settings.tts}'. Đặt TUTOR_TTS là espeak hoặc none.")


@dataclass(frozen=True)
class SharedState:
    """What the workers of one deployment must agree on: rate-limit counters, job status, usage counters."""

    limits_storage: Storage
    jobs: JobBoard
    usage: Usage


def check_workers(settings: Settings) -> None:
    """Several workers need a shared store: without one each would keep its own rate limits, statistics and jobs.

    Refused rather than warned about: a warning scrolls by in a log, while N workers with private counters give every
    token N times its budget, two concurrent index rebuilds, and statistics that change with the worker that answers.
    """
    if settings.workers > 1 and not settings.redis_url:
        raise ConfigError(
            f"Chạy {settings.workers} tiến trình cần Redis dùng chung: đặt TUTOR_REDIS_URL (ví dụ "
            "redis://127.0.0.1:6379/0), nếu không mỗi tiến trình tự đếm giới hạn lượt hỏi, thống kê và việc nền "
            "riêng. Hoặc chạy 1 tiến trình (--workers 1)."
        )


def build_shared_state(settings: Settings) -> SharedState:
    """In this process's memory for a single worker; in Redis (TUTOR_REDIS_URL) for several workers or nodes."""
    check_workers(settings)
    if not settings.redis_url:
        from limits.storage import MemoryStorage

        from tutor.ops.jobs import MemoryJobBoard
        from tutor.ops.usage import UsageCounter

        return SharedState(MemoryStorage(), MemoryJobBoard(), UsageCounter())
    try:
        from limits.storage import RedisStorage

        from tutor.ops.redis_state import RedisJobBoard, RedisUsageCounter, connect
    except ImportError as exc:
        raise ConfigError(
            "TUTOR_REDIS_URL được đặt nhưng chưa cài thư viện redis: chạy `pip install -e '.[scale]'`."
        ) from exc
    try:
        client = connect(settings.redis_url)
    except ValueError as exc:
        raise ConfigError(
            f"TUTOR_REDIS_URL không hợp lệ ({exc}). Viết dạng redis://máy:6379/0 hoặc rediss://… khi dùng TLS."
        ) from exc
    # One connection pool for the three: limits' storage reuses the client's pool (and its short timeouts).
    storage = RedisStorage(settings.redis_url, connection_pool=client.connection_pool, wrap_exceptions=True)
    return SharedState(storage, RedisJobBoard(client), RedisUsageCounter(client))


class TutorFromSettings:
    """The runtime's TutorBuilder: the embedder and Tutor the settings name, over the index now on disk."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def embedder(self) -> Embedder:
        return build_embedder(self._settings)

    def build(self, embedder: Embedder) -> Tutor:
        return build_tutor(self._settings, embedder=embedder)

    def refresh(self, old: Tutor, embedder: Embedder) -> Tutor:
        return refresh_tutor(old, self._settings, embedder)


@dataclass(frozen=True)
class Prebuilt:
    """Parts handed in ready (tests, the CLI), used instead of being built from the settings."""

    tutor: Tutor | None = None
    embedder: Embedder | None = None
    store: LearnerStore | None = None
    bank: Sequence[QuizItem] | None = None
    lessons: Mapping[str, Lesson] | None = None


def build_runtime(settings: Settings, given: Prebuilt) -> TutorRuntime:
    """The Tutor given, else one built now; a missing or mismatched index leaves the runtime not ready (chat answers
    503 with the rebuild hint) rather than stopping the service."""
    from tutor.ops.runtime import TutorRuntime

    builder = TutorFromSettings(settings)
    if given.tutor is not None:
        return TutorRuntime(settings, builder, given.tutor, given.embedder, lessons=given.lessons)
    embedder = given.embedder or builder.embedder()
    try:
        return TutorRuntime(settings, builder, builder.build(embedder), embedder, lessons=given.lessons)
    except (IndexMissingError, IndexMismatchError) as exc:
        return TutorRuntime(settings, builder, None, embedder, not_ready=exc, lessons=given.lessons)


def load_eval_job() -> EvalJob:
    """The eval harness's job for the service, imported on the first eval asked for: serving installs need not
    carry the harness (the `eval` extra), and operations never import it themselves."""
    from tutor.evals.run import run_and_score

    return run_and_score
