"""A learner's chat sessions: create, list, read the history, and ask (streamed) with follow-ups in context."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, status
from fastapi.responses import StreamingResponse

from tutor.api.deps import AccountsDep, LearnerIdDep, SessionsDep, TutorDep, UsageDep
from tutor.api.schemas import error_responses
from tutor.api.schemas_learner import SessionDetailOut, SessionMessageIn, SessionOut
from tutor.api.sse import answer_events, event_stream
from tutor.types import Answer

router = APIRouter(prefix="/api/sessions", tags=["cuộc trò chuyện"])
log = logging.getLogger("tutor.api.sessions")
ERRORS = error_responses(401, 403, 404, 422, 503)


@router.post("", response_model=SessionOut, status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_session(learner_id: LearnerIdDep, sessions: SessionsDep) -> SessionOut:
    """Mở một cuộc trò chuyện mới (cần mã học viên)."""
    s = sessions.create(learner_id)
    return SessionOut(id=s.id, created_at=s.created_at)


@router.get("", response_model=list[SessionOut], responses=ERRORS)
def list_sessions(learner_id: LearnerIdDep, sessions: SessionsDep) -> list[SessionOut]:
    """Các cuộc trò chuyện của chính học viên, mới nhất trước."""
    return [SessionOut.from_summary(s) for s in sessions.summaries(learner_id)]


@router.get("/{session_id}", response_model=SessionDetailOut, responses=ERRORS)
def get_session(session_id: str, learner_id: LearnerIdDep, sessions: SessionsDep) -> SessionDetailOut:
    """Toàn bộ các lượt hỏi đáp. Cuộc trò chuyện của người khác trả 404 như khi không tồn tại."""
    return SessionDetailOut.from_session(sessions.get(learner_id, session_id))


@router.post("/{session_id}/messages", responses=ERRORS)
def ask_in_session(
    session_id: str,
    req: SessionMessageIn,
    request: Request,
    learner_id: LearnerIdDep,
    sessions: SessionsDep,
    accounts: AccountsDep,
    tutor: TutorDep,
    usage: UsageDep,
) -> StreamingResponse:
    """Hỏi trong cuộc trò chuyện (SSE như /api/chat/stream). Sự kiện `answer` có `message_id` để góp ý 👍/👎.

    Câu hỏi và câu trả lời chỉ được lưu khi câu trả lời hoàn tất: ngắt giữa chừng thì không lưu gì.
    """
    sessions.check(learner_id, session_id)  # 404 before the stream starts
    question = tutor.validate(req.question)  # 422 before the stream starts
    # Redacted by the log handler, tagged with the learner so that deleting the learner purges the line.
    log.info("câu hỏi trong phiên %s: %s", session_id, question, extra={"learner_id": learner_id})
    history = sessions.history(learner_id, session_id)
    level, group = accounts.pitch(learner_id, req.level, req.group)

    def save(answer: Answer) -> dict[str, object]:
        _, reply = sessions.add_exchange(learner_id, session_id, answer)
        usage.answered(answer, "session")
        return {"session_id": session_id, "message_id": reply.id}

    return event_stream(request, answer_events(tutor, req.question, level, group, history, save, usage.failed))
