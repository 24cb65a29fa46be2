"""Chat sessions over HTTP: the SSE event order, follow-ups that see the history, ownership, feedback and its
export in the gold-set shape, and bad input that is always a 4xx with a Vietnamese message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import REPLY, Api, MakeApi
from tests.support.sse import sse_events
from tutor.evals.dataset import GoldItem
from tutor.llm.scripted import ScriptedChatModel
from tutor.types import Level

QUESTION = "có người gọi xưng công an đòi mã OTP"
FOLLOW_UP = "thế nếu lỡ đọc rồi thì sao?"


def ask(api: Api, session: str, headers: dict[str, str], question: str, **extra: object) -> list[tuple[str, dict]]:
    r = api.client.post(f"/api/sessions/{session}/messages", json={"question": question, **extra}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    return sse_events(r.text)


def test_session_stream_sends_tokens_citations_answer_done_in_order(api: Api) -> None:
    _, me = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    evs = ask(api, session, me, QUESTION)
    kinds = [k for k, _ in evs]
    assert kinds[0] == "token" and kinds[-3:] == ["citations", "answer", "done"]
    assert set(kinds[:-3]) == {"token"}
    assert "".join(d["text"] for k, d in evs if k == "token").strip() == REPLY
    citations, answer = evs[-3][1]["citations"], evs[-2][1]
    assert citations and citations == answer["citations"]
    assert all(c["url"] == f"/lessons/{c['lesson_id']}#{c['section_id']}" for c in citations)
    assert answer["session_id"] == session and isinstance(answer["message_id"], int)


def test_follow_up_is_answered_with_the_session_history(api: Api) -> None:
    _, me = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    first = ask(api, session, me, QUESTION)[-2][1]
    ask(api, session, me, FOLLOW_UP)
    assert isinstance(api.model, ScriptedChatModel)
    prompt = "\n".join(m.content for m in api.model.calls[-1])
    assert QUESTION in prompt and FOLLOW_UP in prompt  # the model saw the earlier turn
    turns = api.client.get(f"/api/sessions/{session}", headers=me).json()["turns"]
    assert [(t["position"], t["role"]) for t in turns] == [(0, "user"), (1, "assistant"), (2, "user"), (3, "assistant")]
    assert turns[0]["content"] == QUESTION and turns[1]["content"] == first["answer"]
    assert turns[1]["citations"] == first["citations"] and turns[1]["id"] == first["message_id"]
    listed = api.client.get("/api/sessions", headers=me).json()
    assert listed == [{"id": session, "created_at": listed[0]["created_at"], "n_turns": 4, "title": QUESTION}]


def test_a_session_answers_at_the_learners_placed_level_unless_asked_otherwise(api: Api) -> None:
    learner, me = api.learner()
    for domain in (1, 2, 4):
        api.services.store.set_domain_level(learner, domain, Level.NANG_CAO, 1.5, 0.4)
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    assert ask(api, session, me, QUESTION)[-2][1]["level"] == "nang-cao"
    assert ask(api, session, me, QUESTION, level="co-ban")[-2][1]["level"] == "co-ban"


def test_another_learners_session_is_404_like_a_missing_one(api: Api) -> None:
    _, me = api.learner()
    _, them = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    ask(api, session, me, QUESTION)
    for path, method, body in [
        (f"/api/sessions/{session}", "GET", None),
        (f"/api/sessions/{session}/messages", "POST", {"question": "mã OTP"}),
        ("/api/sessions/khong-co-phien-nay", "GET", None),
        ("/api/sessions/khong-co-phien-nay/messages", "POST", {"question": "mã OTP"}),
    ]:
        r = api.client.request(method, path, json=body, headers=them)
        assert r.status_code == 404 and "không thuộc về bạn" in r.json()["message"], path
    assert api.client.get("/api/sessions", headers=them).json() == []
    turns = api.client.get(f"/api/sessions/{session}", headers=me).json()["turns"]
    assert len(turns) == 2  # the refused request wrote nothing


def test_feedback_is_stored_replaced_and_private(api: Api) -> None:
    _, me = api.learner()
    _, them = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    answer = ask(api, session, me, QUESTION)[-2][1]
    body = {"session_id": session, "message_id": answer["message_id"], "rating": 1, "comment": "dễ hiểu"}
    assert api.client.post("/api/feedback", json=body, headers=me).status_code == 201
    again = api.client.post("/api/feedback", json={**body, "rating": -1, "comment": "sai"}, headers=me)
    assert again.status_code == 201
    mine = api.client.get("/api/feedback", headers=me).json()
    assert [(f["rating"], f["comment"]) for f in mine] == [(-1, "sai")]
    assert api.client.get("/api/feedback", headers=them).json() == []
    assert api.client.post("/api/feedback", json=body, headers=them).status_code == 404
    user_turn = {**body, "message_id": answer["message_id"] - 1}  # the question, not an answer
    assert api.client.post("/api/feedback", json=user_turn, headers=me).status_code == 422
    assert api.client.post("/api/feedback", json={**body, "rating": 5}, headers=me).status_code == 422


def test_feedback_export_is_gold_set_jsonl_from_the_cited_section(api: Api) -> None:
    _, me = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    first = ask(api, session, me, "số tôi là 0912 345 678, " + QUESTION)[-2][1]
    second = ask(api, session, me, FOLLOW_UP)[-2][1]
    for answer, rating in ((first, 1), (second, -1)):
        body = {"session_id": session, "message_id": answer["message_id"], "rating": rating}
        assert api.client.post("/api/feedback", json=body, headers=me).status_code == 201
    r = api.client.get("/api/feedback/export", headers=api.token("operator"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    items = [json.loads(line) for line in r.text.splitlines()]
    assert [i["id"] for i in items] == ["fb-1-up", "fb-2-down"]
    up, down = items
    cited = first["citations"][0]
    assert up["answerable"] is True and up["gold"] == {"lesson": cited["lesson_id"], "section": cited["section_id"]}
    assert up["type"] == "howto" and up["reference_answer"] == first["answer"]
    assert "345 678" not in up["question"] and "[đã ẩn" in up["question"]
    assert down["type"] == "followup" and down["reference_answer"] == ""
    assert [t["role"] for t in down["history"]] == ["user", "assistant"]
    for item in items:  # the eval harness's own schema accepts every line
        GoldItem.model_validate(item)
    only_down = api.client.get("/api/feedback/export?rating=down", headers=api.token("operator")).text
    assert [json.loads(line)["id"] for line in only_down.splitlines()] == ["fb-2-down"]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"{not json", "JSON"),
        (b'{"question": 5}', "question"),
        (b'{"level": "co-ban"}', "thiếu trường 'question'"),
        (b'{"question": "wifi", "level": "sieu-cap"}', "chọn một trong"),
    ],
)
def test_malformed_requests_are_422_with_a_vietnamese_message(api: Api, payload: bytes, needle: str) -> None:
    _, me = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    for path, headers in (("/api/chat", {}), (f"/api/sessions/{session}/messages", me)):
        r = api.client.post(path, content=payload, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 422, (path, r.text)
        message = r.json()["message"]
        assert message.startswith("Yêu cầu không hợp lệ") and needle in message


def test_empty_question_in_a_session_is_422_and_saves_nothing(make_api: MakeApi) -> None:
    api = make_api(ScriptedChatModel(REPLY))
    _, me = api.learner()
    session = api.client.post("/api/sessions", headers=me).json()["id"]
    r = api.client.post(f"/api/sessions/{session}/messages", json={"question": "   "}, headers=me)
    assert r.status_code == 422 and "trống" in r.json()["message"]
    assert api.client.get(f"/api/sessions/{session}", headers=me).json()["turns"] == []


def test_unknown_paths_and_methods_answer_json_not_500(api: Api) -> None:
    r = api.client.get("/api/khong-co")
    assert r.status_code == 404 and r.json()["message"]
    r = api.client.get("/api/chat")
    assert r.status_code == 405 and "POST" in r.json()["message"]


class BrokenModel:
    """A chat model with a bug (not an outage): after `words` words it raises something the Tutor does not expect.

    The guard shows a sentence once the next one starts, so the words run past REPLY into a second sentence.
    """

    id = "broken"

    def __init__(self, words: int = 0) -> None:
        self.words = words

    def stream(self, messages: object, *, max_tokens: int, temperature: float) -> Iterator[str]:
        for word in (REPLY + " Sau đó hãy gọi 113.").split()[: self.words]:
            yield word + " "
        raise RuntimeError("lỗi lập trình")


def test_an_unexpected_failure_mid_stream_ends_with_an_error_event(make_api: MakeApi) -> None:
    api = make_api(BrokenModel(words=14))
    r = api.client.post("/api/chat/stream", json={"question": QUESTION})
    assert r.status_code == 200
    evs = sse_events(r.text)
    kind, data = evs[-1]
    assert evs[0][0] == "token" and kind == "error"
    assert data["error"] == "InternalError" and set(data) == {"error", "message"} and "hỏi lại" in data["message"]
    stats = api.client.get("/api/admin/stats", headers=api.token("operator")).json()
    assert stats["process"]["errors"] == 1 and stats["process"]["questions"] == 0


def test_an_unexpected_failure_before_the_first_word_is_a_json_500_not_a_stream(make_api: MakeApi) -> None:
    api = make_api(BrokenModel(words=0))
    # The app answers the 500 itself; the test client would otherwise re-raise the bug here as well.
    with TestClient(api.app, raise_server_exceptions=False) as client:
        r = client.post("/api/chat/stream", json={"question": QUESTION})
    assert r.status_code == 500 and r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == "InternalError" and "thử lại" in r.json()["message"]
    stats = api.client.get("/api/admin/stats", headers=api.token("operator")).json()
    assert stats["process"]["errors"] == 1 and stats["process"]["questions"] == 0


def _files_containing(files: list[Path], needle: str) -> list[str]:
    return [p.name for p in files if p.is_file() and needle.encode("utf-8") in p.read_bytes()]


def test_deleting_a_learner_leaves_their_words_in_no_log_line_and_no_database_file(api: Api) -> None:
    me, mine = api.learner()
    other, theirs = api.learner()
    for headers, words in ((mine, "cây khế nhà bà Tư"), (theirs, "ao cá nhà ông Sáu")):
        session = api.client.post("/api/sessions", headers=headers).json()["id"]
        ask(api, session, headers, f"Làm sao chụp ảnh {words} gửi Zalo?")
    settings = api.services.settings
    db = Path(settings.learner_db_url.removeprefix("sqlite:///"))

    def logs() -> list[Path]:
        return sorted((settings.data_dir / "logs").glob("*"))

    def everything() -> list[Path]:
        return logs() + sorted(db.parent.glob(db.name + "*"))

    assert _files_containing(logs(), "cây khế nhà bà Tư"), "the question was never logged"
    assert _files_containing(everything(), me)

    r = api.client.delete(f"/api/learners/{me}", headers=mine)
    assert r.status_code == 200 and r.json()["deleted"]["log_lines"] >= 1

    for needle in ("cây khế nhà bà Tư", me):
        assert _files_containing(everything(), needle) == [], needle
    assert _files_containing(logs(), "ao cá nhà ông Sáu") and _files_containing(logs(), other)
