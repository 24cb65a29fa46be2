"""Vietnamese units for scoring: NFC syllables (primary), pyvi-segmented words (secondary), phrase matching."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from tutor.text import fold, normalize, syllables


def syllable_tokens(text: str) -> list[str]:
    """The primary unit: lower-cased NFC syllables, the same tokens the retriever and guard use."""
    return syllables(normalize(text))


@lru_cache(maxsize=1)
def _pyvi() -> Any:
    # pyvi loads a CRF model at import (about a second); only pay for it when words are asked for.
    from pyvi import ViTokenizer

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
