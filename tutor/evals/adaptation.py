"""Adaptation you can measure: the same questions asked at Cơ bản and at Nâng cao, compared pair by pair.

A pair adapts when the Cơ bản answer is shorter (syllables), has shorter sentences (syllables per sentence) and a
lower rare-syllable rate (syllables outside the corpus's 500 most frequent) than the Nâng cao answer to the same
question. Citation marks ("[1]") are not words and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tutor.answering.tutor import Tutor
from tutor.evals.dataset import GoldItem, ItemType
from tutor.evals.metrics import syllable_tokens
from tutor.text import sentences
from tutor.types import Level, Message

#: Questions asked, and the share of pairs that must adapt.
N_QUESTIONS = 40
TARGET = 0.9
_MARKS = re.compile(r"\[\d{1,2}\]")


@dataclass(frozen=True)
class Reading:
    syllables: int
    per_sentence: float
    rare_rate: float

    @classmethod
    def of(cls, text: str, common: frozenset[str]) -> Reading:
        clean = _MARKS.sub(" ", text)
        syls = syllable_tokens(clean)
        sents = [s for s in sentences(clean) if syllable_tokens(s)]
        lexical = [s for s in syls if not s.isdigit()]
        rare = sum(s not in common for s in lexical) / len(lexical) if lexical else 0.0
        return cls(len(syls), len(syls) / max(1, len(sents)), rare)


@dataclass(frozen=True)
class Pair:
    id: str
    question: str
    co_ban: Reading
    nang_cao: Reading
    co_ban_text: str
    nang_cao_text: str

    @property
    def shorter(self) -> bool:
        return self.co_ban.syllables < self.nang_cao.syllables

    @property
    def shorter_sentences(self) -> bool:
        return self.co_ban.per_sentence < self.nang_cao.per_sentence

    @property
    def fewer_rare(self) -> bool:
        return self.co_ban.rare_rate < self.nang_cao.rare_rate

    @property
    def adapts(self) -> bool:
        return self.shorter and self.shorter_sentences and self.fewer_rare


def questions(items: Sequence[GoldItem], n: int = N_QUESTIONS) -> list[GoldItem]:
    """`n` answerable questions, one per lesson while lessons last, how-to and facts first, in file order."""
    answerable = [i for i in items if i.answerable and not i.history]
    ordered = [i for i in answerable if i.type in (ItemType.HOWTO, ItemType.FACT)]
    ordered += [i for i in answerable if i not in ordered]
    chosen: list[GoldItem] = []
    lessons: set[str] = set()
    for item in ordered:
        lesson = item.gold.lesson if item.gold else item.id
        if lesson not in lessons:
            chosen.append(item)
            lessons.add(lesson)
        if len(chosen) == n:
            return chosen
    return chosen + [i for i in ordered if i not in chosen][: n - len(chosen)]


def measure(tutor: Tutor, items: Sequence[GoldItem], common: frozenset[str]) -> list[Pair]:
    pairs = []
    for item in items:
        history = [Message(t.role, t.content) for t in item.history]
        cb = tutor.answer(item.question, Level.CO_BAN, item.group, history).text
        nc = tutor.answer(item.question, Level.NANG_CAO, item.group, history).text
        pairs.append(Pair(item.id, item.question, Reading.of(cb, common), Reading.of(nc, common), cb, nc))
    return pairs


def summary(pairs: Sequence[Pair]) -> dict[str, Any]:
    n = len(pairs) or 1
    return {
        "pairs": len(pairs),
        "adapt": sum(p.adapts for p in pairs) / n,
        "shorter": sum(p.shorter for p in pairs) / n,
        "shorter_sentences": sum(p.shorter_sentences for p in pairs) / n,
        "fewer_rare": sum(p.fewer_rare for p in pairs) / n,
        "target": TARGET,
        "items": [{**asdict(p), "adapts": p.adapts} for p in pairs],
    }
