"""Background jobs for operators: one index rebuild or eval run at a time (across workers), in a thread, polled."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.ops.runtime import TutorRuntime
from tutor.protocols import Embedder

Progress = Callable[[int, int], None]
log = logging.getLogger("tutor.jobs")


class JobRunningError(TutorError, http_status=409, exit_code=2):
    """A job of this kind is already running."""


class EvalUnavailableError(TutorError, http_status=503, exit_code=2):
    """The evaluation harness (tutor.evals) is not installed or not importable in this build."""


class UnknownDatasetError(TutorError, http_status=422, exit_code=2):
    """An eval run names a gold set that is not in Settings.datasets_dir: the request is wrong, the service is fine."""


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


class JobBoard(Protocol):
    """Where job status lives: this process's memory, or a store every worker reads (Redis)."""

    def claim(self, status: JobStatus) -> JobStatus | None:
        """Record `status` (running) unless a job of its kind runs already; then return that job's status."""

    def publish(self, status: JobStatus) -> None:
        """Record progress or the outcome of the job this process claimed (also keeps a running job's claim alive)."""

    def read(self, kind: str) -> JobStatus:
        """The latest status of `kind` (idle when none ever ran)."""


class MemoryJobBoard:
    """One process's board: enough when a single worker serves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._status: dict[str, JobStatus] = {}

    def claim(self, status: JobStatus) -> JobStatus | None:
        with self._lock:
            current = self._status.get(status.kind)
            if current is not None and current.state is JobState.RUNNING:
                return current
            self._status[status.kind] = status
            return None

    def publish(self, status: JobStatus) -> None:
        with self._lock:
            self._status[status.kind] = status

    def read(self, kind: str) -> JobStatus:
        with self._lock:
            return self._status.get(kind, JobStatus(kind))


class Job:
    """A single-slot background job: `start` refuses while one runs (in any worker sharing the board); `status` is
    safe to poll from any thread or worker. The work runs in a thread of the worker that started it."""

    #: Seconds between re-publications of a running job, so a board with leases knows its worker is alive.
    HEARTBEAT_S = 10.0

    def __init__(self, kind: str, board: JobBoard | None = None) -> None:
        self.kind = kind
        self._board: JobBoard = board if board is not None else MemoryJobBoard()
        self._lock = threading.Lock()
        self._status = JobStatus(kind)
        self._thread: threading.Thread | None = None

    def status(self) -> JobStatus:
        return self._board.read(self.kind)

    def start(self, work: Callable[[Progress], dict[str, Any]]) -> JobStatus:
        with self._lock:
            status = JobStatus(self.kind, JobState.RUNNING, uuid.uuid4().hex[:12], _now())
            running = self._board.claim(status)
            if running is not None:
                raise JobRunningError(f"Việc '{self.kind}' đang chạy (bắt đầu {running.started_at}).")
            self._status = status
            self._thread = threading.Thread(target=self._run, args=(work,), name=f"job-{self.kind}", daemon=True)
            self._thread.start()
            return status

    def _set(self, status: JobStatus) -> None:
        self._status = status
        self._board.publish(status)

    def _progress(self, done: int, total: int) -> None:
        self._set(replace(self._status, done=done, total=total))

    def _heartbeat(self, finished: threading.Event) -> None:
        while not finished.wait(self.HEARTBEAT_S):
            try:
                self._board.publish(self._status)
            except Exception:  # noqa: BLE001 - a missed heartbeat is retried; the job itself goes on
                log.warning("could not publish the status of job %s", self.kind, exc_info=True)

    def _run(self, work: Callable[[Progress], dict[str, Any]]) -> None:
        finished = threading.Event()
        threading.Thread(target=self._heartbeat, args=(finished,), name=f"job-{self.kind}-beat", daemon=True).start()
        try:
            result = work(self._progress)
        except TutorError as exc:
            outcome = replace(self._status, state=JobState.FAILED, finished_at=_now(), error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a crashed job is reported, the service keeps running
            detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
            outcome = replace(self._status, state=JobState.FAILED, finished_at=_now(), error=detail)
        else:
            outcome = replace(self._status, state=JobState.SUCCEEDED, finished_at=_now(), result=result)
        finished.set()
        self._set(outcome)

    def wait(self, timeout: float | None = None) -> JobStatus:
        """Wait for the job this process started (tests, the CLI); the status as the board has it."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()


class IndexRebuilds:
    """Rebuild the index from the corpus while the service keeps answering, then swap it in."""

    def __init__(
        self, runtime: TutorRuntime, make_embedder: Callable[[], Embedder], board: JobBoard | None = None
    ) -> None:
        self.runtime = runtime
        # Its own embedder, built by the composition root with the serving thread count: the live one keeps
        # answering, and the build does not take the CPU cores the LLM needs.
        self.make_embedder = make_embedder
        self.job = Job("index-rebuild", board)

    def start(self) -> JobStatus:
        return self.job.start(self._rebuild)

    def _rebuild(self, progress: Progress) -> dict[str, Any]:
        from tutor.index.build import build_index
        from tutor.index.embed_cache import EmbeddingCache

        s = self.runtime.settings
        embedder = self.make_embedder()
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


def dataset_path(datasets_dir: Path, name: str) -> Path:
    """The gold set `name` in `datasets_dir`: a run names one by file stem, never by an arbitrary path."""
    path = datasets_dir / f"{name}.jsonl"
    if not name.replace("_", "").replace("-", "").isalnum() or not path.is_file():
        known = ", ".join(sorted(p.stem for p in datasets_dir.glob("*.jsonl"))) or "(chưa có)"
        raise UnknownDatasetError(f"Không có tập đánh giá '{name}' trong {datasets_dir}. Hãy chọn một trong: {known}.")
    return path


class EvalJob(Protocol):
    """One gold set answered by the serving Tutor into a new run under `runs_dir`, scored; a summary back.

    tutor.evals provides it (`tutor.evals.run.run_and_score`); the composition root hands it in, so
    operations never import the harness (which needs the `eval` extra).
    """

    def __call__(
        self,
        settings: Settings,
        tutor: Tutor,
        embedder: Embedder,
        *,
        dataset: Path,
        runs_dir: Path,
        limit: int | None,
        progress: Progress,
    ) -> dict[str, Any]: ...


class EvalRuns:
    """`tutor eval run` from the service: the gold set through the serving Tutor, then scored into a report."""

    def __init__(
        self,
        runtime: TutorRuntime,
        runs_dir: Path,
        load_job: Callable[[], EvalJob] | None,
        board: JobBoard | None = None,
    ) -> None:
        """`load_job` imports the harness when an eval is first asked for; None: this build has no harness."""
        self.runtime = runtime
        self.runs_dir = runs_dir
        self._load_job = load_job
        self.job = Job("eval-run", board)

    def available(self) -> EvalJob:
        """The eval job; EvalUnavailableError (503) when the harness cannot be loaded in this build."""
        if self._load_job is None:
            raise EvalUnavailableError("Bản này không có bộ đánh giá (tutor.evals). Chạy `tutor eval run` ở dòng lệnh.")
        try:
            return self._load_job()
        except Exception as exc:  # noqa: BLE001 - any import failure means: not available in this build
            raise EvalUnavailableError(
                f"Bộ đánh giá (tutor.evals) chưa dùng được trong bản này: {str(exc).rstrip('.')}. "
                "Chạy `tutor eval run` ở dòng lệnh."
            ) from exc

    def start(self, dataset: str = "gold_vi", limit: int | None = None) -> JobStatus:
        run = self.available()
        s = self.runtime.settings
        path = dataset_path(s.datasets_dir, dataset)
        tutor = self.runtime.tutor  # 503 now, not in the thread, when there is no index

        def work(progress: Progress) -> dict[str, Any]:
            embedder = self.runtime.embedder
            return run(s, tutor, embedder, dataset=path, runs_dir=self.runs_dir, limit=limit, progress=progress)

        return self.job.start(work)
