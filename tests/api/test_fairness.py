"""Fair sharing of the model: one caller holds at most one slot or queue place; anonymous callers get a chat budget
sized to what the slots serve.

The fairness test runs the real service over HTTP against a slow wire-compatible LLM server (the LLM is the
bottleneck): one anonymous caller fires 20 questions at once, five others ask one each. Each caller has its own
loopback address (127.0.0.2…), which is how the service tells anonymous callers apart.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.api.conftest import REPLY, MakeApi
from tests.api.live import LiveServer
from tutor.api.fairness import MESSAGE, InFlight, route_patterns
from tutor.api.ratelimit import LLM_ROUTES, anonymous_chat_limit
from tutor.config import Settings
from tutor.llm.resilience import ResilientChatModel
from tutor.testing.openai_wire import OpenAIWireServer, WireState
from tutor.wiring import build_chat_model

QUESTION = "có người gọi xưng công an đòi mã OTP"
SLOTS, QUEUE = 4, 4
#: The fake LLM writes one word every 80 ms: an answer of 11 words takes about a second, so a queue stays full
#: meanwhile. It starts with a sentence the safety guard lets through at once (it holds back a sentence that mentions
#: an OTP until it ends), so the first words show what the learner waits for.
WORD_DELAY_S = 0.08
FAKE_REPLY = "Hãy tắt máy ngay. Công an không bao giờ hỏi mã OTP [1]."


@dataclass
class Outcome:
    status: int = 0
    first_words_s: float | None = None  # from sending the question to the first `token` event
    message: str = ""
    events: list[str] = field(default_factory=list)
    model: str = ""  # who wrote the answer: the LLM's id, or "composed" when it came from the lessons


def _by_llm(o: Outcome) -> bool:
    return o.status == 200 and o.model.startswith("openai:")


def _ask(base: str, address: str, out: Outcome) -> None:
    transport = httpx.HTTPTransport(local_address=address)
    started = time.perf_counter()
    with (
        httpx.Client(transport=transport, timeout=60) as client,
        client.stream("POST", f"{base}/api/chat/stream", json={"question": QUESTION}) as r,
    ):
        out.status = r.status_code
        if r.status_code != 200:
            out.message = json.loads(r.read()).get("message", "")
            return
        for line in r.iter_lines():
            if line.startswith("event: "):
                out.events.append(line[7:])
                if line == "event: token" and out.first_words_s is None:
                    out.first_words_s = time.perf_counter() - started
            elif line.startswith("data: ") and out.events and out.events[-1] == "answer":
                out.model = json.loads(line[6:]).get("model", "")


def _fire(base: str, callers: list[tuple[str, Outcome]]) -> list[threading.Thread]:
    threads = [threading.Thread(target=_ask, args=(base, address, out)) for address, out in callers]
    for t in threads:
        t.start()
    return threads


def _wait_until(condition: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def slow_llm() -> Iterator[OpenAIWireServer]:
    with OpenAIWireServer(WireState(mode="slow", delay=WORD_DELAY_S, reply=FAKE_REPLY)) as srv:
        yield srv


def _service(make_api: MakeApi, srv: OpenAIWireServer, per_client: int) -> tuple[object, ResilientChatModel]:
    overrides = {
        # The composed answer is the default and never asks the model: here the model writes (and is the bottleneck).
        "answer_mode": "generated",
        "llm": "openai",
        "openai_base_url": srv.url,
        "llm_concurrency": SLOTS,
        "llm_queue": QUEUE,
        "llm_per_client": per_client,
        # Budgets off: what is measured here is the per-caller gate, not the rate limits (tested below).
        "rate_limit_chat": "",
        "rate_limit_chat_anonymous": "",
    }
    model = build_chat_model(Settings(**overrides))  # type: ignore[arg-type]
    assert isinstance(model, ResilientChatModel)
    return make_api(model, **overrides), model


@pytest.mark.slow
def test_a_greedy_caller_cannot_starve_five_others(make_api: MakeApi, slow_llm: OpenAIWireServer) -> None:
    api, model = _service(make_api, slow_llm, per_client=1)
    greedy = [("127.0.0.2", Outcome()) for _ in range(20)]
    others = [(f"127.0.0.{3 + i}", Outcome()) for i in range(5)]
    with LiveServer(api.app) as server:  # type: ignore[attr-defined]
        threads = _fire(server.url, greedy)
        # The 19 refusals come back at once; the one admitted question holds a slot.
        _wait_until(lambda: sum(o.status == 429 for _, o in greedy) == 19 and model.gate.running == 1)
        threads += _fire(server.url, others)
        for t in threads:
            t.join(60)
    admitted = [o for _, o in greedy if o.status == 200]
    refused = [o for _, o in greedy if o.status == 429]
    assert len(admitted) == 1 and len(refused) == 19
    assert all(o.message == MESSAGE for o in refused)
    for _, o in others:
        assert o.status == 200 and o.events[-1] == "done" and o.first_words_s is not None
    firsts = sorted(o.first_words_s or 0 for _, o in others)
    by_llm = sum(_by_llm(o) for _, o in others)
    shown = ", ".join(f"{s:.2f}" for s in firsts)
    print(f"\nfairness: first words of the 5 others after {shown} s; {by_llm} of them answered by the LLM")
    assert firsts[-1] <= 2.0  # the figure: every other caller's first words within 2 s
    # The greedy caller holds one slot: the other three are theirs at once (the rest queue briefly, then get a slot
    # or, past TUTOR_LLM_QUEUE_WAIT, the composed answer).
    assert by_llm >= SLOTS - 1


@pytest.mark.slow
def test_without_the_per_caller_gate_the_same_burst_shuts_the_others_out(
    make_api: MakeApi, slow_llm: OpenAIWireServer
) -> None:
    """The counterfactual: the same 20 questions take every slot and queue place, and the others are shut out of the
    model. (Before composed answers they got 503; now a full queue answers from the lessons at once, so they get 200
    with the composed answer, never the model's.)"""
    api, model = _service(make_api, slow_llm, per_client=0)
    greedy = [("127.0.0.2", Outcome()) for _ in range(20)]
    others = [(f"127.0.0.{3 + i}", Outcome()) for i in range(5)]
    with LiveServer(api.app) as server:  # type: ignore[attr-defined]
        threads = _fire(server.url, greedy)
        _wait_until(lambda: model.gate.running == SLOTS and model.gate.waiting == QUEUE)
        threads += _fire(server.url, others)
        for t in threads:
            t.join(60)
    assert all(o.status == 200 and o.events[-1] == "done" for _, o in greedy)
    assert sum(_by_llm(o) for _, o in greedy) >= SLOTS  # the greedy caller's questions took every slot
    assert [o.status for _, o in others] == [200] * 5
    assert [o.model for _, o in others] == ["composed"] * 5  # none of the others reached the model


def test_a_second_open_question_from_the_same_token_is_refused_but_another_token_is_not(
    make_api: MakeApi, slow_llm: OpenAIWireServer
) -> None:
    api, model = _service(make_api, slow_llm, per_client=1)
    _, me = api.learner()  # type: ignore[attr-defined]
    _, other = api.learner()  # type: ignore[attr-defined]
    first = Outcome()
    with LiveServer(api.app) as server:  # type: ignore[attr-defined]

        def ask_with(headers: dict[str, str], out: Outcome) -> None:
            url = f"{server.url}/api/chat/stream"
            with httpx.stream("POST", url, json={"question": QUESTION}, headers=headers) as r:
                out.status = r.status_code
                out.message = r.read().decode()

        t = threading.Thread(target=ask_with, args=(me, first))
        t.start()
        _wait_until(lambda: model.gate.running == 1)
        second, third = Outcome(), Outcome()
        ask_with(me, second)
        ask_with(other, third)
        t.join(30)
        after = Outcome()
        ask_with(me, after)  # the first answer is done: the same token may ask again
    assert first.status == 200 and third.status == 200 and after.status == 200
    assert second.status == 429 and MESSAGE in second.message


def test_inflight_counts_per_key_and_patterns_match_any_session_id() -> None:
    gate = InFlight(1)
    assert gate.enter("a") and not gate.enter("a") and gate.enter("b")
    gate.leave("a")
    assert gate.enter("a") and gate.open("a") == 1
    patterns = dict((p.pattern, m) for m, p in route_patterns(LLM_ROUTES))
    rx = next(p for m, p in route_patterns(LLM_ROUTES) if "sessions" in p.pattern)
    assert rx.match("/api/sessions/3f2a/messages") and not rx.match("/api/sessions/3f2a/messages/x")
    assert len(patterns) == len(LLM_ROUTES)


# -- the anonymous budget -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("llm", "slots", "expected"),
    [("llamacpp", 0, "6/minute;120/hour"), ("openai", 0, "24/minute;480/hour"), ("ollama", 2, "12/minute;240/hour")],
)
def test_the_automatic_anonymous_budget_follows_the_generation_slots(llm: str, slots: int, expected: str) -> None:
    assert anonymous_chat_limit(Settings(llm=llm, llm_concurrency=slots, answer_mode="generated")) == expected


def test_a_pool_of_servers_gives_the_slots_of_each() -> None:
    s = Settings(llm="ollama", ollama_host="http://a:11434, http://b:11434", llm_concurrency=2, answer_mode="lead")
    assert anonymous_chat_limit(s) == "24/minute;480/hour"


@pytest.mark.parametrize("mode", ["composed", "quoted"])
def test_answers_that_never_ask_the_model_get_the_token_budget(mode: str) -> None:
    s = Settings(llm="llamacpp", rate_limit_chat="50/minute", answer_mode=mode)
    assert anonymous_chat_limit(s) == "50/minute"


def test_without_an_llm_anonymous_callers_get_the_token_budget() -> None:
    s = Settings(llm="extractive", rate_limit_chat="50/minute")
    assert anonymous_chat_limit(s) == "50/minute"
    assert anonymous_chat_limit(s.model_copy(update={"rate_limit_chat_anonymous": "3/minute"})) == "3/minute"


def test_anonymous_callers_hit_their_budget_while_a_learner_token_does_not(make_api: MakeApi) -> None:
    from tutor.llm.scripted import ScriptedChatModel

    api = make_api(ScriptedChatModel(REPLY), rate_limit_chat="20/minute", rate_limit_chat_anonymous="2/minute")
    _, me = api.learner()
    anonymous = [api.client.post("/api/chat", json={"question": QUESTION}).status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
    assert all(api.client.post("/api/chat", json={"question": QUESTION}, headers=me).is_success for _ in range(3))
