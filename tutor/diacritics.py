"""Restore Vietnamese diacritics to a question typed without them, from the corpus's own vocabulary."""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from tutor.text import fold, has_diacritics

Pair = tuple[str, str]
#: Files of a saved restorer: per table (words, word pairs, forms by folded word) the sorted 64-bit key hashes and
#: each key's count or form offsets; the forms' UTF-8 text; the totals. An index saved by the earlier longest-n-gram
#: restorer (keys.npy, no restorer.json) is not read: the restorer is then built from the chunks, as for an index
#: saved before restorers were saved at all.
_META = "restorer.json"
_UNI_KEYS, _UNI_COUNTS = "unigram_keys.npy", "unigram_counts.npy"
_BI_KEYS, _BI_COUNTS = "bigram_keys.npy", "bigram_counts.npy"
_CONT_KEYS, _CONT_COUNTS = "continuation_keys.npy", "continuation_counts.npy"
_FORM_KEYS, _FORM_OFFSETS, _FORMS = "form_keys.npy", "form_offsets.npy", "forms.txt"
#: Bumped with the model: a restorer saved by the earlier raw-frequency model is rebuilt from the chunks.
_MODEL = "bigram-viterbi-continuation"

_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_BREAK = re.compile(r"[.!?;:\n]+")
_START = "<s>"
_EMPTY: tuple[str, ...] = ()
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


def _key_hash(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=8).digest(), "little")


class Counts(Protocol):
    """What the restorer reads: word and word-pair counts, how many different words each word follows, and the
    corpus's forms of each folded word."""

    total: int
    vocabulary: int
    #: Distinct word pairs in the corpus: the total of the continuation counts.
    pair_types: int

    def unigram(self, word: str) -> int: ...

    def continuation(self, word: str) -> int: ...

    def bigrams(self, pairs: Sequence[Pair]) -> list[int]: ...

    def forms(self, folded: str) -> tuple[str, ...] | None: ...


class CountTables:
    """The counts in dicts, as built from the corpus (tests, and an index saved without a restorer)."""

    def __init__(self, unigrams: Counter[str], bigrams: Counter[Pair], forms: dict[str, tuple[str, ...]]) -> None:
        self._unigrams, self._bigrams, self._forms = unigrams, bigrams, forms
        self._continuations = Counter(word for _, word in bigrams)
        self.total = sum(unigrams.values())
        self.vocabulary = len(unigrams)
        self.pair_types = len(bigrams)

    def unigram(self, word: str) -> int:
        return self._unigrams.get(word, 0)

    def continuation(self, word: str) -> int:
        return self._continuations.get(word, 0)

    def bigrams(self, pairs: Sequence[Pair]) -> list[int]:
        return [self._bigrams.get(pair, 0) for pair in pairs]

    def forms(self, folded: str) -> tuple[str, ...] | None:
        return self._forms.get(folded)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        _save_counts(
            directory / _UNI_KEYS, directory / _UNI_COUNTS, ((_key_hash(w), n) for w, n in self._unigrams.items())
        )
        _save_counts(
            directory / _BI_KEYS, directory / _BI_COUNTS, ((_key_hash(a, b), n) for (a, b), n in self._bigrams.items())
        )
        continuations = ((_key_hash(w), n) for w, n in self._continuations.items())
        _save_counts(directory / _CONT_KEYS, directory / _CONT_COUNTS, continuations)
        rows = sorted((_key_hash(key), " ".join(words).encode("utf-8")) for key, words in self._forms.items())
        offsets = np.zeros(len(rows) + 1, dtype="<u8")
        np.cumsum([len(text) for _, text in rows], out=offsets[1:])
        np.save(directory / _FORM_KEYS, np.array([h for h, _ in rows], dtype="<u8"))
        np.save(directory / _FORM_OFFSETS, offsets)
        (directory / _FORMS).write_bytes(b"".join(text for _, text in rows))
        # Written last: its presence says the other files are complete.
        meta = {"model": _MODEL, "total": self.total, "vocabulary": self.vocabulary, "pair_types": self.pair_types}
        (directory / _META).write_text(json.dumps(meta), encoding="utf-8")


def _save_counts(keys_file: Path, counts_file: Path, rows: Iterable[tuple[int, int]]) -> None:
    ordered = sorted(rows)
    np.save(keys_file, np.array([h for h, _ in ordered], dtype="<u8"))
    np.save(counts_file, np.array([n for _, n in ordered], dtype="<u4"))


def _find(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of `wanted` hashes in the sorted `keys`, and whether each is there."""
    at = np.searchsorted(keys, wanted)
    inside = at < len(keys)
    found = np.zeros(len(wanted), dtype=bool)
    found[inside] = keys[at[inside]] == wanted[inside]
    return at, found


class MappedCounts:
    """The restorer's counts read in place from its saved files: a worker maps them instead of holding dicts.

    Built from 5000 chunks the dicts hold hundreds of thousands of word pairs, tens of megabytes in every worker;
    mapped, the page cache holds one copy for all of them. Keys are 64-bit hashes, so a lookup costs a binary search
    (one vectorised search for all the word pairs of a Viterbi step).
    """

    def __init__(self, directory: Path) -> None:
        meta = json.loads((directory / _META).read_text(encoding="utf-8"))
        self.total, self.vocabulary = int(meta["total"]), int(meta["vocabulary"])
        self.pair_types = int(meta["pair_types"])
        self._uni_keys = np.load(directory / _UNI_KEYS, mmap_mode="r")
        self._uni_counts = np.load(directory / _UNI_COUNTS, mmap_mode="r")
        self._bi_keys = np.load(directory / _BI_KEYS, mmap_mode="r")
        self._bi_counts = np.load(directory / _BI_COUNTS, mmap_mode="r")
        self._cont_keys = np.load(directory / _CONT_KEYS, mmap_mode="r")
        self._cont_counts = np.load(directory / _CONT_COUNTS, mmap_mode="r")
        self._form_keys = np.load(directory / _FORM_KEYS, mmap_mode="r")
        self._form_offsets = np.load(directory / _FORM_OFFSETS, mmap_mode="r")
        with (directory / _FORMS).open("rb") as f:
            size = (directory / _FORMS).stat().st_size
            self._forms: mmap.mmap | bytes = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def unigram(self, word: str) -> int:
        at, found = _find(self._uni_keys, np.array([_key_hash(word)], dtype="<u8"))
        return int(self._uni_counts[at[0]]) if found[0] else 0

    def continuation(self, word: str) -> int:
        at, found = _find(self._cont_keys, np.array([_key_hash(word)], dtype="<u8"))
        return int(self._cont_counts[at[0]]) if found[0] else 0

    def bigrams(self, pairs: Sequence[Pair]) -> list[int]:
        if not pairs or not len(self._bi_keys):
            return [0] * len(pairs)
        at, found = _find(self._bi_keys, np.array([_key_hash(a, b) for a, b in pairs], dtype="<u8"))
        counts = np.zeros(len(pairs), dtype=np.int64)
        counts[found] = self._bi_counts[at[found]]
        return [int(n) for n in counts]

    def forms(self, folded: str) -> tuple[str, ...] | None:
        at, found = _find(self._form_keys, np.array([_key_hash(folded)], dtype="<u8"))
        if not found[0]:
            return None
        start, end = int(self._form_offsets[at[0]]), int(self._form_offsets[at[0] + 1])
        return tuple(self._forms[start:end].decode("utf-8").split(" "))


class DiacriticRestorer:
    """Give each syllable typed without marks the accented form that best fits its neighbours, by the corpus's
    own word and word-pair counts: a bigram model decoded with Viterbi, so "thi lam gi" reads "thì làm gì"
    because the lessons say "thì làm", not the rarer "thị".

    Where the pair was never seen, a form is weighed by how many different words it follows (Kneser-Ney's
    continuation count), not by how often it occurs: a software manual says "hiển thị" hundreds of times, which
    made "thị" beat "thì" after any unseen word; "thì" follows hundreds of different words. Words restored as typed
    rose from 93.5% to 95.3% (document set) and 86.6% to 87.7% (gold set) (eval/results/diacritics.md).

    The embedder loses most of its accuracy on unaccented text (MEASUREMENTS.md: hit@3 0.93 -> 0.33);
    putting the marks back lets such a question take the same path as an accented one. Only syllables
    typed without any mark are rewritten, and only to a form the corpus actually uses.

    The counts are built from texts, or read in place from an index's saved copy (`load`), so every worker of a
    deployment shares one copy in the page cache.
    """

    def __init__(self, texts: Iterable[str], bigram_weight: float = 0.5, *, counts: Counts | None = None) -> None:
        self._weight = bigram_weight
        if counts is not None:
            self._counts: Counts = counts
            return
        unigrams: Counter[str] = Counter()
        bigrams: Counter[Pair] = Counter()
        forms: dict[str, set[str]] = defaultdict(set)
        for text in texts:
            # A sentence break ends the context: "… xong. Thì …" says nothing about "xong thì".
            for sentence in _SENTENCE_BREAK.split(unicodedata.normalize("NFC", text).lower()):
                previous = _START
                unigrams[_START] += 1
                for word in _WORD.findall(sentence):
                    unigrams[word] += 1
                    bigrams[previous, word] += 1
                    forms[fold(word)].add(word)
                    previous = word
        self._counts = CountTables(unigrams, bigrams, {key: tuple(sorted(words)) for key, words in forms.items()})

    def save(self, directory: Path) -> None:
        """Write the counts for MappedCounts (only a restorer built from texts has them to write)."""
        assert isinstance(self._counts, CountTables), "a loaded restorer is saved already"
        self._counts.save(directory)

    @classmethod
    def load(cls, directory: Path, bigram_weight: float = 0.5) -> DiacriticRestorer:
        return cls((), bigram_weight, counts=MappedCounts(directory))

    @staticmethod
    def saved_in(directory: Path) -> bool:
        try:
            return json.loads((directory / _META).read_text(encoding="utf-8")).get("model") == _MODEL
        except (OSError, ValueError):
            return False

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
        counts = self._counts
        pair_types, vocabulary = counts.pair_types, counts.vocabulary
        unigrams: dict[str, int] = {}

        def unigram(word: str) -> int:
            if word not in unigrams:
                unigrams[word] = counts.unigram(word)
            return unigrams[word]

        # Viterbi: for each form of the current word, the best-scoring path of forms that ends in it.
        paths: dict[str, tuple[float, tuple[str, ...]]] = {_START: (0.0, ())}
        for pos in word_pos:
            word = parts[pos].lower()
            candidates = counts.forms(word) or (word,)
            pairs = [(prev, form) for form in candidates for prev in paths]
            pair_counts = dict(zip(pairs, counts.bigrams(pairs), strict=True))
            step: dict[str, tuple[float, tuple[str, ...]]] = {}
            for form in candidates:
                # log P(form | prev): the pair's share interpolated with the form's smoothed continuation share.
                share = (counts.continuation(form) + 0.1) / (pair_types + 0.1 * vocabulary)
                best_score, best_path = -math.inf, _EMPTY
                for prev, (score, path) in paths.items():
                    seen = unigram(prev)
                    bigram = pair_counts[prev, form] / seen if seen else 0.0
                    candidate = score + math.log(self._weight * bigram + (1 - self._weight) * share)
                    if candidate > best_score:
                        best_score, best_path = candidate, path
                step[form] = (best_score, (*best_path, form))
            paths = step
        _, best = max(paths.values(), key=lambda sp: sp[0])
        for pos, form in zip(word_pos, best, strict=True):
            parts[pos] = _with_case(parts[pos], form)
        return "".join(parts)
