"""LearnerService: the learner journey (enrol, place, practise, final test, certificate) over the store."""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tutor.auth.policy import not_found_for_others
from tutor.errors import NotFoundError
from tutor.learner.accounts import overall_level
from tutor.learner.bankversion import BankVersions, VersionedBank
from tutor.learner.cert import (
    PASS_DOMAIN,
    PASS_OVERALL,
    FinalTestResult,
    VerifyResult,
    build_final_test,
    final_test_from_ids,
    grade_final_test,
    issue_certificate,
    load_or_create_signing_key,
    public_key_pem,
    verify_certificate,
)
from tutor.learner.errors import (
    CertificateNotEarnedError,
    FinalTestStateError,
    InvalidAnswerError,
    LearnerInputError,
    PlacementNotFinishedError,
)
from tutor.learner.growth import LevelChange
from tutor.learner.path import Recommendation, lesson_progress, recommend_lessons
from tutor.learner.placement import (
    GROUP_PRIOR_MEAN,
    SERVING_CONFIG,
    PlacementResult,
    PlacementState,
    PlacementTest,
)
from tutor.learner.quizbank import QuizItem
from tutor.learner.store import DomainLevel, LearnerProfile, LearnerStore, PlacementRecord, SkillRating
from tutor.types import Group, Lesson, Level

#: Certificate ids are derived from the graded attempt, so issuing twice returns the same certificate.
_CERT_NAMESPACE = uuid.UUID("6f1c3a52-6c1e-4b8e-9d61-0b7c1d2f5a90")
FINAL_KIND = "final-test"


@dataclass(frozen=True)
class Profile:
    learner: LearnerProfile
    levels: dict[int, DomainLevel]
    #: The level answers are pitched at when the learner does not choose one.
    level: Level
    skills: dict[str, SkillRating]
    #: lesson id -> share of its quiz answered right (latest answers), for lessons tried.
    progress: dict[str, float]
    recommendations: list[Recommendation]
    certificates: list[dict[str, Any]]
    active_placement: str | None
    tests: TestsTaken = field(default_factory=lambda: TestsTaken())
    #: The latest level changes, newest first, each with its reason.
    level_changes: list[LevelChange] = field(default_factory=list)


@dataclass(frozen=True)
class TestsTaken:
    """The tests a learner has finished: the placement counts as one, like the final test."""

    placements: int = 0
    last_placement_at: dt.datetime | None = None
    final_tests: int = 0
    #: Whether the latest graded final test passed; None before any.
    final_passed: bool | None = None


@dataclass(frozen=True)
class AnswerOutcome:
    item_id: str
    correct: bool
    #: The right option (0-based) and why, shown after the learner answers.
    answer: int
    explanation: str


@dataclass(frozen=True)
class PlacementStep:
    placement_id: str
    finished: bool
    #: The question to answer now; None once the test is over.
    item: QuizItem | None
    answered: int
    last: AnswerOutcome | None = None
    result: PlacementResult | None = None


@dataclass(frozen=True)
class PracticeOutcome:
    outcome: AnswerOutcome
    skill: SkillRating
    #: Set when this answer moved the domain's level (with the reason shown to the learner).
    level_change: LevelChange | None = None


@dataclass(frozen=True)
class FinalAttempt:
    attempt_id: str
    group: Group
    items: tuple[QuizItem, ...]


@dataclass(frozen=True)
class FinalOutcome:
    attempt_id: str
    result: FinalTestResult


def _outcome(item: QuizItem, correct: bool) -> AnswerOutcome:
    return AnswerOutcome(item.id, correct, item.answer, item.explanation)


def _result_payload(r: FinalTestResult) -> dict[str, Any]:
    return {
        "group": r.group.value,
        "level": r.level.value,
        "n_items": r.n_items,
        "n_correct": r.n_correct,
        "score": r.score,
        "domain_scores": {str(d): s for d, s in r.domain_scores.items()},
        "passed": r.passed,
        "competences": list(r.competences),
        "item_ids": list(r.item_ids),
    }


def _result_from(p: Mapping[str, Any]) -> FinalTestResult:
    return FinalTestResult(
        Group(p["group"]),
        Level(p["level"]),
        int(p["n_items"]),
        int(p["n_correct"]),
        float(p["score"]),
        {int(d): float(s) for d, s in p["domain_scores"].items()},
        bool(p["passed"]),
        tuple(p["competences"]),
        tuple(p["item_ids"]),
    )


class LearnerService:
    """Orchestrates the learner model. Every method that touches learner data takes the acting learner's id."""

    def __init__(
        self,
        store: LearnerStore,
        bank: Sequence[QuizItem],
        lessons: Mapping[str, Lesson],
        signing_key_path: Path,
        versions: BankVersions | None = None,
    ) -> None:
        self.store = store
        #: The bank as written in corpus/quiz/; the difficulties in use come from `banks` (applied calibrations).
        self.bank = list(bank)
        self.banks = VersionedBank(self.bank, versions)
        self.lessons = dict(lessons)
        self._key_path = signing_key_path
        self._key: Ed25519PrivateKey | None = None
        self._key_lock = threading.Lock()

    # -- learners and profile --------------------------------------------------------------------------------

    def profile(self, learner_id: str, *, limit: int = 5) -> Profile:
        snap = self.store.snapshot(learner_id)
        learner, levels, skills = snap.learner, snap.levels, snap.skills
        progress = lesson_progress(self.bank, snap.latest_answers)
        mine = {
            lid: lesson for lid, lesson in self.lessons.items() if not lesson.groups or learner.group in lesson.groups
        }
        # A competence never practised starts from the placement estimate, else the group prior.
        default = statistics.fmean(dl.theta for dl in levels.values()) if levels else GROUP_PRIOR_MEAN[learner.group]
        level = overall_level(levels)
        recs = recommend_lessons(
            {lid: list(lesson.competences) for lid, lesson in mine.items()},
            {c: s.rating for c, s in skills.items()},
            progress,
            limit=limit,
            default_rating=default,
            lesson_levels={lid: list(lesson.levels) for lid, lesson in mine.items()},
            level=level,
            domain_levels={d: dl.level for d, dl in levels.items()},
        )
        active = snap.active_placement
        graded = [e for e in self._final_events(learner_id) if e.get("event") == "graded"]
        tests = TestsTaken(
            snap.placements_finished,
            snap.last_placement_at,
            len(graded),
            bool(graded[0].get("passed")) if graded else None,
        )
        return Profile(
            learner,
            levels,
            level,
            skills,
            progress,
            recs,
            snap.certificates,
            active.id if active else None,
            tests,
            snap.level_changes,
        )

    # -- placement -------------------------------------------------------------------------------------------

    def _placement(self, learner_id: str, placement_id: str) -> PlacementRecord:
        try:
            record = self.store.load_placement(placement_id)
        except NotFoundError as exc:
            raise not_found_for_others("bài xếp lớp", placement_id) from exc
        if record.learner_id != learner_id:
            raise not_found_for_others("bài xếp lớp", placement_id)
        return record

    def start_placement(self, learner_id: str, domain: int | None = None) -> PlacementStep:
        """A new adaptive test over the whole bank (or one domain); returns its first question."""
        learner = self.store.get_learner(learner_id)
        version, bank = self.banks.current()
        test = PlacementTest(bank, learner.group, domain, SERVING_CONFIG, bank_version=version)
        placement_id = self.store.start_placement(learner_id, test.state)
        item = test.next_item()
        self.store.save_placement(placement_id, test.state)
        return PlacementStep(placement_id, False, item, 0)

    def placement(self, learner_id: str, placement_id: str) -> PlacementStep:
        """Where a placement stands: the pending question, or the result once it has ended."""
        record = self._placement(learner_id, placement_id)
        if record.state.finished:
            return PlacementStep(placement_id, True, None, len(record.state.responses), None, self._result(record))
        test = PlacementTest.resume(self.banks.get(record.state.bank_version), record.state, SERVING_CONFIG)
        item = test.next_item()
        if item is None:  # the stopping rule was met by the last saved answer
            result = test.result()
            self.store.save_placement(placement_id, test.state, result)
            return PlacementStep(placement_id, True, None, len(test.responses), None, result)
        if tuple(test.asked) != record.state.asked:
            self.store.save_placement(placement_id, test.state)
        return PlacementStep(placement_id, False, item, len(test.responses))

    def answer_placement(self, learner_id: str, placement_id: str, item_id: str, choice: int) -> PlacementStep:
        """Grade the pending question and save it with the next question (or the result), in one transaction.

        A finished placement raises PlacementFinishedError; an item that is not the pending one raises
        ItemNotAskedError; neither writes anything.
        """
        record = self._placement(learner_id, placement_id)
        test = PlacementTest.resume(self.banks.get(record.state.bank_version), record.state, SERVING_CONFIG)
        correct = test.answer(item_id, choice)
        last = _outcome(self.item(item_id), correct)
        item = test.next_item()
        if item is None:
            result = test.result()
            self.store.save_placement(placement_id, test.state, result)
            return PlacementStep(placement_id, True, None, len(test.responses), last, result)
        self.store.save_placement(placement_id, test.state)
        return PlacementStep(placement_id, False, item, len(test.responses), last)

    def placement_result(self, learner_id: str, placement_id: str) -> PlacementResult:
        record = self._placement(learner_id, placement_id)
        if not record.state.finished:
            raise PlacementNotFinishedError("Bài xếp lớp chưa xong; hãy trả lời tiếp các câu hỏi.")
        return self._result(record)

    def _result(self, record: PlacementRecord) -> PlacementResult:
        st: PlacementState = record.state
        bank = self.banks.get(st.bank_version)
        return PlacementTest(
            bank, st.group, st.domain, asked=st.asked, responses=st.responses, bank_version=st.bank_version
        ).result()

    # -- practice --------------------------------------------------------------------------------------------

    def item(self, item_id: str) -> QuizItem:
        """The item with the difficulty currently in use."""
        _, bank = self.banks.current()
        item = next((i for i in bank if i.id == item_id), None)
        if item is None:
            raise LearnerInputError(f"Không có câu hỏi '{item_id}' trong ngân hàng câu hỏi.")
        return item

    def practice_items(self, lesson_id: str) -> list[QuizItem]:
        items = [i for i in self.bank if i.lesson_id == lesson_id]
        if not items:
            raise LearnerInputError(f"Bài học '{lesson_id}' chưa có câu hỏi luyện tập.")
        return items

    def answer_practice(self, learner_id: str, item_id: str, choice: int) -> PracticeOutcome:
        """Grade a practice answer and move the competence's rating (the store logs both or neither)."""
        item = self.item(item_id)
        if not 0 <= choice < len(item.options):
            raise InvalidAnswerError(f"Câu {item_id} chỉ có {len(item.options)} phương án (từ 0).")
        correct = item.is_correct(choice)
        done = self.store.record_practice(learner_id, item, correct)
        return PracticeOutcome(_outcome(item, correct), done.skill, done.level_change)

    # -- final test and certificate ---------------------------------------------------------------------------

    def _final_events(self, learner_id: str) -> list[dict[str, Any]]:
        """The learner's final-test events, newest first."""
        return [e.payload for e in self.store.history(learner_id, kind=FINAL_KIND, limit=None)]

    def start_final_test(self, learner_id: str) -> FinalAttempt:
        """Hand out the group's final test; the item ids are saved so the answers are graded against them."""
        learner = self.store.get_learner(learner_id)
        attempt_id = str(uuid.uuid4())
        groups = {lid: [g.value for g in lesson.groups] for lid, lesson in self.lessons.items()}
        test = build_final_test(self.bank, learner.group, seed=f"{learner_id}:{attempt_id}", lesson_groups=groups)
        self.store.add_history(
            learner_id, FINAL_KIND, {"event": "started", "attempt": attempt_id, "item_ids": list(test.item_ids)}
        )
        return FinalAttempt(attempt_id, learner.group, test.items)

    def submit_final_test(self, learner_id: str, attempt_id: str, answers: Mapping[str, int]) -> FinalOutcome:
        """Grade the attempt once; a second submission of the same attempt is refused (409)."""
        learner = self.store.get_learner(learner_id)
        events = self._final_events(learner_id)
        started = next((e for e in events if e.get("event") == "started" and e.get("attempt") == attempt_id), None)
        if started is None:
            raise FinalTestStateError(f"Không có lượt kiểm tra '{attempt_id}'; hãy bắt đầu bài kiểm tra cuối khóa.")
        if any(e.get("event") == "graded" and e.get("attempt") == attempt_id for e in events):
            raise FinalTestStateError("Lượt kiểm tra này đã được chấm; hãy bắt đầu lượt mới nếu muốn làm lại.")
        test = final_test_from_ids(self.bank, learner.group, started["item_ids"])
        result = grade_final_test(test, answers)
        self.store.add_history(
            learner_id, FINAL_KIND, {"event": "graded", "attempt": attempt_id, **_result_payload(result)}
        )
        return FinalOutcome(attempt_id, result)

    def latest_final_result(self, learner_id: str) -> FinalOutcome | None:
        graded = next((e for e in self._final_events(learner_id) if e.get("event") == "graded"), None)
        return FinalOutcome(str(graded["attempt"]), _result_from(graded)) if graded else None

    def signing_key(self) -> Ed25519PrivateKey:
        with self._key_lock:
            if self._key is None:
                self._key = load_or_create_signing_key(self._key_path)
            return self._key

    def issue_certificate(self, learner_id: str) -> dict[str, Any]:
        """Sign a certificate for the latest passed final test; 403 and nothing written when it did not pass."""
        learner = self.store.get_learner(learner_id)
        latest = self.latest_final_result(learner_id)
        if latest is None:
            raise CertificateNotEarnedError(
                "Bạn chưa làm bài kiểm tra cuối khóa; hãy làm bài trước khi nhận chứng nhận."
            )
        if not latest.result.passed:
            r = latest.result
            raise CertificateNotEarnedError(
                f"Chưa đạt bài kiểm tra cuối khóa ({round(r.score * 100)}%; cần từ {round(PASS_OVERALL * 100)}% "
                f"và mỗi lĩnh vực từ {round(PASS_DOMAIN * 100)}%). Ôn lại các bài được gợi ý rồi làm lại."
            )
        cert_id = str(uuid.uuid5(_CERT_NAMESPACE, latest.attempt_id))
        for existing in self.store.certificates(learner_id):
            if existing["payload"]["id"] == cert_id:
                return existing
        doc = issue_certificate(
            latest.result, learner.pseudonym, self.signing_key(), certificate_id=cert_id, issued_on=_today()
        )
        self.store.save_certificate(learner_id, doc)
        return doc

    def verify(self, document: bytes | str | Mapping[str, Any]) -> VerifyResult:
        return verify_certificate(document, self.signing_key().public_key())

    def public_key(self) -> str:
        return public_key_pem(self.signing_key()).decode("ascii")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
