"""The api_tokens table: bearer tokens kept as hashes, in the learner database beside the learners they belong to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tutor.sqlstore import Base, utcnow


class ApiTokenRow(Base):
    """A bearer token: only the sha256 of its random secret is kept, so a leaked database grants nothing."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("role IN ('learner', 'trainer', 'operator')", name="role_values"),
        Index("ix_api_tokens_learner", "learner_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    #: Set for learner tokens only; trainer and operator tokens belong to no learner.
    learner_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
