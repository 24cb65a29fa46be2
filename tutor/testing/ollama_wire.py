"""A small server that speaks Ollama's wire protocol (/api/chat NDJSON, /api/tags), with failure modes.

Tests and the eval harness start it on loopback to exercise the real Ollama client over real HTTP.
Its reply quotes the first passage of the prompt, so it behaves like a grounded model. The server, streaming and
failure modes live in wire_server; this module holds Ollama's routes and body shapes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from tutor.testing.wire_server import BaseWireState, WireHandler, WireServer, serve_until_interrupted


@dataclass
class WireState(BaseWireState):
    models: list[str] = field(default_factory=lambda: ["qwen2.5:7b-instruct"])


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())


def _line(body: dict[str, Any]) -> bytes:
    return (json.dumps(body) + "\n").encode()


class _Handler(WireHandler):
    def do_GET(self) -> None:
        state = self.state
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
        state = self.state
        req = self._read_json()
        if req is None:
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
        reply = state.reply_to(req.get("messages", []))
        if not req.get("stream", True):
            self._json(200, self._part(model, reply, done=True))
            return
        self._start_stream("application/x-ndjson")
        garbage = b'{"model": "x", "message": {"role": "assis\n'
        if self._stream(reply, lambda piece: _line(self._part(model, piece, done=False)), garbage):
            self._chunk(_line(self._part(model, "", done=True)))
            self._end_stream()

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


class OllamaWireServer(WireServer[WireState]):
    """`with OllamaWireServer() as srv: srv.url` — a real HTTP server on a free loopback port."""

    handler = _Handler
    state_type = WireState


def main() -> None:  # pragma: no cover - manual use: python -m tutor.testing.ollama_wire
    import argparse

    parser = argparse.ArgumentParser(description="Serve a fake Ollama on loopback.")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--model", action="append", default=None)
    args = parser.parse_args()
    state = WireState(models=args.model or ["qwen2.5:7b-instruct"])
    serve_until_interrupted(OllamaWireServer(state, port=args.port), "fake Ollama")


if __name__ == "__main__":  # pragma: no cover
    main()
