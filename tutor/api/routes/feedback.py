"""Feedback 👍/👎 on answers: learners rate their own answers; operators export them as eval items (JSONL)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from tutor.api.deps import FeedbackDep, LearnerIdDep, OperatorDep
from tutor.api.schemas import ErrorOut, error_responses
from tutor.api.schemas_learner import FeedbackIn, FeedbackOut

router = APIRouter(prefix="/api/feedback", tags=["góp ý"])
ERRORS = error_responses(401, 403, 404, 422)


@router.post("", response_model=FeedbackOut, status_code=status.HTTP_201_CREATED, responses=ERRORS)
def rate_answer(req: FeedbackIn, learner_id: LearnerIdDep, feedback: FeedbackDep) -> FeedbackOut:
    """Đánh giá một câu trả lời trong cuộc trò chuyện của mình; đánh giá lại thì thay cái cũ."""
    return FeedbackOut.from_record(feedback.rate(learner_id, req.session_id, req.message_id, req.rating, req.comment))


@router.get("", response_model=list[FeedbackOut], responses=ERRORS)
def my_feedback(learner_id: LearnerIdDep, feedback: FeedbackDep) -> list[FeedbackOut]:
    """Các góp ý của chính học viên."""
    return [FeedbackOut.from_record(r) for r in feedback.of_learner(learner_id)]


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}, 401: {"model": ErrorOut}, 403: {"model": ErrorOut}},
)
def export_feedback(
    _: OperatorDep,
    feedback: FeedbackDep,
    rating: Annotated[
        Literal["all", "up", "down"], Query(description="Chỉ 👍 (up), chỉ 👎 (down), hoặc tất cả.")
    ] = "all",
) -> Response:
    """JSONL theo dạng tập vàng (eval/README.md); `gold` lấy từ mục bài học được trích đầu tiên.

    Số điện thoại và số căn cước trong câu hỏi được ẩn. Người duyệt cần viết key_points trước khi đưa vào tập vàng.
    """
    wanted = {"all": None, "up": 1, "down": -1}[rating]
    lines = [json.dumps(ex.gold_item(), ensure_ascii=False) for ex in feedback.examples(wanted)]
    body = "".join(line + "\n" for line in lines)
    headers = {"Content-Disposition": 'attachment; filename="feedback-gold.jsonl"'}
    return Response(body, media_type="application/x-ndjson; charset=utf-8", headers=headers)
