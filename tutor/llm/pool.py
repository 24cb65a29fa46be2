"""EndpointPool: several LLM servers (Ollama or OpenAI-compatible) behind one ChatModel, each with its own breaker.

Choice. `least-busy` (the default) takes the server with the fewest answers this worker is streaming from it, ties
broken in turn; `round-robin` takes them in turn. Each worker process keeps its own counts: workers do not coordinate,
and with a handful of servers per worker the counts they see are a fair proxy for the servers' load.

Failover. A server whose breaker is open (it failed `failures` times in a row, less than `cooldown` seconds ago) or
that already streams `per_endpoint` answers for this worker is skipped. A server that fails before the first piece of
text (refused connection, HTTP error, a stream that breaks or stalls before any text) counts a failure on its breaker,
and the same question goes to the next server: nothing was shown, so nothing is repeated. A server that fails after
text was handed on is not replaced by another server, whose answer would start over beside half a sentence: the
pool raises LLMUnavailableError, and the tutor answers from the lessons, whose final `answer` event replaces the
streamed text on the learner's screen. When every server is down or busy, the pool raises LLMUnavailableError at once
and the tutor answers from the lessons as well.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from tutor.errors import ConfigError, LLMUnavailableError
from tutor.llm.breaker import CircuitBreaker, Trial
from tutor.protocols import ChatModel
from tutor.types import Message

POLICIES = ("least-busy", "round-robin")


def split_hosts(value: str, setting: str) -> list[str]:
    """`"http://a:11434, http://b:11434"` → clean URLs without a trailing slash; an empty list is a ConfigError."""
    hosts = [h.strip().rstrip("/") for h in value.split(",") if h.strip()]
    if not hosts:
        raise ConfigError(f"{setting} đang trống. Đặt địa chỉ máy chủ LLM (có thể nhiều, cách nhau dấu phẩy).")
    return hosts


@dataclass
class Endpoint:
    """One server of the pool: its model client, its breaker, and the answers this worker streams from it now."""

    name: str
    model: ChatModel
    breaker: CircuitBreaker
    in_flight: int = field(default=0)


class EndpointPool:
    """A ChatModel over several servers serving the same model; see the module docstring for the policy."""

    def __init__(
        self,
        endpoints: Sequence[tuple[str, ChatModel]],
        *,
        policy: str = "least-busy",
        per_endpoint: int = 4,
        failures: int = 3,
        cooldown: float = 30.0,
    ) -> None:
        if not endpoints:
            raise ConfigError("Nhóm máy chủ LLM đang trống: cần ít nhất một địa chỉ.")
        if policy not in POLICIES:
            raise ConfigError(f"TUTOR_LLM_POOL='{policy}' không có. Chọn một trong: {', '.join(POLICIES)}.")
        if per_endpoint < 1:
            raise ValueError("per_endpoint must be at least 1")
        self.endpoints = [Endpoint(name, model, CircuitBreaker(failures, cooldown)) for name, model in endpoints]
        self.policy = policy
        self.per_endpoint = per_endpoint
        self._lock = threading.Lock()
        self._turn = 0

    @property
    def id(self) -> str:
        return self.endpoints[0].model.id

    def _order(self) -> list[Endpoint]:
        """Every endpoint, in the order this call should try them."""
        with self._lock:
            n = len(self.endpoints)
            start = self._turn % n
            self._turn += 1
            rotated = self.endpoints[start:] + self.endpoints[:start]
            if self.policy == "least-busy":
                rotated.sort(key=lambda e: e.in_flight)  # stable: equal loads keep their turn order
            return rotated

    def _take(self, endpoint: Endpoint) -> Trial | str:
        """Admit one call to `endpoint` (a Trial), or say why it is skipped."""
        try:
            trial = endpoint.breaker.admit()
        except LLMUnavailableError:
            return "tạm ngưng sau nhiều lỗi liền"
        with self._lock:
            if endpoint.in_flight >= self.per_endpoint:
                trial.abandon()
                return f"đang bận ({endpoint.in_flight} câu)"
            endpoint.in_flight += 1
        return trial

    def _release(self, endpoint: Endpoint) -> None:
        with self._lock:
            endpoint.in_flight -= 1

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        skipped: list[str] = []
        for endpoint in self._order():
            taken = self._take(endpoint)
            if isinstance(taken, str):
                skipped.append(f"{endpoint.name}: {taken}")
                continue
            trial, shown = taken, False
            generation: Iterator[str] | None = None
            try:
                generation = endpoint.model.stream(messages, max_tokens=max_tokens, temperature=temperature)
                for piece in generation:
                    if piece:
                        shown = True
                        yield piece
                trial.success()
                return
            except GeneratorExit:
                # The consumer stopped reading: a server that sent text works; one that sent none tells nothing.
                if shown:
                    trial.success()
                else:
                    trial.abandon()
                raise
            except Exception as exc:  # noqa: BLE001 - any failure of one server is that server's failure
                trial.failure()
                if shown:
                    raise LLMUnavailableError(
                        f"Máy chủ LLM {endpoint.name} ngắt giữa câu trả lời ({_reason(exc)}); "
                        "câu trả lời được thay bằng nội dung bài học."
                    ) from exc
                skipped.append(f"{endpoint.name}: {_reason(exc)}")
            finally:
                close = getattr(generation, "close", None)
                if close is not None:
                    with contextlib.suppress(Exception):  # a broken server's stream may fail to close too
                        close()
                self._release(endpoint)
        raise LLMUnavailableError("Không máy chủ LLM nào trả lời được: " + "; ".join(skipped) + ".")

    def models(self) -> list[str]:
        """Model ids from the first server that lists them (readiness checks)."""
        problems: list[str] = []
        for endpoint in self._order():
            listing = getattr(endpoint.model, "models", None)
            if listing is None:
                return [endpoint.model.id]
            try:
                return list(listing())
            except LLMUnavailableError as exc:
                problems.append(str(exc))
        raise LLMUnavailableError(" ".join(problems))

    def close(self) -> None:
        for endpoint in self.endpoints:
            close = getattr(endpoint.model, "close", None)
            if close is not None:
                close()


def _reason(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, LLMUnavailableError) else type(exc).__name__
    return text[:300]
