"""Over a real uvicorn server: a client that hangs up mid-answer stops the generation, and nothing is saved."""

from __future__ import annotations

import httpx

from tests.api.conftest import MakeApi
from tests.api.live import LiveServer
from tests.support.models import PacedModel

#: Pieces the model could write: at 0.01 s each, over 16 minutes. Only a hang-up can stop it within WAIT.
PIECES = 100_000
#: A guard against a hang, not a speed limit.
WAIT = 30.0


def _hang_up_after_tokens(url: str, body: dict, headers: dict[str, str] | None = None, tokens: int = 3) -> None:
    seen = 0
    with httpx.Client(timeout=10) as client, client.stream("POST", url, json=body, headers=headers) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line == "event: token":
                seen += 1
                if seen == tokens:
                    return  # leaving the block closes the connection mid-stream


def _assert_generation_stopped(model: PacedModel) -> None:
    assert model.closed.wait(WAIT), "the model's stream was never closed"
    assert model.produced < PIECES  # closed because the client left, not because it ran out


def test_hanging_up_stops_the_anonymous_stream(make_api: MakeApi) -> None:
    model = PacedModel(gap=0.01, pieces=PIECES)
    api = make_api(model)
    api.services.runtime.tutor.max_tokens = PIECES
    with LiveServer(api.app) as server:
        _hang_up_after_tokens(f"{server.url}/api/chat/stream", {"question": "mã OTP"})
        _assert_generation_stopped(model)
        # The server is fine afterwards.
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_hanging_up_in_a_session_saves_no_half_exchange(make_api: MakeApi) -> None:
    model = PacedModel(gap=0.01, pieces=PIECES)
    api = make_api(model)
    api.services.runtime.tutor.max_tokens = PIECES
    learner_id, headers = api.learner()
    session = api.services.sessions.create(learner_id)
    with LiveServer(api.app) as server:
        _hang_up_after_tokens(f"{server.url}/api/sessions/{session.id}/messages", {"question": "mã OTP"}, headers)
        _assert_generation_stopped(model)
        detail = httpx.get(f"{server.url}/api/sessions/{session.id}", headers=headers).json()
    assert detail["turns"] == []
