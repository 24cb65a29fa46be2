"""Usage counters: questions answered, degraded or replaced answers, refusals, failures (per process or shared)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from tutor.types import Answer


@dataclass(frozen=True)
class UsageSnapshot:
    since: dt.datetime
    questions: int
    degraded: int
    #: Answers the guard rejected and replaced by quoted lessons (not degraded: the LLM did answer).
    replaced: int
    #: Answers with no citation: nothing in the lessons matched (the polite refusal).
    unanswered: int
    errors: int
    by_channel: dict[str, int]
    by_level: dict[str, int]
    by_group: dict[str, int]
    #: Fixed replies instead of an answer, by kind: out_of_scope, manipulation (also counted in `unanswered`).
    by_refusal: dict[str, int]


class Usage(Protocol):
    """What the routes count with: this process's UsageCounter, or one shared by every worker (Redis)."""

    def answered(self, answer: Answer, channel: str) -> None: ...

    def failed(self) -> None: ...

    def snapshot(self) -> UsageSnapshot: ...


def answer_counts(answer: Answer, channel: str) -> dict[str, int]:
    """The counters one answer adds to, as `kind:name` keys (shared by both implementations)."""
    counts = {
        "n:questions": 1,
        "n:degraded": int(answer.degraded),
        "n:replaced": int(bool(answer.notice) and not answer.degraded),
        "n:unanswered": int(not answer.citations),
        f"channel:{channel}": 1,
        f"level:{answer.level.value}": 1,
        f"group:{answer.group.value}": 1,
    }
    if answer.refusal is not None:
        counts[f"refusal:{answer.refusal.kind.value}"] = 1
    return counts


def snapshot_of(since: dt.datetime, counts: dict[str, int]) -> UsageSnapshot:
    def part(kind: str) -> dict[str, int]:
        return {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith(f"{kind}:")}

    n = part("n")
    return UsageSnapshot(
        since,
        n.get("questions", 0),
        n.get("degraded", 0),
        n.get("replaced", 0),
        n.get("unanswered", 0),
        n.get("errors", 0),
        part("channel"),
        part("level"),
        part("group"),
        part("refusal"),
    )


class UsageCounter:
    """Counts, never content: anonymous questions are not stored anywhere, only counted here (this process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since = dt.datetime.now(dt.UTC)
        self._n: Counter[str] = Counter()

    def answered(self, answer: Answer, channel: str) -> None:
        with self._lock:
            self._n.update(answer_counts(answer, channel))

    def failed(self) -> None:
        with self._lock:
            self._n["n:errors"] += 1

    def snapshot(self) -> UsageSnapshot:
        with self._lock:
            return snapshot_of(self._since, dict(self._n))
