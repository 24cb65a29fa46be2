"""BodySizeLimit: a pure-ASGI middleware that answers 413 to request bodies over a size, counted as they arrive.

FastAPI has its own `max_body_size`, but whenever the client sends Content-Length it replaces the app's response with
a plain-text "Content Too Large", so the API's JSON error shape would be lost. This one refuses a declared length at
once, before the app runs, and counts a body sent without one (chunked) piece by piece: the request is refused as
soon as the count passes the limit, so at most `max_bytes` plus one piece is ever held in memory.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLargeError(HTTPException):
    """Raised from `receive` once the body passes the limit.

    An HTTPException because FastAPI re-raises those from its body reading (anything else becomes a 400 there), so
    the app's own handler for HTTP errors renders the 413 like every other error.
    """

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodySizeLimit:
    """Refuse request bodies larger than `max_bytes` with the response `refuse(request)` builds (a 413)."""

    def __init__(self, app: ASGIApp, max_bytes: int, refuse: Callable[[Request], Response]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self.refuse(Request(scope))(scope, receive, send)
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            # Reached only when the body was read outside FastAPI's request handling (which answers it itself).
            if started:
                raise
            await self.refuse(Request(scope))(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length itself
    return None
