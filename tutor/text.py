"""The one Vietnamese text normaliser: NFC, invisible characters, accent folding, syllables, sentences."""

from __future__ import annotations

import itertools
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


# Old-style tone placement puts the mark on the first vowel of an open "oa", "oe", "uy" syllable
# ("hòa", "thúy"); the new style puts it on the second ("hoà", "thuý"). Both are in use, and NFC
# keeps them apart, so matching rewrites old to new. Works on NFD text: vowel, tone mark, vowel.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_OLD_TONE = re.compile(
    rf"([oO])([{_TONES}])([aAeE])(?![^\W\d_]|[\u0300-\u036f])|([uU])([{_TONES}])([yY])(?![^\W\d_]|[\u0300-\u036f])"
)


def unify_tones(text: str) -> str:
    """Rewrite old-style tone placement to the new style: "hòa" -> "hoà", "thúy" -> "thuý"."""
    nfd = unicodedata.normalize("NFD", text)

    def move(m: re.Match[str]) -> str:
        first, tone, second = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
        return first + second + tone

    return unicodedata.normalize("NFC", _OLD_TONE.sub(move, nfd))


def for_matching(text: str) -> str:
    """What the embedder and the lexical index see: normalised, with one tone placement."""
    return unify_tones(normalize(text))


def _fold_slow(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").replace("đ", "d")


def _fold_table() -> dict[int, str]:
    # NFD decomposes character by character (its reordering only moves marks, which are dropped anyway), so
    # folding each character alone gives the same result as folding the text. Below U+2000 covers Latin
    # (Vietnamese included), Greek, Cyrillic and the combining marks; any other character takes the slow path.
    table = {}
    for cp in range(0x80, 0x2000):
        folded = _fold_slow(chr(cp))
        if folded != chr(cp):
            table[cp] = folded
    return table


_FOLD = _fold_table()
_BEYOND_TABLE = re.compile(r"[^\x00-\u1fff]")


def fold(text: str) -> str:
    """Lower-case and strip every diacritic, so "Kích hoạt mức 2" and "kich hoat muc 2" match.

    A table lookup, not NFD and a Python loop over characters: the stream guard folds the answer as it grows,
    and folding was most of its cost (tests/test_text.py checks both give the same result).
    """
    lowered = text.lower().translate(_FOLD)
    return _fold_slow(lowered) if _BEYOND_TABLE.search(lowered) else lowered


def has_content(text: str) -> bool:
    """True if the text has a letter or a digit: "??", "…" or emoji alone ask nothing."""
    return any(ch.isalnum() for ch in text)


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


def lexical_tokens(text: str) -> list[str]:
    """Folded syllables plus adjacent pairs. Most Vietnamese words are two syllables, so the pairs stand in
    for words ("kich_hoat") without a segmenter; on the gold set this beat pyvi words (eval/results)."""
    syl = folded_syllables(text)
    return syl + [f"{a}_{b}" for a, b in itertools.pairwise(syl)]


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
