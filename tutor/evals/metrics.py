"""Judge-free metrics as small pure functions over Vietnamese tokens: retrieval, coverage, overlap, citations.

Conventions (documented in eval/README.md):
- Every item has a single gold location, so a ranking is judged by its *first* relevant chunk:
  hit@k = 1 if one of the first k chunks matches; reciprocal rank = 1/rank of the first match;
  nDCG@k = 1/log2(1 + rank) of the first match within k (the ideal DCG is 1: one gold target).
- "section" level means the chunk's (lesson, section) equals the gold one; "lesson" level only
  asks for the gold lesson.
- Token overlap (F1, ROUGE-L) takes pre-tokenised input, so it works on NFC syllables and on
  pyvi words alike; no library tokenizer touches the Vietnamese text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from tutor.errors import MissingExtraError
from tutor.text import fold, normalize, sentences, syllables, unify_tones

Location = tuple[str, str]  # (lesson_id, section_id)


# --- Vietnamese units: NFC syllables (primary), pyvi-segmented words (secondary) -------------


def syllable_tokens(text: str) -> list[str]:
    """The primary unit: lower-cased NFC syllables, the same tokens the retriever and guard use."""
    return syllables(normalize(text))


@lru_cache(maxsize=1)
def _pyvi() -> Any:
    # pyvi loads a CRF model at import (about a second); only pay for it when words are asked for.
    try:
        from pyvi import ViTokenizer
    except ImportError as exc:  # serving installs without the `eval` extra
        raise MissingExtraError(exc, "eval", "Tách từ tiếng Việt của bộ đánh giá") from exc

    return ViTokenizer


@lru_cache(maxsize=4096)
def _segment(text: str) -> tuple[str, ...]:
    # pyvi joins the syllables of one word with "_": "công_an". Punctuation comes back as its own token.
    segmented: str = _pyvi().tokenize(text)
    words = []
    for raw in segmented.split():
        word = "_".join(syllables(raw.replace("_", " ")))
        if word:
            words.append(word)
    return tuple(words)


def word_tokens(text: str) -> list[str]:
    """The secondary unit: words segmented by pyvi, lower-cased, syllables joined by "_" ("kể_cả")."""
    cleaned = normalize(text)
    return list(_segment(cleaned)) if cleaned else []


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    if n == 0:
        return False
    first = needle[0]
    return any(haystack[i] == first and list(haystack[i : i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def contains_phrase(text: str, phrase: str, *, folded: bool = False) -> bool:
    """Whether `phrase` appears in `text` as whole syllables, after NFC and lower-casing.

    Whole syllables, not raw substrings: folded "an" must not match inside "toan", and "pin" must
    not match inside "pinterest". With `folded`, both sides lose their diacritics first, so an
    answer typed without accents ("mo cai dat") still matches the wording "mở cài đặt".
    """
    if folded:
        return _contains(syllables(fold(normalize(text))), syllables(fold(normalize(phrase))))
    return _contains(syllable_tokens(text), syllable_tokens(phrase))


def nfc_lower(text: str) -> str:
    """What the must-not check compares: NFC, invisible characters removed, lower-cased."""
    return normalize(text).lower()


def relevance(ranking: Sequence[Location], gold: Location, unit: str) -> list[bool]:
    """Which ranked chunks match the gold: `unit` is "section" (lesson and section) or "lesson"."""
    if unit == "section":
        return [loc == gold for loc in ranking]
    if unit == "lesson":
        return [loc[0] == gold[0] for loc in ranking]
    raise ValueError(f"unit must be 'section' or 'lesson', not {unit!r}")


def first_relevant(flags: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant chunk, or None."""
    return next((i for i, ok in enumerate(flags, start=1) if ok), None)


def hit_at_k(flags: Sequence[bool], k: int) -> float:
    return 1.0 if any(flags[:k]) else 0.0


def reciprocal_rank(flags: Sequence[bool]) -> float:
    rank = first_relevant(flags)
    return 1.0 / rank if rank else 0.0


def ndcg_at_k(flags: Sequence[bool], k: int) -> float:
    rank = first_relevant(flags[:k])
    return 1.0 / math.log2(1 + rank) if rank else 0.0


@dataclass(frozen=True)
class Coverage:
    """Share of key points covered, and which ones (by their `point` text)."""

    score: float
    covered: tuple[str, ...]
    missed: tuple[str, ...]


def coverage(answer: str, key_points: Sequence[tuple[str, Sequence[str]]], *, folded: bool = False) -> Coverage:
    """A key point is covered when any accepted wording appears in the answer as whole syllables.

    NFC and lower case on both sides; with `folded`, diacritics are dropped too, so an answer
    typed without accents still counts. An item with no key points covers everything (1.0).
    """
    covered: list[str] = []
    missed: list[str] = []
    for point, accept in key_points:
        hit = any(contains_phrase(answer, wording, folded=folded) for wording in accept)
        (covered if hit else missed).append(point)
    total = len(covered) + len(missed)
    return Coverage(len(covered) / total if total else 1.0, tuple(covered), tuple(missed))


def must_not_hits(answer: str, must_not: Sequence[str]) -> list[str]:
    """The forbidden phrases found in the answer by plain substring match on NFC lower-case text.

    A substring match is deliberately blunt: it also fires on "đừng <phrase>". The gold phrases
    are written as the dangerous instruction itself ("hãy đọc mã"), so a careful answer never
    contains them even when negated.
    """
    text = nfc_lower(answer)
    return [p for p in must_not if p.strip() and nfc_lower(p) in text]


def token_f1(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """Bag-of-tokens F1 (multiset overlap), as in SQuAD; 0 when either side is empty."""
    if not prediction or not reference:
        return 0.0
    overlap = sum((Counter(prediction) & Counter(reference)).values())
    if overlap == 0:
        return 0.0
    p = overlap / len(prediction)
    r = overlap / len(reference)
    return 2 * p * r / (p + r)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Longest common subsequence by dynamic programming in O(len(a)·len(b)) time, O(len(b)) memory."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            cur[j] = prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1])
        prev = cur
    return prev[-1]


def rouge_l(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F-measure (β = 1) from the LCS of two token sequences."""
    lcs = lcs_length(prediction, reference)
    if lcs == 0:
        return 0.0
    p = lcs / len(prediction)
    r = lcs / len(reference)
    return 2 * p * r / (p + r)


@dataclass(frozen=True)
class Overlap:
    f1_syllable: float
    f1_word: float
    rouge_l_syllable: float
    rouge_l_word: float


def overlap(answer: str, reference: str) -> Overlap:
    """Token F1 and ROUGE-L against the reference answer, in syllables (primary) and pyvi words."""
    a_syl, r_syl = syllable_tokens(answer), syllable_tokens(reference)
    a_word, r_word = word_tokens(answer), word_tokens(reference)
    return Overlap(token_f1(a_syl, r_syl), token_f1(a_word, r_word), rouge_l(a_syl, r_syl), rouge_l(a_word, r_word))


@dataclass(frozen=True)
class CitationScore:
    #: Every cited chunk is one the answer actually retrieved.
    valid: bool
    #: Share of citations pointing at the gold section / lesson (None when nothing is cited).
    precision_section: float | None
    precision_lesson: float | None
    #: 1 when the gold section / lesson is among the citations.
    recall_section: float
    recall_lesson: float


def citation_score(
    cited: Sequence[tuple[str, Location]], retrieved_ids: Collection[str], gold: Location | None
) -> CitationScore:
    """`cited`: (chunk id, (lesson, section)) per citation. Without a gold location only validity is judged."""
    valid = all(cid in retrieved_ids for cid, _ in cited)
    if gold is None or not cited:
        return CitationScore(valid, None, None, 0.0, 0.0)
    sec = [loc == gold for _, loc in cited]
    les = [loc[0] == gold[0] for _, loc in cited]
    return CitationScore(valid, sum(sec) / len(sec), sum(les) / len(les), float(any(sec)), float(any(les)))


@dataclass(frozen=True)
class Readability:
    """Surface features of level adherence: shorter sentences, shorter words, fewer rare syllables at co-ban."""

    words_per_sentence: float
    syllables_per_word: float
    rare_syllable_rate: float


def readability(text: str, common: Collection[str]) -> Readability | None:
    """Features of an answer; `common` is the set of the corpus's most frequent syllables."""
    sents = sentences(text)
    words = [w for s in sents for w in word_tokens(s)]
    syls = syllable_tokens(text)
    if not sents or not words or not syls:
        return None
    # Numbers are neither rare nor common words: "113" or "6 chữ số" should not move the rate.
    lexical = [s for s in syls if not s.isdigit()]
    rare = sum(s not in common for s in lexical) / len(lexical) if lexical else 0.0
    return Readability(len(words) / len(sents), len(syls) / len(words), rare)


def common_syllables(texts: Sequence[str], top_n: int) -> frozenset[str]:
    """The `top_n` most frequent syllables across `texts` (the lesson corpus); ties broken alphabetically."""
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(s for s in syllable_tokens(t) if not s.isdigit())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return frozenset(s for s, _ in ranked[:top_n])


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    # pyvi ships the Vietnamese word list its segmenter was built with (about 31,000 entries, "công an").
    try:
        import pyvi
    except ImportError as exc:
        raise MissingExtraError(exc, "eval", "Từ điển tiếng Việt của bộ đánh giá") from exc

    path = Path(pyvi.__file__).parent / "models" / "words.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    # One tone placement on both sides: the list writes "khoá", answers often "khóa".
    return frozenset("_".join(syllables(unify_tones(line))) for line in lines if line)


def foreign_word_rate(text: str) -> float | None:
    """Share of an answer's words that are not Vietnamese dictionary words: English jargon ("app", "link", "OTP"),
    brand names and typos, which is what Cơ bản learners are told they will not meet ("không dùng từ tiếng Anh").

    Unlike the rare-syllable rate, it does not count everyday Vietnamese words the lessons happen not to use
    (the Cơ bản prompt asks for everyday comparisons, "như chìa khóa nhà"). Numbers are left out.
    """
    words = [w for w in word_tokens(unify_tones(text)) if not w.replace("_", "").isdigit()]
    if not words:
        return None
    known = _dictionary()
    return sum(w not in known for w in words) / len(words)
