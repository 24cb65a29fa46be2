"""Over a real uvicorn server: a client that hangs up mid-answer stops the generation, and nothing is saved."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

import httpx

from tests.api.conftest import MakeApi
from tests.api.live import LiveServer
from tutor.types import Message

PIECES = 400


class CountingModel:
    """Streams PIECES words slowly and counts them; `closed` is set when its stream is closed or runs out."""

    def __init__(self, delay: float = 0.01) -> None:
        self.delay = delay
        self.produced = 0
        self.closed = threading.Event()

    @property
    def id(self) -> str:
        return "counting"

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        try:
            for i in range(PIECES):
                time.sleep(self.delay)
                self.produced += 1
                yield f"từ{i} "
        finally:
            self.closed.set()


def _hang_up_after_tokens(url: str, body: dict, headers: dict[str, str] | None = None, tokens: int = 3) -> None:
    seen = 0
    with httpx.Client(timeout=10) as client, client.stream("POST", url, json=body, headers=headers) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line == "event: token":
                seen += 1
                if seen == tokens:
                    return  # leaving the block closes the connection mid-stream


def _assert_generation_stopped(model: CountingModel) -> None:
    assert model.closed.wait(5), "the model's stream was never closed"
    stopped_at = model.produced
    time.sleep(0.3)
    assert model.produced == stopped_at < PIECES / 2


def test_hanging_up_stops_the_anonymous_stream(make_api: MakeApi) -> None:
    model = CountingModel()
    api = make_api(model)
    api.services.runtime.tutor.max_tokens = PIECES
    with LiveServer(api.app) as server:
        _hang_up_after_tokens(f"{server.url}/api/chat/stream", {"question": "mã OTP"})
        _assert_generation_stopped(model)
        # The server is fine afterwards.
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_hanging_up_in_a_session_saves_no_half_exchange(make_api: MakeApi) -> None:
    model = CountingModel()
    api = make_api(model)
    api.services.runtime.tutor.max_tokens = PIECES
    learner_id, headers = api.learner()
    session = api.services.sessions.create(learner_id)
    with LiveServer(api.app) as server:
        _hang_up_after_tokens(f"{server.url}/api/sessions/{session.id}/messages", {"question": "mã OTP"}, headers)
        _assert_generation_stopped(model)
        detail = httpx.get(f"{server.url}/api/sessions/{session.id}", headers=headers).json()
    assert detail["turns"] == []
