"""create_app: services wired once, every router included, and every error turned into JSON (or a page) here."""

from __future__ import annotations

import html
import logging
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

from tutor.answering.tutor import Tutor
from tutor.api.bodylimit import BodySizeLimit
from tutor.api.deps import Services, rate_limited
from tutor.api.fairness import ClientFairness
from tutor.api.headers import SecurityHeaders, security_headers
from tutor.api.ratelimit import LLM_ROUTES, caller_of
from tutor.api.routes import (
    admin,
    chat,
    docs,
    feedback,
    health,
    learners,
    pages,
    placement,
    preview,
    sessions,
    speech,
)
from tutor.api.routes import lessons as lesson_routes
from tutor.api.routes.pages import STATIC
from tutor.api.schemas import ErrorOut
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.learner.quizbank import QuizItem
from tutor.learner.store import LearnerStore
from tutor.logs import log_dir_for, setup_logging
from tutor.protocols import Embedder
from tutor.pydantic_vi import describe
from tutor.types import Lesson

log = logging.getLogger("tutor.api")

_HTTP_MESSAGES = {
    # FastAPI's own words for a body it cannot parse (invalid UTF-8, JSON nested thousands of levels deep).
    400: "Không đọc được nội dung gửi lên: cần JSON hợp lệ, mã hóa UTF-8 và không lồng nhau quá sâu.",
    401: "Cần mã truy cập hợp lệ cho việc này.",
    403: "Bạn không có quyền làm việc này.",
    404: "Không có trang hoặc địa chỉ này.",
    405: "Địa chỉ này không nhận kiểu yêu cầu đó (ví dụ: cần POST thay vì GET).",
    413: "Nội dung gửi lên quá lớn. Một câu hỏi chỉ cần vài câu: hãy rút ngắn rồi gửi lại.",
}


def _field(loc: Sequence[Any]) -> str:
    # loc starts with "body" / "query" / "path"; the learner only needs the field name.
    return ".".join(str(p) for p in loc[1:]) or "nội dung"


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def _error(
    request: Request, status: int, name: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The one error shape: JSON {error, message} for the API; a short Vietnamese page for a browser."""
    if _wants_page(request):
        body = (
            '<!doctype html><html lang="vi"><meta charset="utf-8"><meta name="viewport" '
            'content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/static/app.css">'
            f'<title>Lỗi {status}</title><main class="page"><h1>Lỗi {status}</h1><p>{html.escape(message)}</p>'
            '<p><a class="button" href="/">Về trang hỏi đáp</a></p></main></html>'
        )
        return HTMLResponse(body, status_code=status, headers=headers)
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(ErrorOut(error=name, message=message).model_dump(), status_code=status, headers=headers)


def _too_large(request: Request) -> Response:
    return _error(request, 413, "BodyTooLargeError", _HTTP_MESSAGES[413])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TutorError)
    async def tutor_error(request: Request, exc: TutorError) -> Response:
        # Busy or rate-limited: Retry-After (whole seconds) tells a client, or a proxy, when to try again.
        headers = None if exc.retry_after is None else {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        return _error(request, exc.http_status, type(exc).__name__, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        where = "; ".join(describe(dict(e), _field(e.get("loc", ()))) for e in exc.errors())
        return _error(request, 422, "RequestValidationError", f"Yêu cầu không hợp lệ: {where}.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 413:
            return _too_large(request)
        # Never the framework's English detail: a status without its own words gets a general Vietnamese one.
        message = _HTTP_MESSAGES.get(exc.status_code, f"Yêu cầu không thực hiện được (mã lỗi {exc.status_code}).")
        name = "InvalidBodyError" if exc.status_code == 400 else "HTTPException"
        return _error(request, exc.status_code, name, message, exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # Rendered outside every middleware, so the security headers are added here.
        frame = request.app.state.services.settings.frame_ancestors
        headers = security_headers(frame, request.url.path, authorized="authorization" in request.headers)
        message = "Máy chủ gặp lỗi không mong đợi. Hãy thử lại sau ít phút."
        return _error(request, 500, "InternalError", message, headers)


def _load_quiz_bank(services: Services) -> None:
    """Load the quiz bank before serving rather than on the first placement request.

    Parsing its YAML holds the GIL for about a second (more on a busy machine) and would stall every request in
    flight. A bank that fails to load is only logged: placement tries again and answers the error, as before.
    """
    try:
        services.learners()
    except Exception:  # noqa: BLE001 - start anyway; the first request that needs the bank reports the problem
        log.warning("quiz bank not loaded at start-up", exc_info=True)


def create_app(
    settings: Settings,
    tutor: Tutor | None = None,
    *,
    embedder: Embedder | None = None,
    store: LearnerStore | None = None,
    bank: Sequence[QuizItem] | None = None,
    lessons: Mapping[str, Lesson] | None = None,
) -> FastAPI:
    """Build the app; the Tutor is built here, once, so configuration errors surface before serving.

    A missing or mismatched index does not stop the service: chat answers 503 with the rebuild hint and
    /readyz says what is wrong, so an operator can rebuild (POST /api/admin/index/rebuild) without a restart.
    """
    from tutor.api.services import build_services
    from tutor.wiring import Prebuilt

    owns_store = store is None
    services = build_services(settings, Prebuilt(tutor, embedder, store, bank, lessons))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        _load_quiz_bank(services)
        yield
        if owns_store:
            services.store.close()

    app = FastAPI(
        title="Trợ giảng Bình dân học vụ số",
        description=(
            "Hỏi đáp kỹ năng số bằng tiếng Việt, trả lời từ bài học đã kiểm duyệt, có trích nguồn. "
            "Hỏi đáp ẩn danh không cần mã; hồ sơ, trò chuyện và góp ý cần mã học viên; xem thử cần mã tập huấn "
            "viên; quản trị cần mã quản trị viên (Authorization: Bearer …)."
        ),
        version="0.2.0",
        lifespan=lifespan,
        docs_url=None,  # our /docs serves Swagger UI from a package, with no CDN and no inline script
        redoc_url=None,
        # On every route; it counts only /api/ requests (health checks and pages are never limited).
        dependencies=[Depends(rate_limited)],
    )
    app.state.services = services
    # Redacted JSON lines under <data_dir>/logs, each tagged with its learner so deletion can purge them.
    setup_logging(log_dir_for(settings.data_dir))
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, refuse=_too_large)
    app.add_middleware(
        ClientFairness,
        limit=settings.llm_per_client,
        routes=LLM_ROUTES,
        identify=lambda request: caller_of(request, services.tokens),
    )
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors)  # outermost: on every response
    api_routers = (health, chat, sessions, feedback, learners, placement, lesson_routes, speech, preview, admin)
    for module in (*api_routers, pages, docs):
        _document_limits(module.router.routes)
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def create_unconfigured_app(problem: TutorError) -> FastAPI:
    """What a worker serves when its settings are wrong: the Vietnamese reason, 503 JSON (or a page), on every path.

    A health check then fails with the reason an operator can act on, where a worker that raised would print a
    traceback and be restarted by its supervisor, again and again.
    """
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def unavailable(request: Request) -> Response:
        return _error(request, problem.http_status, type(problem).__name__, str(problem))

    app.add_middleware(SecurityHeaders, frame_ancestors="'none'")
    return app


def _document_limits(routes: Sequence[BaseRoute]) -> None:
    """List in the OpenAPI document the statuses the middleware and the rate limiter answer on the routes they
    cover: 429 on every /api/ route, 413 on every one that takes a body. The routes themselves never raise them."""
    for route in routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
            continue
        route.responses.setdefault(
            429, {"model": ErrorOut, "description": "Quá nhiều yêu cầu: thử lại sau Retry-After giây."}
        )
        if (route.methods or set()) & {"POST", "PUT", "PATCH"}:
            route.responses.setdefault(413, {"model": ErrorOut, "description": "Nội dung gửi lên quá lớn."})
