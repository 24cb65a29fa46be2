"""Frozen domain values shared by every stage: levels, groups, lessons, chunks, hits, answers."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """A StrEnum whose members read `NAME = "value", "nhãn tiếng Việt"`: each label stands beside its value."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        # Only the class body calls this, with both; `label` has a default so that a lookup such as
        # `Level("co-ban")`, which returns an existing member and never gets here, type-checks.
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def parse(cls, value: str, error: Callable[[str], Exception], kind: str) -> Self:
        """The member whose value is `value`; else `error` with a message naming every valid value."""
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(member.value for member in cls)
            raise error(f"{kind} '{value}' không có. Chọn một trong: {names}.") from None


class Level(LabelledEnum):
    """The four trình độ of Thông tư 02/2025/TT-BGDĐT."""

    CO_BAN = "co-ban", "Cơ bản"
    TRUNG_CAP = "trung-cap", "Trung cấp"
    NANG_CAO = "nang-cao", "Nâng cao"
    CHUYEN_SAU = "chuyen-sau", "Chuyên sâu"


class Group(LabelledEnum):
    """The four target groups of Quyết định 757/QĐ-BKHCN."""

    CONG_CHUC = "cong-chuc", "cán bộ, công chức, viên chức"
    HOC_SINH = "hoc-sinh", "học sinh, sinh viên"
    LAO_DONG = "lao-dong", "người lao động trong doanh nghiệp"
    NGUOI_DAN = "nguoi-dan", "người dân"


@dataclass(frozen=True)
class Section:
    """One `##` section of a lesson: `id` is the folded heading, e.g. `cac-buoc`."""

    id: str
    title: str
    text: str
    line: int


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    domain: int
    competences: tuple[str, ...]
    groups: tuple[Group, ...]
    levels: tuple[Level, ...]
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    valid_as_of: str
    sections: tuple[Section, ...]
    path: str
    #: A trainer's ingested document shown as a page (tutor/corpus/documents.py), not a vetted lesson.
    trainer_material: bool = False

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage. `text` is what the learner sees; `embed_text` adds titles for context."""

    id: str
    lesson_id: str
    section_id: str
    lesson_title: str
    section_title: str
    text: str
    groups: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()

    @property
    def embed_text(self) -> str:
        return f"{self.lesson_title}. {self.section_title}. {self.text}"

    def source_fields(self) -> dict[str, str]:
        """Where the chunk comes from, under the names a citation, an API passage and an eval record give it."""
        return {
            "chunk_id": self.id,
            "lesson_id": self.lesson_id,
            "section_id": self.section_id,
            "lesson_title": self.lesson_title,
            "section_title": self.section_title,
        }


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    #: The question's cosine with this chunk and its BM25 score, before the per-question normalisation that makes
    #: `score` (None where the retriever does not compute them): how well the chunk answers, comparable across
    #: questions.
    similarity: float | None = None
    lexical_score: float | None = None


@dataclass(frozen=True)
class Citation:
    """Where a statement in the answer comes from; always a chunk that was actually retrieved."""

    n: int
    chunk_id: str
    lesson_id: str
    section_id: str
    lesson_title: str
    section_title: str


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


class RefusalKind(StrEnum):
    #: Not about digital skills: cooking, illness, lottery numbers…
    OUT_OF_SCOPE = "out_of_scope"
    #: An attempt to change the tutor's role, extract its instructions, get a scam written or a secret asked for.
    MANIPULATION = "manipulation"


@dataclass(frozen=True)
class Refusal:
    """Why a question got a fixed reply instead of an answer, for the learner and for trainers."""

    kind: RefusalKind
    #: For trainers and operators: which check decided and how sure it was, e.g. "bộ phân loại: 0,91".
    reason: str
    #: Up to three questions the lessons closest to what was asked do answer.
    suggestions: tuple[str, ...] = ()
    #: Whom to ask instead (health, law…), a fact for trainers to check like the lessons.
    referral: str | None = None
    #: The attempt involved a one-time code, a password or money: the reply repeats the safety rule.
    secret: bool = False


@dataclass(frozen=True)
class GateVerdict:
    """What the gate decided before retrieval: a refusal or None, and the scores behind it (for the preview)."""

    refusal: Refusal | None
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    question: str
    level: Level
    group: Group
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    degraded: bool = False
    #: Why the answer is degraded or was replaced, in Vietnamese, for the learner.
    notice: str | None = None
    #: Which backend wrote the text: the chat model's id, or "extractive".
    model: str = "extractive"
    timings: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
    #: Set when the question was refused (out of scope, manipulation) instead of answered.
    refusal: Refusal | None = None


@dataclass(frozen=True)
class Token:
    """A streamed piece of answer text."""

    text: str


#: What `Tutor.stream` yields: text pieces, then exactly one final Answer.
StreamEvent = Token | Answer


#: The id of a trainer's ingested document (tutor.corpus.ingest makes them): "doc-" and 12 hex digits. Defined here,
#: below every layer, so ingest, retrieval, safety and answering ask one test whether a source is vetted.
DOCUMENT_ID = re.compile(r"^doc-[0-9a-f]{12}$")


def is_document_id(lesson_id: str) -> bool:
    """Whether a chunk's `lesson_id` names an ingested document rather than a vetted lesson."""
    return bool(DOCUMENT_ID.match(lesson_id))
