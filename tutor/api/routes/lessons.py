"""Lesson browsing as JSON: the list (filtered by group, level, domain) and one lesson with its sections."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tutor.api.deps import ServicesDep
from tutor.api.schemas import LessonOut, LessonSummaryOut, error_responses
from tutor.errors import NotFoundError
from tutor.types import Group, Lesson, Level

router = APIRouter(prefix="/api/lessons", tags=["bài học"])


def find_lesson(services: ServicesDep, lesson_id: str) -> Lesson:
    """A vetted lesson, or a trainer's ingested document: citations of either open the same kind of page."""
    lesson = services.runtime.lessons.get(lesson_id) or services.runtime.documents.get(lesson_id)
    if lesson is None:
        raise NotFoundError(f"Không có bài học '{lesson_id}'.")
    return lesson


@router.get("", response_model=list[LessonSummaryOut])
def list_lessons(
    services: ServicesDep,
    group: Annotated[Group | None, Query(description="Chỉ bài viết cho nhóm này.")] = None,
    level: Annotated[Level | None, Query(description="Chỉ bài có phần cho trình độ này.")] = None,
    domain: Annotated[int | None, Query(ge=1, le=6, description="Chỉ bài thuộc lĩnh vực này (1–6).")] = None,
) -> list[LessonSummaryOut]:
    """Danh sách bài học, theo lĩnh vực rồi tên."""
    lessons = sorted(services.runtime.lessons.values(), key=lambda x: (x.domain, x.title))
    return [
        LessonSummaryOut.from_lesson(x)
        for x in lessons
        if (group is None or not x.groups or group in x.groups)
        and (level is None or not x.levels or level in x.levels)
        and (domain is None or x.domain == domain)
    ]


@router.get("/{lesson_id}", response_model=LessonOut, responses=error_responses(404))
def lesson(lesson_id: str, services: ServicesDep) -> LessonOut:
    """Một bài học với các mục; mục nào cũng có `id` để dẫn tới /lessons/{id}#{mục}."""
    return LessonOut.from_lesson(find_lesson(services, lesson_id))
