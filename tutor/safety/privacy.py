"""Redact Vietnamese personal data (ID numbers, phones, e-mail, bank accounts, OTP codes) before it is kept or shown."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.text import fold

# Up to three words between a keyword and its number: "số tài khoản của tôi là 0123…".
_NEAR = r"(?:\W+\w+){0,3}?\W*"


@dataclass(frozen=True)
class Rule:
    """`pattern` runs on the accent-folded text, so "mã kích hoạt" and "ma kich hoat" both match; group
    `secret` is the span that is replaced."""

    name: str
    pattern: re.Pattern[str]
    placeholder: str


RULES: tuple[Rule, ...] = (
    # Rules with a keyword come first, so a 12-digit account number is labelled as an account.
    Rule("email", re.compile(r"(?P<secret>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)"), "[đã ẩn email]"),
    # CMND: 9 digits, only next to its keyword (9 digits alone are too common to redact).
    Rule(
        "cmnd",
        re.compile(rf"(?:cmnd|chung minh(?: nhan dan| thu)?){_NEAR}(?P<secret>\d{{9}})(?!\d)"),
        "[đã ẩn số CMND]",
    ),
    Rule(
        "bank_account",
        re.compile(rf"\b(?:stk|so tai khoan|tai khoan|tk|account){_NEAR}(?P<secret>\d(?:[ .-]?\d){{5,18}})(?!\d)"),
        "[đã ẩn số tài khoản]",
    ),
    Rule(
        "otp",
        re.compile(
            rf"\b(?:otp|ma xac thuc|ma xac nhan|ma kich hoat|ma bao ve|passcode){_NEAR}(?P<secret>\d{{4,8}})(?!\d)"
        ),
        "[đã ẩn mã]",
    ),
    # CCCD: 12 digits (province code, century/sex digit, birth year, 6 digits), maybe grouped by spaces.
    Rule("cccd", re.compile(r"(?<!\d)(?P<secret>\d{3}[ .]?\d{3}[ .]?\d{3}[ .]?\d{3})(?!\d)"), "[đã ẩn số định danh]"),
    # Mobile: 0 or +84, then 9 digits starting with 3, 5, 7, 8 or 9.
    Rule(
        "phone",
        re.compile(r"(?<![\d+])(?P<secret>(?:\+84|84|0)[ .-]?[35789](?:[ .-]?\d){8})(?!\d)"),
        "[đã ẩn số điện thoại]",
    ),
)


def _spans(text: str) -> list[tuple[int, int, str]]:
    folded = fold(text)
    # fold() keeps one character per NFC character for Vietnamese; if some exotic character breaks
    # that, match on the original text instead of mapping offsets wrongly.
    haystack = folded if len(folded) == len(text) else text.lower()
    spans: list[tuple[int, int, str]] = []
    for rule in RULES:
        for m in rule.pattern.finditer(haystack):
            start, end = m.span("secret")
            if not any(s < end and start < e for s, e, _ in spans):
                spans.append((start, end, rule.placeholder))
    return spans


def redact(text: str) -> str:
    """Replace every personal-data match with a Vietnamese placeholder; text without any stays identical."""
    for start, end, placeholder in sorted(_spans(text), reverse=True):
        text = text[:start] + placeholder + text[end:]
    return text


def findings(text: str) -> list[str]:
    """Names of the rules that match, for tests and audit logs (never the matched values)."""
    haystack = fold(text)
    return [rule.name for rule in RULES if rule.pattern.search(haystack)]
