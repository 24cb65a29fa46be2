"""Anonymous questions (the campaign is public): one JSON answer, or the answer streamed as server-sent events."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from tutor.api.deps import TutorDep, UsageDep
from tutor.api.schemas import AnswerOut, ChatRequest, error_responses
from tutor.api.sse import answer_events, event_stream
from tutor.types import Answer

router = APIRouter(tags=["hỏi đáp"])
ERRORS = error_responses(422, 503)


@router.post("/api/chat", response_model=AnswerOut, responses=ERRORS)
def chat(req: ChatRequest, tutor: TutorDep, usage: UsageDep) -> AnswerOut:
    """Trả lời một câu hỏi (JSON). Nếu mô hình không trả lời được, `degraded` = true."""
    answer = tutor.answer(req.question, req.level, req.group)
    usage.answered(answer, "anonymous")
    return AnswerOut.from_answer(answer)


@router.post("/api/chat/stream", responses=ERRORS)
def chat_stream(req: ChatRequest, request: Request, tutor: TutorDep, usage: UsageDep) -> StreamingResponse:
    """Server-sent events: `token`…, `citations`, `answer`, rồi `done` (hoặc `error`). Ngắt kết nối thì dừng sinh."""
    tutor.validate(req.question)  # a bad question is a 422 before the stream starts

    def counted(answer: Answer) -> dict[str, object]:
        usage.answered(answer, "anonymous")
        return {}

    return event_stream(request, answer_events(tutor, req.question, req.level, req.group, (), counted, usage.failed))
