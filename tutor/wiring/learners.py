"""Builders of the learner side: the store, its use cases (accounts, the learner journey) and the quiz bank."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.config import Settings
    from tutor.learner.accounts import LearnerAccounts
    from tutor.learner.bank_store import QuizBankStore
    from tutor.learner.feedback import FeedbackStore
    from tutor.learner.quizbank import QuizItem
    from tutor.learner.service import LearnerService
    from tutor.learner.sessions import ChatSessions
    from tutor.learner.store import LearnerStore
    from tutor.types import Lesson


def build_learner_store(settings: Settings) -> LearnerStore:
    """The learner store at the configured URL; the data directory is created for the SQLite default."""
    from tutor.learner.store import LearnerStore

    if not settings.learner_db_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return LearnerStore(settings.learner_url)


@contextmanager
def open_learner_store(settings: Settings) -> Iterator[LearnerStore]:
    """The learner store for one command, closed when the command is done (or fails)."""
    store = build_learner_store(settings)
    try:
        yield store
    finally:
        store.close()


def build_accounts(settings: Settings, store: LearnerStore) -> LearnerAccounts:
    """Enrolment, names, tokens and erasure over the store; erasure purges the service's log directory too."""
    from tutor.auth.tokens import TokenStore
    from tutor.learner.accounts import LearnerAccounts
    from tutor.logs import log_dir_for

    return LearnerAccounts(store, TokenStore(store.engine), log_dir_for(settings.data_dir))


@contextmanager
def open_accounts(settings: Settings) -> Iterator[LearnerAccounts]:
    """The accounts for one command, over a store closed when the command is done."""
    with open_learner_store(settings) as store:
        yield build_accounts(settings, store)


def build_chat_sessions(store: LearnerStore) -> ChatSessions:
    from tutor.learner.sessions import ChatSessions

    return ChatSessions(store.engine)


def build_feedback(store: LearnerStore) -> FeedbackStore:
    from tutor.learner.feedback import FeedbackStore

    return FeedbackStore(store.engine)


def load_written_bank(settings: Settings, lessons: Iterable[Lesson]) -> list[QuizItem]:
    """The quiz bank as written in corpus/quiz/, each item's competence checked against the lessons'."""
    from tutor.learner.quizbank import lesson_competences, load_quiz_bank

    return load_quiz_bank(settings.quiz_dir, lesson_competences(lessons))


def build_bank_versions(store: LearnerStore) -> QuizBankStore:
    """The calibrated versions of the quiz bank's difficulties, and the answers they are calibrated from."""
    from tutor.learner.bank_store import QuizBankStore

    return QuizBankStore(store.engine)


def build_learner_service(
    settings: Settings, store: LearnerStore, lessons: Mapping[str, Lesson], bank: Sequence[QuizItem] | None = None
) -> LearnerService:
    """The learner journey over the store: the quiz bank given, else the one written in corpus/quiz/ (slow to
    parse: about a second of YAML)."""
    from tutor.learner.service import LearnerService

    items = bank if bank is not None else load_written_bank(settings, lessons.values())
    return LearnerService(store, items, lessons, settings.signing_key_path, build_bank_versions(store))
