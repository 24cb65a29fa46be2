"""Restore Vietnamese diacritics to a question typed without them, from the corpus's own vocabulary."""

from __future__ import annotations

import hashlib
import math
import mmap
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from tutor.text import fold, has_diacritics

Gram = tuple[str, ...]
#: Files of a saved restorer: sorted key hashes, each key's count and form offsets, and the forms' UTF-8 text.
_KEYS, _COUNTS, _OFFSETS, _FORMS = "keys.npy", "counts.npy", "offsets.npy", "forms.txt"

_TOKEN = re.compile(r"\w+|\W+", re.UNICODE)


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


def _key_hash(key: Gram) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(key).encode("utf-8"), digest_size=8).digest(), "little")


class GramTable(Protocol):
    def get(self, key: Gram) -> tuple[Gram, int] | None: ...


class MappedGrams:
    """The restorer's table read in place from its saved files: a worker maps them instead of holding a dict.

    Built from 5000 chunks the dict holds a few hundred thousand n-grams, tens of megabytes in every worker; mapped,
    the page cache holds one copy for all of them. Keys are 64-bit hashes of the folded n-gram, so a lookup costs a
    binary search and the decoding of one form.
    """

    def __init__(self, directory: Path) -> None:
        self._keys = np.load(directory / _KEYS, mmap_mode="r")
        self._counts = np.load(directory / _COUNTS, mmap_mode="r")
        self._offsets = np.load(directory / _OFFSETS, mmap_mode="r")
        with (directory / _FORMS).open("rb") as f:
            size = (directory / _FORMS).stat().st_size
            self._forms: mmap.mmap | bytes = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def get(self, key: Gram) -> tuple[Gram, int] | None:
        if not len(self._keys):
            return None
        wanted = _key_hash(key)
        at = int(np.searchsorted(self._keys, wanted))
        if at >= len(self._keys) or int(self._keys[at]) != wanted:
            return None
        form = self._forms[int(self._offsets[at]) : int(self._offsets[at + 1])].decode("utf-8")
        return tuple(form.split(" ")), int(self._counts[at])


class DiacriticRestorer:
    """Segment the question into folded syllable n-grams (n <= max_n) found in the corpus, preferring
    long matches (dynamic programming, so an early long match cannot block a better one), and give each
    its most frequent accented form.

    The embedder loses most of its accuracy on unaccented text (MEASUREMENTS.md: hit@3 0.93 -> 0.33);
    putting the marks back lets such a question take the same path as an accented one. Only syllables
    typed without any mark are rewritten, and only to a form the corpus actually uses.
    """

    def __init__(self, texts: Iterable[str], max_n: int = 3, *, table: GramTable | None = None) -> None:
        self.max_n = max_n
        if table is not None:
            self._best: GramTable | dict[Gram, tuple[Gram, int]] = table
            return
        counts: dict[Gram, Counter[Gram]] = defaultdict(Counter)
        for text in texts:
            words = re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())
            for n in range(1, max_n + 1):
                for i in range(len(words) - n + 1):
                    gram = tuple(words[i : i + n])
                    counts[tuple(fold(w) for w in gram)][gram] += 1
        self._best = {key: c.most_common(1)[0] for key, c in counts.items()}

    def save(self, directory: Path) -> None:
        """Write the table for MappedGrams (only a restorer built from texts has one to write)."""
        assert isinstance(self._best, dict), "a loaded restorer is saved already"
        rows = sorted((_key_hash(key), " ".join(form), count) for key, (form, count) in self._best.items())
        encoded = [form.encode("utf-8") for _, form, _ in rows]
        offsets = np.zeros(len(rows) + 1, dtype="<u8")
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / _KEYS, np.array([h for h, _, _ in rows], dtype="<u8"))
        np.save(directory / _COUNTS, np.array([c for _, _, c in rows], dtype="<u4"))
        np.save(directory / _OFFSETS, offsets)
        (directory / _FORMS).write_bytes(b"".join(encoded))

    @classmethod
    def load(cls, directory: Path, max_n: int = 3) -> DiacriticRestorer:
        return cls((), max_n, table=MappedGrams(directory))

    @staticmethod
    def saved_in(directory: Path) -> bool:
        return (directory / _KEYS).exists()

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
