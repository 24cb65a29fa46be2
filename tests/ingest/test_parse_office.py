"""PDF pages and DOCX headings become titled sections, in NFC, with whole sentences."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from tests.ingest.conftest import OTP, make_docx, make_pdf, needs_dejavu, nfc, sections_of, write
from tutor.corpus.ingest import ingest_paths
from tutor.text import sentences


def test_pdf_pages_become_sections_with_their_page_numbers_and_blank_pages_are_left_out(tmp_path: Path):
    data = make_pdf(
        ["Page one talks about OTP codes. Never read them to anyone.", "", "Page three: call 113."],
        title="Safety handbook",
    )
    path = write(tmp_path / "handbook.pdf", data)
    report = ingest_paths([path])

    [doc] = report.documents
    assert doc.kind == "pdf" and doc.pages == 3 and doc.title == "Safety handbook"
    assert sections_of(report) == [("trang-1", "Trang 1"), ("trang-3", "Trang 3")]
    assert [(s.id, s.page) for s in doc.sections] == [("trang-1", 1), ("trang-3", 3)]
    last = report.chunks[-1]
    assert last.text == "Page three: call 113."
    located = report.locate(last.id)
    assert located is not None and located[0].path == str(path.absolute()) and located[1].page == 3


@needs_dejavu
def test_vietnamese_pdf_text_is_nfc_and_sentences_wrapped_across_lines_stay_whole(tmp_path: Path):
    long_sentence = (
        "Người dân cần kích hoạt tài khoản định danh điện tử mức 2 tại công an xã, phường, thị trấn nơi cư trú, "
        "mang theo căn cước và điện thoại có số thuê bao chính chủ để nhận mã kích hoạt."
    )
    data = make_pdf([f"{long_sentence} {OTP}"], vietnamese=True)
    assert "\n" in PdfReader(io.BytesIO(data)).pages[0].extract_text()  # the writer wrapped the sentence

    report = ingest_paths([write(tmp_path / "vneid.pdf", data)])

    # No metadata title: the first words of the text, cut at a word boundary (never the file name).
    assert report.documents[0].title == "Người dân cần kích hoạt tài khoản định danh điện tử mức 2 tại công an xã…"
    [chunk] = report.chunks
    assert chunk.section_id == "trang-1" and nfc(chunk.text)
    assert sentences(chunk.text) == [long_sentence, OTP]


def test_docx_heading_styles_split_sections_and_core_title_is_used(tmp_path: Path):
    report = ingest_paths([make_docx(tmp_path / "so-tay.docx", core_title="Sổ tay của tổ công nghệ số")])

    [doc] = report.documents
    assert doc.title == "Sổ tay của tổ công nghệ số" and doc.kind == "docx"
    assert sections_of(report) == [
        ("so-tay-ky-nang-so", "Sổ tay kỹ năng số"),
        ("cai-dat-vneid", "Cài đặt VNeID"),
        ("phong-tranh-lua-dao", "Phòng tránh lừa đảo"),
    ]
    scams = next(c for c in report.chunks if c.section_id == "phong-tranh-lua-dao")
    assert scams.text.split("\n") == [OTP, "Số khẩn cấp | 113", "Tổng đài | 156"]
    assert all(nfc(c.text) for c in report.chunks)


def test_docx_without_core_title_is_titled_by_its_title_paragraph(tmp_path: Path):
    report = ingest_paths([make_docx(tmp_path / "khong-tieu-de.docx")])
    assert report.documents[0].title == "Sổ tay kỹ năng số"
