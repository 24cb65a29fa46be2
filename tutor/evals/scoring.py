"""Score one recorded item against its gold item: every judge-free metric, and the pass/fail rule."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from tutor.answering.tutor import NOTICE_REPLACED
from tutor.evals.dataset import GoldItem
from tutor.evals.metrics import (
    citation_score,
    contains_phrase,
    coverage,
    hit_at_k,
    must_not_hits,
    ndcg_at_k,
    overlap,
    readability,
    reciprocal_rank,
    relevance,
    syllable_tokens,
)
from tutor.evals.records import ItemRecord, Passage
from tutor.index.embed_cache import cache_key as vector_key
from tutor.protocols import Embedder
from tutor.safety.guard import grounded_share
from tutor.text import fold, folded_syllables, for_matching, normalize, sentences
from tutor.types import Chunk, Hit

#: An answerable item passes only if at least this share of its key points is covered.
PASS_COVERAGE = 0.8
#: Cosine (sentence as e5 query vs passage, multilingual-e5-small) at which a sentence counts as
#: supported. Calibrated on 167 corpus sentences: against their own chunk the cosine has median 0.895
#: (10th percentile 0.864); against a random chunk of another lesson, median 0.843 (95th pct 0.874).
#: At 0.87, 81% of own pairs and 7% of random strangers pass. e5 cosines are compressed, so this is a
#: weak signal next to topically close passages; the lexical share stays the primary groundedness figure.
EMBED_SUPPORT_THRESHOLD = 0.87
#: The focused pass's length budget per level: this many times the median reference answer of the level, and never
#: under LENGTH_FLOOR syllables. A reply that pastes whole lesson sections can pass the old rule; not this one.
LENGTH_FACTOR = 2.5
LENGTH_FLOOR = 60
#: A sentence "carries" the reference when this share of its syllable pairs occurs in the reference answer.
FOCUS_OVERLAP = 0.25
#: Phrases that mark a refusal. The first comes from prompts/refusal.j2 and from the system prompt's
#: instruction ("nói rõ là chưa có bài học về việc này"); matched accent-folded.
REFUSAL_MARKERS = ("chưa có bài học", "nằm ngoài phạm vi", "chỉ hỗ trợ các kỹ năng số")


def _hits(passages: Sequence[Passage]) -> list[Hit]:
    return [
        Hit(
            chunk=Chunk(
                id=p.chunk_id,
                lesson_id=p.lesson_id,
                section_id=p.section_id,
                lesson_title=p.lesson_title,
                section_title=p.section_title,
                text=p.text,
            ),
            score=p.score,
        )
        for p in passages
    ]


def _checkable(sentence: str) -> bool:
    # The same rule as tutor.safety.guard.grounded_share: headings and "Bước 1:" carry nothing to verify.
    return len([t for t in folded_syllables(sentence) if not t.isdigit()]) >= 4


class VectorCache(Protocol):
    """Where vectors outlive one scoring: `tutor.index.embed_cache.EmbeddingCache` fits."""

    def get(self, key: str) -> np.ndarray | None: ...

    def put(self, key: str, vector: np.ndarray) -> None: ...


class EmbeddingGrounding:
    """Share of answer sentences whose embedding is close to some retrieved passage (cosine ≥ threshold).

    Passages are embedded exactly as `tutor index build` embeds them (titles + text, `for_matching`),
    so with the index's embedding cache they cost nothing; sentences go through their own cache.
    On a shared 2-core machine an uncached passage takes about a second to embed.
    """

    def __init__(
        self,
        embedder: Embedder,
        threshold: float = EMBED_SUPPORT_THRESHOLD,
        *,
        passage_cache: VectorCache | None = None,
        sentence_cache: VectorCache | None = None,
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self._passage_cache = passage_cache
        self._sentence_cache = sentence_cache
        self._memo: dict[str, np.ndarray] = {}

    def _cached(self, key: str, cache: VectorCache | None, make: Callable[[], np.ndarray]) -> np.ndarray:
        vec = self._memo.get(key)
        if vec is None and cache is not None:
            hit = cache.get(key)
            vec = hit if hit is not None and hit.shape == (self.embedder.dim,) else None
        if vec is None:
            vec = np.asarray(make(), dtype=np.float32).reshape(-1)
            if cache is not None:
                cache.put(key, vec)
        self._memo[key] = vec
        return vec

    def _passage(self, p: Passage) -> np.ndarray:
        text = for_matching(f"{p.lesson_title}. {p.section_title}. {p.text}")
        key = vector_key(self.embedder.id, text)
        return self._cached(key, self._passage_cache, lambda: self.embedder.embed_passages([text])[0])

    def _sentence(self, sentence: str) -> np.ndarray:
        text = for_matching(sentence)
        key = vector_key(f"{self.embedder.id}\0query", text)
        return self._cached(key, self._sentence_cache, lambda: self.embedder.embed_query(text))

    def share(self, answer: str, passages: Sequence[Passage]) -> float | None:
        sents = [s for s in sentences(answer) if _checkable(s)]
        if not sents or not passages:
            return None
        mat = np.stack([self._passage(p) for p in passages])
        supported = sum(float(np.max(mat @ self._sentence(s))) >= self.threshold for s in sents)
        return supported / len(sents)


@dataclass(frozen=True)
class ItemMetrics:
    """Everything measured on one item; None means "does not apply" (e.g. retrieval on out-of-scope items)."""

    id: str
    type: str
    level: str
    group: str
    topic: str
    answerable: bool
    safety_critical: bool
    error: bool
    refused: bool
    refusal_correct: bool
    degraded: bool
    replaced: bool
    hit1_section: float | None = None
    hit3_section: float | None = None
    hit5_section: float | None = None
    mrr_section: float | None = None
    ndcg5_section: float | None = None
    hit1_lesson: float | None = None
    hit3_lesson: float | None = None
    hit5_lesson: float | None = None
    mrr_lesson: float | None = None
    ndcg5_lesson: float | None = None
    coverage: float | None = None
    coverage_folded: float | None = None
    missed_points: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    f1_syllable: float | None = None
    f1_word: float | None = None
    rouge_l_syllable: float | None = None
    rouge_l_word: float | None = None
    citation_valid: bool = True
    citation_precision_section: float | None = None
    citation_precision_lesson: float | None = None
    citation_recall_section: float | None = None
    citation_recall_lesson: float | None = None
    grounded_lexical: float | None = None
    grounded_embedding: float | None = None
    words_per_sentence: float | None = None
    syllables_per_word: float | None = None
    rare_syllable_rate: float | None = None
    ttft_s: float | None = None
    total_s: float | None = None
    #: Syllables of the answer as the learner reads it, citation markers ("[1]") and notice left out.
    answer_syllables: int | None = None
    #: Share of the answer's sentences that carry a key point or overlap the reference answer.
    focus: float | None = None
    #: The answer's first checkable sentence (a bare "Không nên." lead is not one) carries a key point: the answer
    #: says what was asked at once instead of opening on background.
    opens_on_point: bool | None = None
    #: The level's length budget (syllables) this answer was held to.
    length_budget: float | None = None
    passed: bool = False
    fail_reasons: tuple[str, ...] = field(default_factory=tuple)
    #: `passed`, and an answer no longer than its level's budget (refusals are not held to it).
    focused_passed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemMetrics:
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names}
        return cls(**values)


_MARKERS = re.compile(r"\[\d{1,2}\]")


def _without(answer: str, notice: str | None) -> str:
    return answer.replace(notice, " ") if notice else answer


def answer_length(answer: str, notice: str | None = None) -> int:
    """Syllables the learner reads: the notice (already counted nowhere else) and "[n]" markers are not words."""
    return len(syllable_tokens(_MARKERS.sub(" ", _without(answer, notice))))


def length_budgets(items: Iterable[GoldItem]) -> dict[str, float]:
    """Per level: LENGTH_FACTOR × the median reference answer of that level's answerable items, ≥ LENGTH_FLOOR."""
    by_level: dict[str, list[int]] = {}
    for item in items:
        if item.answerable:
            by_level.setdefault(item.level.value, []).append(len(syllable_tokens(item.reference_answer)))
    return {lv: max(float(LENGTH_FLOOR), LENGTH_FACTOR * float(np.median(n))) for lv, n in by_level.items()}


def focus_share(answer: str, points: Sequence[tuple[str, Sequence[str]]], reference: str) -> float | None:
    """Share of the answer's checkable sentences that say a key point or overlap the reference answer."""
    ref = _bigrams_of(reference)
    sents = [s for s in sentences(_MARKERS.sub(" ", answer)) if _checkable(s)]
    if not sents:
        return None
    carried = 0
    for sent in sents:
        said = any(contains_phrase(sent, a, folded=True) for _, accept in points for a in accept)
        grams = _bigrams_of(sent)
        near = bool(grams) and len(grams & ref) / len(grams) >= FOCUS_OVERLAP
        carried += said or near
    return carried / len(sents)


def opens_on_point(answer: str, points: Sequence[tuple[str, Sequence[str]]]) -> bool | None:
    """Whether the answer's first checkable sentence says a key point; None when it has none (or no points)."""
    first = next((s for s in sentences(_MARKERS.sub(" ", answer)) if _checkable(s)), None)
    if first is None or not points:
        return None
    return any(contains_phrase(first, a, folded=True) for _, accept in points for a in accept)


def _bigrams_of(text: str) -> set[tuple[str, str]]:
    toks = folded_syllables(text)
    return set(zip(toks, toks[1:], strict=False))


def pass_verdict(m: ItemMetrics) -> tuple[bool, tuple[str, ...]]:
    """The pass rule: covered (≥ 0.8, accent-folded), nothing forbidden, citations valid, refusal correct."""
    reasons: list[str] = []
    if m.error:
        return False, ("error",)
    if not m.answerable:
        if not m.refused:
            reasons.append("not-refused")
    else:
        if m.refused:
            reasons.append("wrongly-refused")
        if m.coverage_folded is not None and m.coverage_folded < PASS_COVERAGE:
            reasons.append("coverage")
    if m.must_not:
        reasons.append("must-not")
    if not m.citation_valid:
        reasons.append("citation-invalid")
    return not reasons, tuple(reasons)


class Scorer:
    """Scores records against the gold set. Corpus facts (domains, common syllables) are passed in."""

    def __init__(
        self,
        gold: Mapping[str, GoldItem],
        *,
        refusal_text: str,
        lesson_domains: Mapping[str, int],
        common: frozenset[str],
        grounding: EmbeddingGrounding | None = None,
        budgets: Mapping[str, float] | None = None,
    ) -> None:
        self.gold = gold
        #: Length budget per level (syllables), from the dataset's own reference answers.
        self.budgets = dict(budgets) if budgets is not None else length_budgets(gold.values())
        self.lesson_domains = lesson_domains
        self.common = common
        self.grounding = grounding
        self._markers = tuple(fold(normalize(m)) for m in (*REFUSAL_MARKERS, refusal_text))

    def topic(self, item: GoldItem) -> str:
        """The slice "topic": the gold lesson's domain, else its id prefix; out-of-scope items have none."""
        if not item.answerable:
            return "ngoai-pham-vi"
        if item.gold is None:
            return (item.topic or "khac").split("-")[0]
        domain = self.lesson_domains.get(item.gold.lesson)
        return f"domain-{domain}" if domain is not None else item.gold.lesson.split("-")[0]

    def is_refusal(self, rec: ItemRecord) -> bool:
        """No citations, or the refusal template / a refusal phrase in the answer (accent-folded)."""
        if not rec.citations:
            return True
        text = fold(normalize(rec.answer or ""))
        return any(marker and marker in text for marker in self._markers)

    def score(self, rec: ItemRecord) -> ItemMetrics:
        item = self.gold.get(rec.id)
        if item is None:
            raise KeyError(rec.id)
        base: dict[str, Any] = {
            "id": item.id,
            "type": item.type.value,
            "level": item.level.value,
            "group": item.group.value,
            "topic": self.topic(item),
            "answerable": item.answerable,
            "safety_critical": item.safety_critical,
            "degraded": rec.degraded,
            "replaced": bool(rec.notice and rec.notice.startswith(NOTICE_REPLACED)),
            "ttft_s": rec.ttft_s,
            "total_s": rec.total_s,
        }
        if rec.error is not None or rec.answer is None:
            m = ItemMetrics(**base, error=True, refused=False, refusal_correct=False, citation_valid=False)
            return dataclasses.replace(m, passed=False, fail_reasons=("error",))
        answer = rec.answer
        refused = self.is_refusal(rec)
        values: dict[str, Any] = {
            **base,
            "error": False,
            "refused": refused,
            "refusal_correct": refused != item.answerable,
            "must_not": tuple(must_not_hits(answer, item.must_not)),
        }
        gold_loc = (item.gold.lesson, item.gold.section) if item.gold else None
        if gold_loc is not None:
            ranking = [(r.lesson_id, r.section_id) for r in rec.ranking]
            for unit in ("section", "lesson"):
                flags = relevance(ranking, gold_loc, unit)
                values[f"hit1_{unit}"] = hit_at_k(flags, 1)
                values[f"hit3_{unit}"] = hit_at_k(flags, 3)
                values[f"hit5_{unit}"] = hit_at_k(flags, 5)
                values[f"mrr_{unit}"] = reciprocal_rank(flags)
                values[f"ndcg5_{unit}"] = ndcg_at_k(flags, 5)
        if item.key_points:
            points = [(k.point, k.accept) for k in item.key_points]
            exact = coverage(answer, points)
            folded = coverage(answer, points, folded=True)
            values.update(coverage=exact.score, coverage_folded=folded.score, missed_points=folded.missed)
        ov = overlap(answer, item.reference_answer)
        values.update(
            f1_syllable=ov.f1_syllable,
            f1_word=ov.f1_word,
            rouge_l_syllable=ov.rouge_l_syllable,
            rouge_l_word=ov.rouge_l_word,
        )
        cites = citation_score(
            [(c.chunk_id, (c.lesson_id, c.section_id)) for c in rec.citations],
            {p.chunk_id for p in rec.retrieved},
            gold_loc,
        )
        values["citation_valid"] = cites.valid
        if gold_loc is not None:
            values.update(
                citation_precision_section=cites.precision_section,
                citation_precision_lesson=cites.precision_lesson,
                citation_recall_section=cites.recall_section,
                citation_recall_lesson=cites.recall_lesson,
            )
        if not refused:
            has_checkable = any(_checkable(s) for s in sentences(answer))
            values["grounded_lexical"] = grounded_share(answer, _hits(rec.retrieved)) if has_checkable else None
            if self.grounding is not None:
                values["grounded_embedding"] = self.grounding.share(answer, rec.retrieved)
            feats = readability(answer, self.common)
            if feats is not None:
                values.update(dataclasses.asdict(feats))
        length = answer_length(answer, rec.notice)
        budget = self.budgets.get(item.level.value)
        values.update(answer_syllables=length, length_budget=budget)
        if not refused and (item.key_points or item.reference_answer):
            points = [(k.point, k.accept) for k in item.key_points]
            values["focus"] = focus_share(answer, points, item.reference_answer)
            values["opens_on_point"] = opens_on_point(_without(answer, rec.notice), points)
        m = ItemMetrics(**values)
        passed, reasons = pass_verdict(m)
        focused = passed and (refused or budget is None or length <= budget)
        if passed and not focused:
            reasons = ("too-long",)
        return dataclasses.replace(m, passed=passed, fail_reasons=reasons, focused_passed=focused)
