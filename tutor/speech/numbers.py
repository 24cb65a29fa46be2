"""Numbers in Vietnamese words: 21 → "hai mươi mốt", 2025 → "hai nghìn không trăm hai mươi lăm", 1,5 → "một phẩy năm".

Written here rather than taken from num2words, whose Vietnamese reads 2025 as "hai nghìn lẻ hai mươi lăm" and 1.5 as
"một phẩy năm mươi". The rules: "mười" for the teens and "mươi" after, "mốt" and "tư" after "mươi", "lăm" for a
final five after a ten, "linh" for a zero ten after a hundred, and "không trăm" inside a larger number.
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
#: Each step of three digits; beyond "tỷ" the groups repeat ("nghìn tỷ").
_GROUPS = ("", "nghìn", "triệu", "tỷ")
#: Longer numbers are read digit by digit (account numbers, codes): nobody says them as one quantity.
MAX_DIGITS = 12


def _below_thousand(n: int, inner: bool) -> list[str]:
    """0 < n < 1000; `inner`: the group follows a higher one, so a missing hundred is said ("không trăm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or inner:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return words


def integer_words(n: int) -> str:
    """A whole number (0 ≤ n < 10**12) in words; larger or negative numbers are read digit by digit."""
    if n < 0 or len(str(n)) > MAX_DIGITS:
        return digit_words(str(abs(n)))
    if n == 0:
        return DIGITS[0]
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    words: list[str] = []
    for i in range(len(groups) - 1, -1, -1):
        if groups[i] == 0:
            continue
        words += _below_thousand(groups[i], inner=i < len(groups) - 1)
        words += [_GROUPS[i]] if _GROUPS[i] else []
    return " ".join(words)


def digit_words(digits: str) -> str:
    """Each digit on its own: phone numbers, hotlines, codes ("113" → "một một ba")."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def decimal_words(whole: str, fraction: str) -> str:
    """ "1,5" → "một phẩy năm"; the fraction is read as a number ("3,25" → "ba phẩy hai mươi lăm") unless it starts
    with 0 ("0,05" → "không phẩy không năm")."""
    tail = digit_words(fraction) if fraction.startswith("0") else integer_words(int(fraction))
    return f"{integer_words(int(whole))} phẩy {tail}"
