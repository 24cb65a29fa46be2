"""Limits at the HTTP edge: body size (413), per-caller rate limits (429 + Retry-After), a busy LLM (503 +
Retry-After, before any stream starts), and question length and invisible characters."""

from __future__ import annotations

import http.client
import json
import select
import socket
import unicodedata
from collections.abc import Iterator

import pytest

from tests.api.conftest import REPLY, MakeApi
from tests.api.live import LiveServer
from tutor.api.ratelimit import LLM_ROUTES
from tutor.errors import ConfigError
from tutor.llm.resilience import ResilientChatModel
from tutor.llm.scripted import ScriptedChatModel

LIMIT = 65536
QUESTION = "có người gọi xưng công an đòi mã OTP"


def _error(r: object) -> dict[str, str]:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error", "message"} and body["message"]
    return body


# -- body size --------------------------------------------------------------------------------------------------


def test_a_body_over_64_kb_with_content_length_is_413_json(make_api: MakeApi) -> None:
    api = make_api()
    body = json.dumps({"question": "a" * LIMIT}).encode()
    r = api.client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/json")
    assert _error(r)["error"] == "BodyTooLargeError" and "quá lớn" in r.json()["message"]


def test_a_body_just_under_the_limit_reaches_the_app(make_api: MakeApi) -> None:
    api = make_api()
    body = json.dumps({"question": "a" * (LIMIT - 100)}).encode()
    assert len(body) <= LIMIT
    r = api.client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "2000" in r.json()["message"]  # the app's own length check, not the 413


def test_a_chunked_body_over_64_kb_without_content_length_is_413_json(make_api: MakeApi) -> None:
    api = make_api()

    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(20):
            yield b"a" * 4096
        yield b'"}'

    r = api.client.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413 and _error(r)["error"] == "BodyTooLargeError"


def test_a_large_body_is_refused_even_where_the_endpoint_reads_none(make_api: MakeApi) -> None:
    api = make_api()
    r = api.client.request("GET", "/api/lessons", content=b"x" * (LIMIT + 1))
    assert r.status_code == 413 and _error(r)["error"] == "BodyTooLargeError"


def test_the_body_limit_comes_from_settings(make_api: MakeApi) -> None:
    api = make_api(max_body_bytes=2048)
    r = api.client.post("/api/chat", json={"question": "mã OTP " * 400})
    assert r.status_code == 413


def test_over_real_http_a_chunked_upload_is_refused_before_it_is_all_sent(make_api: MakeApi) -> None:
    """The server answers 413 once it has counted past the limit; the client never has to send the other 448 KB."""
    api = make_api()
    chunk, chunks = b"a" * 8192, 64
    with LiveServer(api.app) as server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sent = 0
        for _ in range(chunks):
            if select.select([sock], [], [], 0.02)[0]:
                break  # the answer has come
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = json.loads(response.read())
    assert response.status == 413 and body["error"] == "BodyTooLargeError"
    assert sent < chunks * len(chunk) // 2


# -- rate limits -------------------------------------------------------------------------------------------------


def test_over_the_chat_limit_answers_429_with_retry_after_and_a_vietnamese_message(make_api: MakeApi) -> None:
    api = make_api(ScriptedChatModel(REPLY), rate_limit_chat="2/minute")
    for _ in range(2):
        assert api.client.post("/api/chat", json={"question": QUESTION}).status_code == 200
    r = api.client.post("/api/chat/stream", json={"question": QUESTION})
    assert r.status_code == 429 and _error(r)["error"] == "RateLimitedError"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert "2 lượt mỗi phút" in r.json()["message"] and "giây" in r.json()["message"]


def test_one_token_over_its_limit_does_not_limit_another_token_or_anonymous_callers(make_api: MakeApi) -> None:
    api = make_api(rate_limit_api="3/minute")
    _, a = api.learner()
    _, b = api.learner()
    for _ in range(3):
        assert api.client.get("/api/me", headers=a).status_code == 200
    assert api.client.get("/api/me", headers=a).status_code == 429
    assert api.client.get("/api/me", headers=b).status_code == 200
    assert api.client.get("/api/lessons").status_code == 200


def test_made_up_tokens_share_the_address_budget_instead_of_getting_fresh_ones(make_api: MakeApi) -> None:
    api = make_api(ScriptedChatModel(REPLY), rate_limit_chat="2/minute")
    codes = [
        api.client.post("/api/chat", json={"question": QUESTION}, headers={"Authorization": f"Bearer gia-{i}"})
        for i in range(3)
    ]
    assert [r.status_code for r in codes] == [200, 200, 429]


def test_chat_and_other_endpoints_have_separate_budgets(make_api: MakeApi) -> None:
    api = make_api(ScriptedChatModel(REPLY), rate_limit_chat="1/minute", rate_limit_api="100/minute")
    _, me = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    assert api.client.post(f"/api/sessions/{session}/messages", json={"question": QUESTION}, headers=me).is_success
    refused = api.client.post(f"/api/sessions/{session}/messages", json={"question": QUESTION}, headers=me)
    assert refused.status_code == 429 and "câu hỏi" in refused.json()["message"]
    assert api.client.get(f"/api/sessions/{session}", headers=me).status_code == 200
    trainer = api.token("trainer")
    assert api.client.post("/api/preview", json={"question": QUESTION}, headers=trainer).status_code == 200
    assert api.client.post("/api/preview", json={"question": QUESTION}, headers=trainer).status_code == 429


def test_health_checks_pages_and_static_files_are_never_limited(make_api: MakeApi) -> None:
    api = make_api(rate_limit_api="1/minute", rate_limit_chat="1/minute")
    for _ in range(5):
        for path in ("/healthz", "/readyz", "/", "/lessons", "/static/app.css"):
            assert api.client.get(path).status_code in (200, 503), path  # /readyz may say the LLM is missing
    assert api.client.get("/api/lessons").status_code == 200
    assert api.client.get("/api/lessons").status_code == 429


def test_every_llm_route_named_for_the_chat_budget_exists(make_api: MakeApi) -> None:
    paths = make_api().app.openapi()["paths"]
    assert LLM_ROUTES.issubset({(method.upper(), path) for path, ops in paths.items() for method in ops})


def test_the_openapi_document_lists_429_on_api_routes_and_413_where_a_body_is_taken(make_api: MakeApi) -> None:
    paths = make_api().app.openapi()["paths"]
    api_ops = [(m, p, op) for p, ops in paths.items() if p.startswith("/api/") for m, op in ops.items()]
    assert api_ops and all("429" in op["responses"] for _, _, op in api_ops)
    assert all("413" in op["responses"] for m, _, op in api_ops if m in ("post", "put", "patch"))
    assert "413" not in paths["/api/lessons"]["get"]["responses"]
    assert "429" not in paths["/healthz"]["get"]["responses"]  # health checks are never limited


@pytest.mark.parametrize("off", ["", "0", " 0 "])
def test_an_empty_or_zero_limit_switches_limiting_off(make_api: MakeApi, off: str) -> None:
    api = make_api(rate_limit_api=off)
    assert all(api.client.get("/api/lessons").status_code == 200 for _ in range(30))


@pytest.mark.parametrize("bad", ["nhiều/phút", "20/fortnight", "0/minute"])
def test_a_malformed_limit_stops_the_app_with_a_config_error(make_api: MakeApi, bad: str) -> None:
    with pytest.raises(ConfigError, match="TUTOR_RATE_LIMIT_CHAT"):
        make_api(rate_limit_chat=bad)


# -- a busy LLM ---------------------------------------------------------------------------------------------------


@pytest.fixture
def busy() -> Iterator[ResilientChatModel]:
    """A model with one generation slot, no waiting queue, and that slot taken: every question finds it full."""
    model = ResilientChatModel(ScriptedChatModel(REPLY), concurrency=1, queue=0)
    model.gate.acquire(0)
    yield model
    model.gate.release()


def _assert_from_lessons(body: dict[str, object]) -> None:
    """Answered at once from the lessons: composed, cited, not degraded, and marked as the model being busy."""
    assert body["model"] == "composed" and body["citations"] and not body["degraded"]
    assert body["timings"]["llm_busy"] == 1.0  # type: ignore[index]


def test_a_full_llm_queue_answers_from_the_lessons_at_once_on_chat(make_api: MakeApi, busy: ResilientChatModel) -> None:
    api = make_api(busy)
    r = api.client.post("/api/chat", json={"question": QUESTION})
    assert r.status_code == 200
    _assert_from_lessons(r.json())
    busy.gate.release()
    assert api.client.post("/api/chat", json={"question": QUESTION}).json()["model"] == "scripted"
    busy.gate.acquire(0)


def test_a_full_llm_queue_streams_the_lessons_answer(make_api: MakeApi, busy: ResilientChatModel) -> None:
    api = make_api(busy)
    r = api.client.post("/api/chat/stream", json={"question": QUESTION})
    assert r.status_code == 200
    answer = json.loads(r.text.split("event: answer\ndata: ", 1)[1].split("\n", 1)[0])
    _assert_from_lessons(answer)


def test_a_full_llm_queue_still_answers_in_a_session_and_the_preview(
    make_api: MakeApi, busy: ResilientChatModel
) -> None:
    api = make_api(busy)
    _, me = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    r = api.client.post(f"/api/sessions/{session}/messages", json={"question": QUESTION}, headers=me)
    assert r.status_code == 200 and "event: answer" in r.text
    assert [t["role"] for t in api.client.get(f"/api/sessions/{session}", headers=me).json()["turns"]] == [
        "user",
        "assistant",
    ]
    preview = api.client.post("/api/preview", json={"question": QUESTION}, headers=api.token("trainer"))
    assert preview.status_code == 200
    for level in preview.json()["levels"]:
        _assert_from_lessons(level["answer"])


# -- question length and invisible characters ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["session", "preview"])
def test_a_question_over_2000_characters_is_422_everywhere(make_api: MakeApi, where: str) -> None:
    api = make_api(ScriptedChatModel(REPLY))
    if where == "session":
        _, headers = api.learner()
        path = f"/api/sessions/{api.client.post('/api/sessions', headers=headers).json()['id']}/messages"
    else:
        headers, path = api.token("trainer"), "/api/preview"
    r = api.client.post(path, json={"question": "x" * 2001}, headers=headers)
    assert r.status_code == 422 and "2000" in _error(r)["message"]
    assert api.client.post(path, json={"question": "mã OTP " + "x" * 1990}, headers=headers).status_code == 200


def test_control_zero_width_and_bidi_characters_never_reach_the_model_or_the_answer(make_api: MakeApi) -> None:
    model = ScriptedChatModel(REPLY)
    api = make_api(model)
    hidden = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u202e\u202d\u2066\u2069\u200e\u200f\x00\x07\x1b\x7f"
    dirty = f"có{hidden[:6]} người gọi xưng{hidden[6:]} công an đòi mã OTP"
    body = api.client.post("/api/chat", json={"question": dirty}).json()
    assert body["question"] == QUESTION
    prompt = "".join(m.content for m in model.calls[-1])
    assert QUESTION in prompt
    assert not [c for c in prompt if unicodedata.category(c) in ("Cf", "Cc") and c not in "\n\t"]
    clean = api.client.post("/api/chat", json={"question": QUESTION}).json()
    assert body["citations"] == clean["citations"]
