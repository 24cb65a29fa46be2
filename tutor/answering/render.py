"""The composed answer as the learner reads it: a plain lead where it helps, the lesson's lines, citation marks."""

from __future__ import annotations

import re
from collections.abc import Sequence

from tutor.answering.compose import Composition, continues, section_key
from tutor.answering.question import Kind, content_syllables
from tutor.text import fold, sentences, syllables
from tutor.types import Hit

# A yes/no question whose plain answer is "no" when the lesson's line is a prohibition: "có nên đọc mã cho họ không?"
# → "Không nên." Only these forms: for "có sao không?" ("is it a problem?") a bare "Không." would say the opposite
# of the rule, so such questions get the rule itself first and no lead word.
_LEADS = (
    (re.compile(r"\b(?:co nen|nen)\b.*\b(?:khong|ko|k|hong)\b|\bnen khong\b"), "Không nên."),
    (re.compile(r"\b(?:duoc khong|dc ko|dc khong|duoc ko|co duoc)\b"), "Không nên."),
    (re.compile(r"\b(?:co an toan|an toan khong|an toan ko)\b"), "Không an toàn."),
)
#: How a rule forbids, accents folded: the line's first words.
_RULE_HEADS = ("khong", "dung", "tuyet doi khong", "chang", "cho", "cam")
_PROHIBITION = re.compile(rf"^(?:{'|'.join(_RULE_HEADS)})\b")
# "Không thấy…", "Không cần…", "Không phải ai cũng…" state a fact or a condition; they forbid nothing.
_NOT_A_RULE = re.compile(r"^khong (?:thay|co|biet|can|phai|nho)\b")
#: The syllables of those heads, which say nothing about what the rule is about.
_RULE_WORDS = frozenset(" ".join(_RULE_HEADS).split())
#: A numbered step of a lesson's "Các bước" ("7. Liên kết với tài khoản ngân hàng…").
_STEP = re.compile(r"^(\d+)[.)]\s+")


def lead_for(question: str, kind: Kind, first_line: str) -> str | None:
    """The one-word answer to put first, or None. Only for a yes/no question answered by a prohibition."""
    line = fold(first_line).lstrip("- *0123456789.)")
    if kind != Kind.YESNO or not _PROHIBITION.match(line) or _NOT_A_RULE.match(line):
        return None
    # A rule that shares no word with the question forbids something else: retrieval found a lesson's rule, not the
    # answer ("canva làm thiệp mời đám cưới được ko" met "Không nhập mật khẩu… vào trang mở từ link lạ"), and
    # "Không nên." would forbid what the learner asked about.
    if not (set(content_syllables(first_line)) - _RULE_WORDS) & set(content_syllables(question)):
        return None
    folded = fold(question)
    return next((lead for pattern, lead in _LEADS if pattern.search(folded)), None)


def _trim(lines: Sequence[str], budget: int) -> list[str]:
    """Whole lines while they fit; a first line longer than the budget is cut after its sentences that fit."""
    kept: list[str] = []
    used = 0
    for line in lines:
        n = len(syllables(line))
        if kept and used + n > budget:
            break
        if not kept and n > budget:
            parts = sentences(line)
            text = parts[0]
            for part in parts[1:]:
                if len(syllables(text + " " + part)) > budget:
                    break
                text += " " + part
            kept.append(text)
            break
        kept.append(line)
        used += n
    return kept


def render(composition: Composition, question: str, cited: Sequence[Hit], budget: int) -> str:
    """One lesson line per line, each span closed by its citation mark; a lead first where it answers yes/no."""
    index = {section_key(h.chunk): n for n, h in enumerate(cited, start=1)}
    out: list[str] = []
    left = budget
    spans = composition.spans
    shown: tuple[int, str] | None = None  # the previous span shown: its whole last line in `out` and that line bare
    for n, span in enumerate(spans):
        lines = _trim(span.lines, left) if left > 0 else []
        # A heading is answered when its span is shown whole and the next span shown goes on from it.
        continued = len(lines) == len(span.lines) and n + 1 < len(spans) and continues(spans[n + 1], span)
        lines = without_dangling_heading(lines, continued=continued)
        if not lines:
            shown = None
            continue
        left -= sum(len(syllables(line)) for line in lines)
        if shown is not None and continues(span, spans[n - 1]):
            # One list cut in two spans is one citation: "5. Đặt mật khẩu mới [1]" then "6. Đăng nhập lại [1]" read
            # as two sources.
            out[shown[0]] = shown[1]
        shown = (len(out) + len(lines) - 1, lines[-1])
        lines[-1] = f"{lines[-1]} [{index[section_key(span.chunk)]}]"
        out += lines
    if not out:
        return ""
    out = unnumber_lone_steps(out)
    first = composition.spans[0].lines[0]
    lead = lead_for(question, composition.kind, first)
    return "\n".join([lead, *out] if lead else out)


def unnumber_lone_steps(lines: Sequence[str]) -> list[str]:
    """The lines with the number taken off a step shown without the step before or after it: "7. Liên kết…" alone
    reads as if six steps were missing, while the line itself is a complete instruction (the citation opens the
    whole list). Steps shown in sequence ("3.", "4.") keep their numbers."""

    def number(line: str) -> int | None:
        found = _STEP.match(line)
        return int(found.group(1)) if found else None

    out = list(lines)
    for i, line in enumerate(lines):
        n = number(line)
        if n is None:
            continue
        before = number(lines[i - 1]) if i > 0 else None
        after = number(lines[i + 1]) if i + 1 < len(lines) else None
        if before != n - 1 and after != n + 1:
            out[i] = _STEP.sub("", line, count=1)
    return out


def without_dangling_heading(lines: Sequence[str], *, continued: bool) -> list[str]:
    """The lines without a closing "Cách phòng:" whose list is not shown after it (the budget cut it, or the span
    ended there): a heading with nothing under it says nothing. A heading line alone goes; a paragraph ending in one
    loses that last sentence. Kept when the next span shown is the list that continues it."""
    if continued or not lines or not lines[-1].rstrip().endswith(":"):
        return list(lines)
    parts = sentences(lines[-1])
    if len(parts) > 1:
        return [*lines[:-1], " ".join(parts[:-1])]
    return list(lines[:-1])
