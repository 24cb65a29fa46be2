"""ResilientChatModel: timeouts, bounded concurrency with a small queue, and a circuit breaker around any ChatModel.

Timeouts. The backend's stream runs in a worker thread that feeds a queue; the caller waits on that queue at most
`first_token_timeout` for the first piece, `token_timeout` between pieces and `total_timeout` for the whole answer,
then gets LLMUnavailableError and the tutor answers from the lessons. The first piece has its own bound (by default
the total one) because it includes prompt evaluation: on two CPU cores the embedded model takes under a second with a
warm prompt cache but over 30 s cold on a busy machine, while later tokens come every fraction of a second.

Stopping. Closing the returned iterator (the tutor does it when the guard blocks an answer, the API when the learner
disconnects) sets a stop flag. The worker checks it before asking the backend for each next piece and then closes the
backend's generator, which for llama.cpp ends `create_chat_completion` and frees its lock, and for HTTP backends
closes the response. A thread cannot be interrupted inside a native call or a blocking read, so the bound is: the
worker stops right after the piece it is waiting for — one llama.cpp decoding step (tens of milliseconds for the
0.5B model on two cores; the whole prompt evaluation, about a second, if the first token has not come yet), or the
next streamed piece of an HTTP backend, whose own read timeout caps that wait. The generation slot is released only
when the worker has really finished, so at most `concurrency` generations ever run, abandoned ones included.
"""

from __future__ import annotations

import queue
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

from tutor.errors import LLMBusyError, LLMUnavailableError

__all__ = ["LLMBusyError", "ResilientChatModel", "SlotGate"]
from tutor.llm.breaker import BreakerState, CircuitBreaker
from tutor.protocols import ChatModel
from tutor.types import Message

#: Default concurrent generations: one llama.cpp context decodes one prompt at a time; a server can batch.
DEFAULT_CONCURRENCY = {"llamacpp": 1, "ollama": 4, "openai": 4}


class SlotGate:
    """At most `limit` holders at once and at most `queue` callers waiting for a slot; anyone else is refused."""

    def __init__(self, limit: int, queue: int) -> None:
        if limit < 1 or queue < 0:
            raise ValueError("limit must be at least 1 and queue at least 0")
        self.limit = limit
        self.queue = queue
        self._cond = threading.Condition()
        self._running = 0
        self._waiting = 0

    @property
    def running(self) -> int:
        with self._cond:
            return self._running

    @property
    def waiting(self) -> int:
        with self._cond:
            return self._waiting

    def acquire(self, timeout: float) -> None:
        """Take a slot, waiting in the queue at most `timeout` seconds; LLMBusyError when full or waited too long."""
        with self._cond:
            if self._running < self.limit and self._waiting == 0:
                self._running += 1
                return
            if self._waiting >= self.queue:
                raise LLMBusyError(
                    f"Trợ giảng đang bận trả lời {self._running} người và có {self._waiting} người đang chờ. "
                    "Bạn vui lòng thử lại sau ít phút."
                )
            self._waiting += 1
            try:
                if not self._cond.wait_for(lambda: self._running < self.limit, timeout):
                    raise LLMBusyError(
                        f"Trợ giảng đang bận, bạn đã chờ {timeout:.0f} giây mà chưa tới lượt. Bạn vui lòng thử lại sau."
                    )
                self._running += 1
            finally:
                self._waiting -= 1

    def release(self) -> None:
        with self._cond:
            self._running -= 1
            self._cond.notify()


#: Seconds the process waits at exit for generations to stop: one decoding step, or a prompt still being evaluated.
EXIT_WAIT_S = 30.0


def _stop_all(workers: dict[threading.Thread, threading.Event], lock: threading.Lock, timeout: float) -> bool:
    """Tell every worker to stop after its current piece, then wait for them (at most `timeout` in all)."""
    with lock:
        running = list(workers.items())
    for _, stop in running:
        stop.set()
    deadline = time.monotonic() + timeout
    for thread, _ in running:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread, _ in running)


# What the worker puts on the queue: a piece of text, the normal end, or the backend's exception.
_PIECE, _END, _ERROR = "piece", "end", "error"


class ResilientChatModel:
    """Wraps a ChatModel (itself a ChatModel) with timeouts, a concurrency gate and a circuit breaker.

    `first_token_timeout` (default: `total_timeout`) bounds the wait for the first piece, `token_timeout` the gaps after
    it. `queue_timeout` bounds the wait for a slot (default: `total_timeout`); that wait is not a backend failure, so
    it raises LLMBusyError and does not count towards the breaker. Failures that count: LLMUnavailableError from the
    backend, any other exception it raises, and the two timeouts.
    """

    def __init__(
        self,
        inner: ChatModel,
        *,
        concurrency: int = 1,
        queue: int = 4,
        token_timeout: float = 20.0,
        total_timeout: float = 60.0,
        first_token_timeout: float | None = None,
        queue_timeout: float | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if token_timeout <= 0 or total_timeout <= 0:
            raise ValueError("timeouts must be positive")
        self.inner = inner
        self.gate = SlotGate(concurrency, queue)
        self.token_timeout = token_timeout
        self.total_timeout = total_timeout
        self.first_token_timeout = total_timeout if first_token_timeout is None else first_token_timeout
        self.queue_timeout = total_timeout if queue_timeout is None else queue_timeout
        self.breaker = breaker or CircuitBreaker()
        # Generations still running, abandoned ones included. At exit they are stopped and waited for: a native
        # llama.cpp call still decoding while the interpreter tears down crashed `tutor ask` (exit 139).
        self._workers: dict[threading.Thread, threading.Event] = {}
        self._workers_lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _stop_all, self._workers, self._workers_lock, EXIT_WAIT_S)

    def close(self, timeout: float = EXIT_WAIT_S) -> bool:
        """Stop every generation and wait for their threads; True when none is left running."""
        return _stop_all(self._workers, self._workers_lock, timeout)

    @property
    def id(self) -> str:
        return self.inner.id

    @property
    def state(self) -> BreakerState:
        """The breaker's state, for readiness: closed, open or half-open."""
        return self.breaker.state

    def models(self) -> list[str]:
        """The backend's model list (readiness checks), when the backend offers one."""
        listing = getattr(self.inner, "models", None)
        if listing is None:
            return [self.inner.id]
        return list(listing())

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        """Admission happens on the first `next()`: nothing is reserved for an iterator that is never read."""
        trial = self.breaker.admit()
        try:
            self.gate.acquire(self.queue_timeout)
        except BaseException:
            trial.abandon()
            raise
        out: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=self._pump,
            args=(list(messages), max_tokens, temperature, out, stop),
            name="tutor-llm-worker",
            daemon=True,  # never keeps the process alive; `stop` ends it at the next piece
        )
        try:
            with self._workers_lock:
                self._workers[worker] = stop
            worker.start()
        except BaseException:
            with self._workers_lock:
                self._workers.pop(worker, None)
            self.gate.release()
            trial.abandon()
            raise
        started = time.monotonic()
        first = True
        pending: tuple[str, Any] | None = None  # an end or error that came behind merged pieces
        try:
            while True:
                left = self.total_timeout - (time.monotonic() - started)
                if left <= 0:
                    raise self._timeout(f"quá {self.total_timeout:g} giây cho cả câu trả lời")
                gap = self.first_token_timeout if first else self.token_timeout
                if pending is not None:
                    (kind, value), pending = pending, None
                else:
                    try:
                        kind, value = out.get(timeout=min(gap, left))
                    except queue.Empty:
                        if left <= gap:
                            raise self._timeout(f"quá {self.total_timeout:g} giây cho cả câu trả lời") from None
                        if first:
                            raise self._timeout(f"{gap:g} giây chưa có chữ đầu tiên") from None
                        raise self._timeout(f"{gap:g} giây không có chữ nào mới") from None
                if kind == _PIECE:
                    first = False
                    # Pieces already waiting go out as one: a fast backend (a GPU, the load test's stand-in)
                    # writes faster than the guard and the SSE stream need to look, and each piece costs them
                    # the same CPU whatever its length. A model slower than its reader is unaffected.
                    while pending is None:
                        try:
                            nxt = out.get_nowait()
                        except queue.Empty:
                            break
                        if nxt[0] == _PIECE:
                            value += nxt[1]
                        else:
                            pending = nxt
                    yield value
                elif kind == _END:
                    trial.success()
                    return
                else:
                    raise value
        except GeneratorExit:
            # The consumer closed us at a `yield`, so text did arrive: the backend works.
            trial.success()
            raise
        except BaseException:
            trial.failure()
            raise
        finally:
            stop.set()

    def _timeout(self, what: str) -> LLMUnavailableError:
        return LLMUnavailableError(f"Mô hình trả lời quá chậm ({what}).")

    def _pump(
        self,
        messages: list[Message],
        max_tokens: int,
        temperature: float,
        out: queue.Queue[tuple[str, Any]],
        stop: threading.Event,
    ) -> None:
        """Worker thread: pull pieces until the end, an error or `stop`; always close the backend and free the slot."""
        generation: Iterator[str] | None = None
        try:
            generation = self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature)
            # `stop` is checked before each request for a piece, never after a piece is taken: what was
            # generated is handed over, and nothing more is generated once the consumer has gone.
            while not stop.is_set():
                try:
                    piece = next(generation)
                except StopIteration:
                    out.put((_END, None))
                    return
                out.put((_PIECE, piece))
        except BaseException as exc:  # handed to the consumer thread, which raises it there
            out.put((_ERROR, exc))
        finally:
            try:
                close = getattr(generation, "close", None)
                if close is not None:
                    close()
            except Exception:  # closing a broken backend must not keep the slot taken
                pass
            finally:
                self.gate.release()
                with self._workers_lock:
                    self._workers.pop(threading.current_thread(), None)
