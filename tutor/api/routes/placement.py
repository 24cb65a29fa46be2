"""The adaptive placement test over HTTP: start, the current question, answer it, read the result."""

from __future__ import annotations

from fastapi import APIRouter, status

from tutor.api.deps import LearnerIdDep, LearnersDep, PrincipalDep
from tutor.api.schemas import error_responses
from tutor.api.schemas_learner import AnswerIn, PlacementResultOut, PlacementStartIn, PlacementStepOut
from tutor.auth.policy import check_owner

router = APIRouter(tags=["xếp lớp"])
ERRORS = error_responses(401, 403, 404, 409, 422, 503)


@router.post(
    "/api/learners/{learner_id}/placements",
    response_model=PlacementStepOut,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
)
def start(
    learner_id: str, principal: PrincipalDep, learners: LearnersDep, req: PlacementStartIn | None = None
) -> PlacementStepOut:
    """Bắt đầu bài xếp lớp (10–15 câu, chọn câu theo câu trả lời); trả câu hỏi đầu tiên."""
    check_owner(principal, learner_id)
    return PlacementStepOut.from_step(learners.start_placement(learner_id, req.domain if req else None))


@router.get("/api/placements/{placement_id}", response_model=PlacementStepOut, responses=ERRORS)
def current(placement_id: str, learner_id: LearnerIdDep, learners: LearnersDep) -> PlacementStepOut:
    """Tiếp tục bài đang làm: câu hỏi đang chờ, hoặc kết quả nếu đã xong."""
    return PlacementStepOut.from_step(learners.placement(learner_id, placement_id))


@router.post("/api/placements/{placement_id}/answers", response_model=PlacementStepOut, responses=ERRORS)
def answer(placement_id: str, req: AnswerIn, learner_id: LearnerIdDep, learners: LearnersDep) -> PlacementStepOut:
    """Trả lời câu đang hỏi. Câu chưa được hỏi, hoặc bài đã kết thúc: 409 và không ghi gì."""
    return PlacementStepOut.from_step(learners.answer_placement(learner_id, placement_id, req.item_id, req.choice))


@router.get("/api/placements/{placement_id}/result", response_model=PlacementResultOut, responses=ERRORS)
def result(placement_id: str, learner_id: LearnerIdDep, learners: LearnersDep) -> PlacementResultOut:
    """Kết quả: trình độ chung và từng lĩnh vực (409 nếu chưa xong)."""
    return PlacementResultOut.from_result(learners.placement_result(learner_id, placement_id))
