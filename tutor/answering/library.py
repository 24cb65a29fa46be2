"""The answer library: every lesson section as lines, the answer spans over them, and the questions spans answer.

A composed answer is made of spans, never of free text: what the learner reads is a vetted lesson's own lines. Each
span knows the chunk it is cited from, so a composed answer cites exactly the sections it shows. Sections that have
no written spans (a trainer's ingested document, a lesson added since) get one span per line, matched by the line's
own words: weaker, but never empty.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np

from tutor.answering.handover import handover_kinds, names_only_others
from tutor.answering.question import Kind, kind_of
from tutor.corpus.answers import AnswerSpan, plain_line, section_lines
from tutor.safety.advice import unsafe_advice
from tutor.safety.injection import screen_text
from tutor.text import fold, lexical_tokens, sentences, syllables
from tutor.types import Chunk, Lesson

#: The order sections are shown in when an answer takes lines from more than one.
SECTION_ORDER = ("co-ban", "trung-cap", "nang-cao", "chuyen-sau", "cac-buoc", "luu-y-an-toan", "tu-kho")
#: A written question that asks for this instead of what the learner asks is a weaker match (`lexical`):
#: "cách phát wifi từ điện thoại" matched "phát wifi từ điện thoại là gì" best, and the answer gave the definition.
_OPPOSITE = {Kind.HOWTO: Kind.WHAT, Kind.WHAT: Kind.HOWTO}


@dataclass(frozen=True)
class Span:
    """An answer span with its text and the chunk it is cited from."""

    lesson_id: str
    section_id: str
    first: int
    last: int
    lines: tuple[str, ...]
    chunk: Chunk
    #: Written for this span; empty for a default one-line span, which is matched by its own text.
    questions: tuple[str, ...]
    #: How hard the span reads, 0 (short sentences, everyday syllables) to 1: see `AnswerLibrary.difficulty`.
    difficulty: float = 0.0

    @property
    def order(self) -> tuple[int, int]:
        """Where the span sits in its lesson: section order, then line."""
        sec = SECTION_ORDER.index(self.section_id) if self.section_id in SECTION_ORDER else len(SECTION_ORDER)
        return sec, self.first

    def overlaps(self, other: Span) -> bool:
        return (
            self.lesson_id == other.lesson_id
            and self.section_id == other.section_id
            and not (self.last < other.first or other.last < self.first)
        )


def common_syllables_of(lines: Sequence[str], top_n: int = 500) -> frozenset[str]:
    """The `top_n` most frequent syllables of the sources (numbers left out)."""
    counts = Counter(t for line in lines for t in syllables(line) if not t.isdigit())
    return frozenset(t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n])


def _chunk_for(line: str, chunks: Sequence[Chunk]) -> Chunk:
    """The chunk of a section that holds a line (its first sentence); the section's first chunk otherwise."""
    first = fold(next(iter(sentences(plain_line(line))), plain_line(line)))
    for chunk in chunks:
        if first and first in fold(chunk.text.replace("**", "").replace("`", "")):
            return chunk
    return chunks[0]


def without_bare_advice(lines: tuple[str, ...]) -> tuple[str, ...]:
    """The span's lines without those at its start that read as advice to hand over a secret.

    A lesson lists how accounts get taken ("Tài khoản bị chiếm bằng cách nào?" then "- Đọc mã xác nhận 'gửi nhầm'
    cho người khác."); quoted under its heading the line is a warning, shown first or alone in an answer it reads
    as advice. A composed answer keeps a span's lines in order and cuts from the end, so a line after the heading
    keeps its heading, and only a span that starts with such a line loses it.
    """
    start = 0
    while start < len(lines) and unsafe_advice(lines[start]) is not None:
        start += 1
    return lines[start:]


class AnswerLibrary:
    """Spans and their question index. Build once per index; read-only afterwards, so threads may share it."""

    def __init__(
        self,
        lessons: Sequence[Lesson],
        chunks: Sequence[Chunk],
        authored: Sequence[AnswerSpan],
        *,
        embed: Callable[[str], np.ndarray] | None = None,
        vectors: np.ndarray | None = None,
    ) -> None:
        by_section: dict[tuple[str, str], list[Chunk]] = {}
        for chunk in chunks:
            by_section.setdefault((chunk.lesson_id, chunk.section_id), []).append(chunk)
        lines: dict[tuple[str, str], list[str]] = {}
        lesson_ids = {lesson.id for lesson in lessons}
        for lesson in lessons:
            for section in lesson.sections:
                if (lesson.id, section.id) in by_section:  # only what the index serves can be cited
                    lines[(lesson.id, section.id)] = section_lines(section.text)
        for key, section_chunks in by_section.items():
            if key not in lines:  # an ingested document: its chunks, a sentence per line
                lines[key] = [s for c in section_chunks for s in c.text.split("\n") if s.strip()]
        # Instructions planted in a text never reach an answer; a trainer's document also loses any sentence that
        # advises handing over a secret (vetted lessons quote scammers on purpose, so only the first rule applies).
        for key, section_lines_ in lines.items():
            vetted = key[0] in lesson_ids
            # Dropped lines stay as "" so that written spans keep pointing at the right lines.
            lines[key] = [screen_text(line, vetted=vetted) for line in section_lines_]
        self._lines = lines
        spans: list[Span] = []
        written: set[tuple[str, str]] = set()
        for a in authored:
            key = (a.lesson_id, a.section_id)
            if key not in lines or a.last >= len(lines[key]):
                continue
            written.add(key)
            text = without_bare_advice(tuple(plain_line(x) for x in lines[key][a.first : a.last + 1] if x))
            if not text:
                continue
            chunk = _chunk_for(lines[key][a.first], by_section[key])
            spans.append(Span(*key, a.first, a.last, text, chunk, a.questions))
        for key, section_text in lines.items():
            if key in written:
                continue
            for i, line in enumerate(section_text):
                if not line or not without_bare_advice((plain_line(line),)):
                    continue
                spans.append(Span(*key, i, i, (plain_line(line),), _chunk_for(line, by_section[key]), ()))
        # Everyday words are the vetted lessons' (written for beginners); a trainer's help pages would shift them,
        # and with them every lesson line's difficulty. A library of documents alone counts its own.
        lesson_lines = [line for key, section in lines.items() if key[0] in lesson_ids for line in section]
        self.common = common_syllables_of(lesson_lines or [line for section in lines.values() for line in section])
        self.spans = [dataclasses.replace(s, difficulty=self.difficulty(s.lines)) for s in spans]
        spans = self.spans
        self._by_lesson: dict[str, list[int]] = {}
        for i, span in enumerate(spans):
            self._by_lesson.setdefault(span.lesson_id, []).append(i)
        self._mean_difficulty = {
            lesson_id: float(np.mean([spans[i].difficulty for i in idx])) for lesson_id, idx in self._by_lesson.items()
        }
        # One entry per question; a span without questions is matched by its own text.
        self._owner: list[int] = []
        texts: list[str] = []
        for i, span in enumerate(spans):
            for question in span.questions or (" ".join(span.lines),):
                self._owner.append(i)
                texts.append(question)
        self.texts = texts
        # What each written question asks for (steps, a definition…); a page's own line asks nothing.
        self._kinds = np.asarray(
            [
                kind_of(t).value if spans[o].questions else Kind.OTHER.value
                for t, o in zip(texts, self._owner, strict=True)
            ]
        )
        # What each written question is about, with its span's lines: a question that says only "mã" about a span
        # whose lines say "mã OTP" is about the code.
        said = [handover_kinds(" ".join(span.lines)) for span in spans]
        self._handover = [handover_kinds(t) | said[o] for t, o in zip(texts, self._owner, strict=True)]
        corpus = [lexical_tokens(t) or ["_"] for t in texts]
        self._vocab = {tok for doc in corpus for tok in doc}
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._owner_arr = np.asarray(self._owner, dtype=np.int64)
        self._embed = embed
        self._vectors = vectors if vectors is not None and len(vectors) == len(texts) else None

    @property
    def dense(self) -> bool:
        """Whether questions are also matched by meaning (the question texts were embedded)."""
        return self._vectors is not None and self._embed is not None

    def difficulty(self, lines: Sequence[str]) -> float:
        """Half from sentence length (25 syllables or more counts fully), half from the share of syllables outside
        the sources' 500 most frequent (20% or more counts fully): what a beginner stumbles on."""
        sents = [s for line in lines for s in sentences(line)]
        syls = [t for line in lines for t in syllables(line) if not t.isdigit()]
        if not sents or not syls:
            return 0.0
        per_sentence = len(syls) / len(sents)
        rare = sum(t not in self.common for t in syls) / len(syls)
        return 0.5 * min(1.0, per_sentence / 25) + 0.5 * min(1.0, rare / 0.2)

    def relative_difficulty(self, i: int) -> float:
        """Span `i`'s difficulty less its lesson's mean: how it reads next to the other lines it could be chosen
        over. A trainer's help page reads harder than a lesson throughout; compared raw, a beginner's answer would
        take any lesson's line over the page's, and an advanced one any page's line over the lesson's."""
        span = self.spans[i]
        return span.difficulty - self._mean_difficulty[span.lesson_id]

    def pieces(self, span: Span, shown: Sequence[Span]) -> list[Span]:
        """The runs of `span`'s lines that `shown` spans of its section do not already show, each as a span of its
        own (same chunk and questions): what the span adds to an answer that holds part of it. Written spans overlap
        on purpose (the steps up to "Chờ máy hiện danh sách tên mạng", then from that line on), so without this the
        second half of a procedure could never join its first."""
        covered = {
            n
            for s in shown
            if (s.lesson_id, s.section_id) == (span.lesson_id, span.section_id)
            for n in range(s.first, s.last + 1)
        }
        section = self._lines.get((span.lesson_id, span.section_id), [])
        runs: list[list[int]] = []
        for n in range(span.first, span.last + 1):
            if n in covered:
                continue
            if runs and runs[-1][-1] == n - 1:
                runs[-1].append(n)
            else:
                runs.append([n])
        out: list[Span] = []
        for run in runs:
            # A piece cut after a heading line may start on a quoted scam line: drop it, as a written span does.
            text = without_bare_advice(tuple(plain_line(section[n]) for n in run if n < len(section) and section[n]))
            # A heading alone ("Lỗi thường gặp:") adds words and says nothing.
            if any(not line.endswith(":") for line in text):
                out.append(dataclasses.replace(span, first=run[0], last=run[-1], lines=text))
        return out

    def spans_of(self, lesson_id: str) -> list[int]:
        return self._by_lesson.get(lesson_id, [])

    def lexical(
        self, query: str, other_handover: float = 0.0, *, kind: Kind = Kind.OTHER, other_kind: float = 0.0
    ) -> np.ndarray:
        """Each span's best BM25 score among its questions, scaled so the best span scores 1. With `other_handover`,
        a question that, with its span's lines, names only other things to hand over than the query does
        (tutor/answering/handover.py) scores that share less. With `other_kind`, so does a question asking for the
        opposite of what `kind` asks: a definition ("…là gì") for a how-to question, steps for a "…là gì"."""
        best = np.zeros(len(self.spans), dtype=np.float32)
        toks = [t for t in lexical_tokens(query) if t in self._vocab]
        if not toks or not self.texts:
            return best
        scores = np.asarray(self._bm25.get_scores(toks), dtype=np.float32)
        asked = handover_kinds(query) if other_handover else frozenset()
        if asked:
            other = np.fromiter((names_only_others(asked, w) for w in self._handover), dtype=bool, count=len(scores))
            scores = np.where(other, scores * (1.0 - other_handover), scores).astype(np.float32)
        if other_kind and kind in _OPPOSITE:
            off = self._kinds == _OPPOSITE[kind].value
            scores = np.where(off, scores * (1.0 - other_kind), scores).astype(np.float32)
        np.maximum.at(best, self._owner_arr, scores)
        top = float(best.max())
        return best / top if top > 0 else best

    def semantic(self, query_vector: np.ndarray) -> np.ndarray:
        """Each span's best cosine between the question and its questions (zeros without vectors)."""
        best = np.zeros(len(self.spans), dtype=np.float32)
        if self._vectors is None:
            return best
        sims = (self._vectors @ query_vector.astype(np.float32)).astype(np.float32)
        best[:] = -1.0
        np.maximum.at(best, self._owner_arr, sims)
        return np.clip(best, 0.0, 1.0)
