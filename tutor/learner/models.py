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
    MetaData,
    String,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Stable constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _learner_fk() -> Mapped[str]:
    return mapped_column(String(36), ForeignKey("learners.id", ondelete="CASCADE"), nullable=False)


class LearnerRow(Base):
    """A learner known only by a pseudonym: no name, phone or ID number is ever stored."""

    __tablename__ = "learners"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
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


class CertificateRow(Base):
    __tablename__ = "certificates"
    __table_args__ = (Index("ix_certificates_learner", "learner_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = _learner_fk()
    group: Mapped[str] = mapped_column(String(16), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)


#: Every table holding a learner's data, child tables first: delete_learner empties each of them.
LEARNER_TABLES: tuple[type[Base], ...] = (
    DomainLevelRow,
    CompetenceSkillRow,
    HistoryRow,
    PlacementRow,
    CertificateRow,
    LearnerRow,
)
