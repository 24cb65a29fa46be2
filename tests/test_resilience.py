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
from tutor.protocols import ChatModel
from tutor.testing.ollama_wire import OllamaWireServer, WireState
from tutor.testing.wire_server import pieces
from tutor.types import Message
from tutor.wiring import build_chat_model, build_tutor

MODEL = "qwen2.5:7b-instruct"
ASK = [Message("system", "Bạn là trợ giảng."), Message("user", "Xin chào")]
REPLY = "Không đọc mã OTP cho ai, kể cả người xưng là công an. Tắt máy rồi tự gọi 113."


#: Only a guard against a hang: every wait below ends on an event long before it, on any machine.
WAIT = 30.0


class HeldModel:
    """Yields up to `n` pieces, each only once the test has released it: the test, not the clock, decides when text
    comes. Records how many pieces it made, how many streams ran at once, and that it was closed."""

    def __init__(self, n: int = 100) -> None:
        self.n = n
        self.made = 0
        self.closed = threading.Event()
        self.active = 0
        self.max_active = 0
        self._permits = threading.Semaphore(0)
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        return "held"

    def release(self, pieces: int = 1) -> None:
        self._permits.release(pieces)

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            for i in range(self.n):
                if not self._permits.acquire(timeout=WAIT):
                    raise AssertionError(f"the test never released piece {i}")
                self.made += 1
                yield f"chữ{i} "
        finally:
            with self._lock:
                self.active -= 1
            self.closed.set()


def _wait_until(cond: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Whether `cond()` came to hold within `timeout` (a hang guard, not a speed limit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return False


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
        self.go.wait(WAIT)
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
    assert backend.done.wait(WAIT)  # everything else is queued before the consumer asks again
    rest = list(stream)
    assert first + "".join(rest) == "".join(pieces)
    assert len(rest) == 1, f"{len(rest)} pieces handed over for a burst that was already waiting"


def test_an_error_behind_merged_pieces_is_raised_after_the_text_before_it_is_handed_over():
    backend = BurstModel(["Tắt máy ", "rồi ", "gọi 113."], LLMUnavailableError("mất kết nối"))
    model = ResilientChatModel(backend)
    stream = model.stream(ASK, max_tokens=64, temperature=0)
    got = [next(stream)]
    backend.go.set()
    assert backend.done.wait(WAIT)
    with pytest.raises(LLMUnavailableError, match="mất kết nối"):
        got.extend(stream)
    assert "".join(got) == "Tắt máy rồi gọi 113."
    assert model.gate.running == 0


def test_first_token_timeout_fires_while_a_real_server_has_written_nothing_and_the_worker_ends_after(
    wire: OllamaWireServer,
):
    hold = wire.state.hold = threading.Semaphore(0)  # the server writes no piece until the test says so
    baseline = threading.active_count()
    model = ResilientChatModel(
        OllamaChatModel(wire.url, MODEL, timeout=WAIT), first_token_timeout=0.2, token_timeout=WAIT, total_timeout=WAIT
    )
    with pytest.raises(LLMUnavailableError, match="chữ đầu tiên"):
        _run(model)
    assert model.gate.running == 1  # the abandoned worker still waits for the piece the server holds back
    hold.release(len(pieces(REPLY)))
    # Once that piece arrives the worker closes the stream and frees its slot; the server's handler thread ends a
    # write or two later, when it notices the closed connection.
    assert _wait_until(lambda: model.gate.running == 0)
    assert _wait_until(lambda: threading.active_count() <= baseline)
    assert len(wire.state.requests) == 1


def test_token_timeout_fires_when_a_real_server_stalls_after_a_first_piece_that_took_longer(wire: OllamaWireServer):
    hold = wire.state.hold = threading.Semaphore(0)
    model = ResilientChatModel(OllamaChatModel(wire.url, MODEL, timeout=WAIT), token_timeout=0.2, total_timeout=WAIT)

    def first_piece_late() -> None:
        assert _wait_until(lambda: bool(wire.state.requests))
        time.sleep(3 * model.token_timeout)  # the first piece (prompt evaluation) has its own, longer bound...
        hold.release()

    releaser = threading.Thread(target=first_piece_late)
    releaser.start()
    got: list[str] = []
    with pytest.raises(LLMUnavailableError, match="không có chữ nào mới"):
        for piece in model.stream(ASK, max_tokens=64, temperature=0):
            got.append(piece)
    releaser.join(WAIT)
    assert got == pieces(REPLY)[:1]  # ...the next piece, which the server held back, may not take that long
    hold.release(len(pieces(REPLY)))
    assert _wait_until(lambda: model.gate.running == 0)


def test_total_timeout_bounds_an_answer_that_keeps_trickling(wire: OllamaWireServer):
    words = 40
    wire.state.mode, wire.state.delay = "slow", 0.1  # a piece every 0.1 s: the whole answer takes at least 4 s
    wire.state.reply = " ".join(["chữ"] * words)
    model = ResilientChatModel(OllamaChatModel(wire.url, MODEL, timeout=WAIT), token_timeout=WAIT, total_timeout=0.5)
    got: list[str] = []
    with pytest.raises(LLMUnavailableError, match="cả câu trả lời"):
        for piece in model.stream(ASK, max_tokens=64, temperature=0):
            got.append(piece)
    assert len("".join(got).split()) < words and wire.state.reply.startswith("".join(got))
    assert _wait_until(lambda: model.gate.running == 0)


# -- the circuit breaker ---------------------------------------------------------------------------------


def test_breaker_opens_after_f_failures_fails_fast_without_http_and_recovers_after_cooldown(wire: OllamaWireServer):
    wire.state.mode = "error500"
    now = [0.0]
    breaker = CircuitBreaker(failures=3, cooldown=30, clock=lambda: now[0])
    model = ResilientChatModel(OllamaChatModel(wire.url, MODEL, timeout=5), breaker=breaker)
    for i in range(3):
        assert model.state is BreakerState.CLOSED
        with pytest.raises(LLMUnavailableError, match="500"):
            _run(model)
        assert len(wire.state.requests) == i + 1
    assert model.state is BreakerState.OPEN

    for _ in range(20):
        with pytest.raises(LLMUnavailableError, match="tạm ngưng"):
            _run(model)
    assert len(wire.state.requests) == 3, "a request reached the server while the breaker was open"

    wire.state.mode = "ok"
    now[0] = 29.9
    assert model.state is BreakerState.OPEN
    now[0] = 30.0
    assert model.state is BreakerState.HALF_OPEN
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
    backend = HeldModel(n=2)
    slow = ResilientChatModel(backend, breaker=breaker)
    trial = threading.Thread(target=_run, args=(slow,))
    trial.start()
    assert _wait_until(lambda: backend.active == 1)
    with pytest.raises(LLMUnavailableError, match="tạm ngưng"):  # the trial is out: everyone else fails fast
        _run(slow)
    backend.release(2)
    trial.join(WAIT)
    assert breaker.state is BreakerState.CLOSED


def test_a_learner_leaving_mid_answer_counts_as_a_working_model():
    now = [0.0]
    breaker = CircuitBreaker(failures=1, cooldown=5, clock=lambda: now[0])
    with pytest.raises(LLMUnavailableError):
        _run(ResilientChatModel(ScriptedChatModel("", fail_after=0), breaker=breaker))
    now[0] = 5.0
    backend = HeldModel(n=50)
    model = ResilientChatModel(backend, breaker=breaker)
    gen = model.stream(ASK, max_tokens=64, temperature=0)
    backend.release()
    assert next(gen)  # the half-open trial produced text...
    gen.close()  # ...and the learner left before the end: the model works, so the breaker closes
    assert breaker.state is BreakerState.CLOSED
    backend.release(50)


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
    answer = tutor.answer("có người xưng công an đòi mã OTP")
    assert answer.degraded and answer.citations[0].lesson_id == "an-toan-otp"
    assert "tạm ngưng" in (answer.notice or "")
    assert len(wire.state.requests) == sent


# -- the generation gate and its queue ---------------------------------------------------------------------


def test_a_full_queue_is_refused_with_a_503_busy_error_and_does_not_trip_the_breaker():
    backend = HeldModel(n=2)
    model = ResilientChatModel(backend, concurrency=1, queue=1, queue_timeout=WAIT)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(_run(model))) for _ in range(2)]
    for t in threads:
        t.start()
    assert _wait_until(lambda: model.gate.running == 1 and model.gate.waiting == 1)
    # Refused at once (the "full" message), not after waiting out the queue timeout (the "waited" one).
    with pytest.raises(LLMBusyError, match="1 người đang chờ.*thử lại") as err:
        _run(model)
    assert err.value.http_status == 503
    backend.release(4)
    for t in threads:
        t.join(WAIT)
    assert len(results) == 2 and model.state is BreakerState.CLOSED and model.breaker.consecutive_failures == 0


def test_waiting_longer_than_the_queue_timeout_is_busy_not_a_failure():
    backend = HeldModel(n=1)
    model = ResilientChatModel(backend, concurrency=1, queue=2, queue_timeout=0.3)
    holder = threading.Thread(target=_run, args=(model,))
    holder.start()
    assert _wait_until(lambda: model.gate.running == 1)
    with pytest.raises(LLMBusyError, match="đã chờ"):
        _run(model)
    backend.release()
    holder.join(WAIT)
    assert model.breaker.consecutive_failures == 0 and model.gate.running == 0


def test_never_more_than_n_generations_at_once():
    inner = HeldModel(n=3)
    model = ResilientChatModel(inner, concurrency=2, queue=10)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(_run(model))) for _ in range(8)]
    for t in threads:
        t.start()
    assert _wait_until(lambda: inner.active == 2 and model.gate.waiting == 6)  # two generate, six queue
    inner.release(3 * 8)
    for t in threads:
        t.join(WAIT)
    assert inner.max_active == 2 and len(results) == 8


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


def test_closing_the_consumer_stops_the_generation_after_the_piece_in_progress_without_leaking_threads():
    baseline = threading.active_count()
    inner = HeldModel(n=200)
    model = ResilientChatModel(inner)
    gen = model.stream(ASK, max_tokens=256, temperature=0)
    got = []
    for _ in range(3):
        inner.release()  # one piece at a time, so none are merged
        got.append(next(gen))
    assert got == ["chữ0 ", "chữ1 ", "chữ2 "]
    gen.close()  # the worker is now asking the backend for the fourth piece
    inner.release(200)
    assert inner.closed.wait(WAIT), "the backend's generator was never closed"
    assert inner.made == len(got) + 1  # the piece in progress when the consumer left, and not one more
    assert _wait_until(lambda: threading.active_count() <= baseline), "worker thread leaked"
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
    assert _wait_until(lambda: threading.active_count() <= baseline), "the server is still writing to a closed stream"
    assert model.gate.running == 0


class Counted:
    """A ChatModel that passes another one's pieces through and counts them."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.made = 0

    @property
    def id(self) -> str:
        return self.inner.id

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        for piece in self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature):
            self.made += 1
            yield piece


@pytest.mark.slow
@pytest.mark.llm
def test_closing_the_consumer_stops_real_llama_cpp_at_the_next_token(settings: Settings):
    pytest.importorskip("llama_cpp")
    from tutor.llm.gguf import QWEN_05B, assemble
    from tutor.llm.llamacpp import LlamaCppChatModel

    path = assemble(QWEN_05B, settings.models_dir)
    counted = Counted(LlamaCppChatModel(path, n_ctx=1024, threads=2))
    model = ResilientChatModel(counted)
    ask = [Message("user", "Hãy kể một câu chuyện thật dài về con mèo.")]
    baseline = threading.active_count()
    gen = model.stream(ask, max_tokens=300, temperature=0)
    for _ in range(3):
        next(gen)
    gen.close()
    made_at_close = counted.made
    assert _wait_until(lambda: threading.active_count() <= baseline and model.gate.running == 0)
    assert counted.made - made_at_close <= 1, "llama.cpp kept generating after the consumer left"
    assert counted.made < 300
    # The model's lock is free again: a new answer starts at once.
    assert next(model.stream(ask, max_tokens=4, temperature=0))
