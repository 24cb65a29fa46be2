"""Shared by the ingest tests: sample texts and the helpers that write documents in each format."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from tutor.corpus.ingest import IngestReport

# A font with Vietnamese glyphs for PDFs (Debian's fonts-dejavu-core); PDF tests that need it skip without it.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_dejavu = pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVuSans.ttf (fonts-dejavu-core) not installed")


OTP = "Không đọc mã OTP cho bất kỳ ai, kể cả người xưng là công an."
VNEID = "Người dân cần kích hoạt tài khoản định danh điện tử mức 2 tại công an xã, phường."
GOOD_MD = f"# Lừa đảo qua điện thoại\n\n{OTP} Tắt máy rồi tự gọi 113.\n"
# The five Vietnamese tone marks as combining characters (cp1258 encodes them apart from their letter).
TONES = "\u0300\u0301\u0303\u0309\u0323"


def nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def to_cp1258(text: str) -> bytes:
    """Encode as Vietnamese Windows does: base letters (ă, ơ, ư...) precomposed, tone marks combining."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(m for m in decomposed[1:] if m in TONES)
        base = unicodedata.normalize("NFC", decomposed[0] + "".join(m for m in decomposed[1:] if m not in TONES))
        out += (base + tones).encode("cp1258")
    return bytes(out)


def make_pdf(pages: list[str], *, title: str | None = None, vietnamese: bool = False) -> bytes:
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    if vietnamese:
        pdf.add_font("DejaVu", fname=str(DEJAVU))
    for text in pages:
        pdf.add_page()
        pdf.set_font("DejaVu" if vietnamese else "Helvetica", size=12)
        if text:
            pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def make_docx(path: Path, *, core_title: str = "") -> Path:
    document = docx.Document()
    document.core_properties.title = core_title
    document.add_heading("Sổ tay kỹ năng số", level=0)  # the "Title" style
    document.add_paragraph("Tài liệu dành cho tổ công nghệ số cộng đồng.")
    document.add_heading("Cài đặt VNeID", level=1)
    document.add_paragraph(VNEID)
    document.add_heading("Phòng tránh lừa đảo", level=2)
    document.add_paragraph(OTP)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Số khẩn cấp", "113"
    table.cell(1, 0).text, table.cell(1, 1).text = "Tổng đài", "156"
    document.save(str(path))
    return path


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def sections_of(report: IngestReport) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    for c in report.chunks:
        if (c.section_id, c.section_title) not in seen:
            seen.append((c.section_id, c.section_title))
    return seen


# Thirty sentences with an abbreviation ("v.v.") inside each: several chunks long, and easy to cut wrongly.
SENTENCES = [
    f"Câu {n}: người dân cần kiểm tra kỹ đường link, tên người nhận, v.v. trước khi chuyển tiền lần {n}."
    for n in range(1, 31)
]
