"""Quiz-bank versions: the difficulties an applied calibration sets, laid over the bank written in corpus/quiz/."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from tutor.learner.quizbank import QuizItem

#: Version 0 is the bank as written: the experts' difficulties, before any calibration was applied.
WRITTEN = 0


@dataclass(frozen=True)
class BankVersion:
    id: int
    based_on: int
    proposal_sha256: str
    note: str | None
    #: item id -> difficulty (logits) for every item of the bank when the version was applied.
    difficulties: Mapping[str, float] = field(default_factory=dict)
    n_changed: int = 0
    created_at: dt.datetime | None = None


class BankVersions(Protocol):
    """Where applied versions live (tutor.learner.bank_store.QuizBankStore over the learner database)."""

    def current_id(self) -> int:
        """The latest applied version, WRITTEN when none was applied."""
        ...

    def version(self, version_id: int) -> BankVersion: ...


def with_difficulties(bank: Sequence[QuizItem], difficulties: Mapping[str, float]) -> list[QuizItem]:
    """The bank with these difficulties; items the mapping does not know (added since) keep their written one."""
    return [
        replace(item, difficulty=float(difficulties[item.id])) if item.id in difficulties else item for item in bank
    ]


class VersionedBank:
    """The written bank and every version asked for so far, each built once: a placement keeps the version it began
    with, even when an operator applies a new one while it runs."""

    def __init__(self, written: Sequence[QuizItem], versions: BankVersions | None = None) -> None:
        self.written = list(written)
        self._versions = versions
        self._built: dict[int, list[QuizItem]] = {WRITTEN: self.written}
        self._lock = threading.Lock()

    def current_id(self) -> int:
        return self._versions.current_id() if self._versions is not None else WRITTEN

    def get(self, version_id: int) -> list[QuizItem]:
        with self._lock:
            built = self._built.get(version_id)
        if built is not None:
            return built
        if self._versions is None:
            return self.written
        bank = with_difficulties(self.written, self._versions.version(version_id).difficulties)
        with self._lock:
            return self._built.setdefault(version_id, bank)

    def current(self) -> tuple[int, list[QuizItem]]:
        version_id = self.current_id()
        return version_id, self.get(version_id)
