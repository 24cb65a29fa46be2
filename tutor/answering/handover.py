"""What a text names as handed over: a one-time code, a password, a card's numbers, an ID card, an account number.

"có người gọi xưng công an đòi mã OTP" and the written question "người gọi xưng công an đòi ảnh căn cước có gửi
không" share six words and differ in the one that matters: the thing asked for. BM25 over written questions cannot
see that, since OTP is in hundreds of them and weighs little. The composer uses these kinds to make a written question
that names only other things count less (`AnswerLibrary.lexical`). Kinds, not words: "mã kích hoạt" and "OTP" are
both one-time codes, "mã PIN" and "mật khẩu" both passwords, so a rule about one answers a question about the other.
"""

from __future__ import annotations

import re

from tutor.text import fold

# Accent-folded; "cccd", "stk" and "pass" are how learners type them.
_KINDS = {
    "code": r"otp|smart ?otp|ma xac (?:thuc|nhan|minh)|ma kich hoat|ma giao dich",
    "password": r"mat khau|mat ma|password|pass|passcode|ma bao ve|ma pin|pin|ma so bi mat|ma bi mat|so bi mat",
    "card": r"so the|cvv|cvc",
    "id": r"can cuoc|cccd|cmnd|chung minh nhan dan|khuon mat",
    "account": r"so tai khoan|stk",
}
_PATTERNS = {kind: re.compile(rf"\b(?:{words})\b") for kind, words in _KINDS.items()}


def handover_kinds(text: str) -> frozenset[str]:
    """The kinds of things `text` names ("code", "password", "card", "id", "account"); empty when it names none."""
    folded = fold(text)
    return frozenset(kind for kind, pattern in _PATTERNS.items() if pattern.search(folded))


def names_only_others(asked: frozenset[str], written: frozenset[str]) -> bool:
    """The question asks about some of these things, and the written text names only other ones."""
    return bool(asked) and bool(written) and not asked & written
