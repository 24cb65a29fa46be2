"""Pydantic shapes of the JSON API, converted from the core's frozen dataclasses."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from pydantic import BaseModel, Field

from tutor.corpus.ingest import is_document_id
from tutor.types import Answer, Group, Lesson, Level

#: How many earlier questions an anonymous learner's page may send with a question: enough for "thế còn…" to lean on
#: the one before it, and for a manipulation split over a few messages to be seen whole.
PREVIOUS_QUESTIONS = 3
_TRAINER_MATERIAL = "Tài liệu của tập huấn viên (đã nạp bằng `tutor ingest`), không phải bài học đã thẩm định."


class ChatRequest(BaseModel):
    question: str = Field(description="Câu hỏi của người học, tối đa 2.000 ký tự.", examples=["Làm sao bật Wi-Fi?"])
    level: Level = Field(default=Level.CO_BAN, description="Trình độ người học.")
    group: Group = Field(default=Group.NGUOI_DAN, description="Nhóm người học.")
    previous: list[Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=list,
        max_length=PREVIOUS_QUESTIONS,
        description=(
            "Các câu hỏi trước của người học trong cuộc trò chuyện này, cũ trước mới sau (tối đa 3), để hiểu câu hỏi"
            " nối tiếp như 'thế còn iPhone thì sao?'. Máy chủ không lưu; có mã học viên thì dùng /api/sessions."
        ),
        examples=[["Làm sao bật Wi-Fi trên điện thoại?"]],
    )


class CitationOut(BaseModel):
    n: int
    chunk_id: str
    lesson_id: str
    section_id: str
    lesson_title: str
    section_title: str
    url: str
    trainer_material: bool = Field(default=False, description=_TRAINER_MATERIAL)


class HitOut(BaseModel):
    chunk_id: str
    lesson_id: str
    section_id: str
    lesson_title: str = ""
    section_title: str = ""
    score: float = Field(description="Điểm hợp nhất (dense + BM25) của đoạn này cho câu hỏi.")
    dense_rank: int | None = Field(default=None, description="Hạng theo tìm kiếm ngữ nghĩa (0 là tốt nhất).")
    lexical_rank: int | None = Field(default=None, description="Hạng theo BM25 (0 là tốt nhất).")
    text: str
    trainer_material: bool = Field(default=False, description=_TRAINER_MATERIAL)


class RefusalOut(BaseModel):
    kind: str = Field(description="out_of_scope (ngoài phạm vi) hoặc manipulation (thao túng).")
    reason: str = Field(description="Cho tập huấn viên: bước kiểm tra nào quyết định và điểm của nó.")
    suggestions: list[str] = Field(description="Tối đa 3 câu hỏi mà các bài học gần nhất trả lời được.")
    referral: str | None = Field(description="Nên hỏi ai (y tế, pháp luật…), nếu có.")


class AnswerOut(BaseModel):
    question: str
    level: Level
    group: Group
    answer: str
    citations: list[CitationOut]
    passages: list[HitOut]
    degraded: bool
    notice: str | None
    model: str
    timings: dict[str, float]
    refusal: RefusalOut | None = Field(default=None, description="Có khi câu hỏi bị từ chối thay vì được trả lời.")

    @classmethod
    def from_answer(cls, a: Answer) -> AnswerOut:
        return cls(
            question=a.question,
            level=a.level,
            group=a.group,
            answer=a.text,
            citations=[
                CitationOut(
                    **asdict(c),
                    url=f"/lessons/{c.lesson_id}#{c.section_id}",
                    trainer_material=is_document_id(c.lesson_id),
                )
                for c in a.citations
            ],
            passages=[
                HitOut(
                    **h.chunk.source_fields(),
                    score=round(h.score, 5),
                    dense_rank=h.dense_rank,
                    lexical_rank=h.lexical_rank,
                    text=h.chunk.text,
                    trainer_material=is_document_id(h.chunk.lesson_id),
                )
                for h in a.hits
            ],
            degraded=a.degraded,
            notice=a.notice,
            model=a.model,
            timings={k: round(v, 4) for k, v in a.timings.items()},
            refusal=None
            if a.refusal is None
            else RefusalOut(
                kind=a.refusal.kind.value,
                reason=a.refusal.reason,
                suggestions=list(a.refusal.suggestions),
                referral=a.refusal.referral,
            ),
        )


class ErrorOut(BaseModel):
    error: str = Field(description="Tên lỗi, ví dụ InvalidQuestionError.")
    message: str = Field(description="Lời nhắn cho người dùng, nói cách khắc phục.")


class SectionOut(BaseModel):
    id: str
    title: str
    text: str


class _LessonFields(BaseModel):
    """What a lesson's listing and its full page both say about it."""

    id: str
    title: str
    domain: int
    competences: list[str]
    groups: list[str]
    levels: list[str]

    @staticmethod
    def fields_of(lesson: Lesson) -> dict[str, Any]:
        return {
            "id": lesson.id,
            "title": lesson.title,
            "domain": lesson.domain,
            "competences": list(lesson.competences),
            "groups": [str(g) for g in lesson.groups],
            "levels": [str(lv) for lv in lesson.levels],
        }


class LessonSummaryOut(_LessonFields):
    url: str

    @classmethod
    def from_lesson(cls, lesson: Lesson) -> LessonSummaryOut:
        return cls(**cls.fields_of(lesson), url=f"/lessons/{lesson.id}")


class LessonOut(_LessonFields):
    sources: list[str]
    valid_as_of: str
    sections: list[SectionOut]

    @classmethod
    def from_lesson(cls, lesson: Lesson) -> LessonOut:
        return cls(
            **cls.fields_of(lesson),
            sources=list(lesson.sources),
            valid_as_of=lesson.valid_as_of,
            sections=[SectionOut(id=s.id, title=s.title, text=s.text) for s in lesson.sections],
        )


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entry documenting that these statuses return an ErrorOut body."""
    return {code: {"model": ErrorOut} for code in codes}
