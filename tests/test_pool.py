"""The LLM pool: least-busy or round-robin choice, a breaker per server, failover only while nothing was shown.

The end-to-end tests run two or three wire-compatible servers (tutor.testing) on loopback, one of them failing
mid-stream, and read the answer as the chat page does (SSE): the learner gets a complete answer, never an error, and
never half an answer from one server followed by another server's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence

import pytest
from fastapi.testclient import TestClient

from tutor.api.app import create_app
from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.errors import ConfigError, LLMUnavailableError
from tutor.llm.pool import EndpointPool
from tutor.llm.scripted import ScriptedChatModel
from tutor.testing.ollama_wire import OllamaWireServer
from tutor.testing.openai_wire import OpenAIWireServer
from tutor.testing.wire_server import grounded_reply
from tutor.types import Message
from tutor.wiring import build_tutor

ASK = [Message("user", "câu hỏi")]
QUESTION = "có người xưng công an đòi mã OTP"
#: The composed answer is the default and never asks the model: the pool is exercised when the model writes.
GENERATED = {"answer_mode": "generated"}


class Gate:
    """A model that streams one piece, then waits until released: keeps a call in flight."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.release = threading.Event()
        self.calls = 0

    @property
    def id(self) -> str:
        return "gate"

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        self.calls += 1
        yield self.name
        self.release.wait(5)


def _drain(pool: EndpointPool) -> str:
    return "".join(pool.stream(ASK, max_tokens=50, temperature=0))


def test_round_robin_takes_the_servers_in_turn():
    a, b, c = ScriptedChatModel("a"), ScriptedChatModel("b"), ScriptedChatModel("c")
    pool = EndpointPool([("a", a), ("b", b), ("c", c)], policy="round-robin")
    assert [_drain(pool).strip() for _ in range(6)] == ["a", "b", "c", "a", "b", "c"]


def test_least_busy_sends_the_next_question_to_the_idle_server():
    a, b = Gate("a"), Gate("b")
    pool = EndpointPool([("a", a), ("b", b)], policy="least-busy")
    first = pool.stream(ASK, max_tokens=5, temperature=0)
    assert next(first) == "a"  # a now streams one answer
    second = pool.stream(ASK, max_tokens=5, temperature=0)
    assert next(second) == "b"  # turn order would say a again; a is busier
    third = pool.stream(ASK, max_tokens=5, temperature=0)
    assert next(third) in ("a", "b")  # both stream one: equal loads
    for gen, gate in ((first, a), (second, b), (third, None)):
        if gate is not None:
            gate.release.set()
        gen.close()
    assert [e.in_flight for e in pool.endpoints] == [0, 0]


def test_a_server_failing_before_any_text_is_skipped_and_its_breaker_opens():
    broken, good = ScriptedChatModel("x y", fail_after=0), ScriptedChatModel("tốt lắm")
    pool = EndpointPool([("broken", broken), ("good", good)], policy="round-robin", failures=2, cooldown=60)
    assert [_drain(pool).strip() for _ in range(4)] == ["tốt lắm"] * 4
    # broken was tried on the first and third calls (its turn), failed twice, and is now skipped unasked.
    assert len(broken.calls) == 2 and pool.endpoints[0].breaker.state == "open"
    _drain(pool)
    _drain(pool)
    assert len(broken.calls) == 2


def test_a_server_failing_after_text_was_shown_is_not_replaced_by_another():
    halfway, good = ScriptedChatModel("một hai ba bốn", fail_after=2), ScriptedChatModel("khác")
    pool = EndpointPool([("halfway", halfway), ("good", good)], policy="round-robin")
    got: list[str] = []
    with pytest.raises(LLMUnavailableError, match="ngắt giữa câu trả lời"):
        for piece in pool.stream(ASK, max_tokens=50, temperature=0):
            got.append(piece)
    assert got == ["một ", "hai "] and good.calls == []


def test_every_server_down_or_busy_fails_at_once_with_each_reason():
    gate = Gate("g")
    pool = EndpointPool(
        [("down", ScriptedChatModel("x", fail_after=0)), ("busy", gate)], policy="round-robin", per_endpoint=1
    )
    held = pool.stream(ASK, max_tokens=5, temperature=0)
    assert next(held) == "g"  # round-robin started at "down", which failed: "busy" took the call
    with pytest.raises(LLMUnavailableError) as err:
        _drain(pool)
    assert "busy: đang bận" in str(err.value) and "down:" in str(err.value)
    gate.release.set()
    held.close()


def test_an_unknown_policy_is_a_config_error_naming_the_setting():
    with pytest.raises(ConfigError, match="TUTOR_LLM_POOL"):
        EndpointPool([("a", ScriptedChatModel("a"))], policy="random")


# -- end to end: real servers on loopback, the answer read as the chat page reads it --------------------------


def _sse(client: TestClient, question: str = QUESTION) -> tuple[list[tuple[str, dict]], str]:
    events: list[tuple[str, dict]] = []
    with client.stream("POST", "/api/chat/stream", json={"question": question}) as r:
        assert r.status_code == 200
        event = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                events.append((event, json.loads(line[6:])))
    shown = "".join(d["text"] for e, d in events if e == "token")
    return events, shown


def _client(settings: Settings) -> TestClient:
    # The pool is what the generated mode leans on; the composed default never asks it.
    settings = settings.model_copy(update={"answer_mode": "generated"})
    tutor = build_tutor(settings, embedder=HashingEmbedder())
    return TestClient(create_app(settings, tutor, embedder=HashingEmbedder()))


def test_openai_pool_one_server_dies_before_its_first_word_the_next_one_answers(built_settings: Settings):
    with OpenAIWireServer() as a, OpenAIWireServer() as b, OpenAIWireServer() as c:
        a.state.mode, a.state.drop_at = "drop", 0  # 200 sent, then the connection drops before any text
        urls = ",".join(s.url for s in (a, b, c))
        pool = {"llm": "openai", "openai_base_url": urls, "llm_pool": "round-robin"}
        s = built_settings.model_copy(update={**GENERATED, **pool})
        client = _client(s)
        for _ in range(3):  # each server gets a turn to start; a's turn fails over
            events, shown = _sse(client)
            names = [e for e, _ in events]
            assert "error" not in names and names[-1] == "done"
            answer = next(d for e, d in events if e == "answer")
            assert not answer["degraded"] and answer["citations"]
            # Complete, and exactly what was streamed: nothing from the dead server, nothing twice.
            assert shown.strip() == answer["answer"].strip()
            assert answer["answer"].startswith("Theo bài học [1]")
        assert len(a.state.requests) == 1 and len(b.state.requests) + len(c.state.requests) == 3


def test_ollama_pool_a_server_dying_mid_answer_gives_the_lesson_answer_in_place_of_half_text(built_settings: Settings):
    with OllamaWireServer() as a, OllamaWireServer() as b:
        a.state.mode, a.state.drop_at = "drop", 12  # words on screen, then the connection drops
        hosts = f"{a.url},{b.url}"
        pool = {"llm": "ollama", "ollama_host": hosts, "llm_pool": "round-robin"}
        s = built_settings.model_copy(update={**GENERATED, **pool})
        client = _client(s)
        events, shown = _sse(client)  # a's turn
        names = [e for e, _ in events]
        assert "error" not in names and names[-1] == "done"
        answer = next(d for e, d in events if e == "answer")
        # The page replaces the streamed words with the final answer: from the lessons, marked degraded.
        assert shown and answer["degraded"] and answer["citations"]
        assert "ngắt giữa câu trả lời" in (answer.get("notice") or "")
        assert shown.strip() not in answer["answer"]
        assert len(b.state.requests) == 0  # b was not asked to start over beside the half answer
        events, shown = _sse(client)  # b's turn: a normal answer
        answer = next(d for e, d in events if e == "answer")
        assert not answer["degraded"] and shown.strip() == answer["answer"].strip()


def test_every_server_down_answers_from_the_lessons_without_an_error(built_settings: Settings):
    with OpenAIWireServer() as a, OpenAIWireServer() as b:
        a.state.mode = b.state.mode = "error500"
        s = built_settings.model_copy(update={**GENERATED, "llm": "openai", "openai_base_url": f"{a.url},{b.url}"})
        events, _ = _sse(_client(s))
        answer = next(d for e, d in events if e == "answer")
        assert "error" not in [e for e, _ in events] and answer["degraded"] and answer["citations"]
        assert "Không máy chủ LLM nào trả lời được" in (answer.get("notice") or "")


def test_the_grounded_reply_is_what_a_healthy_pool_streams(built_settings: Settings):
    """The check above compares against the wire servers' reply: make sure it is the grounded one, not a refusal."""
    assert grounded_reply([{"role": "user", "content": "[1] tiêu đề\nnội dung\n\nCâu hỏi: x"}]).startswith("Theo bài")
