"""LearnerStore on SQLite and on a real PostgreSQL 15: consent, deletion, transactions, migrations, placements."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Table, inspect, select, text

from tutor.auth.tokens import TokenStore
from tutor.errors import NotFoundError
from tutor.learner import db
from tutor.learner.cert import build_final_test, grade_final_test, issue_certificate
from tutor.learner.errors import ConsentRequiredError, InvalidLearnerDataError, PlacementFinishedError
from tutor.learner.feedback import FeedbackStore
from tutor.learner.models import SHARED_TABLES, Base
from tutor.learner.placement import DomainEstimate, PlacementResult, PlacementTest, rasch_p
from tutor.learner.quizbank import QuizItem
from tutor.learner.sessions import ChatSessions
from tutor.learner.store import LearnerStore, Preferences, elo_update
from tutor.types import Answer, Group, Level

MARKER = "dau-vet-rieng-tu-7f3a9c"


def _learner_tables() -> list[Table]:
    """Every table of the schema except the few that hold no learner data at all (and so have no learner_id)."""
    shared = {model.__tablename__ for model in SHARED_TABLES}
    assert all("learner_id" not in Base.metadata.tables[name].c for name in shared)
    return [t for t in Base.metadata.sorted_tables if t.name not in shared]


def _rows_of(store: LearnerStore, learner_id: str) -> dict[str, int]:
    """Count this learner's rows in every table of the schema that holds learner data, whatever the table."""
    counts: dict[str, int] = {}
    with store.engine.connect() as conn:
        for table in _learner_tables():
            column = table.c.id if table.name == "learners" else table.c.learner_id
            counts[table.name] = len(conn.execute(select(column).where(column == learner_id)).all())
    return counts


def _run_placement(session: PlacementTest, theta: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    while (item := session.next_item()) is not None:
        session.record(item.id, bool(rng.random() < rasch_p(theta, item.difficulty)))


# -- consent and learner records ---------------------------------------------------------------------------


@pytest.mark.parametrize("consent", [False, None, 1, "yes"])
def test_learner_is_refused_without_explicit_true_consent(store: LearnerStore, consent: object) -> None:
    with pytest.raises(ConsentRequiredError) as err:
        store.create_learner(Group.NGUOI_DAN, consent=consent)  # type: ignore[arg-type]
    assert err.value.http_status == 422
    assert "đồng ý" in str(err.value)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM learners")).scalar() == 0


def test_learner_round_trips_with_preferences_and_consent_time(store: LearnerStore) -> None:
    before = dt.datetime.now(dt.UTC)
    made = store.create_learner("hoc-sinh", consent=True, age_band="15-24", prefs=Preferences(large_text=True))
    got = store.get_learner(made.id)
    assert got == made
    assert got.group is Group.HOC_SINH and got.prefs.large_text and not got.prefs.read_aloud
    assert got.pseudonym.startswith("HV-")
    assert before - dt.timedelta(seconds=5) <= got.consent_at <= dt.datetime.now(dt.UTC)


def test_unknown_learner_is_not_found(store: LearnerStore) -> None:
    with pytest.raises(NotFoundError):
        store.get_learner("khong-co")


@pytest.mark.parametrize("pseudonym", ["0912345678", "Bà Lan 0912 345 678", "001099012345", "lan@example.com"])
def test_pseudonym_carrying_phone_id_or_email_is_refused(store: LearnerStore, pseudonym: str) -> None:
    with pytest.raises(InvalidLearnerDataError):
        store.create_learner(Group.NGUOI_DAN, consent=True, pseudonym=pseudonym)


def test_unknown_group_and_age_band_are_refused(store: LearnerStore) -> None:
    with pytest.raises(InvalidLearnerDataError):
        store.create_learner(Group.NGUOI_DAN, consent=True, age_band="73")
    with pytest.raises(Exception, match="Nhóm"):
        store.create_learner("sinh-vien", consent=True)


# -- migrations and SQLite settings ------------------------------------------------------------------------


def test_migrations_create_the_whole_schema_on_an_empty_database(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
        db.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert tables == {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
        for table in Base.metadata.sorted_tables:
            columns = {c["name"] for c in inspect(engine).get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
        assert db.current_revision(engine) == db.head_revision() == "0004"
        db.upgrade(engine)  # running again is a no-op
        assert db.current_revision(engine) == "0004"
    finally:
        engine.dispose()


def test_sqlite_store_uses_wal_and_full_synchronous(tmp_path: Path) -> None:
    path = tmp_path / "learners.sqlite3"
    store = LearnerStore(db.sqlite_url(path))
    try:
        store.create_learner(Group.LAO_DONG, consent=True)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert path.with_name(path.name + "-wal").exists()
    finally:
        store.close()


# -- answers, skills, history ------------------------------------------------------------------------------


def test_answers_move_the_competence_rating_by_the_elo_rule(store: LearnerStore, real_bank: list[QuizItem]) -> None:
    learner = store.create_learner(Group.NGUOI_DAN, consent=True)
    item = next(i for i in real_bank if i.competence == "4.2")
    first = store.record_answer(learner.id, item, correct=True)
    assert first.n == 1
    assert first.rating == pytest.approx(elo_update(-0.8, 0, item.difficulty, True))
    assert first.rating > -0.8
    second = store.record_answer(learner.id, item, correct=False)
    assert second.n == 2 and second.rating < first.rating
    assert store.skills(learner.id)["4.2"] == second
    answers = store.history(learner.id, kind="answer")
    assert [e.payload["correct"] for e in answers] == [False, True]  # newest first
    assert store.latest_answers(learner.id) == {item.id: False}


def test_snapshot_reads_what_the_single_reads_return_and_the_latest_answer_to_each_item_wins(
    store: LearnerStore, real_bank: list[QuizItem]
) -> None:
    learner = store.create_learner(Group.HOC_SINH, consent=True)
    a, b, c = real_bank[0], real_bank[1], real_bank[2]
    for item, correct in [(a, True), (b, False), (a, False), (c, True), (b, True), (a, True)]:
        store.record_answer(learner.id, item, correct=correct)
    store.set_domain_level(learner.id, 2, Level.TRUNG_CAP, theta=0.3, se=0.4)
    snap = store.snapshot(learner.id)
    assert snap.latest_answers == {a.id: True, b.id: True, c.id: True}
    store.record_answer(learner.id, b, correct=False)
    snap = store.snapshot(learner.id)
    assert snap.latest_answers == store.latest_answers(learner.id) == {a.id: True, b.id: False, c.id: True}
    assert snap.learner == store.get_learner(learner.id)
    assert snap.levels == store.domain_levels(learner.id) and 2 in snap.levels
    assert snap.skills == store.skills(learner.id)
    assert snap.certificates == store.certificates(learner.id)
    assert snap.active_placement == store.active_placement(learner.id)
    with pytest.raises(NotFoundError):
        store.snapshot("khong-co")


def test_first_rating_starts_from_the_placed_domain_level(store: LearnerStore, real_bank: list[QuizItem]) -> None:
    learner = store.create_learner(Group.CONG_CHUC, consent=True)
    store.set_domain_level(learner.id, 4, Level.NANG_CAO, theta=1.5, se=0.5)
    item = next(i for i in real_bank if i.domain == 4)
    rating = store.record_answer(learner.id, item, correct=True)
    assert rating.rating == pytest.approx(elo_update(1.5, 0, item.difficulty, True))


# -- transactions ------------------------------------------------------------------------------------------


def test_failure_after_the_rating_update_leaves_nothing_written(
    store: LearnerStore, real_bank: list[QuizItem], monkeypatch: pytest.MonkeyPatch
) -> None:
    learner = store.create_learner(Group.NGUOI_DAN, consent=True)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("ổ đĩa đầy")

    monkeypatch.setattr(store, "_add_history", boom)
    with pytest.raises(RuntimeError):
        store.record_answer(learner.id, real_bank[0], correct=True)
    monkeypatch.undo()
    assert store.skills(learner.id) == {}
    assert store.history(learner.id) == []


def test_finishing_a_placement_is_all_or_nothing(store: LearnerStore, real_bank: list[QuizItem]) -> None:
    learner = store.create_learner(Group.HOC_SINH, consent=True)
    session = PlacementTest(real_bank, learner.group)
    pid = store.start_placement(learner.id, session.state)
    _run_placement(session, theta=0.3)
    good = session.result()
    # Domains 1..6 are written and flushed first; the bad 7th is refused, and the whole transaction with it.
    bad = PlacementResult(
        good.group, None, good.theta, good.se, good.level, good.n_items,
        {**good.domains, 7: DomainEstimate(7, 0.0, 1.0, Level.TRUNG_CAP, 0)},
    )  # fmt: skip
    with pytest.raises(InvalidLearnerDataError):
        store.save_placement(pid, session.state, bad)
    assert store.domain_levels(learner.id) == {}
    record = store.load_placement(pid)
    assert not record.state.finished and record.state.asked == ()
    assert [e.payload["event"] for e in store.history(learner.id, kind="placement")] == ["started"]


# -- placements --------------------------------------------------------------------------------------------


def test_resumed_placement_asks_the_same_next_item(store: LearnerStore, real_bank: list[QuizItem]) -> None:
    learner = store.create_learner(Group.LAO_DONG, consent=True)
    live = PlacementTest(real_bank, learner.group)
    pid = store.start_placement(learner.id, live.state)
    for choice in (True, False, True):
        item = live.next_item()
        assert item is not None
        live.record(item.id, choice)
    store.save_placement(pid, live.state)  # nothing pending
    resumed = PlacementTest.resume(real_bank, store.load_placement(pid).state)
    expected = live.next_item()
    assert expected is not None and resumed.next_item() == expected
    store.save_placement(pid, live.state)  # now with the pending item
    again = PlacementTest.resume(real_bank, store.load_placement(pid).state)
    assert again.pending == expected and again.next_item() == expected
    assert again.estimate() == live.estimate()


def test_finished_placement_stores_domain_levels_and_cannot_resume(
    store: LearnerStore, real_bank: list[QuizItem]
) -> None:
    learner = store.create_learner(Group.CONG_CHUC, consent=True)
    session = PlacementTest(real_bank, learner.group)
    pid = store.start_placement(learner.id, session.state)
    assert store.active_placement(learner.id) is not None
    _run_placement(session, theta=1.4, seed=3)
    result = session.result()
    store.save_placement(pid, session.state, result)
    levels = store.domain_levels(learner.id)
    assert sorted(levels) == [1, 2, 3, 4, 5, 6]
    assert all(levels[d].level == result.domains[d].level for d in levels)
    record = store.load_placement(pid)
    assert record.state.finished and record.finished_at is not None
    assert store.active_placement(learner.id) is None
    with pytest.raises(PlacementFinishedError):
        PlacementTest.resume(real_bank, record.state)
    with pytest.raises(PlacementFinishedError):
        store.save_placement(pid, session.state)


# -- deletion ----------------------------------------------------------------------------------------------


def _fill_every_table(store: LearnerStore, bank: list[QuizItem], group: Group) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    learner = store.create_learner(group, consent=True, age_band="60+")
    store.set_domain_level(learner.id, 2, Level.CO_BAN, -1.0, 0.6)
    store.record_answer(learner.id, bank[0], correct=False)
    store.add_history(learner.id, "chat", {"question": f"{MARKER} có người gọi xưng công an"})
    session = PlacementTest(bank, group)
    store.start_placement(learner.id, session.state)
    test = build_final_test(bank, group, seed=learner.id)
    result = grade_final_test(test, {item.id: item.answer for item in test.items})
    store.save_certificate(learner.id, issue_certificate(result, learner.pseudonym, Ed25519PrivateKey.generate()))
    # Chats, feedback and access tokens (revision 0002) belong to the learner too.
    sessions = ChatSessions(store.engine)
    chat = sessions.create(learner.id)
    answer = Answer(f"{MARKER} có người gọi xưng công an", Level.CO_BAN, group, "Tắt máy, gọi 113.", (), ())
    _, reply = sessions.add_exchange(learner.id, chat.id, answer)
    FeedbackStore(store.engine).rate(learner.id, chat.id, reply.id, -1, f"{MARKER} chưa đúng")
    TokenStore(store.engine).create("learner", learner.id)
    return learner.id


def test_delete_removes_the_learner_from_every_table_and_keeps_others(
    store: LearnerStore, real_bank: list[QuizItem]
) -> None:
    gone = _fill_every_table(store, real_bank, Group.NGUOI_DAN)
    kept = _fill_every_table(store, real_bank, Group.HOC_SINH)
    assert all(n > 0 for n in _rows_of(store, gone).values())
    counts = store.delete_learner(gone)
    assert set(counts) == {t.name for t in _learner_tables()}
    assert _rows_of(store, gone) == {t.name: 0 for t in _learner_tables()}
    assert all(n > 0 for n in _rows_of(store, kept).values())
    with pytest.raises(NotFoundError):
        store.get_learner(gone)
    with pytest.raises(NotFoundError):
        store.delete_learner(gone)


def test_deleted_learner_leaves_no_trace_in_the_sqlite_files(tmp_path: Path, real_bank: list[QuizItem]) -> None:
    path = tmp_path / "learners.sqlite3"
    store = LearnerStore(db.sqlite_url(path))
    try:
        learner_id = _fill_every_table(store, real_bank, Group.NGUOI_DAN)

        def raw() -> bytes:
            return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith(path.name))

        assert MARKER.encode() in raw() and learner_id.encode() in raw()
        store.delete_learner(learner_id)
        assert MARKER.encode() not in raw()
        assert learner_id.encode() not in raw()
    finally:
        store.close()


def test_a_generated_pseudonym_with_six_digits_in_a_row_is_drawn_again(
    store: LearnerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "HV-N287882H" reads like a phone number: the certificate's check refused it, so a learner given it could never
    # get their certificate. Here the first draw is all digits, and the learner gets the second.
    draws = iter("22222222" + "ABCDEFGH")
    monkeypatch.setattr("tutor.learner.store.secrets.choice", lambda alphabet: next(draws))
    learner = store.create_learner(Group.NGUOI_DAN, True)
    assert learner.pseudonym == "HV-ABCDEFGH"
