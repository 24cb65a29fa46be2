"""The web pages: chat, placement quiz, progress, final test, trainer preview, lesson list and lesson pages.

No build step and no inline script: each page is a template on _layout.html and its script is a file in static/.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tutor.api.deps import ServicesDep
from tutor.api.markdown_html import render_markdown
from tutor.api.routes.lessons import find_lesson
from tutor.corpus.documents import TRAINER_MATERIAL
from tutor.learner.path import DOMAIN_NAMES

STATIC = Path(__file__).resolve().parent.parent / "static"
# Every page is a template on _layout.html, so the head, header and navigation are written once.
_templates = Environment(
    loader=FileSystemLoader(str(STATIC.parent / "templates")), autoescape=select_autoescape(), auto_reload=False
)
# `{{ text | markdown }}`: lesson (and document) Markdown as sanitised HTML, for any template.
_templates.filters["markdown"] = render_markdown
router = APIRouter(include_in_schema=False)


@cache
def _static_html(name: str, remember_days: int) -> str:
    # These pages hold no server data and templates do not reload, so one render serves every request.
    return _templates.get_template(name).render(remember_days=remember_days, trainer_material=TRAINER_MATERIAL)


def _page(name: str, services: ServicesDep) -> HTMLResponse:
    """A page with no server data; no-cache so a browser picks up a new version at once."""
    html = _static_html(name, services.settings.remember_code_days)
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})


@router.get("/", response_class=HTMLResponse)
def chat_page(services: ServicesDep) -> HTMLResponse:
    return _page("index.html", services)


@router.get("/placement", response_class=HTMLResponse)
def placement_page(services: ServicesDep) -> HTMLResponse:
    return _page("placement.html", services)


@router.get("/progress", response_class=HTMLResponse)
def progress_page(services: ServicesDep) -> HTMLResponse:
    return _page("progress.html", services)


@router.get("/final-test", response_class=HTMLResponse)
def final_test_page(services: ServicesDep) -> HTMLResponse:
    return _page("final_test.html", services)


@router.get("/preview", response_class=HTMLResponse)
def preview_page(services: ServicesDep) -> HTMLResponse:
    return _page("preview.html", services)


@router.get("/lessons", response_class=HTMLResponse)
def lessons_page(services: ServicesDep) -> HTMLResponse:
    lessons = sorted(services.runtime.lessons.values(), key=lambda x: (x.domain, x.title))
    documents = sorted(services.runtime.documents.values(), key=lambda x: x.title)
    html = _templates.get_template("lessons.html").render(
        lessons=lessons,
        documents=documents,
        domains=DOMAIN_NAMES,
        remember_days=services.settings.remember_code_days,
        trainer_material=TRAINER_MATERIAL,
    )
    return HTMLResponse(html)


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(lesson_id: str, services: ServicesDep) -> HTMLResponse:
    lesson = find_lesson(services, lesson_id)
    days = services.settings.remember_code_days
    html = _templates.get_template("lesson.html").render(
        lesson=lesson, domains=DOMAIN_NAMES, remember_days=days, trainer_material=TRAINER_MATERIAL
    )
    return HTMLResponse(html)
