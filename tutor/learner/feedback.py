"""Feedback on answers (👍/👎 with a comment), its export as gold-set items for the eval harness, usage counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from tutor.learner.errors import LearnerInputError
from tutor.learner.models import ChatMessageRow, ChatSessionRow, FeedbackRow, LearnerRow
from tutor.learner.sessions import session_not_found
from tutor.safety.privacy import redact
from tutor.sqlstore import Transactional, as_utc, utcnow

MAX_COMMENT_CHARS = 1000


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    learner_id: str
    session_id: str
    message_id: int
    rating: int
    comment: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class FeedbackExample:
    """A rated answer with what led to it: the question, the earlier turns, the answer and its citations."""

    feedback: FeedbackRecord
    question: str
    history: tuple[tuple[str, str], ...]
    answer: str
    citations: tuple[dict[str, Any], ...]
    level: str
    group: str

    def gold_item(self) -> dict[str, Any]:
        """One line of eval/datasets/gold_vi.jsonl's shape; gold comes from the section the answer cited first.

        A reviewer still writes key points before the item joins the gold set: a 👍 answer is offered as the
        reference answer, a 👎 one is not. Personal data (phones, ID numbers, codes) is redacted again on the way
        out, in case it was stored before redaction existed.
        """
        first = min(self.citations, key=lambda c: int(c.get("n", 0)), default=None)
        answerable = first is not None
        if not answerable:
            kind = "out_of_scope"
        elif self.history:
            kind = "followup"
        else:
            kind = "howto"
        fb = self.feedback
        item: dict[str, Any] = {
            "id": f"fb-{fb.id}-{'up' if fb.rating > 0 else 'down'}",
            "question": redact(self.question),
            "level": self.level,
            "group": self.group,
            "type": kind,
            "answerable": answerable,
            "gold": {"lesson": first["lesson_id"], "section": first["section_id"]} if first is not None else None,
            "reference_answer": redact(self.answer) if fb.rating > 0 else "",
            "key_points": [],
            "must_not": [],
            "safety_critical": False,
        }
        if self.history:
            item["history"] = [{"role": role, "content": redact(content)} for role, content in self.history]
        return item


@dataclass(frozen=True)
class StoredUsage:
    learners: int
    sessions: int
    questions: int
    degraded: int
    feedback_up: int
    feedback_down: int


def _record(row: FeedbackRow) -> FeedbackRecord:
    return FeedbackRecord(
        row.id, row.learner_id, row.session_id, row.message_id, row.rating, row.comment, as_utc(row.created_at)
    )


class FeedbackStore(Transactional):
    def rate(
        self, learner_id: str, session_id: str, message_id: int, rating: int, comment: str | None = None
    ) -> FeedbackRecord:
        """Rate one answer of the learner's own session; rating it again replaces the earlier rating."""
        if rating not in (1, -1):
            raise LearnerInputError("Đánh giá phải là 1 (👍 hữu ích) hoặc -1 (👎 chưa đúng).")
        text = (comment or "").strip() or None
        if text is not None and len(text) > MAX_COMMENT_CHARS:
            raise LearnerInputError(f"Góp ý dài quá {MAX_COMMENT_CHARS} ký tự; hãy viết ngắn hơn.")
        with self._tx() as s:
            session = s.get(ChatSessionRow, session_id)
            if session is None or session.learner_id != learner_id:
                raise session_not_found(session_id)
            message = s.get(ChatMessageRow, message_id)
            if message is None or message.session_id != session_id or message.role != "assistant":
                raise LearnerInputError(
                    f"Tin nhắn {message_id} không phải câu trả lời của trợ giảng trong cuộc trò chuyện này."
                )
            row = s.scalars(select(FeedbackRow).where(FeedbackRow.message_id == message_id)).first()
            if row is None:
                row = FeedbackRow(learner_id=learner_id, session_id=session_id, message_id=message_id)
                s.add(row)
            row.rating, row.comment, row.created_at = rating, text, utcnow()
            s.flush()
            return _record(row)

    def of_learner(self, learner_id: str) -> list[FeedbackRecord]:
        with self._tx() as s:
            rows = s.scalars(
                select(FeedbackRow).where(FeedbackRow.learner_id == learner_id).order_by(FeedbackRow.id)
            ).all()
            return [_record(r) for r in rows]

    def examples(self, rating: int | None = None) -> list[FeedbackExample]:
        """Every rated answer (optionally only 👍 or 👎) with its question and earlier turns, oldest first."""
        with self._tx() as s:
            query = select(FeedbackRow).order_by(FeedbackRow.id)
            if rating is not None:
                query = query.where(FeedbackRow.rating == rating)
            out: list[FeedbackExample] = []
            for fb in s.scalars(query).all():
                answer = s.get(ChatMessageRow, fb.message_id)
                if answer is None:  # pragma: no cover - the foreign key cascades
                    continue
                before = s.scalars(
                    select(ChatMessageRow)
                    .where(ChatMessageRow.session_id == fb.session_id, ChatMessageRow.position < answer.position)
                    .order_by(ChatMessageRow.position)
                ).all()
                question = next((m.content for m in reversed(before) if m.role == "user"), "")
                earlier = tuple((m.role, m.content) for m in before[:-1]) if before else ()
                out.append(
                    FeedbackExample(
                        _record(fb),
                        question,
                        earlier,
                        answer.content,
                        tuple(dict(c) for c in answer.citations),
                        str(answer.meta.get("level", "co-ban")),
                        str(answer.meta.get("group", "nguoi-dan")),
                    )
                )
            return out

    def usage(self) -> StoredUsage:
        with self._tx() as s:

            def count(*where: Any, model: Any = ChatMessageRow) -> int:
                return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

            return StoredUsage(
                learners=count(model=LearnerRow),
                sessions=count(model=ChatSessionRow),
                questions=count(ChatMessageRow.role == "user"),
                degraded=count(ChatMessageRow.role == "assistant", ChatMessageRow.degraded.is_(True)),
                feedback_up=count(FeedbackRow.rating == 1, model=FeedbackRow),
                feedback_down=count(FeedbackRow.rating == -1, model=FeedbackRow),
            )
