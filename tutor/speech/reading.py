"""Vietnamese text as a speaker reads it aloud: abbreviations, web addresses, phone numbers, dates and numbers in words.

A text-to-speech voice reads "OTP" as one English word, "dichvucong.gov.vn" as a string of letters, and "113" as
"một trăm mười ba". `reading()` rewrites those the way a trainer would say them ("ô tê pê", "dịch vụ công chấm gờ o
vê chấm vê nờ", "một một ba"), so any engine — espeak-ng here, or the phone's own voice — says the same words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from tutor.speech.numbers import decimal_words, digit_words, integer_words

#: How Vietnamese speakers say the abbreviations and names of the lessons (longest keys are tried first).
SAY: dict[str, str] = {
    "VNeID": "vê en e ai đi",
    "VssID": "vê ét ét ai đi",
    "OTP": "ô tê pê",
    "CCCD": "căn cước công dân",
    "CMND": "chứng minh nhân dân",
    "QR": "kiu a",
    "VietQR": "Việt kiu a",
    "Wi-Fi": "oai phai",
    "WiFi": "oai phai",
    "Wifi": "oai phai",
    "wifi": "oai phai",
    "AI": "ây ai",
    "ID": "ai đi",
    "PIN": "pin",
    "SIM": "sim",
    "ATM": "a tê em",
    "SMS": "ét em ét",
    "CVV": "xê vê vê",
    "PDF": "pê đê ép",
    "APK": "a pê ca",
    "VPN": "vê pê en",
    "NFC": "en ép xê",
    "USB": "u ét bê",
    "GB": "gi ga bai",
    "MB": "mê ga bai",
    "COD": "xê o đê",
    "VNPT": "vê en pê tê",
    "NAPAS": "na pát",
    "Hue-S": "Huế ét",
    "UBND": "ủy ban nhân dân",
    "BHXH": "bảo hiểm xã hội",
    "BHYT": "bảo hiểm y tế",
    "TP.HCM": "thành phố Hồ Chí Minh",
    "HCM": "Hồ Chí Minh",
    "NĐ-CP": "nờ đê xê pê",
    "Zalo": "da lô",
    "ZaloPay": "da lô pay",
    "Facebook": "phây búc",
    "YouTube": "diu túp",
    "TikTok": "tích tốc",
    "Google": "gu gồ",
    "Gmail": "gờ meo",
    "MoMo": "mô mô",
    "email": "i meo",
    "e-mail": "i meo",
    "online": "ôn lai",
    "app": "áp",
    "link": "linh",
}

#: Parts of web addresses: the campaign's and the official sites' names, and the endings.
DOMAIN_PARTS: dict[str, str] = {
    "www": "vê kép vê kép vê kép",
    "dichvucong": "dịch vụ công",
    "binhdanhocvuso": "bình dân học vụ số",
    "chongluadao": "chống lừa đảo",
    "canhbao": "cảnh báo",
    "khonggianmang": "không gian mạng",
    "tingia": "tin giả",
    "chinhphu": "chính phủ",
    "vneid": "vê en e ai đi",
    "gov": "gờ o vê",
    "vn": "vê nờ",
    "com": "com",
    "org": "o rờ gờ",
    "net": "nét",
    "edu": "e đu",
}

#: Vietnamese letter names, for abbreviations nobody has a word for ("TT" → "tê tê").
LETTERS: dict[str, str] = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "F": "ép", "G": "giê", "H": "hát", "I": "i",
    "J": "gi", "K": "ca", "L": "lờ", "M": "mờ", "N": "nờ", "O": "o", "P": "pê", "Q": "quy", "R": "rờ", "S": "ét",
    "T": "tê", "U": "u", "V": "vê", "W": "vê kép", "X": "ích", "Y": "i", "Z": "dét",
}  # fmt: skip

_WORD = r"(?<![\w.-])({})(?![\w-])"
_SAY_RE = re.compile(_WORD.format("|".join(re.escape(k) for k in sorted(SAY, key=len, reverse=True))))
_URL_RE = re.compile(r"\b(?:https?://)?((?:[a-z0-9-]+\.)+(?:vn|com|org|net|gov|edu))(/[^\s)]*)?", re.I)
_EMAIL_RE = re.compile(r"\b([\w.+-]+)@((?:[a-z0-9-]+\.)+[a-z]{2,})\b", re.I)
# An abbreviation with no vowel ("CCCD", "BGDĐT", "TT"): spelt out; one with vowels is left to the voice.
_SPELL_RE = re.compile(r"(?<!\w)([BCDĐFGHJKLMNPQRSTVWXZ]{2,6})(?!\w)")
# "Nghị định 13/2023/NĐ-CP" is said "mười ba năm hai nghìn không trăm hai mươi ba nờ đê xê pê".
_DOCUMENT_RE = re.compile(r"\b(\d{1,4})/(\d{4})/(?=[A-ZĐ])")
_DATE_RE = re.compile(r"(?:\bngày\s+)?\b(\d{1,2})/(\d{1,2})/(\d{4})\b", re.I)
_MONTH_RE = re.compile(r"(?:\btháng\s+)?\b(0?[1-9]|1[0-2])/(\d{4})\b(?!/)", re.I)
_TIME_RE = re.compile(r"\b(\d{1,2})(?::|h)(\d{2})\b")
_PHONE_RE = re.compile(r"(?<![\d.,])(0\d{2,3}[ .]?\d{3}[ .]?\d{3,4}|1[89]00[ .]?\d{3,4}[ .]?\d{0,4})(?![\d])")
_HOTLINE_RE = re.compile(r"(?i)((?:gọi|số|tổng đài|đường dây nóng|bấm|quay)\s+(?:số\s+)?)(11[1-9])\b")
_PERCENT_RE = re.compile(r"(\d+(?:,\d+)?)\s?%")
_RANGE_RE = re.compile(r"\b(\d+)\s?[–-]\s?(\d+)\b")
_THOUSANDS_RE = re.compile(r"\b\d{1,3}(?:\.\d{3})+\b")
_DECIMAL_RE = re.compile(r"\b(\d+),(\d+)\b")
_NUMBER_RE = re.compile(r"\d+")
_MONEY_RE = re.compile(r"(\d)\s?(?:đ|₫|VNĐ|VND)(?!\w)")
_CITATION_RE = re.compile(r"\[\d+\]")
_MARKUP_RE = re.compile(r"[*_`#>|]+")
_BULLET_RE = re.compile(r"(?m)^\s*[-•+]\s+")
_SYMBOLS = {"→": " rồi ", "&": " và ", "+": " cộng ", "=": " bằng ", "…": "...", "/": " trên "}
#: Pictographs (emoji) and their joiners are not read.
_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")


def _say_url(host: str, path: str | None) -> str:
    parts = [DOMAIN_PARTS.get(p.lower(), _spell_word(p)) for p in host.split(".")]
    spoken = " chấm ".join(parts)
    return spoken + (" gạch chéo " + " ".join(w for w in re.split(r"[/._-]+", path) if w) if path else "")


def _spell_word(word: str) -> str:
    # A short unknown part of an address ("vbpl") is spelt; a longer one is left for the voice to read.
    return " ".join(LETTERS.get(c.upper(), c) for c in word) if len(word) <= 4 else word


def _sub(pattern: re.Pattern[str], fn: Callable[[re.Match[str]], str], text: str) -> str:
    return pattern.sub(fn, text)


def _numbers(text: str) -> str:
    text = _sub(_DATE_RE, lambda m: f"ngày {integer_words(int(m[1]))} tháng {integer_words(int(m[2]))} "
                f"năm {integer_words(int(m[3]))}", text)  # fmt: skip
    text = _sub(_MONTH_RE, lambda m: f"tháng {integer_words(int(m[1]))} năm {integer_words(int(m[2]))}", text)
    text = _sub(_TIME_RE, lambda m: f"{integer_words(int(m[1]))} giờ {integer_words(int(m[2]))} phút", text)
    text = _sub(_PHONE_RE, lambda m: ", ".join(digit_words(g) for g in re.split(r"[ .]", m[1]) if g), text)
    text = _sub(_HOTLINE_RE, lambda m: m[1] + digit_words(m[2]), text)
    text = _sub(_PERCENT_RE, lambda m: f"{m[1]} phần trăm", text)
    text = _sub(_MONEY_RE, lambda m: f"{m[1]} đồng", text)
    text = _sub(_RANGE_RE, lambda m: f"{m[1]} đến {m[2]}", text)
    text = _sub(_THOUSANDS_RE, lambda m: integer_words(int(m[0].replace(".", ""))), text)
    text = _sub(_DECIMAL_RE, lambda m: decimal_words(m[1], m[2]), text)
    # Codes that start with 0 ("0123") are read digit by digit; everything else as a quantity.
    return _sub(_NUMBER_RE, lambda m: digit_words(m[0]) if m[0].startswith("0") and len(m[0]) > 1
                else integer_words(int(m[0])), text)  # fmt: skip


def reading(text: str) -> str:
    """`text` (an answer, or a lesson section's plain text) rewritten to be read aloud in Vietnamese."""
    text = _EMOJI_RE.sub("", text or "")
    text = _CITATION_RE.sub("", text)
    text = _BULLET_RE.sub("", text)
    text = _MARKUP_RE.sub(" ", text)
    # Before the abbreviations are rewritten: the document number is recognised by the capitals after it.
    text = _sub(_DOCUMENT_RE, lambda m: f"{integer_words(int(m[1]))} năm {integer_words(int(m[2]))} ", text)
    text = _sub(_EMAIL_RE, lambda m: f"{_say_url(m[1], None)} a còng {_say_url(m[2], None)}", text)
    text = _sub(_URL_RE, lambda m: _say_url(m[1], m[2]), text)
    text = _sub(_SAY_RE, lambda m: SAY[m[1]], text)
    text = _sub(_SPELL_RE, lambda m: " ".join(LETTERS.get(c, c) for c in m[1]), text)
    text = _numbers(text)
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)  # "tê tê-bê giê" is one name: no dash read between
    text = re.sub(r"[ \t]+([,.;:!?])", r"\1", text)
    # One line per sentence or list item, single spaces inside: the voice pauses at line ends.
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
