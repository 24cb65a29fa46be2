"""Chat shorthand learners type ("tk", "ck", "đt", "cccd", "1 mk") written out before a question is searched.

The lessons say "tài khoản", "chuyển khoản", "điện thoại", "thẻ căn cước", "mật khẩu"; a question typed as "tui
xài 1 mk cho hết fb, gmail, shopee" shares none of those words with them and found the cloud-storage lesson on
"gmail". Only abbreviations of content words with one reading are written out. "mk" is also "mình" (me), so it
becomes "mật khẩu" only next to a word that makes it a password ("đổi mk", "1 mk", "mk fb"). Function words ("ko",
"dc", "j") are left as typed: spelling them out moved nothing the lessons answer; so is "app", which the lessons use
too ("App Store") (eval/results/retrieval_tuning.md).
"""

from __future__ import annotations

import re

from tutor.text import fold, has_diacritics

#: Folded shorthand → what the lessons write. Each has one reading in a question about digital skills.
_WORDS = {
    "tk": "tài khoản",
    "acc": "tài khoản",
    "stk": "số tài khoản",
    "ck": "chuyển khoản",
    "dt": "điện thoại",
    "sdt": "số điện thoại",
    "cccd": "thẻ căn cước",
    "cmnd": "chứng minh nhân dân",
    "mst": "mã số thuế",
    "fb": "Facebook",
    "gg": "Google",
    "zl": "Zalo",
    "nv": "nhân viên",
    "mxh": "mạng xã hội",
    "pass": "mật khẩu",
}
# "mk" is a password after a verb done to one, after a count, or before the account it opens.
_PASSWORD_BEFORE = frozenset(
    ["doi", "nhap", "dat", "quen", "lo", "go", "1", "mot", "lai", "phuc", "chung", "sai", "cai"]
)
_PASSWORD_AFTER = frozenset(
    ["fb", "facebook", "zalo", "gmail", "email", "wifi", "wi-fi", "ngan", "app", "tk", "tai", "vneid", "the", "momo"]
)
_TOKEN = re.compile(r"\S+")
_EDGES = "?,.!;:()\"'"


def write_out(question: str) -> str:
    """The question with chat shorthand written out; everything else as typed. A question typed without marks gets
    the words without marks too, so the diacritic restorer still reads it as unmarked and restores all of it."""
    plain = not has_diacritics(question)
    tokens = _TOKEN.findall(question)
    folded = [fold(t.strip(_EDGES).lower()) for t in tokens]
    out: list[str] = []
    for i, (token, word) in enumerate(zip(tokens, folded, strict=True)):
        full = _WORDS.get(word)
        if word == "mk":
            before = folded[i - 1] if i > 0 else ""
            after = folded[i + 1] if i + 1 < len(folded) else ""
            if before in _PASSWORD_BEFORE or after in _PASSWORD_AFTER:
                full = "mật khẩu"
        if full is None:
            out.append(token)
            continue
        core = token.strip(_EDGES)
        out.append(token.replace(core, fold(full) if plain else full, 1))
    return " ".join(out)
