"""SQLAlchemy 2.x typed tables of the learner store; the Alembic revisions create exactly these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tutor.auth.models import ApiTokenRow
from tutor.sqlstore import Base, utcnow


def _learner_fk() -> Mapped[str]:
    return mapped_column(String(36), ForeignKey("learners.id", ondelete="CASCADE"), nullable=False)


class LearnerRow(Base):
    """A learner known by a pseudonym, and by a display name only if they choose one (never a phone or ID number)."""

    __tablename__ = "learners"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    #: What the pages call the learner ("Bác Lan"); not unique, optional, checked like a pseudonym.
    display_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    group: Mapped[str] = mapped_column(String(16), nullable=False)
    age_band: Mapped[str | None] = mapped_column(String(16), nullable=True)
    large_text: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    short_answers: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    read_aloud: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class DomainLevelRow(Base):
    __tablename__ = "domain_levels"
    __table_args__ = (CheckConstraint("domain BETWEEN 1 AND 6", name="domain_range"),)

    learner_id: Mapped[str] = mapped_column(String(36), ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True)
    domain: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    theta: Mapped[float] = mapped_column(Float, nullable=False)
    se: Mapped[float] = mapped_column(Float, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: Practice answers in this domain since the level was last set (by a placement or a level change): the
    #: "why" of the next change ("after 5 right answers out of 6").
    practice_right: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    practice_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


class CompetenceSkillRow(Base):
    """Elo-style running rating of one competence ("D.C") on the item difficulty (logit) scale."""

    __tablename__ = "competence_skill"

    learner_id: Mapped[str] = mapped_column(String(36), ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True)
    competence: Mapped[str] = mapped_column(String(8), primary_key=True)
    rating: Mapped[float] = mapped_column(Float, nullable=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class HistoryRow(Base):
    __tablename__ = "history"
    __table_args__ = (Index("ix_history_learner_created", "learner_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    learner_id: Mapped[str] = _learner_fk()
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class PlacementRow(Base):
    __tablename__ = "placements"
    __table_args__ = (
        CheckConstraint("state IN ('active', 'finished')", name="state_values"),
        CheckConstraint("domain IS NULL OR domain BETWEEN 1 AND 6", name="domain_range"),
        Index("ix_placements_learner", "learner_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = _learner_fk()
    domain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    asked: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    responses: Mapped[list[bool]] = mapped_column(JSON, nullable=False)
    theta: Mapped[float | None] = mapped_column(Float, nullable=True)
    se: Mapped[float | None] = mapped_column(Float, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The quiz-bank version whose difficulties placed the learner (0: as written in corpus/quiz/).
    bank_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")


class CertificateRow(Base):
    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_learner", "learner_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = _learner_fk()
    group: Mapped[str] = mapped_column(String(16), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


class ChatSessionRow(Base):
    __tablename__ = "chat_sessions"
    __table_args__ = (Index("ix_chat_sessions_learner", "learner_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = _learner_fk()
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class ChatMessageRow(Base):
    """One turn of a chat session. `learner_id` repeats the session's owner so deletion stays one rule per table."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'assistant')", name="role_values"),
        Index("ix_chat_messages_session", "session_id", "position"),
        Index("ix_chat_messages_learner", "learner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=False
    )
    learner_id: Mapped[str] = _learner_fk()
    #: 0-based order inside the session.
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    degraded: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: Level, group, model and notice of an assistant turn (what the feedback export needs).
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class FeedbackRow(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating IN (-1, 1)", name="rating_values"),
        Index("ix_feedback_learner", "learner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    learner_id: Mapped[str] = _learner_fk()
    session_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=False
    )
    #: One rating per answer: rating it again replaces the earlier rating.
    message_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("chat_messages.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class BankVersionRow(Base):
    """A calibration applied by an operator (`tutor quiz apply`): the difficulty of every item from then on."""

    __tablename__ = "bank_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: The version the proposal was calibrated from (0: the written bank).
    based_on: Mapped[int] = mapped_column(Integer, nullable=False)
    #: sha256 of the proposal file, so a version can be traced to the reviewed file.
    proposal_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: item id -> difficulty (logits) for every item of the bank when it was applied.
    difficulties: Mapped[dict[str, float]] = mapped_column(JSON, nullable=False)
    #: Items whose difficulty this version changed.
    n_changed: Mapped[int] = mapped_column(Integer, nullable=False)


#: Every table holding a learner's data, child tables first: delete_learner empties each of them.
LEARNER_TABLES: tuple[type[Base], ...] = (
    FeedbackRow,
    ChatMessageRow,
    ChatSessionRow,
    ApiTokenRow,
    DomainLevelRow,
    CompetenceSkillRow,
    HistoryRow,
    PlacementRow,
    CertificateRow,
    LearnerRow,
)

#: Tables that hold no learner data (no learner_id column): the bank versions an operator applied.
SHARED_TABLES: tuple[type[Base], ...] = (BankVersionRow,)
