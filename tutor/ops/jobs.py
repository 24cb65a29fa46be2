"""Background jobs for operators: one index rebuild or eval run at a time, in a thread, with polled status."""

from __future__ import annotations

import datetime as dt
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from tutor.answering.tutor import Tutor
from tutor.errors import TutorError
from tutor.ops.runtime import TutorRuntime

Progress = Callable[[int, int], None]
#: The project's gold sets live here; an eval run names one by file stem, never by an arbitrary path.
DATASETS_DIR = Path(__file__).resolve().parents[2] / "eval" / "datasets"


class JobRunningError(TutorError):
    """A job of this kind is already running."""

    http_status = 409
    exit_code = 2


class EvalUnavailableError(TutorError):
    """The evaluation harness (tutor.evals) is not installed or not importable in this build."""

    http_status = 503
    exit_code = 2


class UnknownDatasetError(TutorError):
    """An eval run names a gold set that is not in eval/datasets/: the request is wrong, the service is fine."""

    http_status = 422
    exit_code = 2


class JobState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class JobStatus:
    kind: str
    state: JobState = JobState.IDLE
    id: str | None = None
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    done: int = 0
    total: int = 0
    #: Why it failed (Vietnamese), when it failed.
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Job:
    """A single-slot background job: `start` refuses while one runs; `status` is safe to poll from any thread."""

    def __init__(self, kind: str) -> None:
        self._lock = threading.Lock()
        self._status = JobStatus(kind)
        self._thread: threading.Thread | None = None

    def status(self) -> JobStatus:
        return self._status

    def start(self, work: Callable[[Progress], dict[str, Any]]) -> JobStatus:
        with self._lock:
            if self._status.state is JobState.RUNNING:
                raise JobRunningError(f"Việc '{self._status.kind}' đang chạy (bắt đầu {self._status.started_at}).")
            self._status = JobStatus(self._status.kind, JobState.RUNNING, uuid.uuid4().hex[:12], _now())
            self._thread = threading.Thread(
                target=self._run, args=(work,), name=f"job-{self._status.kind}", daemon=True
            )
            self._thread.start()
            return self._status

    def _progress(self, done: int, total: int) -> None:
        self._status = replace(self._status, done=done, total=total)

    def _run(self, work: Callable[[Progress], dict[str, Any]]) -> None:
        try:
            result = work(self._progress)
        except TutorError as exc:
            self._status = replace(self._status, state=JobState.FAILED, finished_at=_now(), error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a crashed job is reported, the service keeps running
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            self._status = replace(self._status, state=JobState.FAILED, finished_at=_now(), error=detail)
        else:
            self._status = replace(self._status, state=JobState.SUCCEEDED, finished_at=_now(), result=result)

    def wait(self, timeout: float | None = None) -> JobStatus:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._status


class IndexRebuilds:
    """Rebuild the index from the corpus while the service keeps answering, then swap it in."""

    def __init__(self, runtime: TutorRuntime) -> None:
        self.runtime = runtime
        self.job = Job("index-rebuild")

    def start(self) -> JobStatus:
        return self.job.start(self._rebuild)

    def _rebuild(self, progress: Progress) -> dict[str, Any]:
        from tutor.index.build import build_index
        from tutor.index.embed_cache import EmbeddingCache
        from tutor.wiring import build_embedder

        s = self.runtime.settings
        # Its own embedder, with the serving thread count: the live one keeps answering, and the build does
        # not take the CPU cores the LLM needs.
        embedder = build_embedder(s, threads=s.serving_embed_threads)
        cache = EmbeddingCache(s.embed_cache_dir)
        try:
            manifest = build_index(
                s.index_dir, s.lessons_dir, embedder, progress, cache=cache, ingested_dir=s.ingested_dir
            )
        finally:
            cache.close()
        # Only if no request noticed the new `current` link and loaded it first.
        self.runtime.reload(only_if_changed=True)
        return {
            "chunk_count": manifest.chunk_count,
            "embedder": manifest.embedder,
            "built_at": manifest.built_at,
            "version": self.runtime.loaded_version,
        }


def dataset_path(name: str) -> Path:
    path = DATASETS_DIR / f"{name}.jsonl"
    if not name.replace("_", "").replace("-", "").isalnum() or not path.is_file():
        known = ", ".join(sorted(p.stem for p in DATASETS_DIR.glob("*.jsonl"))) or "(chưa có)"
        raise UnknownDatasetError(f"Không có tập đánh giá '{name}' trong eval/datasets/. Hãy chọn một trong: {known}.")
    return path


class EvalRuns:
    """`tutor eval run` from the service: the gold set through the serving Tutor, then scored into a report."""

    def __init__(self, runtime: TutorRuntime, runs_dir: Path) -> None:
        self.runtime = runtime
        self.runs_dir = runs_dir
        self.job = Job("eval-run")

    @staticmethod
    def available() -> None:
        """Raise EvalUnavailableError (503) when the harness cannot be imported."""
        try:
            import tutor.evals.session  # noqa: F401
        except Exception as exc:  # noqa: BLE001 - any import failure means: not available in this build
            raise EvalUnavailableError(
                f"Bộ đánh giá (tutor.evals) chưa dùng được trong bản này: {exc}. Chạy `tutor eval run` ở dòng lệnh."
            ) from exc

    def start(self, dataset: str = "gold_vi", limit: int | None = None) -> JobStatus:
        self.available()
        path = dataset_path(dataset)
        tutor = self.runtime.tutor  # 503 now, not in the thread, when there is no index
        return self.job.start(lambda progress: self._run(tutor, path, limit, progress))

    def _run(self, tutor: Tutor, dataset: Path, limit: int | None, progress: Progress) -> dict[str, Any]:
        from tutor.evals.session import collect, default_run_name, score_run

        s = self.runtime.settings
        run_dir = self.runs_dir / default_run_name(s.llm)
        embedder = self.runtime.embedder
        manifest = collect(
            s, tutor, dataset=dataset, run_dir=run_dir, embedder_id=embedder.id, limit=limit, progress=progress
        )
        _, markdown = score_run(run_dir, s, embedder=embedder, dataset=dataset)
        return {
            "run_dir": str(run_dir),
            "completed": manifest.completed,
            "errors": manifest.errors,
            "report": str(run_dir / "report.html"),
            "summary_md": markdown,
        }
