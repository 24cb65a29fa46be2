"""A small server that speaks the OpenAI chat wire protocol (/v1/chat/completions SSE, /v1/models), with failure modes.

Tests start it on loopback to exercise the OpenAI-compatible backend over real HTTP, as vLLM or a llama.cpp server
would answer. Its reply quotes the first passage of the prompt (wire_server.grounded_reply), so it behaves like a
grounded model. Setting `api_key` makes every endpoint answer 401 to a request without that Bearer token. The server,
streaming and failure modes live in wire_server; this module holds OpenAI's routes and body shapes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, cast

from tutor.testing.wire_server import BaseWireState, WireHandler, WireServer, serve_until_interrupted


@dataclass
class WireState(BaseWireState):
    models: list[str] = field(default_factory=lambda: ["qwen2.5-7b-instruct"])
    #: When set, requests must carry `Authorization: Bearer <api_key>` or get 401.
    api_key: str | None = None
    #: The headers of each request (GET and POST), lower-cased names, in arrival order.
    headers: list[dict[str, str]] = field(default_factory=list)


def _error(message: str, kind: str, code: str | int | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _event(body: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"


class _Handler(WireHandler):
    @property
    def state(self) -> WireState:
        return cast(WireState, self.server.state)

    def _authorized(self) -> bool:
        state = self.state
        state.headers.append({k.lower(): v for k, v in self.headers.items()})
        if state.api_key is None or self.headers.get("Authorization") == f"Bearer {state.api_key}":
            return True
        self._json(401, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"))
        return False

    def do_GET(self) -> None:
        state = self.state
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
        state = self.state
        req = self._read_json()
        if req is None:
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
        reply = state.reply_to(req.get("messages", []))
        if not req.get("stream", False):
            message = {"role": "assistant", "content": reply}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            self._json(200, {"id": "chatcmpl-wire", "object": "chat.completion", "model": model, "choices": [choice]})
            return
        self._start_stream("text/event-stream", {"Cache-Control": "no-cache"})
        self._chunk(_event(self._chunk_body(model, {"role": "assistant", "content": ""}, None)))
        garbage = b'data: {"id": "chatcmpl-wire", "choices": [{"delta": {"cont\n\n'
        if self._stream(reply, lambda piece: _event(self._chunk_body(model, {"content": piece}, None)), garbage):
            self._chunk(_event(self._chunk_body(model, {}, "stop")))
            self._chunk(b"data: [DONE]\n\n")
            self._end_stream()

    @staticmethod
    def _chunk_body(model: str, delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-wire",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }


class OpenAIWireServer(WireServer[WireState]):
    """`with OpenAIWireServer() as srv: srv.url` — a real HTTP server on a free loopback port; `url` ends in /v1."""

    handler = _Handler
    state_type = WireState
    url_path = "/v1"


def main() -> None:  # pragma: no cover - manual use: python -m tutor.testing.openai_wire
    import argparse

    parser = argparse.ArgumentParser(description="Serve a fake OpenAI-compatible LLM server on loopback.")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--model", action="append", default=None)
    parser.add_argument("--api-key", default=None, help="require this Bearer token")
    args = parser.parse_args()
    state = WireState(models=args.model or ["qwen2.5-7b-instruct"], api_key=args.api_key)
    serve_until_interrupted(OpenAIWireServer(state, port=args.port), "fake OpenAI-compatible server")


if __name__ == "__main__":  # pragma: no cover
    main()
