"""The composed answer: the lesson lines that answer this question, at the learner's level, in milliseconds.

No model writes anything. The learner's question is matched against the questions each answer span was written for
(lexically, and by meaning when the library has question vectors), within the lessons retrieval found. The best span
is the answer; a second span from the same lesson joins it when it scores almost as well and the level's length
budget allows, so an answer can carry both the steps and the one safety rule. Lines keep the lesson's wording, so
what the learner reads is exactly what trainers vetted, and the citation opens where it came from; the best span
comes first and the others follow in the lesson's order (`answer_order`). When retrieval ranks a trainer's document
first and it answers by itself, the answer comes from that document, joined by the best span of a second document
retrieval could not tell from it. Before any of this, `rerank` lets the same written questions reorder what retrieval
found, so the lesson whose questions sound like the learner's comes first.

Weights were chosen on the first gold set and checked on a blind dev set (eval/tune_composer.py,
eval/results/composer_tuning.md).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tutor.answering.documents import document_answers
from tutor.answering.library import AnswerLibrary, Span
from tutor.answering.question import Kind, content_syllables
from tutor.text import fold, has_diacritics, syllables
from tutor.types import Chunk, Hit, Level

#: The section every lesson closes with: its safety rules ("Lưu ý an toàn").
RULE_SECTION = "luu-y-an-toan"
#: The numbered steps every how-to lesson carries ("Các bước").
STEPS_SECTION = "cac-buoc"
#: The hard words every lesson closes with ("Từ khó"), one "term: meaning" line each.
GLOSSARY_SECTION = "tu-kho"


@dataclass(frozen=True)
class ComposeWeights:
    """Chosen on the first gold set (eval/results/composer_tuning.md); the defaults are the chosen values."""

    #: Share of the meaning match next to the lexical one (used only when the library has question vectors; on the
    #: first gold set it added nothing, so question vectors are off by default).
    dense: float = 0.0
    #: Added when the span is in the section written for the learner's level.
    level: float = 0.2
    #: Times the retrieval score of the span's section (the best chunk scores 1).
    section: float = 0.2
    #: Times the lesson's retrieval score (the best lesson scores 1): keeps the answer in the lesson retrieval
    #: trusts most unless another lesson's span matches the question clearly better.
    lesson: float = 1.0
    #: A further span joins only when its own score reaches this share of the best span's.
    companion: float = 0.2
    #: At Cơ bản, times the span's difficulty (tutor/answering/library.py) taken off: short sentences, everyday words.
    #: The difficulty is measured against the span's own lesson or document (`AnswerLibrary.relative_difficulty`),
    #: so it picks the plainer lines of a source and never a plain lesson over a harder-worded trainer's page.
    plain: float = 1.0
    #: At Nâng cao and Chuyên sâu, times the span's relative difficulty added: the precise terms and the edge cases.
    detail: float = 1.5
    #: Added to a span that continues the best one (the next or previous lines of its section): it usually carries
    #: the rest of the same point.
    adjacent: float = 0.1
    #: Added, for a yes/no question ("có nên…không"), to a span of the lesson's safety-rule section: the learner
    #: asked whether to do something, and the rule is the answer.
    rule: float = 0.2
    #: Added, for a how-to question ("làm sao…", "cách…"), to a span of the lesson's steps section: at Nâng cao the
    #: harder lines of the level's own section (a tip for teaching others, a modem fix) otherwise filled "cách kết nối
    #: wifi" without a single step. 0.1: no pass changes on gold set 1 or gold3, opens on a key point 156 → 156 and
    #: 65 → 67 (eval/results/composer_tuning.md).
    steps: float = 0.1
    #: When a trainer's document answers by itself and another document comes within this much of its retrieval
    #: score (the best hit scores 1) and answers by itself too, retrieval cannot tell the two apart (on document
    #: sets written apart the right page is second for 11-13% of questions): the answer stands on the first and
    #: adds the runner-up's best span. Chosen from 0.05-0.2 on document sets 2 and 3, then measured on set 4
    #: (eval/results/documents_gate.md). 0: never.
    runner_up: float = 0.15
    #: A written span that overlaps one already chosen may still add the lines it does not share
    #: (`AnswerLibrary.pieces`): spans overlap by design, and the Wi-Fi steps stopped at "Chờ máy hiện danh sách tên
    #: mạng" because their second half shares that line. Gold set 1: focused pass 183 → 185 of 285 (−2/+4), gold3
    #: 27 → 27, Cơ bản mean 76.0 → 76.3 syllables (eval/results/composer_tuning.md). False: such spans are skipped.
    pieces: bool = True
    #: A glossary line ("Mạo danh: giả làm người khác") joins an answer only when its term is in the question or
    #: in the lines already chosen: a definition of a word the learner never reads is one more line to get through
    #: (`defines_shown`). Nor does one open a how-to answer. False: glossary lines join and open like any other.
    glossary_in_use: bool = True
    #: A companion whose content syllables are at least this share already in the chosen lines is skipped, and the
    #: budget goes to the next: "Cách kết nối điện thoại vào mạng Wi-Fi ở nhà?" showed the numbered steps, then the
    #: level section's list of the same steps. 0.7: no pass changes on gold set 1 or gold3 (−1/+1 each), 66 answers
    #: change (eval/results/composer_tuning.md). The same switch skips a companion that repeats a shown line word for
    #: word (`Shown.says_again`). Above 1: neither is skipped.
    repeats: float = 0.7
    #: Retrieval's hits are re-ranked by this times the best match between the question and the written questions
    #: of each hit's lesson (`Composer.rerank`): the questions written the way learners ask are a second way to
    #: find the lesson ("bạn tôi nhắn facebook mượn 5 triệu" found the lesson on fake prize links). 0.1: the
    #: answer's first lesson covers the key points for 239 → 251 of 285 items on gold set 1 and 78 → 80 of 115 on
    #: gold3, focused pass 187 → 189 and 31 → 31 (eval/results/retrieval_tuning.md). 0: retrieval's order.
    questions: float = 0.1
    #: How many hits retrieval hands over for that re-ranking, of which the answer keeps its usual few.
    pool: int = 20
    #: Share taken off a written question's match when it and its span name only other things to hand over than
    #: the learner's question ("…đòi ảnh căn cước…" for "…đòi mã OTP"; tutor/answering/handover.py). 0.3: the
    #: product's own example "có người gọi xưng công an đòi mã OTP" opens on "Công an không bao giờ hỏi mã OTP…"
    #: instead of "Không gửi ảnh căn cước…"; no pass changes on gold set 1 or gold3, opens on a key point 157 → 158
    #: and 66 → 66 (eval/results/composer_tuning.md). 0: off.
    other_handover: float = 0.3
    #: Share taken off a written question's match when it asks for the opposite of the learner's question: a
    #: definition ("…là gì") for a how-to ("cách phát wifi từ điện thoại" opened on what a hotspot is and then showed
    #: steps 6-8), or steps for a "…là gì". 0: off.
    other_kind: float = 0.3
    #: For a how-to question, a companion that starts a numbered list in its middle ("6. Trên máy kia…") joins only
    #: after the step before it: the learner would start from step 6 without steps 1-5. The anchor itself may (it
    #: answers the question: "máy kia kết nối vào điểm phát thế nào" is steps 6-8), and so may a list for any other
    #: question (steps 4-5 of how a fake trading floor works answer "sàn đòi đóng thuế 20% để rút, có nên đóng ko").
    #: Either way the steps shown read in their order. False: such companions join like any other.
    whole_steps: bool = True
    #: Longest answer per level, in syllables: Cơ bản short and plain, Nâng cao may carry more detail.
    budget: tuple[tuple[Level, int], ...] = (
        (Level.CO_BAN, 80),
        (Level.TRUNG_CAP, 90),
        (Level.NANG_CAO, 102),
        (Level.CHUYEN_SAU, 102),
    )

    def budget_for(self, level: Level) -> int:
        return dict(self.budget)[level]


@dataclass(frozen=True)
class Composition:
    """The spans an answer shows, in lesson order, and the hit each is cited from."""

    spans: tuple[Span, ...]
    score: float
    #: The question's kind, which decides the lead ("Không." before a rule answering a yes/no question).
    kind: Kind

    @property
    def syllables(self) -> int:
        return sum(len(syllables(line)) for s in self.spans for line in s.lines)


def _adjacent(span: Span, anchor: Span) -> bool:
    """`span` starts right after `anchor` ends, or ends right before it starts, in the same section."""
    if (span.lesson_id, span.section_id) != (anchor.lesson_id, anchor.section_id):
        return False
    return span.first == anchor.last + 1 or span.last == anchor.first - 1


def continues(span: Span, before: Span) -> bool:
    """`span` starts on the line right after `before` ends, in the same section: the rest of its list or point."""
    return (span.lesson_id, span.section_id, span.first) == (before.lesson_id, before.section_id, before.last + 1)


def _count(span: Span) -> int:
    return sum(len(syllables(line)) for line in span.lines)


class Composer:
    def __init__(self, library: AnswerLibrary, weights: ComposeWeights | None = None) -> None:
        self.library = library
        self.weights = weights or ComposeWeights()

    def score(
        self,
        query: str,
        query_vector: np.ndarray | None,
        level: Level,
        hits: Sequence[Hit],
        kind: Kind = Kind.OTHER,
    ) -> list[tuple[float, float, int]]:
        """(score, own score, span index) for every span of the retrieved lessons, best first. The own score leaves
        out the lesson's retrieval score, which all spans of a lesson share: it decides which spans join."""
        w = self.weights
        if not hits:
            return []
        if document_answers(hits[0]):
            # A document's lines are matched by their own words, a lesson's by the questions written for it; the
            # two do not compare, and a lesson's written "làm sao…" outscores the page's line on function words
            # alone. When retrieval puts a trainer's document first and it answers by itself (the gate's test), the
            # answer comes from that document; a weak first document still lets a lesson answer ("dùng chung 1 mk
            # cho tất cả tk" reached a keyboard-shortcut page on "tất cả").
            kept = self.documents(hits)
            hits = [h for h in hits if h.chunk.lesson_id in kept]
        top = hits[0].score or 1.0
        lesson_score: dict[str, float] = {}
        section_score: dict[tuple[str, str], float] = {}
        for hit in hits:
            rel = hit.score / top
            lesson_score[hit.chunk.lesson_id] = max(lesson_score.get(hit.chunk.lesson_id, 0.0), rel)
            key = (hit.chunk.lesson_id, hit.chunk.section_id)
            section_score[key] = max(section_score.get(key, 0.0), rel)
        match = self.library.lexical(query, w.other_handover, kind=kind, other_kind=w.other_kind)
        if query_vector is not None and self.library.dense:
            match = (1 - w.dense) * match + w.dense * self.library.semantic(query_vector)
        scored: list[tuple[float, float, int]] = []
        for lesson_id, rel in lesson_score.items():
            for i in self.library.spans_of(lesson_id):
                span = self.library.spans[i]
                own = float(match[i]) + (w.level if span.section_id == level.value else 0.0)
                own += w.section * section_score.get((lesson_id, span.section_id), 0.0)
                if kind == Kind.YESNO and span.section_id == RULE_SECTION:
                    own += w.rule
                if kind == Kind.HOWTO and span.section_id == STEPS_SECTION:
                    own += w.steps
                if level == Level.CO_BAN:
                    own -= w.plain * self.library.relative_difficulty(i)
                elif level in (Level.NANG_CAO, Level.CHUYEN_SAU):
                    own += w.detail * self.library.relative_difficulty(i)
                scored.append((own + w.lesson * rel, own, i))
        scored.sort(key=lambda s: (-s[0], s[2]))
        return scored

    def rerank(self, query: str, hits: Sequence[Hit], k: int) -> list[Hit]:
        """The `k` best of `hits` once each gains `questions` times the best match between `query` and the written
        questions of its lesson (a trainer's document: its own lines), in that order."""
        if self.weights.questions <= 0 or not hits or document_answers(hits[0]):
            # A trainer's document that answers by itself keeps its place: it has no written questions to match,
            # and the lessons' learner-worded ones would push it down (document sets 2-4 lost 3-4 points of answers
            # holding the gold span when it was re-ranked too).
            return list(hits[:k])
        match = self.library.lexical(query)
        best: dict[str, float] = {}
        for hit in hits:
            lesson = hit.chunk.lesson_id
            if lesson not in best:
                spans = self.library.spans_of(lesson)
                best[lesson] = float(match[spans].max()) if spans else 0.0
        gain = self.weights.questions
        ranked = sorted(hits, key=lambda h: -(h.score + gain * best[h.chunk.lesson_id]))
        return [dataclasses.replace(h, score=h.score + gain * best[h.chunk.lesson_id]) for h in ranked[:k]]

    def documents(self, hits: Sequence[Hit]) -> tuple[str, ...]:
        """The trainer's documents the answer keeps to: none unless the first hit is a document that answers by
        itself; then that one, and a second that also answers and comes within `runner_up` of its score."""
        if not hits or not document_answers(hits[0]):
            return ()
        first = hits[0].chunk.lesson_id
        second = next((h for h in hits if h.chunk.lesson_id != first), None)
        if second is not None and document_answers(second) and hits[0].score - second.score < self.weights.runner_up:
            return first, second.chunk.lesson_id
        return (first,)

    def compose(
        self,
        query: str,
        level: Level,
        hits: Sequence[Hit],
        *,
        kind: Kind = Kind.OTHER,
        query_vector: np.ndarray | None = None,
    ) -> Composition | None:
        """The spans that answer `query`, or None when the retrieved lessons have none."""
        found = self.candidates(query, level, hits, kind=kind, query_vector=query_vector, n=1)
        return found[0] if found else None

    def candidates(
        self,
        query: str,
        level: Level,
        hits: Sequence[Hit],
        *,
        kind: Kind = Kind.OTHER,
        query_vector: np.ndarray | None = None,
        n: int = 4,
    ) -> list[Composition]:
        """Up to `n` compositions, each anchored on one of the best spans (no two anchors overlap), best first."""
        scored = self.score(query, query_vector, level, hits, kind)
        w = self.weights
        kept = self.documents(hits)
        sources = set(kept)
        out: list[Composition] = []
        anchors: list[Span] = []
        for rank, (_value, _own, i) in enumerate(scored):
            if len(out) == n:
                break
            span = self.library.spans[i]
            if any(span.overlaps(a) for a in anchors):
                continue
            if len(kept) > 1 and span.lesson_id != kept[0]:
                # Retrieval ranked the first document higher: the answer stands on it, the runner-up only adds.
                continue
            if (
                w.glossary_in_use
                and kind == Kind.HOWTO
                and span.section_id == GLOSSARY_SECTION
                and rank < len(scored) - 1
            ):
                # A definition never says how: "cách chặn số điện thoại lạ" opened on "Chặn: không cho một số…".
                continue
            anchors.append(span)
            out.append(self._around(query, rank, scored, level, kind, sources))
        return out

    def _around(
        self,
        query: str,
        rank: int,
        scored: Sequence[tuple[float, float, int]],
        level: Level,
        kind: Kind,
        sources: set[str] | frozenset[str] = frozenset(),
    ) -> Composition:
        """The span at `rank`, joined by the spans of its lesson that match almost as well and fit the budget, and
        by the best span of the other document when two are kept (`documents`)."""
        w = self.weights
        budget = w.budget_for(level)
        best_score, best_own, best = scored[rank]
        anchor = self.library.spans[best]
        chosen = [anchor]
        shown = Shown(chosen)
        used = _count(anchor)
        ranked = sorted(
            (
                (own + (w.adjacent if _adjacent(self.library.spans[i], anchor) else 0.0), value, i)
                for value, own, i in scored
            ),
            # The runner-up document's best span is offered first, so the anchor's own companions cannot crowd it out.
            key=lambda r: (self.library.spans[r[2]].lesson_id == anchor.lesson_id, -r[0], r[2]),
        )
        # Only a close runner-up document (`documents`) brings a span of another source, its best one.
        other: set[str] = set()
        for own, value, i in ranked:
            span = self.library.spans[i]
            if i == best or span.lesson_id in other:
                continue
            if span.lesson_id != anchor.lesson_id and not (len(sources) > 1 and span.lesson_id in sources):
                continue
            partner = span.lesson_id != anchor.lesson_id
            # A span scoring above the anchor anchors its own candidate; the runner-up's never does (`candidates`).
            if own < w.companion * best_own or (value > best_score and not partner):
                continue
            if not any(span.overlaps(c) for c in chosen):
                pieces = [span]
            elif w.pieces:
                # Only the lines not shown yet join, and only those count against the budget.
                pieces = self.library.pieces(span, chosen)
            else:
                continue
            if not pieces or any(p.lines in {c.lines for c in chosen} for p in pieces):
                continue  # help pages repeat whole paragraphs
            if used + sum(_count(p) for p in pieces) > budget:
                continue
            if w.glossary_in_use and not defines_shown(span, query, chosen):
                continue
            if w.whole_steps and kind == Kind.HOWTO and any(starts_midway(p, chosen) for p in pieces):
                continue
            if span.questions and (
                shown.repeated(pieces) >= w.repeats or (w.repeats <= 1 and shown.says_again(pieces))
            ):
                # Only a lesson's written spans: a trainer's page is matched line by line, and its lines share their
                # words without repeating each other (document set 2: gold span 0.864 → 0.814 when they counted).
                continue
            chosen.extend(pieces)
            for p in pieces:
                shown.add(p)
            used += sum(_count(p) for p in pieces)
            if partner:
                other.add(span.lesson_id)
        chosen = answer_order(chosen, anchor, whole_list=w.whole_steps)
        if kind == Kind.YESNO and anchor.section_id == RULE_SECTION:
            # "Có nên…không?" best answered by a safety rule: the rule itself goes first, before any rule lines that
            # precede it, so the answer starts with the plain "no" (and its lead word).
            chosen.remove(anchor)
            chosen.insert(0, anchor)
        return Composition(tuple(chosen), best_score, kind)

    def suggestions(self, question: str, hits: Sequence[Hit], n: int = 3, min_match: float = 0.35) -> list[str]:
        """Up to `n` questions that the retrieved lessons answer and that share words with `question`, one per
        lesson: what a refused learner could ask instead. None when nothing shares enough words."""
        match = self.library.lexical(question)
        seen: set[str] = set()
        out: list[str] = []
        lessons = list(dict.fromkeys(h.chunk.lesson_id for h in hits))
        ranked = sorted(
            ((float(match[i]), i) for lesson in lessons for i in self.library.spans_of(lesson)), reverse=True
        )
        for value, i in ranked:
            span = self.library.spans[i]
            if value < min_match or len(out) == n:
                break
            if span.lesson_id in seen or not span.questions:
                continue
            seen.add(span.lesson_id)
            out.append(next((q for q in span.questions if has_diacritics(q)), span.questions[0]))
        return out


#: A numbered step ("3. Chọn Mã PIN"): shown after the steps before it, never ahead of them.
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s")


def answer_order(spans: Sequence[Span], anchor: Span, *, whole_list: bool = False) -> list[Span]:
    """The order an answer shows its spans: the anchor, the span that answers the question, first, so the answer opens
    on what was asked instead of the lesson's background or an analogy. On gold sets 1, 3 and 2 the first sentence
    carries a key point for 54% / 43% / 33% of answers instead of 26% / 32% / 26% in lesson order, and no pass
    changes (eval/results/composer_tuning.md). Lines continuing the anchor in its section follow it at once (the
    rest of its list); the others follow, the anchor's source first, each in its lesson's order. An anchor that is a
    numbered step keeps the steps before and after it in its section in sequence; with `whole_list`, every numbered
    step of that section that is shown, so a first step chosen for its own words never reads after the sixth."""
    block = [anchor]
    numbered = bool(_NUMBERED.match(anchor.lines[0]))
    grew = True
    while grew:
        grew = False
        for span in spans:
            if span in block:
                continue
            # What continues the anchor stays with it (the rest of a list cut by the span boundaries); numbered
            # steps also bring the steps before them, so the sequence reads in order.
            follows = any(continues(span, b) for b in block)
            same_list = (
                whole_list
                and (span.lesson_id, span.section_id) == (anchor.lesson_id, anchor.section_id)
                and _NUMBERED.match(span.lines[0]) is not None
            )
            if follows or (numbered and (same_list or any(_adjacent(span, b) for b in block))):
                block.append(span)
                grew = True
    rest = [s for s in spans if s not in block]
    return sorted(block, key=lambda s: s.order) + sorted(
        rest, key=lambda s: (s.lesson_id != anchor.lesson_id, s.lesson_id, s.order)
    )


def starts_midway(span: Span, shown: Sequence[Span]) -> bool:
    """Whether `span` opens on a numbered step after the first ("6. Trên máy kia…") whose line before is not shown."""
    step = _NUMBERED.match(span.lines[0])
    if step is None or int(step.group(1)) <= 1:
        return False
    return not any(
        (s.lesson_id, s.section_id) == (span.lesson_id, span.section_id) and s.first <= span.first - 1 <= s.last
        for s in shown
    )


class Shown:
    """What an answer shows so far, folded once as it grows rather than again for every span offered to join it."""

    def __init__(self, spans: Sequence[Span] = ()) -> None:
        self.syllables: set[str] = set()
        self.lines: set[str] = set()
        for span in spans:
            self.add(span)

    def add(self, span: Span) -> None:
        self.syllables.update(content_syllables(" ".join(span.lines)))
        self.lines.update(_line_key(line) for line in span.lines)

    def repeated(self, pieces: Sequence[Span]) -> float:
        """The share of the pieces' content syllables (function words left out, accents folded) already shown."""
        mine = set(content_syllables(" ".join(line for p in pieces for line in p.lines)))
        return len(mine & self.syllables) / len(mine) if mine else 1.0

    def says_again(self, pieces: Sequence[Span]) -> bool:
        """Whether one of the pieces' lines is a line already shown, its step number aside: a level section often
        lists the steps of "Các bước" again ("Gạt nút Wi-Fi sang bật."), and one line said twice reads as a mistake."""
        return any(_line_key(line) in self.lines for p in pieces for line in p.lines)


def _line_key(line: str) -> str:
    return " ".join(fold(_NUMBERED.sub("", line)).split()).rstrip(".")


def defines_shown(span: Span, question: str, shown: Sequence[Span]) -> bool:
    """Whether a span may join an answer made of `shown` for `question`: any span that is not a glossary entry; a
    glossary entry only when a term it defines (before its ":"; "Cuộc gọi rác, tin nhắn rác" and "Danh sách không
    quảng cáo (DNC)" name two each) is a whole word of the question or of a shown line, accents folded."""
    if span.section_id != GLOSSARY_SECTION or ":" not in span.lines[0]:
        return True
    head = fold(span.lines[0].split(":", 1)[0])
    terms = [t.strip() for t in re.split(r"[,()]", head) if t.strip()]
    said = fold(" ".join([question, *(line for s in shown for line in s.lines)]))
    return any(re.search(rf"(?<!\w){re.escape(t)}(?!\w)", said) for t in terms)


def cited_hits(composition: Composition, hits: Sequence[Hit]) -> list[Hit]:
    """One hit per cited section, in the order the answer shows them: the retrieved hit when there is one, else the
    span's chunk with no retrieval score (a sibling section of the retrieved lesson)."""
    by_chunk = {h.chunk.id: h for h in hits}
    out: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    for span in composition.spans:
        # One mark per section: a long section split into two chunks is still one place in the lesson.
        if section_key(span.chunk) in seen:
            continue
        seen.add(section_key(span.chunk))
        out.append(by_chunk.get(span.chunk.id) or Hit(chunk=span.chunk, score=0.0))
    return out


def section_key(chunk: Chunk) -> tuple[str, str]:
    """Where a citation opens: the lesson and its section, whichever chunk of the section the lines came from."""
    return chunk.lesson_id, chunk.section_id


def with_budget(weights: ComposeWeights, level: Level, syllables: int) -> ComposeWeights:
    """The same weights with one level's budget changed (tuning and tests)."""
    return dataclasses.replace(weights, budget=tuple((lv, syllables if lv == level else b) for lv, b in weights.budget))
