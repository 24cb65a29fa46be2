"""The web pages: chat, placement quiz, progress, trainer preview, lesson list and lesson pages. No build step."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tutor.api.deps import ServicesDep
from tutor.api.routes.lessons import find_lesson
from tutor.learner.path import DOMAIN_NAMES

STATIC = Path(__file__).resolve().parent.parent / "static"
_templates = Environment(
    loader=FileSystemLoader(str(STATIC.parent / "templates")), autoescape=select_autoescape(), auto_reload=False
)
router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


@router.get("/")
def chat_page() -> FileResponse:
    return _page("index.html")


@router.get("/placement")
def placement_page() -> FileResponse:
    return _page("placement.html")


@router.get("/progress")
def progress_page() -> FileResponse:
    return _page("progress.html")


@router.get("/preview")
def preview_page() -> FileResponse:
    return _page("preview.html")


@router.get("/lessons", response_class=HTMLResponse)
def lessons_page(services: ServicesDep) -> HTMLResponse:
    lessons = sorted(services.runtime.lessons.values(), key=lambda x: (x.domain, x.title))
    html = _templates.get_template("lessons.html").render(lessons=lessons, domains=DOMAIN_NAMES)
    return HTMLResponse(html)


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(lesson_id: str, services: ServicesDep) -> HTMLResponse:
    html = _templates.get_template("lesson.html").render(lesson=find_lesson(services, lesson_id), domains=DOMAIN_NAMES)
    return HTMLResponse(html)
