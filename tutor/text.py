"""The one Vietnamese text normaliser: NFC, invisible characters, accent folding, syllables, sentences."""

from __future__ import annotations

import re
import unicodedata

# Zero-width, bidi and other format characters that hide in copy-pasted text and break matching.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
# C0/C1 controls except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_WORD = re.compile(r"\w+", re.UNICODE)
_DIACRITIC_CHARS = set("đĐ")


def normalize(text: str) -> str:
    """NFC, drop invisible and control characters, collapse runs of spaces; keeps newlines."""
    text = _SURROGATE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SPACES.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def fold(text: str) -> str:
    """Lower-case and strip every diacritic, so "Kích hoạt mức 2" and "kich hoat muc 2" match."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.replace("đ", "d")


def has_diacritics(text: str) -> bool:
    """True if any letter carries a Vietnamese mark; learners who type without them need the lexical path."""
    return any(unicodedata.category(ch) == "Mn" or ch in _DIACRITIC_CHARS for ch in unicodedata.normalize("NFD", text))


_INNER_HYPHEN = re.compile(r"(?<=\w)[-‐‑](?=\w)")


def syllables(text: str) -> list[str]:
    """Whitespace-and-punctuation tokens, lower-cased: in Vietnamese these are syllables, not words.

    Hyphens inside a word are dropped first, so "Wi-Fi" and "wifi" are the same token.
    """
    return _WORD.findall(_INNER_HYPHEN.sub("", unicodedata.normalize("NFC", text).lower()))


def folded_syllables(text: str) -> list[str]:
    return syllables(fold(text))


def slugify(text: str) -> str:
    """ASCII kebab-case id from a Vietnamese heading: "Lưu ý an toàn" -> "luu-y-an-toan"."""
    return "-".join(folded_syllables(text))


# Candidate sentence ends: . ! ? … then spaces; a line break always ends a sentence.
_END_CANDIDATE = re.compile(r"(?<=[.!?…])\s+")
_LIST_MARK = re.compile(r"^(?:[-*•]\s*)?(?:\d{1,3}|[a-zA-Z])[.)]?$")
_OPENERS = "\"'“‘([«-–•*"


def sentences(text: str) -> list[str]:
    """Split Vietnamese text into sentences; lines (list items) count as sentences of their own.

    A stop only ends a sentence when the next word starts with a capital letter, so "v.v. là"
    and "mức 2. sau" stay whole.
    """
    out: list[str] = []
    for line in text.split("\n"):
        start = 0
        for m in _END_CANDIDATE.finditer(line):
            nxt = line[m.end() : m.end() + 2].lstrip(_OPENERS)[:1]
            # "1. Mở ứng dụng": a list number is not a sentence of its own.
            if nxt.isupper() and not _LIST_MARK.match(line[start : m.start()].strip()):
                out.append(line[start : m.start()])
                start = m.end()
        out.append(line[start:])
    return [s.strip() for s in out if s.strip()]
