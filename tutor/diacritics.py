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
_SENTENCE_BREAK = re.compile(r"[.!?;:\n]+")
_START = "<s>"
#: A question with at least this share of its words marked was typed with marks: it is left exactly as typed.
#: Every one of 310 well-typed questions (gold set and document set) has at least 0.5; restoring the unmarked
#: words of such questions turned the learner's "tui", "anh", "cho" into "túi", "ảnh", "chỗ" in 9% of them. Below
#: it (a hurried or autocorrected question), the unmarked words get marks (eval/results/diacritics.md).
WELL_TYPED = 0.4


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
    """Give each syllable typed without marks the accented form that best fits its neighbours, by the corpus's
    own word and word-pair counts: a bigram model (interpolated with word frequencies) decoded with Viterbi, so
    "thi lam gi" reads "thì làm gì" because the lessons say "thì làm", not the rarer "thị".

    The embedder loses most of its accuracy on unaccented text (MEASUREMENTS.md: hit@3 0.93 -> 0.33);
    putting the marks back lets such a question take the same path as an accented one. Only syllables
    typed without any mark are rewritten, and only to a form the corpus actually uses. On the questions of the
    gold set and of the document set it restores 85.0% and 93.7% of words exactly as their writers typed them,
    against 83.8% and 91.8% for the longest-n-gram restorer it replaced (eval/results/diacritics.md).
    """

    def __init__(self, texts: Iterable[str], bigram_weight: float = 0.5) -> None:
        self._unigrams: Counter[str] = Counter()
        self._bigrams: Counter[tuple[str, str]] = Counter()
        forms: dict[str, set[str]] = defaultdict(set)
        for text in texts:
            # A sentence break ends the context: "… xong. Thì …" says nothing about "xong thì".
            for sentence in _SENTENCE_BREAK.split(unicodedata.normalize("NFC", text).lower()):
                previous = _START
                self._unigrams[_START] += 1
                for word in _WORD.findall(sentence):
                    self._unigrams[word] += 1
                    self._bigrams[previous, word] += 1
                    forms[fold(word)].add(word)
                    previous = word
        self._forms = {key: tuple(sorted(words)) for key, words in forms.items()}
        self._total = sum(self._unigrams.values())
        self._vocabulary = len(self._unigrams)
        self._weight = bigram_weight

    def _log_p(self, previous: str, word: str) -> float:
        """log P(word | previous): the pair's share interpolated with the word's smoothed frequency."""
        unigram = (self._unigrams[word] + 0.1) / (self._total + 0.1 * self._vocabulary)
        seen = self._unigrams[previous]
        bigram = self._bigrams[previous, word] / seen if seen else 0.0
        return math.log(self._weight * bigram + (1 - self._weight) * unigram)

    def restore_missing(self, text: str) -> str:
        """Marks only where the learner typed none.

        A question typed with marks (at least WELL_TYPED of its words marked) comes back exactly as typed: restoring
        everything from scratch had turned "Đội thủ … thua" into "Đối thủ … thừa". One typed without any gets
        them all. In between, the whole question is read as context (its marked words folded), the marks are
        restored, and every word the learner marked keeps the learner's form (eval/results/diacritics.md).
        """
        if not has_diacritics(text):
            return self.restore(text)
        if marked_share(text) >= WELL_TYPED:
            return text
        restored = self.restore(strip_marks(text))
        typed, fixed = _TOKEN.findall(text), _TOKEN.findall(restored)
        if len(typed) != len(fixed):  # cannot happen (marks never change word boundaries); be safe anyway
            return text
        # A word gets the restored form only if that adds marks: otherwise the learner's spelling and case stay
        # ("DataPilot" does not become "Datapilot").
        pairs = zip(typed, fixed, strict=True)
        return "".join(r if has_diacritics(r) and not has_diacritics(t) else t for t, r in pairs)

    def restore(self, text: str) -> str:
        """Marks for a text typed without any (a text with marks is returned unchanged); unknown words and the
        learner's case are kept."""
        if has_diacritics(text):
            return text
        parts = _TOKEN.findall(text)
        word_pos = [i for i, p in enumerate(parts) if p[0].isalnum() or p[0] == "_"]
        # Viterbi: for each form of the current word, the best-scoring path of forms that ends in it.
        paths: dict[str, tuple[float, tuple[str, ...]]] = {_START: (0.0, ())}
        for pos in word_pos:
            word = parts[pos].lower()
            candidates = self._forms.get(word, (word,))
            step: dict[str, tuple[float, tuple[str, ...]]] = {}
            for form in candidates:
                score, path = max(
                    ((s + self._log_p(prev, form), p) for prev, (s, p) in paths.items()), key=lambda sp: sp[0]
                )
                step[form] = (score, (*path, form))
            paths = step
        _, best = max(paths.values(), key=lambda sp: sp[0])
        for pos, form in zip(word_pos, best, strict=True):
            parts[pos] = _with_case(parts[pos], form)
        return "".join(parts)
