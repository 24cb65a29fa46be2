"""TutorRuntime: the serving Tutor and lessons, swapped whole when the index is rebuilt, never half-updated."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from tutor.answering.tutor import Tutor
from tutor.config import Settings
from tutor.corpus.documents import load_document_pages
from tutor.corpus.load import load_lessons
from tutor.errors import CorpusError, TutorError
from tutor.protocols import ChatModel, Embedder
from tutor.types import Lesson

log = logging.getLogger("tutor.runtime")

#: How often a request may look at `index/current` for an index built elsewhere (one readlink, so cheap).
CHECK_EVERY_S = 5.0


class TutorBuilder(Protocol):
    """How the runtime gets a Tutor over the index now on disk (tutor.wiring builds the real one from settings)."""

    def embedder(self) -> Embedder: ...

    def build(self, embedder: Embedder) -> Tutor: ...

    def refresh(self, old: Tutor, embedder: Embedder) -> Tutor:
        """The same Tutor (model, prompts, limits) over the index now on disk."""
        ...


class TutorRuntime:
    """Holds the current Tutor (or why there is none) and the lesson pages that match its index.

    Requests read `tutor` once and keep that object for the whole answer, so a reload that swaps in a new
    Tutor never changes the index under an answer that is streaming: old answers finish on the old index,
    new questions use the new one. An index built by another process (`tutor index build`, another worker's
    rebuild) is noticed through the `current` link and loaded in the background.
    """

    def __init__(
        self,
        settings: Settings,
        builder: TutorBuilder,
        tutor: Tutor | None,
        embedder: Embedder | None,
        *,
        not_ready: TutorError | None = None,
        lessons: Mapping[str, Lesson] | None = None,
    ) -> None:
        self.settings = settings
        self._builder = builder
        self._tutor = tutor
        self._embedder = embedder
        self._not_ready = not_ready
        self._lock = threading.Lock()
        self._lessons = dict(lessons) if lessons is not None else _load(settings)
        self._documents = _load_documents(settings)
        # The index version this Tutor was built from (None: unknown, or no index yet).
        self._loaded = self.index_version() if tutor is not None else None
        self._checked = time.monotonic()
        self.generation = 0

    @property
    def tutor(self) -> Tutor:
        """The Tutor to answer with; raises the index problem (503 with the rebuild hint) when there is none."""
        current = self._tutor
        if current is None:
            assert self._not_ready is not None
            raise self._not_ready
        return current

    @property
    def ready(self) -> bool:
        return self._tutor is not None

    @property
    def problem(self) -> str | None:
        return None if self._tutor is not None else str(self._not_ready)

    @property
    def chat_model(self) -> ChatModel | None:
        return self._tutor.chat_model if self._tutor is not None else None

    @property
    def lessons(self) -> Mapping[str, Lesson]:
        return self._lessons

    @property
    def documents(self) -> Mapping[str, Lesson]:
        """Trainers' ingested documents as pages (`Lesson.trainer_material`), apart from the vetted lessons."""
        return self._documents

    @property
    def loaded_version(self) -> str | None:
        """Name of the index directory being served (e.g. `v-20260101-…`), to compare workers."""
        return self._loaded.name if self._loaded is not None else None

    @property
    def embedder(self) -> Embedder:
        """The serving embedder (built lazily when a Tutor was handed in without it)."""
        if self._embedder is None:
            self._embedder = self._builder.embedder()
        return self._embedder

    def index_version(self) -> Path | None:
        try:
            return (self.settings.index_dir / "current").resolve(strict=True)
        except OSError:
            return None

    def reload(self, *, only_if_changed: bool = False) -> bool:
        """Load the current index from disk and swap it in with the lessons; on failure keep serving the old one.

        Returns whether a new Tutor was swapped in (with `only_if_changed`, not when that version is served).
        """
        with self._lock:
            version = self.index_version()
            if only_if_changed and self._tutor is not None and version == self._loaded:
                return False
            lessons = _load(self.settings)
            documents = _load_documents(self.settings)
            old = self._tutor
            fresh = self._builder.build(self.embedder) if old is None else self._builder.refresh(old, self.embedder)
            # Lessons first: a citation from the new index must always find its lesson page.
            self._lessons = lessons
            self._documents = documents
            self._tutor = fresh
            self._not_ready = None
            self._loaded = version
            self.generation += 1
            return True

    def refresh_if_rebuilt(self) -> None:
        """At most every CHECK_EVERY_S: if `current` points at another version, load it in the background.

        The request that notices does not wait; it and the ones after it are answered by the old Tutor until
        the new one is ready.
        """
        now = time.monotonic()
        if now - self._checked < CHECK_EVERY_S:
            return
        self._checked = now
        version = self.index_version()
        if version is None or version == self._loaded or self._lock.locked():
            return
        threading.Thread(target=self._reload_quietly, name="index-reload", daemon=True).start()

    def _reload_quietly(self) -> None:
        try:
            if self.reload(only_if_changed=True):
                log.info("loaded index %s (generation %d)", self.loaded_version, self.generation)
        except Exception:  # noqa: BLE001 - a background reload that fails keeps the old index serving
            log.exception("could not load the rebuilt index; still serving %s", self.loaded_version)


def _load(settings: Settings) -> dict[str, Lesson]:
    # No lessons is allowed: a tutor may serve only a trainer's documents.
    return {lesson.id: lesson for lesson in load_lessons(settings.lessons_dir, allow_empty=True)}


def _load_documents(settings: Settings) -> dict[str, Lesson]:
    try:
        return load_document_pages(settings.ingested_dir)
    except CorpusError:  # the index build reports a damaged store with what to do; pages must not crash the app
        log.exception("could not read the ingested documents in %s", settings.ingested_dir)
        return {}
