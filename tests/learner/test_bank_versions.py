"""Applying a calibration records a bank version; placements remember the version that placed them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.learner import db
from tutor.learner.bank_store import QuizBankStore, StaleProposalError
from tutor.learner.bankversion import WRITTEN, VersionedBank
from tutor.learner.calibration import PLACEMENT_SOURCE, PRACTICE_SOURCE
from tutor.learner.quizbank import QuizItem
from tutor.learner.service import LearnerService
from tutor.learner.store import LearnerStore
from tutor.types import Group


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[LearnerStore, QuizBankStore]]:
    store = LearnerStore(db.sqlite_url(tmp_path / "l.sqlite3"))
    yield store, QuizBankStore(store.engine)
    store.close()


@pytest.fixture
def service(stores: tuple[LearnerStore, QuizBankStore], real_bank: list[QuizItem], tmp_path: Path) -> LearnerService:
    store, versions = stores
    return LearnerService(store, real_bank, {}, tmp_path / "key.pem", versions)


def _harder(bank: list[QuizItem], by: float) -> dict[str, float]:
    return {item.id: item.difficulty + by for item in bank}


def test_apply_records_a_version_and_placements_remember_it(
    stores: tuple[LearnerStore, QuizBankStore], service: LearnerService, real_bank: list[QuizItem]
) -> None:
    store, versions = stores
    learner = store.create_learner(Group.HOC_SINH, consent=True)
    before = service.start_placement(learner.id)
    assert versions.current_id() == WRITTEN and store.load_placement(before.placement_id).state.bank_version == 0

    v1 = versions.add_version(
        based_on=WRITTEN, proposal_sha256="ab" * 32, note="thử", difficulties=_harder(real_bank, 1.0), n_changed=474
    )
    assert v1.id == 1 and versions.current_id() == 1 and versions.version(1).note == "thử"
    after = service.start_placement(learner.id)
    assert store.load_placement(after.placement_id).state.bank_version == 1
    # Its items carry version 1's difficulties; the placement begun before keeps the written ones.
    assert after.item is not None and after.item.difficulty == pytest.approx(_harder(real_bank, 1.0)[after.item.id])
    step = service.placement(learner.id, before.placement_id)
    assert step.item is not None and step.item.difficulty == {i.id: i.difficulty for i in real_bank}[step.item.id]
    assert versions.placements_by_version() == {0: 1, 1: 1}


def test_a_proposal_calibrated_on_an_older_version_is_refused(
    stores: tuple[LearnerStore, QuizBankStore], real_bank: list[QuizItem]
) -> None:
    _, versions = stores
    versions.add_version(based_on=0, proposal_sha256="a" * 64, note=None, difficulties={}, n_changed=0)
    with pytest.raises(StaleProposalError, match="chạy lại `tutor quiz calibrate`"):
        versions.add_version(based_on=0, proposal_sha256="b" * 64, note=None, difficulties={}, n_changed=0)
    assert [v.id for v in versions.versions()] == [1]


def test_versioned_bank_keeps_items_the_version_does_not_know(real_bank: list[QuizItem]) -> None:
    class OneVersion:
        def current_id(self) -> int:
            return 3

        def version(self, version_id: int):  # type: ignore[no-untyped-def]
            from tutor.learner.bankversion import BankVersion

            return BankVersion(3, 2, "", None, {real_bank[0].id: 9.0})

    banks = VersionedBank(real_bank, OneVersion())
    version_id, bank = banks.current()
    assert version_id == 3 and bank[0].difficulty == 9.0 and bank[1] == real_bank[1]
    assert banks.get(0) is banks.written


def test_answer_log_keeps_each_learners_first_answer(
    stores: tuple[LearnerStore, QuizBankStore], service: LearnerService, real_bank: list[QuizItem]
) -> None:
    store, versions = stores
    learner = store.create_learner(Group.NGUOI_DAN, consent=True)
    step = service.start_placement(learner.id)
    assert step.item is not None
    first = step.item
    service.answer_placement(learner.id, step.placement_id, first.id, first.answer)
    service.answer_practice(learner.id, first.id, (first.answer + 1) % len(first.options))  # seen again: ignored
    other = next(i for i in real_bank if i.id != first.id)
    service.answer_practice(learner.id, other.id, other.answer)
    log = versions.answer_log()
    assert [(a.item_id, a.correct, a.source) for a in log.answers] == [
        (first.id, True, PLACEMENT_SOURCE),
        (other.id, True, PRACTICE_SOURCE),
    ]
    assert log.groups == {learner.id: Group.NGUOI_DAN}
