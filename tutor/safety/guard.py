"""Deterministic checks on a generated answer: dangerous advice, leaked canary, wrong language, grounding, links."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tutor.safety.advice import SECRET as _SECRET
from tutor.safety.advice import unsafe_advice, unsafe_reply
from tutor.safety.injection import CANARY_HOLD, canary_leaked
from tutor.safety.privacy import RULES, redact
from tutor.text import fold, folded_syllables, sentences
from tutor.types import Hit

__all__ = ["StreamGuard", "Verdict", "check_answer", "grounded_share", "sanitize", "unsafe_advice"]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    grounded_share: float = 1.0


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
    if canary and canary_leaked(text, canary):
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
# Scam sites favour cheap TLDs (.vip, .top, .live…); any scheme-prefixed link is caught whatever its TLD.
_TLD = (
    "vn|com|net|org|info|xyz|top|io|cc|ly|me|co|biz|site|online|app|link|shop|club|tk|ml|ga|cf|gq|ru|cn|vip|live"
    "|asia|tv|pro|cloud|icu|win|bid|store|tech|website|space|fun|pw|su|buzz|work|life|today|world|click|page|dev"
)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>()\[\]\"']*[^\s<>()\[\]\"'.,;:!?]"
    rf"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLD})\b(?:/[^\s<>()\"']*[^\s<>()\"'.,;:!?])?",
    re.I,
)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>\n]{0,200}>")
HIDDEN_LINK = "[liên kết đã ẩn]"


def _host(url: str) -> str:
    """The host a browser would open: the authority ends at / ? # or \\ (browsers read it as /), and what comes
    before an @ is a user name, so "evil.xyz#.gov.vn" and "gov.vn@evil.xyz" are both evil.xyz."""
    rest = re.sub(r"^(?:https?://)?", "", url.lower())
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0]
    host = authority.rsplit("@", 1)[-1].split(":")[0].rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _allowed(url: str) -> bool:
    host = _host(url)
    return any(host == d or host.endswith("." + d) for d in ALLOWED_DOMAINS)


def sanitize(text: str) -> str:
    """No raw HTML, no images, and no links except to allow-listed official domains."""
    text = _MD_IMAGE.sub("", text)
    text = _HTML_TAG.sub("", text)
    return _URL.sub(lambda m: m.group(0) if _allowed(m.group(0)) else HIDDEN_LINK, text)


def _replaced_spans(text: str) -> list[tuple[int, int]]:
    """Whole matches that `sanitize` or `redact` would rewrite (keyword and number together, for redaction)."""
    spans = [m.span() for rx in (_MD_IMAGE, _HTML_TAG, _URL) for m in rx.finditer(text)]
    folded = fold(text)
    haystack = folded if len(folded) == len(text) else text.lower()
    spans += [m.span() for rule in RULES for m in rule.pattern.finditer(haystack)]
    return spans


def _alnum_back(text: str, n: int) -> int:
    """The position n letters or digits before the end of `text` (0 if there are fewer)."""
    seen = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i].isalnum():
            seen += 1
            if seen >= n:
                return i
    return 0


#: Characters before the first unshown one that the stream guard looks at again: longer than any link, tag,
#: personal number or encoded canary it must find whole.
_LOOKBACK = 400

# An HTML tag or a Markdown image still open at the end may yet close, and would then be removed.
_OPEN_MARKUP = re.compile(r"<[a-zA-Z/][^>\n]{0,200}$|!\[[^\]\n]*(?:\]\([^)\n]*)?$")


class StreamGuard:
    """Checks the answer as it streams and shows it only as far as it is safe, so that a leaked canary (even
    spaced out or encoded), a sentence advising to hand over an OTP, a scam link or a phone number is stopped
    or hidden before it reaches the learner's screen.

    What is shown is exactly what the final answer will say: each piece is cut where no link, tag or personal
    number straddles the cut, and passed through `sanitize` and `redact` like the final text.
    """

    def __init__(self, canary: str) -> None:
        self._canary = canary
        self._text = ""
        self._sent = 0
        self._open = 0  # where the sentence still being written starts: the ones before it are judged
        self._judged: set[str] = set()  # complete sentences already found safe: each is judged once
        self._last = ""  # the last complete sentence judged: a bare "Có, cứ đọc cho họ." is read with it
        self.blocked: str | None = None

    @property
    def text(self) -> str:
        return self._text

    def feed(self, piece: str) -> str:
        """Add a piece; return what may be shown now ("" when blocked or holding back)."""
        if self.blocked:
            return ""
        self._text += piece
        # Only the text not yet shown, and a margin before it, can hold something new: looking at the whole
        # answer on every token made the guard cost more CPU than serving the request (quadratic in its length).
        start = max(0, self._sent - _LOOKBACK)
        if self._canary and canary_leaked(self._text[start:], self._canary):
            self.blocked = "canary"
            return ""
        # Judge complete sentences only: the last one may still turn into "…, đừng đưa cho ai".
        region = self._text[self._open :]
        parts = sentences(region)
        for sent in parts[:-1]:
            if sent in self._judged:
                continue
            # With the sentence before it: a bare "Có, cứ đọc cho họ." answers the question that named the code.
            if unsafe_reply(self._last, sent):
                self.blocked = "unsafe-advice"
                return ""
            self._judged.add(sent)
            self._last = sent
        if len(parts) > 1:
            self._open += max(0, region.rfind(parts[-1]))
        return self._emit(self._safe_cut(parts[-1] if parts else "", start))

    def _safe_cut(self, tail: str, start: int) -> int:
        text = self._text
        # Enough letters held back that no encoded form of the canary is ever shown in part.
        cut = _alnum_back(text, CANARY_HOLD) if self._canary else len(text)
        if _SECRET.search(fold(tail)):
            # An unfinished sentence about a secret is shown only once it is judged safe.
            cut = min(cut, len(text) - len(tail) - 1)
        cut = max(0, cut)  # before rfind: a negative end would search from the far end of the text
        # Never inside a word: a link or a number may still be growing.
        cut = text.rfind(" ", 0, cut) + 1 if cut < len(text) else cut
        window = text[start:]
        for first, end in _replaced_spans(window):
            if start + first < cut < start + end:
                cut = start + first
        markup = _OPEN_MARKUP.search(window)
        if markup:
            cut = min(cut, start + markup.start())
        return max(self._sent, cut)

    def _emit(self, cut: int) -> str:
        out = redact(sanitize(self._text[self._sent : cut]))
        self._sent = cut
        return out

    def flush(self) -> str:
        """The held-back tail, once the model has finished and the whole text passed the final check."""
        return self._emit(len(self._text))
