"""Trainer preview: one question answered at Cơ bản, Trung cấp and Nâng cao, each with its passages and scores."""

from __future__ import annotations

from fastapi import APIRouter

from tutor.api.deps import TrainerDep, TutorDep, UsageDep
from tutor.api.schemas import AnswerOut, error_responses
from tutor.api.schemas_ops import PREVIEW_LEVELS, PreviewIn, PreviewLevelOut, PreviewOut

router = APIRouter(tags=["tập huấn viên"])


@router.post("/api/preview", response_model=PreviewOut, responses=error_responses(401, 403, 422, 503))
def preview(req: PreviewIn, _: TrainerDep, tutor: TutorDep, usage: UsageDep) -> PreviewOut:
    """Xem thử câu trả lời ở cả ba trình độ cạnh nhau (tập huấn viên, quản trị viên)."""
    question = tutor.validate(req.question)
    levels: list[PreviewLevelOut] = []
    # One after another: the embedded LLM decodes one prompt at a time anyway, and the retriever caches the
    # question's embedding, so only generation repeats.
    for level in PREVIEW_LEVELS:
        answer = tutor.answer(question, level, req.group)
        usage.answered(answer, "preview")
        levels.append(PreviewLevelOut(level=level, level_label=level.label, answer=AnswerOut.from_answer(answer)))
    return PreviewOut(question=question, group=req.group, levels=levels)
