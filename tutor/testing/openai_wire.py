"""A small server that speaks the OpenAI chat wire protocol (/v1/chat/completions SSE, /v1/models), with failure modes.

Tests start it on loopback to exercise the OpenAI-compatible backend over real HTTP, as vLLM or a llama.cpp server
would answer. Its reply quotes the first passage of the prompt (ollama_wire.grounded_reply), so it behaves like a
grounded model. Setting `api_key` makes every endpoint answer 401 to a request without that Bearer token.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tutor.testing.ollama_wire import grounded_reply

Mode = str  # "ok" | "error500" | "slow" | "drop" | "garbage"


@dataclass
class WireState:
    models: list[str] = field(default_factory=lambda: ["qwen2.5-7b-instruct"])
    mode: Mode = "ok"
    #: Seconds to wait before each streamed piece in "slow" mode.
    delay: float = 2.0
    #: Fixed reply; None means: quote the first passage of the last user message.
    reply: str | None = None
    #: When set, requests must carry `Authorization: Bearer <api_key>` or get 401.
    api_key: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: The headers of each request (GET and POST), lower-cased names, in arrival order.
    headers: list[dict[str, str]] = field(default_factory=list)


def _error(message: str, kind: str, code: str | int | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        state = self.server.state
        state.headers.append({k.lower(): v for k, v in self.headers.items()})
        if state.api_key is None or self.headers.get("Authorization") == f"Bearer {state.api_key}":
            return True
        self._json(401, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"))
        return False

    def do_GET(self) -> None:
        state = self.server.state
        if not self._authorized():
            return
        if self.path == "/v1/models":
            data = [{"id": n, "object": "model", "created": 0, "owned_by": "wire"} for n in state.models]
            self._json(200, {"object": "list", "data": data})
        elif self.path in ("/health", "/v1/health"):
            self._json(200, {"status": "ok"})
        else:
            self._json(404, _error(f"Unknown path {self.path}", "invalid_request_error", None))

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, _error("invalid JSON", "invalid_request_error", None))
            return
        if not self._authorized():
            return
        state.requests.append(req)
        if self.path != "/v1/chat/completions":
            self._json(404, _error(f"Unknown path {self.path}", "invalid_request_error", None))
            return
        model = req.get("model", "")
        if model not in state.models:
            self._json(404, _error(f"The model `{model}` does not exist.", "invalid_request_error", "model_not_found"))
            return
        if state.mode == "error500":
            self._json(500, _error("CUDA error: out of memory", "internal_server_error", 500))
            return
        reply = state.reply if state.reply is not None else grounded_reply(req.get("messages", []))
        pieces = re.findall(r"\S+\s*", reply) or [""]
        if not req.get("stream", False):
            message = {"role": "assistant", "content": reply}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            self._json(200, {"id": "chatcmpl-wire", "object": "chat.completion", "model": model, "choices": [choice]})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._event(self._chunk_body(model, {"role": "assistant", "content": ""}, None))
        for i, piece in enumerate(pieces):
            if state.mode == "drop" and i == min(2, len(pieces) - 1):
                # Drop the connection mid-stream without ending the chunked body.
                self.wfile.flush()
                self.connection.shutdown(2)
                self.close_connection = True
                return
            if state.mode == "slow":
                time.sleep(state.delay)
            if state.mode == "garbage" and i == 1:
                self._chunk(b'data: {"id": "chatcmpl-wire", "choices": [{"delta": {"cont\n\n')
                continue
            self._event(self._chunk_body(model, {"content": piece}, None))
        self._event(self._chunk_body(model, {}, "stop"))
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _event(self, body: dict[str, Any]) -> None:
        self._chunk(b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()

    @staticmethod
    def _chunk_body(model: str, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-wire",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: WireState

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, dropped streams) are part of the tests, not server errors.
        pass


class OpenAIWireServer:
    """`with OpenAIWireServer() as srv: srv.url` — a real HTTP server on a free loopback port; `url` ends in /v1."""

    def __init__(self, state: WireState | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._server = _Server((host, port), _Handler)
        self._server.state = state or WireState()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def state(self) -> WireState:
        return self._server.state

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_port}/v1"

    def start(self) -> OpenAIWireServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OpenAIWireServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:  # pragma: no cover - manual use: python -m tutor.testing.openai_wire
    import argparse

    parser = argparse.ArgumentParser(description="Serve a fake OpenAI-compatible LLM server on loopback.")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--model", action="append", default=None)
    parser.add_argument("--api-key", default=None, help="require this Bearer token")
    args = parser.parse_args()
    state = WireState(models=args.model or ["qwen2.5-7b-instruct"], api_key=args.api_key)
    srv = OpenAIWireServer(state, port=args.port).start()
    print(f"fake OpenAI-compatible server at {srv.url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
