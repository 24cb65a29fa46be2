"""API fixtures: the real corpus indexed once with the hashing embedder, and a fresh app and database per test."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import ROOT
from tutor.answering.tutor import AnswerMode, Tutor
from tutor.api.app import create_app
from tutor.api.deps import Services
from tutor.config import Settings
from tutor.corpus.load import load_lessons
from tutor.embed.hashing import HashingEmbedder
from tutor.index.build import build_index
from tutor.learner.quizbank import QuizItem, lesson_competences, load_quiz_bank
from tutor.learner.store import LearnerStore
from tutor.llm.scripted import ScriptedChatModel
from tutor.protocols import ChatModel
from tutor.types import Lesson
from tutor.wiring import build_tutor

#: A reply the guard accepts for the OTP question over the real corpus: it repeats the lesson's own words.
REPLY = "Công an không bao giờ hỏi mã OTP, mật khẩu ngân hàng [1]."


@dataclass(frozen=True)
class RealParts:
    settings: Settings
    tutor: Tutor
    bank: list[QuizItem]
    lessons: dict[str, Lesson]
    #: An empty learner database already migrated to head: copying it is 10x faster than migrating.
    template_db: Path

    def new_app(self, db: Path, model: ChatModel | None, mode: AnswerMode | None = None, **settings: object) -> FastAPI:
        """An app over the shared index, tutor and quiz bank, with its own learner database at `db` (a copy of the
        template) and these settings. A model given is there to be used: the LLM writes, unless `mode` says
        otherwise; without one the answer is composed."""
        shutil.copyfile(self.template_db, db)
        s = self.settings.model_copy(update={"learner_db_url": f"sqlite:///{db}", **settings})
        tutor = copy.copy(self.tutor)
        tutor.chat_model = model
        tutor.mode = mode or (AnswerMode.GENERATED if model is not None else AnswerMode.COMPOSED)
        store = LearnerStore(s.learner_url, migrate=False)
        return create_app(s, tutor, embedder=HashingEmbedder(), store=store, bank=self.bank, lessons=self.lessons)


@pytest.fixture(scope="session")
def real_parts(tmp_path_factory: pytest.TempPathFactory) -> RealParts:
    """The shipped corpus and quiz bank, indexed once per session with the hashing embedder (about 2 s)."""
    data = tmp_path_factory.mktemp("api-index")
    s = Settings(
        data_dir=data, corpus_dir=ROOT / "corpus", prompts_dir=ROOT / "prompts", embedder="hash", llm="extractive"
    )
    build_index(s.index_dir, s.lessons_dir, HashingEmbedder())
    lessons = {lesson.id: lesson for lesson in load_lessons(s.lessons_dir)}
    bank = load_quiz_bank(s.quiz_dir, lesson_competences(lessons.values()))
    template = data / "template.sqlite3"
    LearnerStore(f"sqlite:///{template}").close()
    return RealParts(s, build_tutor(s, embedder=HashingEmbedder()), bank, lessons, template)


@dataclass
class Api:
    client: TestClient
    app: FastAPI
    services: Services
    model: ChatModel | None

    def token(self, role: str, learner_id: str | None = None) -> dict[str, str]:
        secret = self.services.tokens.create(role, learner_id).secret
        return {"Authorization": f"Bearer {secret}"}

    def learner(self, group: str = "nguoi-dan") -> tuple[str, dict[str, str]]:
        """A consenting learner and the headers of their learner token."""
        learner = self.services.store.create_learner(group, consent=True)
        return learner.id, self.token("learner", learner.id)


MakeApi = Callable[..., Api]


@pytest.fixture
def make_api(real_parts: RealParts, tmp_path: Path) -> Iterator[MakeApi]:
    """A new app over the shared index with its own learner database and signing key."""
    made: list[Api] = []

    def make(model: ChatModel | None = None, **overrides: object) -> Api:
        db = tmp_path / f"learners-{len(made)}.sqlite3"
        app = real_parts.new_app(db, model, **{"cert_key_path": tmp_path / "keys" / "cert.pem", **overrides})
        api = Api(TestClient(app), app, app.state.services, model)
        made.append(api)
        return api

    yield make
    for api in made:
        api.client.close()
        api.services.store.close()


@pytest.fixture
def api(make_api: MakeApi) -> Api:
    """The app with a scripted model that streams REPLY word by word."""
    return make_api(ScriptedChatModel(REPLY))
