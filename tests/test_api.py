"""The HTTP edge in-process: JSON chat, SSE stream, lesson pages, and bad input as JSON 4xx/503."""

from __future__ import annotations

import unicodedata

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ROOT
from tests.support.sse import sse_events
from tutor.api.app import create_app
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.llm.scripted import ScriptedChatModel
from tutor.wiring import build_tutor

REPLY = "Không đọc mã OTP cho ai, kể cả người xưng là công an [1]."


@pytest.fixture
def client(built_settings: Settings) -> TestClient:
    tutor = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}),
        embedder=HashingEmbedder(),
        chat_model=ScriptedChatModel(REPLY),
    )
    return TestClient(create_app(built_settings, tutor))


def test_chat_returns_an_answer_with_valid_citations(client: TestClient):
    r = client.post("/api/chat", json={"question": "công an gọi đòi mã OTP", "level": "co-ban"})
    assert r.status_code == 200
    body = r.json()
    assert body["answer"] == REPLY and body["degraded"] is False
    retrieved = {p["chunk_id"] for p in body["passages"]}
    assert body["citations"] and all(c["chunk_id"] in retrieved for c in body["citations"])
    assert body["citations"][0]["url"].startswith("/lessons/an-toan-otp#")


def test_stream_sends_tokens_then_answer_then_done(client: TestClient):
    r = client.post("/api/chat/stream", json={"question": "công an gọi đòi mã OTP"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    kinds = [e for e, _ in events]
    assert kinds[0] == "token" and kinds[-2:] == ["answer", "done"]
    assert "".join(d["text"] for e, d in events if e == "token").strip() == REPLY
    assert events[-2][1]["citations"]


def test_cited_lesson_section_opens_as_a_page(client: TestClient):
    cite = client.post("/api/chat", json={"question": "mã OTP"}).json()["citations"][0]
    page = client.get(cite["url"].split("#")[0])
    assert page.status_code == 200
    assert f'id="{cite["section_id"]}"' in page.text
    assert client.get("/api/lessons/an-toan-otp").json()["sections"][0]["id"] == "co-ban"
    missing = client.get("/api/lessons/khong-co")
    assert missing.status_code == 404 and "khong-co" in missing.json()["message"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"question": ""}, 422),
        ({"question": "   "}, 422),
        ({"question": "x" * 2001}, 422),
        ({"question": "wifi", "level": "sieu-cap"}, 422),
        ({"question": "wifi", "group": "nguoi-ngoai-hanh-tinh"}, 422),
        ({}, 422),
    ],
)
def test_bad_input_is_a_json_4xx_with_a_message(client: TestClient, payload: dict, status: int):
    for path in ("/api/chat", "/api/chat/stream"):
        r = client.post(path, json=payload)
        assert r.status_code == status
        assert r.json()["message"]


@pytest.mark.parametrize("path", ["/api/chat", "/api/chat/stream"])
def test_an_anonymous_follow_up_is_understood_from_the_previous_questions_the_page_sends(client: TestClient, path: str):
    def cited(body: dict) -> str:
        r = client.post(path, json=body)
        assert r.status_code == 200
        out = r.json() if path == "/api/chat" else next(d for e, d in sse_events(r.text) if e == "answer")
        return out["citations"][0]["lesson_id"]

    follow_up = {"question": "còn nếu là iPhone thì sao"}
    assert cited(follow_up) != "bat-wifi"  # alone, it names no topic
    assert cited({**follow_up, "previous": ["mã OTP là gì", "Làm sao bật Wi-Fi trên điện thoại?"]}) == "bat-wifi"


def test_personal_data_in_the_previous_questions_never_reaches_the_model(built_settings: Settings):
    model = ScriptedChatModel(REPLY)
    tutor = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}), embedder=HashingEmbedder(), chat_model=model
    )
    client = TestClient(create_app(built_settings, tutor))
    previous = ["số tôi là 0912345678, làm sao bật Wi-Fi trên điện thoại?", "!!!"]  # one with no words is left out
    r = client.post("/api/chat", json={"question": "còn nếu là iPhone thì sao", "previous": previous})
    assert r.status_code == 200
    prompt = " ".join(m.content for m in model.calls[0])
    assert "0912345678" not in prompt and "Wi-Fi" in prompt


@pytest.mark.parametrize(
    ("previous", "said"),
    [(["a", "b", "c", "d"], "quá 3 phần tử"), (["x" * 2001], "dài quá 2000 ký tự"), ("abc", "danh sách")],
)
def test_bad_previous_questions_are_a_422_that_says_what_is_wrong(client: TestClient, previous: object, said: str):
    for path in ("/api/chat", "/api/chat/stream"):
        r = client.post(path, json={"question": "wifi", "previous": previous})
        assert r.status_code == 422 and "previous" in r.json()["message"] and said in r.json()["message"]


def test_malformed_json_is_422_not_500(client: TestClient):
    r = client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "message" in r.json()


def test_nfd_question_answers_like_nfc(client: TestClient):
    q = "Làm sao kích hoạt tài khoản định danh điện tử mức 2?"
    a = client.post("/api/chat", json={"question": q}).json()
    b = client.post("/api/chat", json={"question": unicodedata.normalize("NFD", q)}).json()
    assert a["question"] == b["question"] == q
    assert a["citations"] == b["citations"]


def test_missing_index_serves_503_with_a_rebuild_hint(settings: Settings):
    client = TestClient(create_app(settings))
    r = client.post("/api/chat", json={"question": "wifi"})
    assert r.status_code == 503 and "tutor index build" in r.json()["message"]
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").json() == {"status": "ok"}


def test_unreachable_llm_still_answers_degraded_over_http(built_settings: Settings):
    tutor = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}),
        embedder=HashingEmbedder(),
        chat_model=ScriptedChatModel("", fail_after=0),
    )
    r = TestClient(create_app(built_settings, tutor)).post("/api/chat", json={"question": "bật wifi"})
    assert r.status_code == 200 and r.json()["degraded"] is True and r.json()["citations"]


def test_chat_page_is_served_in_vietnamese(client: TestClient):
    r = client.get("/")
    assert r.status_code == 200 and 'lang="vi"' in r.text and '<script src="/static/chat.js">' in r.text
    assert "/api/chat/stream" in client.get("/static/chat.js").text


def test_the_quiz_bank_is_loaded_once_at_start_up_not_by_the_first_placement(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    import tutor.learner.quizbank as quizbank

    loads: list[int] = []
    real = quizbank.load_quiz_bank
    monkeypatch.setattr(quizbank, "load_quiz_bank", lambda *a, **kw: loads.append(1) or real(*a, **kw))
    app = create_app(settings.model_copy(update={"corpus_dir": ROOT / "corpus"}))
    assert loads == []
    with TestClient(app) as client:
        assert loads == [1]  # before any request
        services = app.state.services
        learner = services.store.create_learner("nguoi-dan", consent=True)
        headers = {"Authorization": f"Bearer {services.tokens.create('learner', learner.id).secret}"}
        r = client.post(f"/api/learners/{learner.id}/placements", headers=headers)
        assert r.status_code == 201 and r.json()["item"]
    assert loads == [1]


def test_a_missing_quiz_bank_is_logged_at_start_up_and_chat_still_serves(
    built_settings: Settings, caplog: pytest.LogCaptureFixture
):
    # The fixture corpus has lessons but no quiz/ folder.
    tutor = build_tutor(
        built_settings.model_copy(update={"answer_mode": "generated"}),
        embedder=HashingEmbedder(),
        chat_model=ScriptedChatModel(REPLY),
    )
    with TestClient(create_app(built_settings, tutor)) as client:
        assert client.post("/api/chat", json={"question": "mã OTP"}).status_code == 200
    assert "quiz bank not loaded at start-up" in caplog.text
