"""The web pages: chat, placement quiz, progress, final test, trainer preview, lesson list and lesson pages.

No build step and no inline script: each page is a template on _layout.html and its script is a file in static/.
"""

from __future__ import annotations

from collections.abc import Callable
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


#: The pages with no server data (their scripts ask the API): path -> template.
STATIC_PAGES = {
    "/": "index.html",
    "/placement": "placement.html",
    "/progress": "progress.html",
    "/final-test": "final_test.html",
    "/preview": "preview.html",
}


def _render(name: str, remember_days: int, **values: object) -> str:
    """A page with what every header and script needs: how long a learner's code is remembered, and the labels."""
    return _templates.get_template(name).render(
        remember_days=remember_days, trainer_material=TRAINER_MATERIAL, domains=DOMAIN_NAMES, **values
    )


@cache
def _static_html(name: str, remember_days: int) -> str:
    # These pages hold no server data and templates do not reload, so one render serves every request.
    return _render(name, remember_days)


def _static_page(template: str) -> Callable[[ServicesDep], HTMLResponse]:
    def page(services: ServicesDep) -> HTMLResponse:
        # no-cache, so a browser picks up a new version at once.
        html = _static_html(template, services.settings.remember_code_days)
        return HTMLResponse(html, headers={"Cache-Control": "no-cache"})

    return page


for _path, _template in STATIC_PAGES.items():
    router.add_api_route(
        _path, _static_page(_template), methods=["GET"], response_class=HTMLResponse, name=_template[: -len(".html")]
    )


@router.get("/lessons", response_class=HTMLResponse)
def lessons_page(services: ServicesDep) -> HTMLResponse:
    lessons = sorted(services.runtime.lessons.values(), key=lambda x: (x.domain, x.title))
    documents = sorted(services.runtime.documents.values(), key=lambda x: x.title)
    days = services.settings.remember_code_days
    return HTMLResponse(_render("lessons.html", days, lessons=lessons, documents=documents))


@router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(lesson_id: str, services: ServicesDep) -> HTMLResponse:
    lesson = find_lesson(services, lesson_id)
    return HTMLResponse(_render("lesson.html", services.settings.remember_code_days, lesson=lesson))
