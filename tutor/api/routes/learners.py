"""Learners: enrolment (by a trainer), profile and progress, practice, final test, certificates, deletion."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from fastapi.responses import PlainTextResponse

from tutor.api.deps import AccountsDep, LearnerIdDep, LearnersDep, PrincipalDep, TrainerDep
from tutor.api.schemas import error_responses
from tutor.api.schemas_learner import (
    AnswerIn,
    DeletedOut,
    DisplayNameIn,
    EnrolledOut,
    FinalAnswersIn,
    FinalResultOut,
    FinalTestOut,
    ItemOut,
    LearnerIn,
    LearnerOut,
    LevelChangeOut,
    OutcomeOut,
    PracticeOut,
    ProfileOut,
    VerifyOut,
    WhoAmIOut,
)
from tutor.auth.policy import Role, check_owner, require_role
from tutor.learner.service import LearnerService

router = APIRouter(tags=["học viên"])
ERRORS = error_responses(401, 403, 404, 409, 422, 503)


def _profile(learners: LearnerService, learner_id: str) -> ProfileOut:
    titles = {lid: lesson.title for lid, lesson in learners.lessons.items()}
    return ProfileOut.from_profile(learners.profile(learner_id), titles)


@router.post("/api/learners", response_model=EnrolledOut, status_code=status.HTTP_201_CREATED, responses=ERRORS)
def enrol(req: LearnerIn, _: TrainerDep, accounts: AccountsDep) -> EnrolledOut:
    """Ghi danh học viên (tập huấn viên hoặc quản trị viên), cần `consent` = true; trả mã học viên một lần."""
    learner, issued = accounts.enrol(
        req.group, req.consent, age_band=req.age_band, pseudonym=req.pseudonym, display_name=req.display_name
    )
    assert issued is not None  # enrol issues the token unless told not to
    return EnrolledOut(learner=LearnerOut.from_profile(learner), token=issued.secret)


@router.get("/api/me", response_model=ProfileOut, responses=ERRORS)
def me(learner_id: LearnerIdDep, learners: LearnersDep) -> ProfileOut:
    """Hồ sơ của học viên đang dùng mã: trình độ từng lĩnh vực, kỹ năng, bài nên học tiếp, chứng nhận."""
    return _profile(learners, learner_id)


@router.patch("/api/me", response_model=ProfileOut, responses=ERRORS)
def rename(req: DisplayNameIn, learner_id: LearnerIdDep, learners: LearnersDep, accounts: AccountsDep) -> ProfileOut:
    """Đặt (hoặc xóa) tên học viên muốn được gọi trên các trang; 2–40 ký tự, không chứa số điện thoại."""
    accounts.rename(learner_id, req.display_name)
    return _profile(learners, learner_id)


@router.get("/api/whoami", response_model=WhoAmIOut, responses=error_responses(401, 503))
def whoami(principal: PrincipalDep, accounts: AccountsDep) -> WhoAmIOut:
    """Mã đang dùng thuộc vai trò nào (để trang hiện đúng menu); không có mã hoặc mã hỏng: 401."""
    p = require_role(principal, tuple(Role))
    name = accounts.display_name(p.learner_id) if p.learner_id else None
    return WhoAmIOut(role=p.role.value, role_label=p.role.label, learner_id=p.learner_id, display_name=name)


@router.get("/api/learners/{learner_id}", response_model=ProfileOut, responses=ERRORS)
def profile(learner_id: str, principal: PrincipalDep, learners: LearnersDep) -> ProfileOut:
    """Hồ sơ học viên; chỉ chính học viên đọc được (người khác nhận 404)."""
    check_owner(principal, learner_id)
    return _profile(learners, learner_id)


@router.delete("/api/learners/{learner_id}", response_model=DeletedOut, responses=ERRORS)
def delete(learner_id: str, principal: PrincipalDep, accounts: AccountsDep) -> DeletedOut:
    """Xóa hẳn mọi dữ liệu của học viên (hồ sơ, trò chuyện, góp ý, mã truy cập, dòng nhật ký): chính học viên hoặc
    quản trị viên."""
    check_owner(principal, learner_id, operator_too=True)
    return DeletedOut(deleted=accounts.erase(learner_id))


@router.get("/api/lessons/{lesson_id}/practice", response_model=list[ItemOut], responses=ERRORS)
def practice_items(lesson_id: str, learners: LearnersDep) -> list[ItemOut]:
    """Câu hỏi luyện tập của một bài (không kèm đáp án)."""
    return [ItemOut.from_item(i) for i in learners.practice_items(lesson_id)]


@router.post("/api/learners/{learner_id}/practice", response_model=PracticeOut, responses=ERRORS)
def practice(learner_id: str, req: AnswerIn, principal: PrincipalDep, learners: LearnersDep) -> PracticeOut:
    """Trả lời một câu luyện tập: chấm, giải thích, và cập nhật điểm năng lực."""
    check_owner(principal, learner_id)
    done = learners.answer_practice(learner_id, req.item_id, req.choice)
    return PracticeOut(
        outcome=OutcomeOut.from_outcome(done.outcome),
        competence=done.skill.competence,
        rating=round(done.skill.rating, 3),
        n=done.skill.n,
        level_change=LevelChangeOut.from_change(done.level_change) if done.level_change else None,
    )


@router.post(
    "/api/learners/{learner_id}/final-test",
    response_model=FinalTestOut,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def start_final_test(learner_id: str, principal: PrincipalDep, learners: LearnersDep) -> FinalTestOut:
    """Bài kiểm tra cuối khóa theo nhóm của học viên (các lĩnh vực bắt buộc, mức Cơ bản–Trung cấp)."""
    check_owner(principal, learner_id)
    attempt = learners.start_final_test(learner_id)
    return FinalTestOut(
        attempt_id=attempt.attempt_id, group=attempt.group, items=[ItemOut.from_item(i) for i in attempt.items]
    )


@router.post(
    "/api/learners/{learner_id}/final-test/{attempt_id}/answers", response_model=FinalResultOut, responses=ERRORS
)
def submit_final_test(
    learner_id: str, attempt_id: str, req: FinalAnswersIn, principal: PrincipalDep, learners: LearnersDep
) -> FinalResultOut:
    """Nộp bài một lần; đạt khi từ 70% và mỗi lĩnh vực từ 50%."""
    check_owner(principal, learner_id)
    done = learners.submit_final_test(learner_id, attempt_id, req.answers)
    r = done.result
    return FinalResultOut(
        attempt_id=done.attempt_id,
        passed=r.passed,
        score=round(r.score, 4),
        n_items=r.n_items,
        n_correct=r.n_correct,
        domain_scores={str(d): round(s, 4) for d, s in r.domain_scores.items()},
    )


@router.post("/api/learners/{learner_id}/certificate", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def issue_certificate(learner_id: str, principal: PrincipalDep, learners: LearnersDep) -> dict[str, Any]:
    """Cấp chứng nhận (ký Ed25519) cho lần kiểm tra cuối khóa gần nhất; chưa đạt thì 403 và không ghi gì."""
    check_owner(principal, learner_id)
    return learners.issue_certificate(learner_id)


@router.get("/api/learners/{learner_id}/certificates", responses=ERRORS)
def certificates(learner_id: str, principal: PrincipalDep, accounts: AccountsDep) -> list[dict[str, Any]]:
    """Các chứng nhận đã cấp cho học viên."""
    check_owner(principal, learner_id)
    return accounts.certificates(learner_id)


@router.post("/api/certificates/verify", response_model=VerifyOut)
def verify(
    document: Annotated[dict[str, Any], Body(description="Tệp chứng nhận JSON.")], learners: LearnersDep
) -> VerifyOut:
    """Kiểm tra một chứng nhận (ai cũng dùng được): chữ ký đúng và do đơn vị này cấp?"""
    result = learners.verify(document)
    return VerifyOut(valid=result.valid, reason=result.reason, payload=result.payload)


@router.get("/api/certificates/public-key", response_class=PlainTextResponse)
def public_key(learners: LearnersDep) -> str:
    """Khóa công khai Ed25519 (PEM) để kiểm tra chứng nhận ngoại tuyến."""
    return learners.public_key()
