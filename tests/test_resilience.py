"""ResilientChatModel: timeouts, the generation gate and its queue, the circuit breaker, and stopping on disconnect."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest

from tutor.config import Settings
from tutor.embed.hashing import HashingEmbedder
from tutor.errors import LLMUnavailableError
from tutor.llm.breaker import BreakerState, CircuitBreaker
from tutor.llm.ollama import OllamaChatModel
from tutor.llm.pool import EndpointPool
from tutor.llm.resilience import LLMBusyError, ResilientChatModel
from tutor.llm.scripted import ScriptedChatModel
from tutor.testing.ollama_wire import OllamaWireServer, WireState
from tutor.types import Message
from tutor.wiring import build_chat_model, build_tutor

MODEL = "qwen2.5:7b-instruct"
ASK = [Message("system", "Bạn là trợ giảng."), Message("user", "Xin chào")]
REPLY = "Không đọc mã OTP cho ai, kể cả người xưng là công an. Tắt máy rồi tự gọi 113."


class SlowModel:
    """Yields `n` pieces, sleeping `delay` before each; records how many it made and when it was closed."""

    def __init__(self, n: int = 100, delay: float = 0.1, gate: threading.Event | None = None) -> None:
        self.n, self.delay, self.gate = n, delay, gate
        self.made = 0
        self.closed = threading.Event()
        self.closed_at: float | None = None
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return "slow"

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if self.gate is not None:
                self.gate.wait(10)
            for i in range(self.n):
                time.sleep(self.delay)
                self.made += 1
                yield f"chữ{i} "
        finally:
            with self._lock:
                self.active -= 1
            self.closed_at = time.monotonic()
            self.closed.set()


def _wait_until(cond: Callable[[], bool], timeout: float) -> float | None:
    """Seconds until `cond()` held, or None if it did not within `timeout`."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tutor-llm-worker"]


def _run(model: ResilientChatModel) -> str:
    return "".join(model.stream(ASK, max_tokens=64, temperature=0))


@pytest.fixture
def wire():
    with OllamaWireServer(WireState(models=[MODEL], reply=REPLY)) as srv:
        yield srv


# -- pass-through and timeouts -----------------------------------------------------------------------------


def test_pieces_pass_through_in_order_and_the_breaker_stays_closed():
    model = ResilientChatModel(ScriptedChatModel(REPLY))
    assert _run(model).strip() == REPLY
    assert model.state is BreakerState.CLOSED and model.id == "scripted"
    assert model.gate.running == 0


class BurstModel:
    """Writes its first piece, waits for `go`, then writes the rest as fast as it can and raises `error` if given:
    a GPU-fast backend whose burst is all queued before the consumer asks again."""

    def __init__(self, pieces: list[str], error: Exception | None = None) -> None:
        self.pieces, self.error = pieces, error
        self.go, self.done = threading.Event(), threading.Event()

    @property
    def id(self) -> str:
        return "burst"

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        yield self.pieces[0]
        self.go.wait(5)
        yield from self.pieces[1:]
        self.done.set()
        if self.error is not None:
            raise self.error


def test_pieces_already_waiting_are_handed_over_as_one_without_losing_or_reordering_text():
    pieces = [f"chữ{i} " for i in range(200)]
    backend = BurstModel(pieces)
    stream = ResilientChatModel(backend).stream(ASK, max_tokens=64, temperature=0)
    first = next(stream)
    backend.go.set()
    assert backend.done.wait(5)  # everything else is queued before the consumer asks again
    rest = list(stream)
    assert first + "".join(rest) == "".join(pieces)
    assert len(rest) == 1, f"{len(rest)} pieces handed over for a burst that was already waiting"


def test_an_error_behind_merged_pieces_is_raised_after_the_text_before_it_is_handed_over():
    backend = BurstModel(["Tắt máy ", "rồi ", "gọi 113."], LLMUnavailableError("mất kết nối"))
    model = ResilientChatModel(backend)
    stream = model.stream(ASK, max_tokens=64, temperature=0)
    got = [next(stream)]
    backend.go.set()
    assert backend.done.wait(5)
    with pytest.raises(LLMUnavailableError, match="mất kết nối"):
        got.extend(stream)
    assert "".join(got) == "Tắt máy rồi gọi 113."
    assert model.gate.running == 0


def test_first_token_timeout_fires_against_a_slow_real_server(wire: OllamaWireServer):
    wire.state.mode, wire.state.delay = "slow", 2.0
    baseline = threading.active_count()
    model = ResilientChatModel(
        OllamaChatModel(wire.url, MODEL, timeout=5), first_token_timeout=0.4, token_timeout=10, total_timeout=30
    )
    t0 = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="chữ đầu tiên"):
        _run(model)
    elapsed = time.monotonic() - t0
    assert 0.4 <= elapsed < 1.0, f"timeout fired after {elapsed:.2f}s"
    # The abandoned worker stops once the piece it waits for arrives (2 s), closes the stream and frees its slot;
    # the server's handler thread ends a write or two later, when it notices the closed connection.
    assert _wait_until(lambda: not _workers() and model.gate.running == 0, 3) is not None
    assert _wait_until(lambda: threading.active_count() <= baseline, 8) is not None


def test_token_timeout_fires_when_the_stream_stalls_after_it_started(wire: OllamaWireServer):
    wire.state.mode, wire.state.delay = "slow", 1.2
    model = ResilientChatModel(OllamaChatModel(wire.url, MODEL, timeout=5), token_timeout=0.4, total_timeout=30)
    got: list[str] = []
    t0 = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="không có chữ nào mới"):
        for piece in model.stream(ASK, max_tokens=64, temperature=0):
            got.append(piece)  # the first piece may take its time (prompt evaluation)...
    elapsed = time.monotonic() - t0
    assert len(got) == 1 and 1.6 <= elapsed < 2.3, f"{len(got)} pieces, {elapsed:.2f}s"  # ...the next may not


def test_total_timeout_bounds_an_answer_that_keeps_trickling(wire: OllamaWireServer):
    wire.state.mode, wire.state.delay = "slow", 0.15
    wire.state.reply = " ".join(["chữ"] * 40)
    model = ResilientChatModel(OllamaChatModel(wire.url, MODEL, timeout=5), token_timeout=1.0, total_timeout=0.8)
    got: list[str] = []
    t0 = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="cả câu trả lời"):
        for piece in model.stream(ASK, max_tokens=64, temperature=0):
            got.append(piece)
    elapsed = time.monotonic() - t0
    assert 0.8 <= elapsed < 1.3 and 2 <= len(got) < 10


# -- the circuit breaker ---------------------------------------------------------------------------------


def test_breaker_opens_after_f_failures_fails_fast_without_http_and_recovers_after_cooldown(wire: OllamaWireServer):
    wire.state.mode = "error500"
    breaker = CircuitBreaker(failures=3, cooldown=0.5)
    model = ResilientChatModel(OllamaChatModel(wire.url, MODEL, timeout=5), breaker=breaker)
    for i in range(3):
        assert model.state is BreakerState.CLOSED
        with pytest.raises(LLMUnavailableError, match="500"):
            _run(model)
        assert len(wire.state.requests) == i + 1
    assert model.state is BreakerState.OPEN

    t0 = time.monotonic()
    for _ in range(20):
        with pytest.raises(LLMUnavailableError, match="tạm ngưng"):
            _run(model)
    assert time.monotonic() - t0 < 0.2  # fails fast: no connection, no timeout
    assert len(wire.state.requests) == 3, "a request reached the server while the breaker was open"

    wire.state.mode = "ok"
    assert _wait_until(lambda: model.state is BreakerState.HALF_OPEN, 2) is not None
    assert _run(model).strip() == REPLY  # the one trial call goes through and closes the breaker
    assert model.state is BreakerState.CLOSED and len(wire.state.requests) == 4
    assert breaker.consecutive_failures == 0


def test_a_failed_trial_reopens_and_only_one_trial_runs_at_a_time():
    now = [0.0]
    breaker = CircuitBreaker(failures=2, cooldown=10, clock=lambda: now[0])
    failing = ResilientChatModel(ScriptedChatModel("", fail_after=0), breaker=breaker)
    for _ in range(2):
        with pytest.raises(LLMUnavailableError):
            _run(failing)
    assert breaker.state is BreakerState.OPEN and breaker.retry_after == 10
    now[0] = 10.0
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(LLMUnavailableError, match="giả lập"):  # the trial reached the backend, and failed
        _run(failing)
    assert breaker.state is BreakerState.OPEN  # one failed trial is enough to re-open

    now[0] = 20.0
    gate = threading.Event()
    slow = ResilientChatModel(SlowModel(n=2, delay=0.0, gate=gate), breaker=breaker)
    trial = threading.Thread(target=_run, args=(slow,))
    trial.start()
    assert _wait_until(lambda: slow.inner.active == 1, 2) is not None  # type: ignore[attr-defined]
    with pytest.raises(LLMUnavailableError, match="tạm ngưng"):  # the trial is out: everyone else fails fast
        _run(slow)
    gate.set()
    trial.join(5)
    assert breaker.state is BreakerState.CLOSED


def test_a_learner_leaving_mid_answer_counts_as_a_working_model():
    now = [0.0]
    breaker = CircuitBreaker(failures=1, cooldown=5, clock=lambda: now[0])
    with pytest.raises(LLMUnavailableError):
        _run(ResilientChatModel(ScriptedChatModel("", fail_after=0), breaker=breaker))
    now[0] = 5.0
    model = ResilientChatModel(SlowModel(n=50, delay=0.01), breaker=breaker)
    gen = model.stream(ASK, max_tokens=64, temperature=0)
    assert next(gen)  # the half-open trial produced text...
    gen.close()  # ...and the learner left: the model works, so the breaker closes
    assert breaker.state is BreakerState.CLOSED


def test_the_tutor_answers_degraded_while_the_breaker_is_open(built_settings: Settings, wire: OllamaWireServer):
    s = built_settings.model_copy(
        update={
            "llm": "ollama",
            "ollama_host": wire.url,
            "ollama_model": MODEL,
            "breaker_failures": 2,
            "answer_mode": "generated",
        }
    )
    tutor = build_tutor(s, embedder=HashingEmbedder())
    assert isinstance(tutor.chat_model, ResilientChatModel)
    wire.state.mode = "error500"
    for _ in range(2):
        assert tutor.answer("có người xưng công an đòi mã OTP").degraded
    assert tutor.chat_model.state is BreakerState.OPEN
    sent = len(wire.state.requests)
    t0 = time.monotonic()
    answer = tutor.answer("có người xưng công an đòi mã OTP")
    assert time.monotonic() - t0 < 1.0
    assert answer.degraded and answer.citations[0].lesson_id == "an-toan-otp"
    assert "tạm ngưng" in (answer.notice or "")
    assert len(wire.state.requests) == sent


# -- the generation gate and its queue ---------------------------------------------------------------------


def test_a_full_queue_is_refused_with_a_503_busy_error_and_does_not_trip_the_breaker():
    gate = threading.Event()
    model = ResilientChatModel(SlowModel(n=2, delay=0.0, gate=gate), concurrency=1, queue=1)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(_run(model))) for _ in range(2)]
    for t in threads:
        t.start()
    assert _wait_until(lambda: model.gate.running == 1 and model.gate.waiting == 1, 2) is not None
    t0 = time.monotonic()
    with pytest.raises(LLMBusyError, match="thử lại") as err:
        _run(model)
    assert time.monotonic() - t0 < 0.1 and err.value.http_status == 503
    gate.set()
    for t in threads:
        t.join(5)
    assert len(results) == 2 and model.state is BreakerState.CLOSED and model.breaker.consecutive_failures == 0


def test_waiting_longer_than_the_queue_timeout_is_busy_not_a_failure():
    gate = threading.Event()
    model = ResilientChatModel(SlowModel(n=1, delay=0.0, gate=gate), concurrency=1, queue=2, queue_timeout=0.3)
    holder = threading.Thread(target=_run, args=(model,))
    holder.start()
    assert _wait_until(lambda: model.gate.running == 1, 2) is not None
    with pytest.raises(LLMBusyError, match="chờ"):
        _run(model)
    gate.set()
    holder.join(5)
    assert model.breaker.consecutive_failures == 0 and model.gate.running == 0


def test_never_more_than_n_generations_at_once():
    inner = SlowModel(n=3, delay=0.05)
    model = ResilientChatModel(inner, concurrency=2, queue=10)
    threads = [threading.Thread(target=_run, args=(model,)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert inner.max_active == 2


def test_wiring_wraps_remote_backends_with_four_slots_and_honours_the_settings(settings: Settings):
    s = settings.model_copy(update={"llm": "ollama", "llm_queue": 7, "llm_token_timeout": 3.0, "llm_timeout": 9.0})
    model = build_chat_model(s)
    assert isinstance(model, ResilientChatModel) and isinstance(model.inner, EndpointPool)
    assert isinstance(model.inner.endpoints[0].model, OllamaChatModel)
    assert (model.gate.limit, model.gate.queue, model.token_timeout, model.total_timeout) == (4, 7, 3.0, 9.0)
    one = build_chat_model(s.model_copy(update={"llm_concurrency": 1, "breaker_failures": 5}))
    assert isinstance(one, ResilientChatModel) and one.gate.limit == 1 and one.breaker.failures == 5
    assert isinstance(one.inner, EndpointPool) and one.inner.endpoints[0].breaker.failures == 5


# -- stopping when the learner goes away ------------------------------------------------------------------


def test_closing_the_consumer_stops_the_generation_within_2s_without_leaking_threads():
    baseline = threading.active_count()
    inner = SlowModel(n=200, delay=0.05)
    model = ResilientChatModel(inner)
    gen = model.stream(ASK, max_tokens=256, temperature=0)
    got = [next(gen) for _ in range(3)]
    assert got == ["chữ0 ", "chữ1 ", "chữ2 "]
    closed = time.monotonic()
    gen.close()
    assert inner.closed.wait(2), "the backend's generator was not closed within 2 s"
    assert inner.closed_at is not None and inner.closed_at - closed < 2
    assert inner.made <= len(got) + 2  # at most the piece in progress after the one already queued
    assert _wait_until(lambda: threading.active_count() <= baseline, 2) is not None, "worker thread leaked"
    assert model.gate.running == 0 and model.state is BreakerState.CLOSED


def test_closing_the_consumer_closes_the_http_stream_of_a_real_server(wire: OllamaWireServer):
    wire.state.mode, wire.state.delay = "slow", 0.2
    wire.state.reply = " ".join(["chữ"] * 60)
    model = ResilientChatModel(OllamaChatModel(wire.url, MODEL, timeout=5))
    baseline = threading.active_count()  # the server's accept loop is already counted
    gen = model.stream(ASK, max_tokens=64, temperature=0)
    assert next(gen) and next(gen)
    gen.close()
    # The server's handler thread ends only when its writes fail, i.e. once our side closed the connection.
    took = _wait_until(lambda: threading.active_count() <= baseline, 2)
    assert took is not None, f"{threading.active_count() - baseline} thread(s) still running 2 s after close"
    assert model.gate.running == 0


@pytest.mark.slow
@pytest.mark.llm
def test_closing_the_consumer_stops_real_llama_cpp_at_the_next_token(settings: Settings):
    pytest.importorskip("llama_cpp")
    from tutor.llm.gguf import QWEN_05B, assemble
    from tutor.llm.llamacpp import LlamaCppChatModel

    path = assemble(QWEN_05B, settings.models_dir)
    model = ResilientChatModel(LlamaCppChatModel(path, n_ctx=1024, threads=2))
    ask = [Message("user", "Hãy kể một câu chuyện thật dài về con mèo.")]
    baseline = threading.active_count()
    gen = model.stream(ask, max_tokens=300, temperature=0)
    for _ in range(3):
        next(gen)
    t0 = time.monotonic()
    gen.close()
    took = _wait_until(lambda: threading.active_count() <= baseline and model.gate.running == 0, 2)
    assert took is not None, "llama.cpp kept generating more than 2 s after the consumer left"
    print(f"llama.cpp worker stopped {took * 1000:.0f} ms after close ({time.monotonic() - t0:.3f}s)")
    # The model's lock is free again: a new answer starts at once.
    assert next(model.stream(ask, max_tokens=4, temperature=0))
