"""Deterministic checks on a generated answer: dangerous advice, wrong language, and grounding."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tutor.text import fold, folded_syllables, sentences
from tutor.types import Hit

# Secrets a scammer wants, folded (no diacritics) so "mã OTP" and "ma otp" both match.
_SECRET = re.compile(r"\b(otp|mat khau|mat ma|ma pin|pin|so the|cvv|ma xac (thuc|nhan)|passcode|ma bao ve)\b")
_SHARE = re.compile(r"\b(cung cap|doc|gui|dua|chia se|nhap|noi|bao|cho (ho|nguoi|can bo|nhan vien))\b")
_NEGATION = re.compile(r"\b(khong|dung|cam|chang|tuyet doi khong|chua bao gio|never)\b")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    grounded_share: float = 1.0


def unsafe_advice(text: str) -> str | None:
    """The first sentence that tells the learner to hand over a secret, with no negation in it."""
    for sent in sentences(text):
        folded = fold(sent)
        if _SECRET.search(folded) and _SHARE.search(folded) and not _NEGATION.search(folded):
            return sent
    return None


def grounded_share(text: str, hits: Sequence[Hit], min_overlap: float = 0.5) -> float:
    """Share of the answer's sentences whose syllables mostly appear in the retrieved passages."""
    vocab = {t for h in hits for t in folded_syllables(h.chunk.embed_text)}
    checked = supported = 0
    for sent in sentences(text):
        toks = [t for t in folded_syllables(sent) if not t.isdigit()]
        if len(toks) < 4:  # headings, "Bước 1:", a lone question: nothing to check
            continue
        checked += 1
        if sum(t in vocab for t in toks) / len(toks) >= min_overlap:
            supported += 1
    return supported / checked if checked else 0.0


def _bigrams(text: str) -> set[tuple[str, str]]:
    toks = folded_syllables(text)
    return set(itertools.pairwise(toks))


def lesson_content(text: str, hits: Sequence[Hit], question: str) -> int:
    """How many of the answer's syllable pairs come from the passages and not from the question.

    A small model sometimes just repeats the question or the instructions; such a reply overlaps the
    passages only where they share words with the question, so it scores near zero here.
    """
    passage = set().union(*(_bigrams(h.chunk.text) for h in hits)) if hits else set()
    return len((_bigrams(text) & passage) - _bigrams(question))


def check_answer(
    text: str,
    hits: Sequence[Hit],
    question: str = "",
    min_grounded: float = 0.6,
    min_content: int = 4,
    canary: str | None = None,
) -> Verdict:
    if not text.strip():
        return Verdict(False, "empty", 0.0)
    if canary and canary in text:
        return Verdict(False, "canary", 0.0)
    if _CJK.search(text):
        return Verdict(False, "language", 0.0)
    if unsafe_advice(text):
        return Verdict(False, "unsafe-advice", 0.0)
    share = grounded_share(text, hits)
    if share < min_grounded:
        return Verdict(False, "ungrounded", share)
    if lesson_content(text, hits, question) < min_content:
        return Verdict(False, "no-lesson-content", share)
    return Verdict(True, "", share)


# Official domains an answer may link to; any other link is hidden (scammers' links look official too).
ALLOWED_DOMAINS = (
    "gov.vn",
    "chongluadao.vn",
    "canhbao.khonggianmang.vn",
    "vneid.gov.vn",
)
_TLD = "vn|com|net|org|info|xyz|top|io|cc|ly|me|co|biz|site|online|app|link|shop|club|tk|ml|ga|cf|gq|ru|cn"
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]\"']*[^\s<>()\[\]\"'.,;:!?]"
    rf"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLD})\b(?:/[^\s<>()\"']*[^\s<>()\"'.,;:!?])?",
    re.I,
)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>\n]{0,200}>")
HIDDEN_LINK = "[liên kết đã ẩn]"


def _allowed(url: str) -> bool:
    host = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.lower()).split("/")[0].split(":")[0]
    return any(host == d or host.endswith("." + d) for d in ALLOWED_DOMAINS)


def sanitize(text: str) -> str:
    """No raw HTML, no images, and no links except to allow-listed official domains."""
    text = _MD_IMAGE.sub("", text)
    text = _HTML_TAG.sub("", text)
    return _URL.sub(lambda m: m.group(0) if _allowed(m.group(0)) else HIDDEN_LINK, text)


class StreamGuard:
    """Checks the answer as it streams and holds back the last few characters, so that a leaked canary
    or a sentence advising to hand over an OTP is stopped before it reaches the learner's screen."""

    def __init__(self, canary: str) -> None:
        self._canary = canary
        self._text = ""
        self._sent = 0
        self.blocked: str | None = None

    @property
    def text(self) -> str:
        return self._text

    def feed(self, piece: str) -> str:
        """Add a piece; return what may be shown now ("" when blocked or holding back)."""
        if self.blocked:
            return ""
        self._text += piece
        if self._canary and self._canary in self._text:
            self.blocked = "canary"
            return ""
        # Judge complete sentences only: the last one may still turn into "…, đừng đưa cho ai".
        parts = sentences(self._text)
        if any(unsafe_advice(s) for s in parts[:-1]):
            self.blocked = "unsafe-advice"
            return ""
        safe_until = len(self._text) - len(self._canary) - 1
        tail = parts[-1] if parts else ""
        if _SECRET.search(fold(tail)):
            # An unfinished sentence about a secret is shown only once it is judged safe.
            safe_until = min(safe_until, len(self._text) - len(tail) - 1)
        safe_until = max(self._sent, safe_until)
        out, self._sent = self._text[self._sent : safe_until], safe_until
        return out

    def flush(self) -> str:
        """The held-back tail, once the model has finished and the whole text passed the final check."""
        out, self._sent = self._text[self._sent :], len(self._text)
        return out
