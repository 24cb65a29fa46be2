"""Usage counters of this process: questions answered, degraded or replaced answers, refusals, failures."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass

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


class UsageCounter:
    """Counts, never content: anonymous questions are not stored anywhere, only counted here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since = dt.datetime.now(dt.UTC)
        self._n: Counter[str] = Counter()
        self._channel: Counter[str] = Counter()
        self._level: Counter[str] = Counter()
        self._group: Counter[str] = Counter()

    def answered(self, answer: Answer, channel: str) -> None:
        with self._lock:
            self._n["questions"] += 1
            self._n["degraded"] += int(answer.degraded)
            self._n["replaced"] += int(bool(answer.notice) and not answer.degraded)
            self._n["unanswered"] += int(not answer.citations)
            self._channel[channel] += 1
            self._level[answer.level.value] += 1
            self._group[answer.group.value] += 1

    def failed(self) -> None:
        with self._lock:
            self._n["errors"] += 1

    def snapshot(self) -> UsageSnapshot:
        with self._lock:
            n = self._n
            return UsageSnapshot(
                self._since,
                n["questions"],
                n["degraded"],
                n["replaced"],
                n["unanswered"],
                n["errors"],
                dict(self._channel),
                dict(self._level),
                dict(self._group),
            )
