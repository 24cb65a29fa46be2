"""A circuit breaker for the chat model: after repeated failures, fail fast for a while instead of waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

from tutor.errors import LLMUnavailableError


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class Trial:
    """One admitted call. Exactly one of `success`, `failure` or `abandon` counts; later calls are ignored."""

    __slots__ = ("_breaker", "_done", "_probe")

    def __init__(self, breaker: CircuitBreaker, probe: bool) -> None:
        self._breaker = breaker
        self._probe = probe
        self._done = False

    def success(self) -> None:
        self._finish("success")

    def failure(self) -> None:
        self._finish("failure")

    def abandon(self) -> None:
        """The call ended without telling whether the model works (the learner left, the queue was full)."""
        self._finish("abandon")

    def _finish(self, outcome: str) -> None:
        if not self._done:
            self._done = True
            self._breaker._record(outcome, self._probe)


class CircuitBreaker:
    """closed → (`failures` consecutive failures) → open → (`cooldown` s) → half-open → one probe call.

    While open, `admit` raises LLMUnavailableError at once, so no request reaches the backend and the tutor
    answers from the lessons without waiting for a timeout. In half-open exactly one probe is let through; its
    success closes the breaker, its failure opens it for another cooldown, and other calls fail fast meanwhile.
    """

    def __init__(self, failures: int = 3, cooldown: float = 30.0, *, clock: Callable[[], float] = time.monotonic):
        if failures < 1:
            raise ValueError("failures must be at least 1")
        if cooldown < 0:
            raise ValueError("cooldown must not be negative")
        self.failures = failures
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """For readiness checks: "open" means answers are degraded until `retry_after` seconds have passed."""
        with self._lock:
            return self._state()

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._consecutive

    @property
    def retry_after(self) -> float:
        """Seconds until a probe will be let through (0 unless open)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self._opened_at + self.cooldown - self._clock())

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self.cooldown:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    def admit(self) -> Trial:
        """A Trial for one call, or LLMUnavailableError when the breaker is open (or a probe is already out)."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return Trial(self, probe=False)
            if state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True
                return Trial(self, probe=True)
            wait = max(1, round(self._opened_at + self.cooldown - self._clock())) if self._opened_at else 1
        raise LLMUnavailableError(
            f"Mô hình trả lời vừa lỗi {self.failures} lần liền nên tạm ngưng gọi; sẽ thử lại sau khoảng {wait} giây."
        )

    def _record(self, outcome: str, probe: bool) -> None:
        with self._lock:
            if probe:
                self._probing = False
            if outcome == "success":
                self._consecutive = 0
                self._opened_at = None
            elif outcome == "failure":
                self._consecutive += 1
                # A failed probe re-opens at once; in closed state it takes `failures` in a row.
                if probe or self._consecutive >= self.failures:
                    self._opened_at = self._clock()
