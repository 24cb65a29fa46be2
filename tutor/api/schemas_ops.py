"""Pydantic shapes of the trainer and operator API: preview, index, jobs, usage statistics, readiness."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from tutor.api.schemas import AnswerOut
from tutor.learner.feedback import StoredUsage
from tutor.ops.jobs import JobStatus
from tutor.ops.readiness import Check, Readiness
from tutor.ops.usage import UsageSnapshot
from tutor.types import Group, Level

#: The levels a trainer compares side by side (the bank and lessons stop at Nâng cao).
PREVIEW_LEVELS: tuple[Level, ...] = (Level.CO_BAN, Level.TRUNG_CAP, Level.NANG_CAO)


class PreviewIn(BaseModel):
    question: str = Field(description="Câu hỏi cần xem thử ở cả ba trình độ.")
    group: Group = Field(default=Group.NGUOI_DAN, description="Nhóm người học.")


class PreviewLevelOut(BaseModel):
    level: Level
    level_label: str
    answer: AnswerOut


class PreviewOut(BaseModel):
    question: str
    group: Group
    levels: list[PreviewLevelOut] = Field(description="Cơ bản, Trung cấp, Nâng cao: mỗi mức kèm đoạn trích và điểm.")


class JobOut(BaseModel):
    kind: str
    state: str
    id: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    done: int
    total: int
    error: str | None
    result: dict[str, Any]

    @classmethod
    def from_status(cls, s: JobStatus) -> JobOut:
        return cls(
            kind=s.kind,
            state=s.state.value,
            id=s.id,
            started_at=s.started_at,
            finished_at=s.finished_at,
            done=s.done,
            total=s.total,
            error=s.error,
            result=s.result,
        )


class IndexStatusOut(BaseModel):
    state: str = Field(description="fresh | stale | missing | other-embedder")
    serving: bool = Field(description="Dịch vụ đang trả lời bằng một chỉ mục đã nạp.")
    generation: int = Field(description="Số lần chỉ mục được nạp lại kể từ khi khởi động.")
    serving_version: str | None = Field(description="Thư mục chỉ mục đang phục vụ (so sánh giữa các tiến trình).")
    chunk_count: int | None
    embedder: str | None
    built_at: str | None
    rebuild: JobOut


class EvalIn(BaseModel):
    dataset: str = Field(default="gold_vi", description="Tên tập đánh giá trong eval/datasets/ (không có .jsonl).")
    limit: int | None = Field(default=None, ge=1, description="Chỉ chạy N câu (chọn phân tầng theo loại).")


class UsageOut(BaseModel):
    since: dt.datetime
    questions: int
    degraded: int
    replaced: int
    unanswered: int
    errors: int
    by_channel: dict[str, int]
    by_level: dict[str, int]
    by_group: dict[str, int]
    by_refusal: dict[str, int] = Field(
        description="Câu bị từ chối theo loại: out_of_scope (ngoài phạm vi), manipulation (thao túng)."
    )

    @classmethod
    def from_snapshot(cls, u: UsageSnapshot) -> UsageOut:
        return cls(**u.__dict__)


class StoredUsageOut(BaseModel):
    learners: int
    sessions: int
    questions: int
    degraded: int
    feedback_up: int
    feedback_down: int

    @classmethod
    def from_usage(cls, u: StoredUsage) -> StoredUsageOut:
        return cls(**u.__dict__)


class StatsOut(BaseModel):
    process: UsageOut = Field(description="Từ lúc dịch vụ khởi động, gồm cả câu hỏi ẩn danh (chỉ đếm, không lưu).")
    stored: StoredUsageOut = Field(description="Trong cơ sở dữ liệu: cuộc trò chuyện của học viên và góp ý.")


class CheckOut(BaseModel):
    ok: bool
    detail: str = Field(description="Lý do bằng lời thường; quản trị viên (có mã) thấy chi tiết: mô hình, phiên bản.")
    breaker: str | None = Field(default=None, description="Bộ ngắt mạch của mô hình: closed, open hoặc half-open.")

    @classmethod
    def from_check(cls, c: Check, private: bool) -> CheckOut:
        return cls(ok=c.ok, detail=c.detail if private else c.public, breaker=c.breaker)


class ReadinessOut(BaseModel):
    status: str = Field(description="ready | not-ready")
    reasons: list[str] = Field(description="Vì sao chưa sẵn sàng, bằng lời thường (rỗng khi sẵn sàng).")
    llm: CheckOut
    index: CheckOut
    database: CheckOut
    lessons: int | None = Field(default=None, description="Số bài học đang phục vụ (chỉ quản trị viên).")

    @classmethod
    def from_readiness(cls, r: Readiness, lessons: int, *, private: bool = False) -> ReadinessOut:
        names = {"llm": r.llm, "index": r.index, "database": r.database}
        return cls(
            status="ready" if r.ok else "not-ready",
            reasons=[c.public for c in names.values() if not c.ok],
            llm=CheckOut.from_check(r.llm, private),
            index=CheckOut.from_check(r.index, private),
            database=CheckOut.from_check(r.database, private),
            lessons=lessons if private else None,
        )
