"""Learning path: weakest competence first, finished lessons skipped, reasons in Vietnamese."""

from __future__ import annotations

from tutor.learner.path import lesson_progress, recommend_lessons
from tutor.learner.quizbank import QuizItem
from tutor.types import Level

LESSONS = {
    "an-toan-ma-otp": ["4.2"],
    "vneid-kich-hoat-muc-2": ["2.6", "4.2"],
    "tim-kiem-thong-tin": ["1.1"],
    "ai-la-gi": ["6.1"],
}


def _item(lesson: str, k: int, competence: str) -> QuizItem:
    domain = int(competence.split(".")[0])
    return QuizItem(f"{lesson}-q{k}", lesson, "?", ("a", "b"), 0, "", competence, domain, Level.CO_BAN, 0.0)


def test_weakest_competence_comes_first() -> None:
    skills = {"4.2": -1.5, "2.6": 0.4, "1.1": 0.9, "6.1": 0.1}
    recs = recommend_lessons(LESSONS, skills, progress={})
    assert [r.lesson_id for r in recs][:2] == ["an-toan-ma-otp", "vneid-kich-hoat-muc-2"]
    assert recs[0].competence == "4.2" and recs[1].competence == "4.2"  # the weaker of 2.6 and 4.2
    assert [r.lesson_id for r in recs][2:] == ["ai-la-gi", "tim-kiem-thong-tin"]
    reason = recs[0].reason
    assert "Bảo vệ thông tin cá nhân" in reason and "An toàn" in reason and "yếu nhất" in reason
    assert "4.2" not in reason and "năng lực" not in reason  # words, not framework codes


def test_finished_lessons_are_skipped_even_when_weak() -> None:
    skills = {"4.2": -1.5, "2.6": 0.4, "1.1": 0.9, "6.1": 0.1}
    recs = recommend_lessons(LESSONS, skills, progress={"an-toan-ma-otp": 0.8, "vneid-kich-hoat-muc-2": 0.6})
    ids = [r.lesson_id for r in recs]
    assert "an-toan-ma-otp" not in ids
    assert ids[0] == "vneid-kich-hoat-muc-2"
    assert recs[0].progress == 0.6 and "60%" in recs[0].reason


def test_started_lesson_wins_a_tie_and_limit_applies() -> None:
    lessons = {"b-bai": ["4.1"], "a-bai": ["4.1"], "c-bai": ["4.1"]}
    recs = recommend_lessons(lessons, {"4.1": 0.0}, progress={"c-bai": 0.2}, limit=2)
    assert [r.lesson_id for r in recs] == ["c-bai", "a-bai"]


def test_unrated_competence_uses_the_default_rating() -> None:
    recs = recommend_lessons({"x": ["5.1"], "y": ["3.1"]}, {"3.1": -0.5}, progress={}, default_rating=-1.0)
    assert [r.lesson_id for r in recs] == ["x", "y"]
    assert "chưa làm câu hỏi nào về phần này" in recs[0].reason


def test_lessons_at_the_learners_level_come_first() -> None:
    levels = {"an-toan-ma-otp": ["nang-cao"], "tim-kiem-thong-tin": ["co-ban", "trung-cap"]}
    recs = recommend_lessons(
        {"an-toan-ma-otp": ["4.2"], "tim-kiem-thong-tin": ["1.1"]},
        {"4.2": -2.0, "1.1": 0.5},
        progress={},
        lesson_levels=levels,
        level=Level.CO_BAN,
    )
    assert [r.lesson_id for r in recs] == ["tim-kiem-thong-tin", "an-toan-ma-otp"]


def test_lesson_progress_counts_the_latest_answers() -> None:
    items = [_item("otp", k, "4.2") for k in range(5)] + [_item("wifi", k, "4.1") for k in range(5)]
    latest = {"otp-q0": True, "otp-q1": True, "otp-q2": True, "otp-q3": True, "otp-q4": False, "wifi-q0": False}
    progress = lesson_progress(items, latest)
    assert progress == {"otp": 0.8, "wifi": 0.0}
    recs = recommend_lessons({"otp": ["4.2"], "wifi": ["4.1"]}, {}, progress)
    assert [r.lesson_id for r in recs] == ["wifi"]
