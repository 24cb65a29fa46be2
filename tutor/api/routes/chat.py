"""Anonymous questions (the campaign is public): one JSON answer, or the answer streamed as server-sent events.

Nothing is stored for an anonymous learner; the page sends the learner's few previous questions with each new one,
so that "thế còn iPhone thì sao?" is understood as it is in a saved conversation (/api/sessions)."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from tutor.answering.tutor import Tutor
from tutor.api.deps import TutorDep, UsageDep
from tutor.api.schemas import AnswerOut, ChatRequest, error_responses
from tutor.api.sse import answer_events, event_stream
from tutor.errors import InvalidQuestionError
from tutor.types import Answer, Message

router = APIRouter(tags=["hỏi đáp"])
ERRORS = error_responses(422, 503)


@router.post("/api/chat", response_model=AnswerOut, responses=ERRORS)
def chat(req: ChatRequest, tutor: TutorDep, usage: UsageDep) -> AnswerOut:
    """Trả lời một câu hỏi (JSON). Nếu mô hình không trả lời được, `degraded` = true."""
    answer = tutor.answer(req.question, req.level, req.group, previous_turns(tutor, req))
    usage.answered(answer, "anonymous")
    return AnswerOut.from_answer(answer)


@router.post("/api/chat/stream", responses=ERRORS)
def chat_stream(req: ChatRequest, request: Request, tutor: TutorDep, usage: UsageDep) -> StreamingResponse:
    """Server-sent events: `token`…, `citations`, `answer`, rồi `done` (hoặc `error`). Ngắt kết nối thì dừng sinh."""
    tutor.validate(req.question)  # a bad question is a 422 before the stream starts

    def counted(answer: Answer) -> dict[str, object]:
        usage.answered(answer, "anonymous")
        return {}

    history = previous_turns(tutor, req)
    return event_stream(
        request, answer_events(tutor, req.question, req.level, req.group, history, counted, usage.failed)
    )


def previous_turns(tutor: Tutor, req: ChatRequest) -> list[Message]:
    """The learner's previous questions as the conversation the Tutor reads, each cleaned and redacted like a
    question (a phone number typed earlier is never searched or logged); one that could not be asked is left out."""
    turns: list[Message] = []
    for question in req.previous:
        with contextlib.suppress(InvalidQuestionError):
            turns.append(Message("user", tutor.validate(question)))
    return turns
