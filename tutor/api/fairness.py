"""ClientFairness: one caller holds at most `limit` questions to the model at once, waiting or being answered.

Without it one phone (or one script) sending twenty questions at once takes every generation slot and every queue
place, and everyone else waits a minute for a 503. With it the twenty-first question, like the second, gets 429 at
once and the slots and queue places are shared among callers: each question in the queue is someone else's.

A caller is a valid access token, or the address for anonymous callers (`caller_of`, as for the rate limits). It
works at the HTTP edge, so it holds whatever answers the question: the embedded model, a remote pool, or none. A pure
ASGI middleware: the count covers the whole response, a streamed answer until its last event or the hang-up.

Per process, also with several workers on Redis (TUTOR_REDIS_URL): the guard shares the generation slots and queue
places, and those are per worker (ResilientChatModel's gate). A caller may thus have one open question in each worker,
and each worker's slots are still shared among callers. A shared counter would outlive a worker killed mid-answer
(its decrement never runs) and refuse that caller until some expiry; the rate limits, the anonymous budget included,
are the counters that go through the shared storage (tutor/api/ratelimit.py).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

#: Seconds a refused caller is told to wait: about the time one answer takes on the embedded model.
RETRY_AFTER_S = 10
MESSAGE = (
    "Bạn đang có một câu hỏi chưa trả lời xong. Hãy đợi câu trả lời đó hiện ra rồi hỏi tiếp; "
    "như vậy trợ giảng trả lời được cho mọi người."
)


class InFlight:
    """How many requests each key has open, in this process; thread-safe (requests start on the event loop, end
    anywhere)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def enter(self, key: str) -> bool:
        with self._lock:
            if self._open[key] >= self.limit:
                return False
            self._open[key] += 1
            return True

    def leave(self, key: str) -> None:
        with self._lock:
            self._open[key] -= 1
            if self._open[key] <= 0:
                del self._open[key]

    def open(self, key: str) -> int:
        with self._lock:
            return self._open[key]


def route_patterns(routes: Iterable[tuple[str, str]]) -> list[tuple[str, re.Pattern[str]]]:
    """(method, path template) → (method, regex); "/api/sessions/{session_id}/messages" matches any one id."""
    return [(m, re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(p)) + "$")) for m, p in routes]


class ClientFairness:
    """Refuse (429) a question to the model from a caller who already has `limit` open; `limit` 0 switches it off."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        routes: Iterable[tuple[str, str]],
        identify: Callable[[Request], str],
    ) -> None:
        self.app = app
        self.inflight = InFlight(limit)
        self.routes = route_patterns(routes)
        self.identify = identify

    def _counts(self, scope: Scope) -> bool:
        method, path = scope.get("method", ""), scope.get("path", "")
        return self.inflight.limit > 0 and any(m == method and rx.match(path) for m, rx in self.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._counts(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        # A token is looked up in the learner database: off the event loop. The principal it finds is kept in the
        # request's state, so the rate limiter and the route do not look it up again.
        key = await run_in_threadpool(self.identify, request)
        if not self.inflight.enter(key):
            refusal = JSONResponse(
                {"error": "TooManyOpenQuestionsError", "message": MESSAGE},
                status_code=429,
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
            await refusal(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.inflight.leave(key)
