"""Chat sessions of a learner: create, list, read with every turn, append one question-answer exchange."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tutor.errors import NotFoundError
from tutor.learner.models import ChatMessageRow, ChatSessionRow, LearnerRow
from tutor.sqlstore import Transactional, as_utc, utcnow
from tutor.types import Answer, Message

#: Turns of earlier conversation passed to the Tutor for a follow-up; older ones only lengthen the prompt.
HISTORY_TURNS = 6


@dataclass(frozen=True)
class ChatTurn:
    id: int
    position: int
    role: str
    content: str
    #: For an assistant turn: the citations as plain dicts (n, chunk_id, lesson_id, section_id, titles).
    citations: tuple[dict[str, Any], ...]
    degraded: bool
    #: For an assistant turn: level, group, model and notice.
    meta: dict[str, Any]
    created_at: dt.datetime


@dataclass(frozen=True)
class ChatSession:
    id: str
    learner_id: str
    created_at: dt.datetime
    turns: tuple[ChatTurn, ...] = ()


@dataclass(frozen=True)
class SessionSummary:
    id: str
    created_at: dt.datetime
    n_turns: int
    #: The first question, so a learner can find a conversation again.
    title: str | None


def session_not_found(session_id: str) -> NotFoundError:
    """The same 404 for a session that does not exist and for another learner's session."""
    return NotFoundError(f"Không có cuộc trò chuyện '{session_id}' (hoặc không thuộc về bạn).")


def citation_dicts(answer: Answer) -> list[dict[str, Any]]:
    return [
        {
            "n": c.n,
            "chunk_id": c.chunk_id,
            "lesson_id": c.lesson_id,
            "section_id": c.section_id,
            "lesson_title": c.lesson_title,
            "section_title": c.section_title,
        }
        for c in answer.citations
    ]


def _turn(row: ChatMessageRow) -> ChatTurn:
    return ChatTurn(
        row.id,
        row.position,
        row.role,
        row.content,
        tuple(dict(c) for c in row.citations),
        bool(row.degraded),
        dict(row.meta),
        as_utc(row.created_at),
    )


class ChatSessions(Transactional):
    """Sessions and messages in the learner database. Every method checks the session's owner."""

    @staticmethod
    def _owned(s: Session, learner_id: str, session_id: str) -> ChatSessionRow:
        row = s.get(ChatSessionRow, session_id)
        if row is None or row.learner_id != learner_id:
            raise session_not_found(session_id)
        return row

    def create(self, learner_id: str) -> ChatSession:
        with self._tx() as s:
            if s.get(LearnerRow, learner_id) is None:
                raise NotFoundError(f"Không có học viên {learner_id} (có thể hồ sơ đã bị xóa theo yêu cầu).")
            row = ChatSessionRow(id=str(uuid.uuid4()), learner_id=learner_id, created_at=utcnow())
            s.add(row)
        return ChatSession(row.id, row.learner_id, as_utc(row.created_at))

    def get(self, learner_id: str, session_id: str) -> ChatSession:
        with self._tx() as s:
            row = self._owned(s, learner_id, session_id)
            turns = s.scalars(
                select(ChatMessageRow).where(ChatMessageRow.session_id == session_id).order_by(ChatMessageRow.position)
            ).all()
            return ChatSession(row.id, row.learner_id, as_utc(row.created_at), tuple(_turn(t) for t in turns))

    def summaries(self, learner_id: str) -> list[SessionSummary]:
        """The learner's sessions, newest first."""
        with self._tx() as s:
            rows = s.scalars(
                select(ChatSessionRow)
                .where(ChatSessionRow.learner_id == learner_id)
                .order_by(ChatSessionRow.created_at.desc(), ChatSessionRow.id)
            ).all()
            counts = dict(
                s.execute(
                    select(ChatMessageRow.session_id, func.count())
                    .where(ChatMessageRow.learner_id == learner_id)
                    .group_by(ChatMessageRow.session_id)
                ).all()
            )
            firsts = dict(
                s.execute(
                    select(ChatMessageRow.session_id, ChatMessageRow.content).where(
                        ChatMessageRow.learner_id == learner_id, ChatMessageRow.position == 0
                    )
                ).all()
            )
            return [
                SessionSummary(r.id, as_utc(r.created_at), int(counts.get(r.id, 0)), firsts.get(r.id)) for r in rows
            ]

    def history(self, learner_id: str, session_id: str, turns: int = HISTORY_TURNS) -> list[Message]:
        """The last `turns` messages as the Tutor's conversation history (oldest first)."""
        with self._tx() as s:
            self._owned(s, learner_id, session_id)
            rows = s.scalars(
                select(ChatMessageRow)
                .where(ChatMessageRow.session_id == session_id)
                .order_by(ChatMessageRow.position.desc())
                .limit(turns)
            ).all()
            return [Message(r.role, r.content) for r in reversed(rows)]

    def check(self, learner_id: str, session_id: str) -> None:
        """Raise the 404 unless the session exists and is the learner's (before a stream starts)."""
        with self._tx() as s:
            self._owned(s, learner_id, session_id)

    def add_exchange(self, learner_id: str, session_id: str, answer: Answer) -> tuple[ChatTurn, ChatTurn]:
        """The question and its final answer, both or neither: a stream cut short leaves no half exchange."""
        now = utcnow()
        with self._tx() as s:
            self._owned(s, learner_id, session_id)
            last = s.scalar(select(func.max(ChatMessageRow.position)).where(ChatMessageRow.session_id == session_id))
            start = 0 if last is None else int(last) + 1
            meta = {
                "level": answer.level.value,
                "group": answer.group.value,
                "model": answer.model,
                "notice": answer.notice,
            }
            rows = [
                ChatMessageRow(
                    session_id=session_id,
                    learner_id=learner_id,
                    position=start,
                    role="user",
                    content=answer.question,
                    citations=[],
                    degraded=False,
                    meta={},
                    created_at=now,
                ),
                ChatMessageRow(
                    session_id=session_id,
                    learner_id=learner_id,
                    position=start + 1,
                    role="assistant",
                    content=answer.text,
                    citations=citation_dicts(answer),
                    degraded=answer.degraded,
                    meta=meta,
                    created_at=now,
                ),
            ]
            s.add_all(rows)
            s.flush()
            return _turn(rows[0]), _turn(rows[1])


def as_messages(turns: Sequence[ChatTurn]) -> list[Message]:
    return [Message(t.role, t.content) for t in turns]
