"""Revision 0002 (tokens, sessions, messages, feedback) on SQLite and PostgreSQL, and LearnerService rules that
hold without HTTP: ownership, placement errors, the learner's level, certificates issued once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from tutor.errors import NotFoundError
from tutor.learner import db
from tutor.learner.errors import ItemNotAskedError, PlacementFinishedError
from tutor.learner.models import Base
from tutor.learner.quizbank import QuizItem
from tutor.learner.service import LearnerService
from tutor.learner.sessions import ChatSessions
from tutor.learner.store import LearnerStore
from tutor.types import Answer, Group, Lesson, Level

NEW_TABLES = {"api_tokens", "chat_sessions", "chat_messages", "feedback"}


def test_revision_0002_matches_the_models_and_keeps_existing_rows(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        db.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO learners (id, pseudonym, "group", large_text, short_answers, read_aloud, consent_at,'
                    " created_at) VALUES ('l1', 'HV-CU', 'nguoi-dan', false, false, false, CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP)"
                )
            )
        assert NEW_TABLES.isdisjoint(inspect(engine).get_table_names())
        db.upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pseudonym FROM learners")).scalar() == "HV-CU"
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], diff  # the migration creates exactly what the models declare
        from alembic import command

        command.downgrade(db.alembic_config(engine), "0001")
        assert NEW_TABLES.isdisjoint(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def real_lessons() -> dict[str, Lesson]:
    from tests.conftest import ROOT
    from tutor.corpus.load import load_lessons

    return {lesson.id: lesson for lesson in load_lessons(ROOT / "corpus" / "lessons")}


@pytest.fixture
def service(tmp_path: Path, real_bank: list[QuizItem], real_lessons: dict[str, Lesson]) -> Iterator[LearnerService]:
    store = LearnerStore(db.sqlite_url(tmp_path / "l.sqlite3"))
    yield LearnerService(store, real_bank, real_lessons, tmp_path / "key.pem")
    store.close()


def test_placement_belongs_to_its_learner_and_ends_for_good(service: LearnerService) -> None:
    me = service.store.create_learner(Group.CONG_CHUC, True).id
    other = service.store.create_learner(Group.CONG_CHUC, True).id
    step = service.start_placement(me, domain=4)
    assert step.item is not None
    with pytest.raises(NotFoundError):
        service.placement(other, step.placement_id)
    with pytest.raises(NotFoundError):
        service.answer_placement(other, step.placement_id, step.item.id, 0)
    never = next(i.id for i in service.bank if i.domain != 4)
    with pytest.raises(ItemNotAskedError):
        service.answer_placement(me, step.placement_id, never, 0)
    while not step.finished:
        assert step.item is not None
        last = step.item.id
        step = service.answer_placement(me, step.placement_id, last, step.item.answer)
    assert step.result is not None and step.result.domain == 4
    with pytest.raises(PlacementFinishedError):
        service.answer_placement(me, step.placement_id, last, 0)
    assert service.placement_result(me, step.placement_id) == step.result
    assert service.store.domain_levels(me)[4].level == step.result.level


def test_profile_recommends_only_lessons_written_for_the_learners_group(service: LearnerService) -> None:
    me = service.store.create_learner(Group.HOC_SINH, True).id
    profile = service.profile(me, limit=50)
    assert profile.recommendations
    for rec in profile.recommendations:
        groups = service.lessons[rec.lesson_id].groups
        assert not groups or Group.HOC_SINH in groups


def test_certificate_is_issued_once_per_passed_attempt(service: LearnerService) -> None:
    me = service.store.create_learner(Group.NGUOI_DAN, True).id
    attempt = service.start_final_test(me)
    service.submit_final_test(me, attempt.attempt_id, {i.id: i.answer for i in attempt.items})
    first = service.issue_certificate(me)
    assert service.issue_certificate(me) == first
    assert len(service.store.certificates(me)) == 1
    assert service.verify(first).valid
    retry = service.start_final_test(me)  # a new passed attempt earns a new certificate
    service.submit_final_test(me, retry.attempt_id, {i.id: i.answer for i in retry.items})
    assert service.issue_certificate(me)["payload"]["id"] != first["payload"]["id"]


def test_an_exchange_is_saved_whole_and_only_in_its_owners_session(tmp_path: Path) -> None:
    store = LearnerStore(db.sqlite_url(tmp_path / "l.sqlite3"))
    sessions = ChatSessions(store.engine)
    me = store.create_learner("nguoi-dan", consent=True).id
    other = store.create_learner("nguoi-dan", consent=True).id
    session = sessions.create(me)
    answer = Answer("mã OTP?", Level.CO_BAN, Group.NGUOI_DAN, "Không đưa mã OTP cho ai.", (), ())
    with pytest.raises(NotFoundError):
        sessions.add_exchange(other, session.id, answer)
    assert sessions.get(me, session.id).turns == ()
    for _ in range(5):
        sessions.add_exchange(me, session.id, answer)
    history = sessions.history(me, session.id, turns=4)
    assert [m.role for m in history] == ["user", "assistant", "user", "assistant"]
    assert [t.position for t in sessions.get(me, session.id).turns] == list(range(10))
    store.close()
