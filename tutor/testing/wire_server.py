"""Plumbing shared by the fake wire-compatible LLM servers: state, loopback HTTP server, chunked streams, failure modes.

Each protocol module (ollama_wire, openai_wire) keeps only its routes and body shapes: it subclasses `WireHandler`
for the routes, `WireServer` for the entry point and `BaseWireState` for its default models and extra knobs.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

Mode = str  # "ok" | "error500" | "slow" | "drop" | "garbage"

_PASSAGE = re.compile(r"\[1\][^\n]*\n(.+?)(?:\n\[2\]|\n\nCâu hỏi|\Z)", re.S)


def grounded_reply(messages: list[dict[str, Any]]) -> str:
    """Quote the first passage of the last user message, the way a grounded model answers."""
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    m = _PASSAGE.search(user)
    if not m:
        return "Xin lỗi, mình chưa có bài học về việc này."
    lines = [ln.strip() for ln in m.group(1).strip().split("\n") if ln.strip()][:4]
    return "Theo bài học [1]:\n" + "\n".join(lines)


@dataclass
class BaseWireState:
    models: list[str] = field(default_factory=list)
    mode: Mode = "ok"
    #: Seconds to wait before each streamed piece in "slow" mode.
    delay: float = 2.0
    #: In "drop" mode, the piece before which the connection drops: 0 before any text, 2 after two pieces.
    drop_at: int = 2
    #: Fixed reply; None means: quote the first passage of the last user message.
    reply: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: When set, each streamed piece waits for one release: a test decides when the server writes, not the clock.
    hold: threading.Semaphore | None = None

    def reply_to(self, messages: list[dict[str, Any]]) -> str:
        return self.reply if self.reply is not None else grounded_reply(messages)


def pieces(reply: str) -> list[str]:
    """The reply cut into word-sized stream pieces (one empty piece for an empty reply, so a stream still starts)."""
    return re.findall(r"\S+\s*", reply) or [""]


class WireHandler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    @property
    def state(self) -> BaseWireState:
        return self.server.state

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_json(self) -> dict[str, Any] | None:
        """The request body as JSON; None when it is not JSON (the caller answers 400 in its protocol's shape)."""
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return cast(dict[str, Any], json.loads(self.rfile.read(length) or b"{}"))
        except ValueError:
            return None

    def _start_stream(self, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _stream(self, reply: str, frame: Callable[[str], bytes], garbage: bytes) -> bool:
        """Send one chunk per piece of `reply`, applying the failure mode; False when the connection was dropped."""
        state = self.state
        parts = pieces(reply)
        for i, piece in enumerate(parts):
            if state.mode == "drop" and i == min(state.drop_at, len(parts) - 1):
                # Drop the connection mid-stream without ending the chunked body.
                self.wfile.flush()
                self.connection.shutdown(2)
                self.close_connection = True
                return False
            if state.mode == "slow":
                time.sleep(state.delay)
            if state.hold is not None:
                state.hold.acquire()
            # "garbage" replaces the second piece with a truncated frame the client cannot parse.
            self._chunk(garbage if state.mode == "garbage" and i == 1 else frame(piece))
        return True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self._chunk(b"")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    state: BaseWireState

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, dropped streams) are part of the tests, not server errors.
        pass


StateT = TypeVar("StateT", bound=BaseWireState)


class WireServer(Generic[StateT]):
    """`with Server() as srv: srv.url` — a real HTTP server on a free loopback port, serving `handler`."""

    handler: ClassVar[type[WireHandler]]
    state_type: ClassVar[type[BaseWireState]]
    #: What `url` adds after host and port, e.g. "/v1" where clients expect the API root.
    url_path: ClassVar[str] = ""

    def __init__(self, state: StateT | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._server = _HTTPServer((host, port), self.handler)
        self._server.state = state or self.state_type()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def state(self) -> StateT:
        return cast(StateT, self._server.state)

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_port}{self.url_path}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_until_interrupted(server: WireServer[Any], what: str) -> None:  # pragma: no cover - manual use
    server.start()
    print(f"{what} at {server.url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
