"""Pydantic shapes of the JSON API, converted from the core's frozen dataclasses."""

from __future__ import annotations

from pydantic import BaseModel, Field

from tutor.types import Answer, Group, Level


class ChatRequest(BaseModel):
    question: str = Field(description="Câu hỏi của người học, tối đa 2.000 ký tự.", examples=["Làm sao bật Wi-Fi?"])
    level: Level = Field(default=Level.CO_BAN, description="Trình độ người học.")
    group: Group = Field(default=Group.NGUOI_DAN, description="Nhóm người học.")


class CitationOut(BaseModel):
    n: int
    chunk_id: str
    lesson_id: str
    section_id: str
    lesson_title: str
    section_title: str
    url: str


class HitOut(BaseModel):
    chunk_id: str
    lesson_id: str
    section_id: str
    score: float
    text: str


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

    @classmethod
    def from_answer(cls, a: Answer) -> AnswerOut:
        return cls(
            question=a.question,
            level=a.level,
            group=a.group,
            answer=a.text,
            citations=[
                CitationOut(
                    n=c.n,
                    chunk_id=c.chunk_id,
                    lesson_id=c.lesson_id,
                    section_id=c.section_id,
                    lesson_title=c.lesson_title,
                    section_title=c.section_title,
                    url=f"/lessons/{c.lesson_id}#{c.section_id}",
                )
                for c in a.citations
            ],
            passages=[
                HitOut(
                    chunk_id=h.chunk.id,
                    lesson_id=h.chunk.lesson_id,
                    section_id=h.chunk.section_id,
                    score=round(h.score, 5),
                    text=h.chunk.text,
                )
                for h in a.hits
            ],
            degraded=a.degraded,
            notice=a.notice,
            model=a.model,
            timings={k: round(v, 4) for k, v in a.timings.items()},
        )


class ErrorOut(BaseModel):
    error: str = Field(description="Tên lỗi, ví dụ InvalidQuestionError.")
    message: str = Field(description="Lời nhắn cho người dùng, nói cách khắc phục.")


class SectionOut(BaseModel):
    id: str
    title: str
    text: str


class LessonOut(BaseModel):
    id: str
    title: str
    domain: int
    competences: list[str]
    groups: list[str]
    levels: list[str]
    sources: list[str]
    valid_as_of: str
    sections: list[SectionOut]
