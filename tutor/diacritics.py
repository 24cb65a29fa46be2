"""Restore Vietnamese diacritics to a question typed without them, from the corpus's own vocabulary."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from tutor.text import fold, has_diacritics

_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
#: A question with at least this share of its words typed with a mark is taken as typed with marks and left as
#: it is: rewriting it costs well-typed questions (eval/results/diacritics.md).
WELL_TYPED = 0.3


def marked_share(text: str) -> float:
    """Share of the words that carry a Vietnamese mark (0.0 for a question typed without any)."""
    words = _WORD.findall(text)
    return sum(has_diacritics(w) for w in words) / len(words) if words else 0.0


def strip_marks(text: str) -> str:
    """Remove every diacritic but keep the case: what a learner without a Vietnamese keyboard types."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def _with_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class DiacriticRestorer:
    """Segment the question into folded syllable n-grams (n <= max_n) found in the corpus, preferring
    long matches (dynamic programming, so an early long match cannot block a better one), and give each
    its most frequent accented form.

    The embedder loses most of its accuracy on unaccented text (MEASUREMENTS.md: hit@3 0.93 -> 0.33);
    putting the marks back lets such a question take the same path as an accented one. Only syllables
    typed without any mark are rewritten, and only to a form the corpus actually uses.
    """

    def __init__(self, texts: Iterable[str], max_n: int = 3) -> None:
        self.max_n = max_n
        counts: dict[tuple[str, ...], Counter[tuple[str, ...]]] = defaultdict(Counter)
        for text in texts:
            words = re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())
            for n in range(1, max_n + 1):
                for i in range(len(words) - n + 1):
                    gram = tuple(words[i : i + n])
                    counts[tuple(fold(w) for w in gram)][gram] += 1
        self._best = {key: c.most_common(1)[0] for key, c in counts.items()}

    def restore_missing(self, text: str, well_typed: float = WELL_TYPED) -> str:
        """Marks only where the learner typed none.

        A question typed with marks (at least `well_typed` of its words marked) is left exactly as it is: its
        learner chose those marks, and a restorer that rewrote "Đội thủ … thua" as "Đối thủ … thừa" cost
        well-typed questions retrieval accuracy. Otherwise the marks are restored from the corpus, reading the
        whole question (marked words too, folded) as context, and every word the learner did mark keeps the
        learner's form.
        """
        if marked_share(text) >= well_typed:
            return text
        restored = self.restore(strip_marks(text))
        typed, fixed = _TOKEN.findall(text), _TOKEN.findall(restored)
        if len(typed) != len(fixed):  # cannot happen (marks never change word boundaries); be safe anyway
            return restored
        return "".join(t if has_diacritics(t) else r for t, r in zip(typed, fixed, strict=True))

    def restore(self, text: str) -> str:
        if has_diacritics(text):
            return text
        parts = _TOKEN.findall(text)
        word_pos = [i for i, p in enumerate(parts) if p[0].isalnum() or p[0] == "_"]
        words = [parts[i].lower() for i in word_pos]
        # best[i]: (score, segmentation) of words[:i]; a match of n words scores n*n, so long contexts win.
        best: list[tuple[float, list[tuple[int, tuple[str, ...] | None]]]] = [(0.0, [])]
        for i in range(1, len(words) + 1):
            score, seg = best[i - 1]
            candidates = [(score, [*seg, (1, None)])]
            for n in range(1, min(self.max_n, i) + 1):
                found = self._best.get(tuple(words[i - n : i]))
                if found is not None:
                    gram, count = found
                    prev_score, prev_seg = best[i - n]
                    candidates.append((prev_score + n * n + 0.01 * math.log1p(count), [*prev_seg, (n, gram)]))
            best.append(max(candidates, key=lambda c: c[0]))
        start = 0
        for n, restored in best[-1][1]:
            for j, accented in enumerate(restored or ()):
                pos = word_pos[start + j]
                parts[pos] = _with_case(parts[pos], accented)
            start += n
        return "".join(parts)
