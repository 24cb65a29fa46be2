"""Bytes to text: BOMs, UTF-16/UTF-8/cp1258/declared charsets, and the binary and mojibake checks."""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata

from tutor.corpus.ingest.report import Skip

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Control, surrogate and replacement characters: text made of many of these is not text.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
# Private-use characters are icon-font glyphs (Word's bullets come out of PDFs as U+F0B7): nobody can read them.
PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")
# UTF-8 Vietnamese read as cp1252/latin-1 ("Viá»‡t", "Ä‘", "Æ°", "Ã¡"): lead byte then a continuation byte.
_MOJIBAKE = re.compile(
    "á[º»]|[ÃÄÅÆ][\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
# Vietnamese letters: a-z, đ, a vowel with at most one tone mark, and ă â ê ô ơ ư (breve, circumflex, horn).
_VI_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VI_SHAPES = {"\u0306": "aA", "\u0302": "aeoAEO", "\u031b": "ouOU"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _vietnamese_letter(ch: str) -> int:
    """0: not a Vietnamese letter (ä, ç, ñ, a stray mark...); 1: a plain a-z letter; 2: a marked one or đ."""
    if ch in "đĐ":
        return 2
    decomposed = unicodedata.normalize("NFD", ch)
    base, marks = decomposed[0], decomposed[1:]
    if not ("a" <= base <= "z" or "A" <= base <= "Z"):
        return 0
    if not marks:
        return 1
    tones = [m for m in marks if m in _VI_TONES]
    shapes = [m for m in marks if m not in _VI_TONES]
    if len(tones) > 1 or len(shapes) > 1 or (shapes and base not in _VI_SHAPES.get(shapes[0], "")):
        return 0
    return 0 if tones and base.lower() not in "aeiouy" else 2


def _looks_vietnamese(text: str) -> bool:
    """Many marked letters and almost no letters outside the Vietnamese alphabet (once composed)."""
    counts = [0, 0, 0]
    for ch in unicodedata.normalize("NFC", text):
        if ch.isalpha() or unicodedata.category(ch) == "Mn":
            counts[_vietnamese_letter(ch)] += 1
    letters = sum(counts)
    return letters > 0 and counts[2] >= 0.05 * letters and counts[0] <= 0.01 * letters


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 with no BOM: mostly-Latin text has a NUL in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    for zeros, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) <= 0.02 * len(other):
            with contextlib.suppress(UnicodeDecodeError):
                return data.decode(codec)
    return None


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag, if Python knows it."""
    m = _META_CHARSET.search(data[:4096])
    if not m:
        return None
    name = m.group(1).decode("ascii", "ignore").strip().lower()
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Bytes -> (text, codec).

    In order: a BOM; UTF-16 without BOM (only bytes with NULs, which are otherwise binary); UTF-8 (valid UTF-8
    is nearly always meant as UTF-8, whatever a page declares); a charset the page declares; cp1258
    (Vietnamese Windows) when the result reads as Vietnamese; then charset-normalizer's candidates, taking
    cp1252 (Western Windows) whenever it is one of them; without charset-normalizer, cp1252.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise Skip("encoding", f"Tệp có BOM {codec} nhưng nội dung không đúng bảng mã đó.") from exc
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise Skip("binary", "Tệp nhị phân, không phải văn bản (có byte NUL).")
        return text, "utf-16"
    with contextlib.suppress(UnicodeDecodeError):
        return data.decode("utf-8"), "utf-8"
    if declared:
        with contextlib.suppress(UnicodeDecodeError, LookupError):
            return data.decode(declared), declared
    with contextlib.suppress(UnicodeDecodeError):
        text = data.decode("cp1258")
        if _looks_vietnamese(text):
            return text, "cp1258"
    for codec in _charset_candidates(data):
        with contextlib.suppress(UnicodeDecodeError, LookupError):
            return data.decode(codec), codec
    raise Skip("encoding", "Không nhận ra bảng mã của tệp. Lưu lại bằng UTF-8.")


def _charset_candidates(data: bytes) -> list[str]:
    """Codecs to try for bytes that are neither UTF-8 nor Vietnamese cp1258, best first."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # optional: Western text still decodes as cp1252
        return ["cp1252"]
    found = [m.encoding for m in from_bytes(data[:200_000]) if m.encoding]
    # It often ranks cp1250 above cp1252 for French or Portuguese; here Western Windows text is cp1252.
    return ["cp1252", *found] if "cp1252" in found else found


def check_readable(text: str) -> None:
    """Skip text that is really binary, or UTF-8 that was read as a Western code page and saved again."""
    if not text:
        return
    bad = len(_BAD_CHARS.findall(text))
    if "\x00" in text or bad > max(2, 0.01 * len(text)):
        raise Skip("binary", "Nội dung không phải chữ (nhiều ký tự điều khiển hoặc ký tự hỏng).")
    garbled = len(_MOJIBAKE.findall(text))
    if garbled >= 3 and garbled > 0.005 * len(text):
        raise Skip("mojibake", "Chữ bị lỗi bảng mã (kiểu 'Viá»‡t'). Mở bằng đúng bảng mã rồi lưu lại bằng UTF-8.")


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Bytes -> (readable text with "\\n" line ends, codec); raises Skip if it is not text or is mojibake."""
    text, codec = _decode(data, declared)
    check_readable(text)
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"), codec
