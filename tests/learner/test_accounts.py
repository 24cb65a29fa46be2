"""LearnerAccounts over a real SQLite store: the level an answer is pitched at, and erasure with the log lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.auth.tokens import TokenStore
from tutor.errors import NotFoundError
from tutor.learner import db
from tutor.learner.accounts import LearnerAccounts, overall_level
from tutor.learner.store import DomainLevel, LearnerStore
from tutor.logs import log_dir_for, setup_logging
from tutor.types import Group, Level


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[LearnerAccounts]:
    store = LearnerStore(db.sqlite_url(tmp_path / "l.sqlite3"))
    yield LearnerAccounts(store, TokenStore(store.engine), log_dir_for(tmp_path))
    store.close()


@pytest.fixture
def log(tmp_path: Path) -> Iterator[logging.Logger]:
    setup_logging(log_dir_for(tmp_path))
    yield logging.getLogger("tutor.test-accounts")
    for h in list(logging.getLogger("tutor").handlers):
        logging.getLogger("tutor").removeHandler(h)
        h.close()


def test_the_learners_level_is_the_median_of_placed_domains() -> None:
    def levels(*values: Level) -> dict[int, DomainLevel]:
        return {i: DomainLevel(i, v, 0.0, 0.5) for i, v in enumerate(values, start=1)}

    assert overall_level({}) is Level.CO_BAN
    assert overall_level(levels(Level.NANG_CAO, Level.CO_BAN, Level.TRUNG_CAP)) is Level.TRUNG_CAP
    assert overall_level(levels(Level.NANG_CAO, Level.CO_BAN)) is Level.CO_BAN  # a tie goes to the lower
    assert overall_level(levels(*([Level.NANG_CAO] * 5), Level.CO_BAN)) is Level.NANG_CAO


def test_an_answer_is_pitched_at_the_learners_own_level_and_group_unless_others_are_chosen(
    accounts: LearnerAccounts,
) -> None:
    learner, _ = accounts.enrol(Group.HOC_SINH, True, token=False)
    assert accounts.pitch(learner.id) == (Level.CO_BAN, Group.HOC_SINH)  # not placed yet: Cơ bản
    assert accounts.pitch(learner.id, Level.NANG_CAO) == (Level.NANG_CAO, Group.HOC_SINH)
    assert accounts.pitch(learner.id, group=Group.CONG_CHUC) == (Level.CO_BAN, Group.CONG_CHUC)
    with pytest.raises(NotFoundError):
        accounts.pitch("no-such-learner-id")


def test_enrol_issues_the_learners_token_only_when_asked(accounts: LearnerAccounts) -> None:
    with_token, issued = accounts.enrol(Group.NGUOI_DAN, True, display_name="Bác Lan")
    without, none = accounts.enrol(Group.NGUOI_DAN, True, token=False)
    assert issued is not None and accounts.tokens.authenticate(issued.secret).learner_id == with_token.id
    assert none is None and accounts.tokens.find(learner_id=without.id) == []
    assert accounts.display_name(with_token.id) == "Bác Lan" and accounts.display_name(without.id) is None


def test_erase_removes_the_learner_and_their_log_lines_and_keeps_everyone_elses(
    accounts: LearnerAccounts, log: logging.Logger
) -> None:
    gone, _ = accounts.enrol(Group.NGUOI_DAN, True)
    stays, _ = accounts.enrol(Group.NGUOI_DAN, True)
    log.info("câu hỏi", extra={"learner_id": gone.id})
    log.info("bí danh %s hỏi lại", gone.pseudonym)
    log.info("câu hỏi", extra={"learner_id": stays.id})

    counts = accounts.erase(gone.id)

    assert counts["learners"] == 1 and counts["api_tokens"] == 1 and counts["log_lines"] == 2
    with pytest.raises(NotFoundError):
        accounts.display_name(gone.id)
    assert accounts.display_name(stays.id) is None  # still there
    with pytest.raises(NotFoundError):  # a second erase finds nothing and deletes nothing
        accounts.erase(gone.id)
