"""A small server that speaks Ollama's wire protocol (/api/chat NDJSON, /api/tags), with failure modes.

Tests and the eval harness start it on loopback to exercise the real Ollama client over real HTTP.
Its reply quotes the first passage of the prompt, so it behaves like a grounded model.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Mode = str  # "ok" | "error500" | "slow" | "drop" | "garbage"


@dataclass
class WireState:
    models: list[str] = field(default_factory=lambda: ["qwen2.5:7b-instruct"])
    mode: Mode = "ok"
    #: Seconds to wait before each streamed piece in "slow" mode.
    delay: float = 2.0
    #: Fixed reply; None means: quote the first passage of the last user message.
    reply: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)


_PASSAGE = re.compile(r"\[1\][^\n]*\n(.+?)(?:\n\[2\]|\n\nCâu hỏi|\Z)", re.S)


def grounded_reply(messages: list[dict[str, Any]]) -> str:
    user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
    m = _PASSAGE.search(user)
    if not m:
        return "Xin lỗi, mình chưa có bài học về việc này."
    lines = [ln.strip() for ln in m.group(1).strip().split("\n") if ln.strip()][:4]
    return "Theo bài học [1]:\n" + "\n".join(lines)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


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

    def do_GET(self) -> None:
        state = self.server.state
        if self.path == "/api/tags":
            models = [
                {"name": n, "model": n, "modified_at": _now(), "size": 1, "digest": "0" * 64, "details": {}}
                for n in state.models
            ]
            self._json(200, {"models": models})
        elif self.path in ("/", "/api/version"):
            self._json(200, {"version": "0.0.0-wire"})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"error": "invalid JSON"})
            return
        state.requests.append(req)
        if self.path != "/api/chat":
            self._json(404, {"error": f"unknown path {self.path}"})
            return
        model = req.get("model", "")
        if model not in state.models:
            self._json(404, {"error": f'model "{model}" not found, try pulling it first'})
            return
        if state.mode == "error500":
            self._json(500, {"error": "llama runner process has terminated"})
            return
        reply = state.reply if state.reply is not None else grounded_reply(req.get("messages", []))
        pieces = re.findall(r"\S+\s*", reply) or [""]
        if not req.get("stream", True):
            self._json(200, self._part(model, reply, done=True))
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i, piece in enumerate(pieces):
            if state.mode == "drop" and i == min(2, len(pieces) - 1):
                # Drop the connection mid-stream without ending the chunked body.
                self.wfile.flush()
                self.connection.shutdown(2)
                self.close_connection = True
                return
            if state.mode == "slow":
                time.sleep(state.delay)
            line = json.dumps(self._part(model, piece, done=False)) + "\n"
            if state.mode == "garbage" and i == 1:
                line = '{"model": "x", "message": {"role": "assis\n'
            self._chunk(line.encode())
        self._chunk((json.dumps(self._part(model, "", done=True)) + "\n").encode())
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
        self.wfile.flush()

    @staticmethod
    def _part(model: str, text: str, *, done: bool) -> dict[str, Any]:
        part: dict[str, Any] = {
            "model": model,
            "created_at": _now(),
            "message": {"role": "assistant", "content": text},
            "done": done,
        }
        if done:
            part.update(done_reason="stop", total_duration=1, eval_count=1, prompt_eval_count=1)
        return part


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: WireState

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, dropped streams) are part of the tests, not server errors.
        pass


class OllamaWireServer:
    """`with OllamaWireServer() as srv: srv.url` — a real HTTP server on a free loopback port."""

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
        return f"http://{self._host}:{self._server.server_port}"

    def start(self) -> OllamaWireServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OllamaWireServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:  # pragma: no cover - manual use: python -m tutor.testing.ollama_wire
    import argparse

    parser = argparse.ArgumentParser(description="Serve a fake Ollama on loopback.")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--model", action="append", default=None)
    args = parser.parse_args()
    state = WireState(models=args.model or ["qwen2.5:7b-instruct"])
    srv = OllamaWireServer(state, port=args.port).start()
    print(f"fake Ollama at {srv.url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
