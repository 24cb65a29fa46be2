"""Practice answers move a placed domain's level, and the profile says when and why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.learner import db
from tutor.learner.growth import PLACEMENT, PRACTICE, update_domain
from tutor.learner.placement import DomainEstimate, PlacementResult, PlacementTest
from tutor.learner.quizbank import QuizItem
from tutor.learner.service import LearnerService
from tutor.learner.store import LearnerStore
from tutor.types import Group, Level


@pytest.fixture
def service(tmp_path: Path, real_bank: list[QuizItem]) -> Iterator[LearnerService]:
    store = LearnerStore(db.sqlite_url(tmp_path / "l.sqlite3"))
    yield LearnerService(store, real_bank, {}, tmp_path / "key.pem")
    store.close()


def test_right_answers_raise_the_ability_and_wrong_ones_lower_it() -> None:
    up = update_domain(-0.8, 0.45, Level.CO_BAN, -0.8, True)
    down = update_domain(-0.8, 0.45, Level.CO_BAN, -0.8, False)
    assert down.theta < -0.8 < up.theta and up.se < 0.46
    assert up.level is Level.CO_BAN  # one answer is not enough to leave the middle of a level


def test_a_level_does_not_flip_back_and_forth_on_a_boundary() -> None:
    theta, se, level = -0.6, 0.35, Level.CO_BAN
    levels = []
    for correct in [True, False] * 6:
        step = update_domain(theta, se, level, -0.55, correct)
        theta, se, level = step.theta, step.se, step.level
        levels.append(level)
    assert len(set(levels)) == 1


def test_practice_moves_a_placed_domain_up_and_the_profile_says_why(
    service: LearnerService, real_bank: list[QuizItem]
) -> None:
    learner = service.store.create_learner(Group.NGUOI_DAN, consent=True)
    service.store.set_domain_level(learner.id, 4, Level.CO_BAN, -0.75, 0.45)
    items = sorted((i for i in real_bank if i.domain == 4), key=lambda i: abs(i.difficulty + 0.2))
    change = None
    answered = 0
    for item in items[:12]:
        answered += 1
        done = service.answer_practice(learner.id, item.id, item.answer)
        if done.level_change is not None:
            change = done.level_change
            break
    assert change is not None and change.new is Level.TRUNG_CAP and change.source == PRACTICE
    assert change.reason == f"Cơ bản → Trung cấp sau {answered} câu luyện tập đúng (trên {answered} câu) về An toàn."
    profile = service.profile(learner.id)
    assert profile.levels[4].level is Level.TRUNG_CAP
    assert [c.reason for c in profile.level_changes] == [change.reason] and profile.level_changes[0].at is not None
    # An unplaced domain has no level to move.
    other = next(i for i in real_bank if i.domain == 1)
    assert service.answer_practice(learner.id, other.id, other.answer).level_change is None
    assert 1 not in service.profile(learner.id).levels


def test_a_new_placement_that_changes_a_level_is_recorded(service: LearnerService, real_bank: list[QuizItem]) -> None:
    store = service.store
    learner = store.create_learner(Group.HOC_SINH, consent=True)
    store.set_domain_level(learner.id, 2, Level.CO_BAN, -1.0, 0.5)
    session = PlacementTest(real_bank, learner.group)
    pid = store.start_placement(learner.id, session.state)
    domains = {2: DomainEstimate(2, 1.2, 0.4, Level.NANG_CAO, 6), 3: DomainEstimate(3, 0.0, 0.5, Level.TRUNG_CAP, 3)}
    store.save_placement(
        pid, session.state, PlacementResult(learner.group, None, 1.0, 0.4, Level.NANG_CAO, 12, domains)
    )
    changes = service.profile(learner.id).level_changes
    assert [(c.domain, c.old, c.new, c.source) for c in changes] == [(2, Level.CO_BAN, Level.NANG_CAO, PLACEMENT)]
    assert "sau bài xếp lớp mới (12 câu)" in changes[0].reason
