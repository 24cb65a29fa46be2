"""Enrolment stores the learner and their token in one transaction: both, or neither."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tutor.auth.policy import Role
from tutor.auth.tokens import TokenStore, new_token
from tutor.learner import store as store_module
from tutor.learner.models import LearnerRow
from tutor.learner.store import LearnerStore


def _learners(store: LearnerStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(LearnerRow)) or 0)


def test_enrol_returns_a_learner_and_a_token_that_logs_in_as_them(store: LearnerStore):
    learner, issued = store.enrol("nguoi-dan", True, age_band="45-59")
    principal = TokenStore(store.engine).authenticate(issued.secret)
    assert principal.role is Role.LEARNER and principal.learner_id == learner.id
    assert store.get_learner(learner.id).group.value == "nguoi-dan"


def test_a_token_that_cannot_be_stored_leaves_no_learner_behind(store: LearnerStore, monkeypatch):
    _, first = store.enrol("hoc-sinh", True)
    taken = TokenStore(store.engine).find(role=Role.LEARNER)[0]
    assert _learners(store) == 1

    def clashing(role, learner_id=None):  # type: ignore[no-untyped-def]
        issued, row = new_token(role, learner_id)
        row.id = taken.id  # the primary key of a token already stored: the insert fails at commit
        return issued, row

    monkeypatch.setattr(store_module, "new_token", clashing)
    with pytest.raises(IntegrityError):
        store.enrol("hoc-sinh", True)
    assert _learners(store) == 1  # the second learner was rolled back with its token
    assert TokenStore(store.engine).authenticate(first.secret).learner_id is not None
