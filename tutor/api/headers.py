"""SecurityHeaders: CSP, nosniff, Referrer-Policy and framing rules on every response; no-store on learner data.

A pure ASGI middleware, so it also covers what never reaches a route: static files, 404s, the body limit's 413 and
the rate limiter's 429. Only the 500 page is rendered outside every middleware (Starlette's ServerErrorMiddleware
sits outermost), so the app's handler for unexpected errors adds `security_headers` itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: No inline script and no inline style attribute anywhere: every script and stylesheet is a file under /static.
#: Audio read aloud plays from a fetched blob; nothing is loaded from another origin.
_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
)
#: Swagger UI (React) sets some styles inline and draws its icons from data: URIs; scripts stay files only.
_DOCS_CSP = tuple("style-src 'self' 'unsafe-inline'" if d.startswith("style-src") else d for d in _CSP)
_DOCS_PATHS = ("/docs",)

#: /api/ answers that hold nothing personal, so a phone or a proxy may keep them: lessons and the public key.
_PUBLIC_API = ("/api/lessons", "/api/certificates/public-key")


def content_security_policy(frame_ancestors: str, path: str = "/") -> str:
    """The CSP for a path; `frame_ancestors` ('none', 'self' or origins) says who may show the page in a frame."""
    directives = _DOCS_CSP if path.startswith(_DOCS_PATHS) else _CSP
    return "; ".join((*directives, f"frame-ancestors {frame_ancestors}"))


def _frame_options(frame_ancestors: str) -> str | None:
    # X-Frame-Options for browsers without frame-ancestors; it cannot name other origins, so it is left out then.
    return {"'none'": "DENY", "'self'": "SAMEORIGIN"}.get(frame_ancestors.strip())


def private(path: str, authorized: bool) -> bool:
    """Whether the response may hold learner data: every /api/ answer, except public lessons asked anonymously."""
    if not path.startswith("/api/"):
        return False
    return authorized or not path.startswith(_PUBLIC_API)


def security_headers(frame_ancestors: str, path: str, *, authorized: bool = False) -> dict[str, str]:
    """The headers every response carries; `Cache-Control: no-store` where learner data may be in the body."""
    headers = {
        "Content-Security-Policy": content_security_policy(frame_ancestors, path),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    frame = _frame_options(frame_ancestors)
    if frame:
        headers["X-Frame-Options"] = frame
    if private(path, authorized):
        # A shared phone's browser cache, or a proxy, must not keep someone's profile or conversation.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return headers


def _authorized(raw: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(name == b"authorization" and value.strip() for name, value in raw)


class SecurityHeaders:
    """Set `security_headers` on every HTTP response, replacing a route's own Cache-Control on learner data."""

    def __init__(self, app: ASGIApp, frame_ancestors: str) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(self.frame_ancestors, scope["path"], authorized=_authorized(scope["headers"]))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
