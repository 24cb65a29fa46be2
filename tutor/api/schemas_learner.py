"""Pydantic shapes of the learner API: enrolment, profile, placement, practice, final test, sessions, feedback."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from tutor.corpus.ingest import is_document_id
from tutor.learner.competences import competence_name
from tutor.learner.feedback import FeedbackRecord
from tutor.learner.growth import LevelChange
from tutor.learner.path import DOMAIN_NAMES
from tutor.learner.placement import PlacementResult
from tutor.learner.quizbank import QuizItem
from tutor.learner.service import AnswerOutcome, PlacementStep, Profile
from tutor.learner.sessions import ChatSession, ChatTurn, SessionSummary
from tutor.learner.store import LearnerProfile
from tutor.types import Group, Level

# -- learners -------------------------------------------------------------------------------------------------


class LearnerIn(BaseModel):
    group: Group = Field(description="Nhóm người học (Quyết định 757/QĐ-BKHCN).")
    consent: bool = Field(
        description="Phải là true: người học đồng ý rõ ràng cho lưu tiến độ học (Nghị định 13/2023/NĐ-CP)."
    )
    age_band: str | None = Field(default=None, description="Nhóm tuổi (không bắt buộc): <15, 15-24, 25-44, 45-59, 60+.")
    pseudonym: str | None = Field(default=None, description="Bí danh; bỏ trống để hệ thống tự đặt. Không dùng SĐT.")
    display_name: str | None = Field(
        default=None, max_length=200, description="Tên học viên muốn được gọi (ví dụ: Bác Lan); không bắt buộc."
    )


class DisplayNameIn(BaseModel):
    display_name: str | None = Field(
        max_length=200, description="Tên muốn được gọi, 2–40 ký tự, không chứa số điện thoại; rỗng hoặc null: xóa."
    )


class WhoAmIOut(BaseModel):
    role: str = Field(description="learner | trainer | operator")
    role_label: str
    learner_id: str | None
    display_name: str | None


class LearnerOut(BaseModel):
    id: str
    pseudonym: str
    display_name: str | None
    group: Group
    group_label: str
    age_band: str | None
    consent_at: dt.datetime
    created_at: dt.datetime

    @classmethod
    def from_profile(cls, p: LearnerProfile) -> LearnerOut:
        return cls(**vars(p), group_label=p.group.label)


class EnrolledOut(BaseModel):
    learner: LearnerOut
    token: str = Field(description="Mã truy cập của học viên; chỉ hiện một lần, hãy chép lại.")


class DomainLevelOut(BaseModel):
    domain: int
    name: str
    level: Level
    level_label: str
    theta: float
    se: float

    @classmethod
    def of(cls, domain: int, level: Level, theta: float, se: float) -> DomainLevelOut:
        """A domain's level as shown: its framework name, the level's label, the estimate to 3 decimals."""
        return cls(
            domain=domain,
            name=DOMAIN_NAMES.get(domain, str(domain)),
            level=level,
            level_label=level.label,
            theta=round(theta, 3),
            se=round(se, 3),
        )


class LevelChangeOut(BaseModel):
    """A domain's level moved, when and why (shown on /progress)."""

    domain: int
    name: str
    from_level: Level
    to_level: Level
    source: Literal["practice", "placement"]
    reason: str = Field(description="Vì sao, bằng tiếng Việt, ví dụ: Cơ bản → Trung cấp sau 5 câu luyện tập đúng …")
    at: dt.datetime | None = None

    @classmethod
    def from_change(cls, c: LevelChange) -> LevelChangeOut:
        source: Literal["practice", "placement"] = "placement" if c.source == "placement" else "practice"
        name = DOMAIN_NAMES.get(c.domain, str(c.domain))
        return cls(
            domain=c.domain, name=name, from_level=c.old, to_level=c.new, source=source, reason=c.reason, at=c.at
        )


class SkillOut(BaseModel):
    competence: str
    name: str = Field(description="Tên năng lực bằng lời thường.")
    rating: float
    n: int


class TestsTakenOut(BaseModel):
    placements: int = Field(description="Số bài xếp lớp đã làm xong (bài xếp lớp cũng là một bài kiểm tra).")
    last_placement_at: dt.datetime | None
    final_tests: int = Field(description="Số lần đã nộp bài kiểm tra cuối khóa.")
    final_passed: bool | None = Field(description="Lần nộp gần nhất có đạt không; null khi chưa làm.")


class RecommendationOut(BaseModel):
    lesson_id: str
    title: str
    url: str
    competence: str
    competence_name: str
    progress: float | None
    reason: str


class ProfileOut(BaseModel):
    learner: LearnerOut
    level: Level
    level_label: str
    levels: list[DomainLevelOut]
    skills: list[SkillOut]
    progress: dict[str, float]
    recommendations: list[RecommendationOut]
    certificates: list[dict[str, Any]]
    active_placement: str | None
    tests: TestsTakenOut
    level_changes: list[LevelChangeOut] = Field(default_factory=list, description="Lần đổi trình độ gần nhất trước.")

    @classmethod
    def from_profile(cls, p: Profile, titles: dict[str, str]) -> ProfileOut:
        return cls(
            learner=LearnerOut.from_profile(p.learner),
            level=p.level,
            level_label=p.level.label,
            levels=[
                DomainLevelOut.of(d.domain, d.level, d.theta, d.se)
                for d in sorted(p.levels.values(), key=lambda d: d.domain)
            ],
            skills=[
                SkillOut(competence=s.competence, name=competence_name(s.competence), rating=round(s.rating, 3), n=s.n)
                for s in p.skills.values()
            ],
            progress={k: round(v, 3) for k, v in p.progress.items()},
            recommendations=[
                RecommendationOut(
                    lesson_id=r.lesson_id,
                    title=titles.get(r.lesson_id, r.lesson_id),
                    url=f"/lessons/{r.lesson_id}",
                    competence=r.competence,
                    competence_name=competence_name(r.competence),
                    progress=r.progress,
                    reason=r.reason,
                )
                for r in p.recommendations
            ],
            certificates=p.certificates,
            active_placement=p.active_placement,
            tests=TestsTakenOut(**p.tests.__dict__),
            level_changes=[LevelChangeOut.from_change(c) for c in p.level_changes],
        )


class DeletedOut(BaseModel):
    deleted: dict[str, int] = Field(description="Số dòng đã xóa trong từng bảng.")


# -- quiz items, placement, practice --------------------------------------------------------------------------


class ItemOut(BaseModel):
    """A question as shown to the learner: never the right answer."""

    id: str
    lesson_id: str
    stem: str
    options: list[str]
    competence: str
    domain: int
    level: Level

    @classmethod
    def from_item(cls, item: QuizItem) -> ItemOut:
        # Reads the fields declared here and nothing else: the right answer stays behind.
        return cls.model_validate(item, from_attributes=True)


class OutcomeOut(BaseModel):
    item_id: str
    correct: bool
    answer: int = Field(description="Phương án đúng (đánh số từ 0).")
    explanation: str

    @classmethod
    def from_outcome(cls, o: AnswerOutcome) -> OutcomeOut:
        return cls(item_id=o.item_id, correct=o.correct, answer=o.answer, explanation=o.explanation)


class PlacementStartIn(BaseModel):
    domain: int | None = Field(default=None, ge=1, le=6, description="Chỉ hỏi một lĩnh vực (1–6); bỏ trống: tất cả.")


class AnswerIn(BaseModel):
    item_id: str = Field(min_length=1)
    choice: int = Field(ge=0, description="Phương án đã chọn, đánh số từ 0.")


class PlacementResultOut(BaseModel):
    level: Level
    level_label: str
    theta: float
    se: float
    n_items: int
    domains: list[DomainLevelOut]

    @classmethod
    def from_result(cls, r: PlacementResult) -> PlacementResultOut:
        return cls(
            level=r.level,
            level_label=r.level.label,
            theta=round(r.theta, 3),
            se=round(r.se, 3),
            n_items=r.n_items,
            domains=[
                DomainLevelOut.of(e.domain, e.level, e.theta, e.se)
                for e in sorted(r.domains.values(), key=lambda e: e.domain)
            ],
        )


class PlacementStepOut(BaseModel):
    placement_id: str
    finished: bool
    answered: int
    item: ItemOut | None
    last: OutcomeOut | None
    result: PlacementResultOut | None

    @classmethod
    def from_step(cls, s: PlacementStep) -> PlacementStepOut:
        return cls(
            placement_id=s.placement_id,
            finished=s.finished,
            answered=s.answered,
            item=ItemOut.from_item(s.item) if s.item else None,
            last=OutcomeOut.from_outcome(s.last) if s.last else None,
            result=PlacementResultOut.from_result(s.result) if s.result else None,
        )


class PracticeOut(BaseModel):
    outcome: OutcomeOut
    competence: str
    rating: float
    n: int
    level_change: LevelChangeOut | None = Field(default=None, description="Trình độ lĩnh vực vừa đổi nhờ câu này.")


# -- final test and certificates ------------------------------------------------------------------------------


class FinalTestOut(BaseModel):
    attempt_id: str
    group: Group
    items: list[ItemOut]


class FinalAnswersIn(BaseModel):
    answers: dict[str, int] = Field(description="Mã câu hỏi -> phương án đã chọn (từ 0). Câu bỏ trống tính là sai.")


class FinalResultOut(BaseModel):
    attempt_id: str
    passed: bool
    score: float
    n_items: int
    n_correct: int
    domain_scores: dict[str, float]


class VerifyOut(BaseModel):
    valid: bool
    reason: str
    payload: dict[str, Any] | None


# -- chat sessions and feedback -------------------------------------------------------------------------------


class SessionOut(BaseModel):
    id: str
    created_at: dt.datetime
    n_turns: int = 0
    title: str | None = None

    @classmethod
    def from_summary(cls, s: SessionSummary) -> SessionOut:
        return cls(id=s.id, created_at=s.created_at, n_turns=s.n_turns, title=s.title)


class TurnOut(BaseModel):
    id: int
    position: int
    role: Literal["user", "assistant"]
    content: str
    citations: list[dict[str, Any]]
    degraded: bool
    level: Level | None
    created_at: dt.datetime

    @classmethod
    def from_turn(cls, t: ChatTurn) -> TurnOut:
        citations = [
            {
                **c,
                "url": f"/lessons/{c['lesson_id']}#{c['section_id']}",
                "trainer_material": is_document_id(c["lesson_id"]),
            }
            for c in t.citations
        ]
        level = t.meta.get("level")
        return cls(
            id=t.id,
            position=t.position,
            role="assistant" if t.role == "assistant" else "user",
            content=t.content,
            citations=citations,
            degraded=t.degraded,
            level=Level(level) if level else None,
            created_at=t.created_at,
        )


class SessionDetailOut(BaseModel):
    id: str
    created_at: dt.datetime
    turns: list[TurnOut]

    @classmethod
    def from_session(cls, s: ChatSession) -> SessionDetailOut:
        return cls(id=s.id, created_at=s.created_at, turns=[TurnOut.from_turn(t) for t in s.turns])


class SessionMessageIn(BaseModel):
    question: str = Field(description="Câu hỏi (câu hỏi tiếp theo dùng cả các lượt trước trong cuộc trò chuyện).")
    level: Level | None = Field(default=None, description="Bỏ trống: trình độ theo bài xếp lớp của học viên.")
    group: Group | None = Field(default=None, description="Bỏ trống: nhóm của học viên.")


class FeedbackIn(BaseModel):
    session_id: str
    message_id: int = Field(description="Mã câu trả lời của trợ giảng (trường message_id của sự kiện answer).")
    rating: Literal[1, -1] = Field(description="1 = 👍 hữu ích, -1 = 👎 chưa đúng.")
    comment: str | None = Field(default=None, max_length=1000)


class FeedbackOut(BaseModel):
    id: int
    session_id: str
    message_id: int
    rating: int
    comment: str | None
    created_at: dt.datetime

    @classmethod
    def from_record(cls, r: FeedbackRecord) -> FeedbackOut:
        return cls.model_validate(r, from_attributes=True)
