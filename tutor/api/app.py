"""FastAPI app: the chat page, the JSON and SSE chat API, lesson pages, health; TutorError -> JSON 4xx/503."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, StreamingResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tutor.answer import Tutor
from tutor.api.schemas import AnswerOut, ChatRequest, ErrorOut, LessonOut, SectionOut
from tutor.config import Settings
from tutor.corpus.load import load_lessons
from tutor.errors import IndexMismatchError, IndexMissingError, NotFoundError, TutorError
from tutor.types import Answer, Lesson, Token

_HERE = Path(__file__).parent
_ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorOut}, 503: {"model": ErrorOut}}


def _sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(settings: Settings, tutor: Tutor | None = None) -> FastAPI:
    """Build the app; the Tutor is built here, once, so configuration errors surface before serving.

    A missing or mismatched index does not stop the service: chat answers 503 with the rebuild hint
    and /readyz says what is wrong, so an operator can rebuild without losing the running page.
    """
    not_ready: TutorError | None = None
    if tutor is None:
        from tutor.wiring import build_tutor

        try:
            tutor = build_tutor(settings)
        except (IndexMissingError, IndexMismatchError) as exc:
            not_ready = exc
    lessons: dict[str, Lesson] = {lesson.id: lesson for lesson in load_lessons(settings.lessons_dir)}
    pages = Environment(loader=FileSystemLoader(str(_HERE / "templates")), autoescape=select_autoescape())

    app = FastAPI(
        title="Trợ giảng Bình dân học vụ số",
        description="Hỏi đáp kỹ năng số bằng tiếng Việt, trả lời từ bài học đã kiểm duyệt, có trích nguồn.",
        version="0.1.0",
    )

    def ready_tutor() -> Tutor:
        if tutor is None:
            assert not_ready is not None
            raise not_ready
        return tutor

    @app.exception_handler(TutorError)
    async def tutor_error(_: Request, exc: TutorError) -> JSONResponse:
        body = ErrorOut(error=type(exc).__name__, message=str(exc))
        return JSONResponse(body.model_dump(), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
        body = ErrorOut(error="RequestValidationError", message=f"Yêu cầu không hợp lệ ({where}).")
        return JSONResponse(body.model_dump(), status_code=422)

    @app.get("/", include_in_schema=False)
    def index_page() -> FileResponse:
        return FileResponse(_HERE / "static" / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        if tutor is None:
            body = {"status": "not-ready", "index": str(not_ready), "lessons": len(lessons)}
            return JSONResponse(body, status_code=503)
        model = tutor.chat_model.id if tutor.chat_model else "extractive"
        return JSONResponse({"status": "ready", "llm": model, "index": "ok", "lessons": len(lessons)})

    @app.post("/api/chat", response_model=AnswerOut, responses=_ERRORS)
    def chat(req: ChatRequest) -> AnswerOut:
        """Trả lời một câu hỏi (JSON). Nếu mô hình không trả lời được, `degraded` = true."""
        return AnswerOut.from_answer(ready_tutor().answer(req.question, req.level, req.group))

    @app.post("/api/chat/stream", responses=_ERRORS)
    def chat_stream(req: ChatRequest) -> StreamingResponse:
        """Server-sent events: `token` (từng phần chữ), rồi `answer` (kèm nguồn), rồi `done`."""
        t = ready_tutor()
        t.validate(req.question)  # fail with 422 before the stream starts

        def events() -> Iterator[str]:
            try:
                for event in t.stream(req.question, req.level, req.group):
                    if isinstance(event, Token):
                        yield _sse("token", {"text": event.text})
                    elif isinstance(event, Answer):
                        yield _sse("answer", AnswerOut.from_answer(event).model_dump(mode="json"))
                yield _sse("done", {})
            except TutorError as exc:
                yield _sse("error", ErrorOut(error=type(exc).__name__, message=str(exc)).model_dump())

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    def _lesson(lesson_id: str) -> Lesson:
        lesson = lessons.get(lesson_id)
        if lesson is None:
            raise NotFoundError(f"Không có bài học '{lesson_id}'.")
        return lesson

    @app.get("/api/lessons/{lesson_id}", response_model=LessonOut, responses={**_ERRORS, 404: {"model": ErrorOut}})
    def lesson_json(lesson_id: str) -> LessonOut:
        lesson = _lesson(lesson_id)
        return LessonOut(
            id=lesson.id,
            title=lesson.title,
            domain=lesson.domain,
            competences=list(lesson.competences),
            groups=[str(g) for g in lesson.groups],
            levels=[str(lv) for lv in lesson.levels],
            sources=list(lesson.sources),
            valid_as_of=lesson.valid_as_of,
            sections=[SectionOut(id=s.id, title=s.title, text=s.text) for s in lesson.sections],
        )

    @app.get("/lessons/{lesson_id}", response_class=HTMLResponse, include_in_schema=False)
    def lesson_page(lesson_id: str) -> HTMLResponse:
        return HTMLResponse(pages.get_template("lesson.html").render(lesson=_lesson(lesson_id)))

    return app
