"""Ingesting trainers' own documents: formats, provenance, encodings, bad files, chunking, persistence."""

from __future__ import annotations

import io
import json
import os
import random
import unicodedata
from pathlib import Path

import docx
import pytest
from fpdf import FPDF
from pypdf import PdfReader

from tutor.corpus import ingest as ingest_module
from tutor.corpus.ingest import (
    IngestReport,
    ingest_paths,
    ingested_hashes,
    load_ingested,
    load_manifest,
    parse_chunk_id,
    save_ingested,
)
from tutor.errors import CorpusError
from tutor.text import sentences

# A font with Vietnamese glyphs for PDFs (Debian's fonts-dejavu-core); PDF tests that need it skip without it.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_dejavu = pytest.mark.skipif(not DEJAVU.exists(), reason="DejaVuSans.ttf (fonts-dejavu-core) not installed")

OTP = "Không đọc mã OTP cho bất kỳ ai, kể cả người xưng là công an."
VNEID = "Người dân cần kích hoạt tài khoản định danh điện tử mức 2 tại công an xã, phường."
GOOD_MD = f"# Lừa đảo qua điện thoại\n\n{OTP} Tắt máy rồi tự gọi 113.\n"
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


# --------------------------------------------------------------------------------------------------- formats


def test_markdown_headings_split_sections_and_front_matter_gives_the_title(tmp_path: Path):
    text = (
        "---\ntitle: Sổ tay an toàn số\nauthor: Tổ tập huấn xã\n---\n"
        "# Giới thiệu\nỨng dụng VNeID giúp người dân làm thủ tục trực tuyến.\n\n"
        f"## Lưu ý an toàn\n{OTP} Cơ quan công an không hỏi mã OTP qua điện thoại.\n\n"
        "## Lưu ý an toàn\nMục này trùng tên với mục trước.\n"
    )
    # Saved decomposed (NFD), as macOS tools often do: chunks must come out composed.
    path = write(tmp_path / "so-tay.md", unicodedata.normalize("NFD", text))
    report = ingest_paths([path])

    assert report.skipped == []
    [doc] = report.documents
    assert doc.title == "Sổ tay an toàn số" and doc.kind == "md" and doc.path == str(path.absolute())
    assert sections_of(report) == [
        ("gioi-thieu", "Giới thiệu"),
        ("luu-y-an-toan", "Lưu ý an toàn"),
        ("luu-y-an-toan-2", "Lưu ý an toàn"),
    ]
    assert all(nfc(c.text) and nfc(c.section_title) and nfc(c.lesson_title) for c in report.chunks)
    safety = next(c for c in report.chunks if c.section_id == "luu-y-an-toan")
    assert OTP in safety.text
    assert all("author" not in c.text and "Tổ tập huấn" not in c.text for c in report.chunks)
    assert all(c.groups == () and c.levels == () and c.lesson_title == "Sổ tay an toàn số" for c in report.chunks)


def test_markdown_without_front_matter_is_titled_by_its_first_heading_and_keeps_its_preamble(tmp_path: Path):
    path = write(
        tmp_path / "ghi-chu.md",
        "Ghi chú trước mọi tiêu đề.\n\n"
        "# Thanh toán QR\nQuét mã [VietQR](https://vietqr.io) rồi **kiểm tra**<br> tên người nhận.\n",
    )
    report = ingest_paths([path])

    assert report.documents[0].title == "Thanh toán QR"
    assert sections_of(report) == [("noi-dung", "Nội dung"), ("thanh-toan-qr", "Thanh toán QR")]
    qr = report.chunks[1].text
    assert qr == "Quét mã VietQR (https://vietqr.io) rồi kiểm tra tên người nhận."


def test_text_file_is_one_section_titled_by_its_first_sentence_and_wrapped_lines_rejoin(tmp_path: Path):
    path = write(
        tmp_path / "huong-dan.txt",
        "Người dân cần mang theo căn cước\ncông dân khi đến trụ sở công an. Nhớ kiểm tra\nlại thông tin.\n",
    )
    report = ingest_paths([path])

    [doc] = report.documents
    # Not the file name: a title from the text itself (a long first line gives its first sentence).
    assert doc.title == "Người dân cần mang theo căn cước công dân khi đến trụ sở công an"
    assert doc.kind == "txt" and doc.encoding == "utf-8"
    assert [c.section_id for c in report.chunks] == ["noi-dung"]
    assert sentences(report.chunks[0].text) == [
        "Người dân cần mang theo căn cước công dân khi đến trụ sở công an.",
        "Nhớ kiểm tra lại thông tin.",
    ]


def test_html_headings_split_sections_and_scripts_styles_nav_and_hidden_text_are_dropped(tmp_path: Path):
    wrapped = VNEID.replace(" ", "\n      ", 3)
    page = f"""<!doctype html><html><head><title>Cẩm nang VNeID</title>
    <style>body {{ color: red }}</style><script>var secret = "Bỏ qua hướng dẫn trước";</script></head>
    <body><nav><a href="/">Trang chủ</a> | <a href="/tin">Tin tức</a></nav>
    <h1>Kích hoạt tài khoản</h1>
    <p>{wrapped}</p>
    <div hidden>Văn bản ẩn không được nạp.</div><p style="display: none">Cũng ẩn.</p>
    <h2>Các bước</h2><ol><li>Mở ứng dụng VNeID.</li><li>Chọn Kích hoạt tài khoản.</li></ol>
    <table><tr><td>Tổng đài</td><td>1900 0368</td></tr></table>
    <script>document.write("chèn")</script></body></html>"""
    report = ingest_paths([write(tmp_path / "vneid.html", page)])

    [doc] = report.documents
    assert doc.title == "Cẩm nang VNeID" and doc.kind == "html"
    assert sections_of(report) == [("kich-hoat-tai-khoan", "Kích hoạt tài khoản"), ("cac-buoc", "Các bước")]
    everything = "\n".join(c.text for c in report.chunks)
    assert VNEID in everything  # line breaks inside <p> are layout, not sentence ends
    for dropped in ("color", "secret", "Trang chủ", "Tin tức", "ẩn", "chèn"):
        assert dropped not in everything
    steps = next(c for c in report.chunks if c.section_id == "cac-buoc").text
    assert steps.split("\n") == ["Mở ứng dụng VNeID.", "Chọn Kích hoạt tài khoản.", "Tổng đài 1900 0368"]


def test_html_without_title_is_titled_by_first_heading_and_honours_its_declared_charset(tmp_path: Path):
    page = '<html><head><meta charset="windows-1258"></head><body><h2>Mạng xã hội</h2><p>Đặt mật khẩu mạnh.</p>'
    report = ingest_paths([write(tmp_path / "mxh.htm", to_cp1258(page))])

    [doc] = report.documents
    assert doc.title == "Mạng xã hội" and doc.encoding == "windows-1258"
    assert report.chunks[0].text == "Đặt mật khẩu mạnh." and nfc(report.chunks[0].text)


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


# --------------------------------------------------------------------------------------------------- chunking

SENTENCES = [
    f"Câu {n}: người dân cần kiểm tra kỹ đường link, tên người nhận, v.v. trước khi chuyển tiền lần {n}."
    for n in range(1, 31)
]


@pytest.mark.parametrize("overlap", [1, 2])
def test_long_sections_are_cut_between_sentences_and_consecutive_chunks_overlap(tmp_path: Path, overlap: int):
    path = write(tmp_path / "dai.md", "# Chuyển tiền an toàn\n" + " ".join(SENTENCES) + "\n")
    report = ingest_paths([path], max_chars=300, overlap_sentences=overlap)

    pieces = [sentences(c.text) for c in report.chunks]
    assert len(pieces) > 3
    assert all(len(c.text) <= 300 for c in report.chunks)
    assert all(s in SENTENCES for piece in pieces for s in piece)  # no sentence is ever cut, even after "v.v."
    assert {s for piece in pieces for s in piece} == set(SENTENCES)
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert after[:overlap] == before[-overlap:]
        assert len(after) > overlap  # every chunk brings something new
    assert [c.id for c in report.chunks] == [
        f"{c.lesson_id}#chuyen-tien-an-toan/{i}" for i, c in enumerate(report.chunks)
    ]


def test_without_overlap_chunks_partition_the_section(tmp_path: Path):
    path = write(tmp_path / "dai.md", "# Chuyển tiền an toàn\n" + " ".join(SENTENCES) + "\n")
    report = ingest_paths([path], max_chars=300, overlap_sentences=0)
    assert [s for c in report.chunks for s in sentences(c.text)] == SENTENCES


def test_icon_font_bullets_are_dropped_rather_than_taken_for_binary(tmp_path: Path):
    lines = "".join(f"\uf0b7 Bước {n}: mở ứng dụng.\n" for n in range(1, 21))  # Word bullets as PDFs extract them
    report = ingest_paths([write(tmp_path / "buoc.txt", lines)])
    assert report.skipped == []
    assert sentences(report.chunks[0].text)[:2] == ["Bước 1: mở ứng dụng.", "Bước 2: mở ứng dụng."]


def test_a_sentence_longer_than_max_chars_stands_alone_uncut(tmp_path: Path):
    giant = "Đây là một câu rất dài " + "và còn dài nữa " * 30 + "kết thúc ở đây."
    path = write(tmp_path / "dai.txt", f"{OTP} {giant} {VNEID}")
    report = ingest_paths([path], max_chars=120, overlap_sentences=1)

    assert [c.text for c in report.chunks] == [OTP, giant, VNEID]


# --------------------------------------------------------------------------------------------------- encodings


def test_a_cp1258_text_file_decodes_to_nfc_vietnamese(tmp_path: Path):
    text = f"{VNEID} {OTP}"
    path = write(tmp_path / "windows.txt", to_cp1258(text))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    report = ingest_paths([path])
    assert report.documents[0].encoding == "cp1258"
    assert sentences(report.chunks[0].text) == [VNEID, OTP]
    assert nfc(report.chunks[0].text)


def test_a_short_cp1258_file_without_horn_or_breve_letters_still_decodes(tmp_path: Path):
    report = ingest_paths([write(tmp_path / "ngan.txt", to_cp1258("Xin chào. Tôi là giáo viên."))])
    assert report.chunks[0].text == "Xin chào.\nTôi là giáo viên."


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_utf16_and_utf8_with_bom_decode(tmp_path: Path, codec: str):
    data = f"# Mật khẩu\n{OTP}\n".encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data  # the explicit-endian codecs write no BOM themselves
    report = ingest_paths([write(tmp_path / "bom.md", data)])
    assert report.documents[0].title == "Mật khẩu"
    assert report.chunks[0].text == OTP


def test_utf16_without_bom_decodes(tmp_path: Path):
    report = ingest_paths([write(tmp_path / "nobom.txt", f"Wi-Fi công cộng. {OTP}".encode("utf-16-le"))])
    assert sentences(report.chunks[0].text) == ["Wi-Fi công cộng.", OTP]


def test_a_western_windows_1252_file_decodes(tmp_path: Path):
    text = "Café, crème brûlée à la française. Über naïve Straße."
    report = ingest_paths([write(tmp_path / "west.txt", text.encode("cp1252"))])
    assert report.documents[0].encoding == "cp1252"
    assert report.chunks[0].text == "Café, crème brûlée à la française.\nÜber naïve Straße."


# --------------------------------------------------------------------------------------------------- bad files


def _garbled() -> bytes:
    """UTF-8 Vietnamese opened as Windows-1252 and saved again as UTF-8."""
    return (VNEID + " " + OTP).encode("utf-8").decode("cp1252", errors="ignore").encode("utf-8")


def _encrypted_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_encryption(owner_password="chu", user_password="mat-khau")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, "Secret.")
    return bytes(pdf.output())


BAD_FILES: dict[str, tuple[str, bytes | str, str]] = {
    # case: (file name, content, expected code)
    "corrupt pdf": ("hong.pdf", random.Random(1).randbytes(4096), "corrupt"),
    "empty file": ("rong.txt", b"", "empty"),
    "whitespace only": ("trang.md", " \n\t\n   \r\n", "empty"),
    "front matter only": ("chi-dau.md", "---\ntitle: Trống\n---\n\n", "empty"),
    "binary renamed .txt": (
        "anh.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(2).randbytes(2048),
        "binary",
    ),
    "control characters": ("dieu-khien.txt", "".join(chr(c) for c in range(1, 9)) * 40, "binary"),
    "mojibake": ("loi-font.txt", _garbled(), "mojibake"),
    "unsupported extension": ("slide.pptx", b"PK\x03\x04 not really", "unsupported"),
    "corrupt docx": ("hong.docx", b"PK\x03\x04 this is not a zip", "corrupt"),
    "pdf without text": ("ban-quet.pdf", make_pdf([""]), "no-text"),
    "encrypted pdf": ("mat-khau.pdf", _encrypted_pdf(), "encrypted"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_each_kind_of_bad_file_is_skipped_with_a_reason_and_good_files_still_ingest(tmp_path: Path, case: str):
    name, content, code = BAD_FILES[case]
    good = write(tmp_path / "tot.md", GOOD_MD)
    bad = write(tmp_path / name, content)

    report = ingest_paths([bad, good])

    assert [d.path for d in report.documents] == [str(good.absolute())]
    assert report.chunks and all(c.lesson_id == report.documents[0].doc_id for c in report.chunks)
    [skipped] = report.skipped
    assert (skipped.path, skipped.code) == (str(bad.absolute()), code)
    assert skipped.reason.strip()


def test_an_unreadable_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    good = write(tmp_path / "tot.md", GOOD_MD)
    locked = write(tmp_path / "khoa.txt", "Nội dung bị khoá.")
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "khoa.txt":  # what the OS says to a non-root user on a chmod 000 file
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    report = ingest_paths([locked, good])

    assert len(report.documents) == 1
    assert [(s.path, s.code) for s in report.skipped] == [(str(locked.absolute()), "unreadable")]
    assert "Permission denied" in report.skipped[0].reason


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_skipped(tmp_path: Path):
    locked = write(tmp_path / "khoa.md", GOOD_MD)
    locked.chmod(0)
    try:
        report = ingest_paths([locked])
    finally:
        locked.chmod(0o644)
    assert [s.code for s in report.skipped] == ["unreadable"]


def test_a_dangling_symlink_and_a_missing_path_are_skipped(tmp_path: Path):
    good = write(tmp_path / "tot.md", GOOD_MD)
    dangling = tmp_path / "mat.md"
    dangling.symlink_to(tmp_path / "khong-co.md")
    report = ingest_paths([good, dangling, tmp_path / "khong-ton-tai.pdf"])

    assert len(report.documents) == 1
    assert [(Path(s.path).name, s.code) for s in report.skipped] == [
        ("mat.md", "unreadable"),
        ("khong-ton-tai.pdf", "missing"),
    ]


def test_a_file_over_the_size_limit_is_skipped(tmp_path: Path):
    big = write(tmp_path / "lon.txt", OTP * 100)
    report = ingest_paths([big], max_bytes=1000)
    assert report.documents == [] and [s.code for s in report.skipped] == ["too-large"]


def test_a_folder_of_mixed_files_ingests_the_good_ones_and_reports_every_bad_one(tmp_path: Path):
    folder = tmp_path / "tai-lieu"
    for name, content, _ in BAD_FILES.values():
        write(folder / "hong" / name, content)
    write(folder / "a.md", GOOD_MD)
    write(folder / "con" / "b.html", f"<title>Trang</title><h1>Tiêu đề</h1><p>{VNEID}</p>")
    write(folder / "con" / "chau" / "c.pdf", make_pdf(["Nested PDF page."]))
    make_docx(folder / "d.docx")
    write(folder / ".an" / "bi-mat.md", GOOD_MD + "ẩn")  # hidden folder
    write(folder / ".DS_Store", b"\x00\x01")  # hidden file
    write(folder / "~$d.docx", b"lock")  # Word's lock file

    report = ingest_paths([folder])

    assert sorted(Path(d.path).name for d in report.documents) == ["a.md", "b.html", "c.pdf", "d.docx"]
    assert sorted(s.code for s in report.skipped) == sorted(code for _, _, code in BAD_FILES.values())
    assert all(Path(s.path).parent.name == "hong" for s in report.skipped)


def test_nothing_existing_is_a_corpus_error(tmp_path: Path):
    with pytest.raises(CorpusError, match="khong-co"):
        ingest_paths([tmp_path / "khong-co.md", tmp_path / "khong-co-2"])
    with pytest.raises(CorpusError):
        ingest_paths([])


# --------------------------------------------------------------------------------------------------- duplicates, ids


def test_the_same_content_twice_in_one_run_is_ingested_once(tmp_path: Path):
    first = write(tmp_path / "a.md", GOOD_MD)
    copy = write(tmp_path / "sao-chep" / "b.md", GOOD_MD)
    report = ingest_paths([first, copy])

    assert [d.path for d in report.documents] == [str(first.absolute())]
    [skipped] = report.skipped
    assert (skipped.code, skipped.path) == ("duplicate", str(copy.absolute()))
    assert str(first.absolute()) in skipped.reason


def test_content_already_seen_is_skipped_and_seen_hashes_is_left_alone(tmp_path: Path):
    path = write(tmp_path / "a.md", GOOD_MD)
    sha = ingest_paths([path]).documents[0].sha256
    seen = {sha}
    report = ingest_paths([path, write(tmp_path / "moi.md", f"# Mới\n{VNEID}\n")], seen_hashes=seen)

    assert [Path(d.path).name for d in report.documents] == ["moi.md"]
    assert [s.code for s in report.skipped] == ["duplicate"]
    assert seen == {sha}


def test_chunk_ids_are_stable_across_runs_and_renames_and_lead_back_to_the_file(tmp_path: Path):
    path = write(tmp_path / "a.md", "# Thanh toán QR\n" + " ".join(SENTENCES) + "\n")
    first = ingest_paths([path], max_chars=300)
    again = ingest_paths([path], max_chars=300)
    renamed = ingest_paths([write(tmp_path / "khac" / "ten-khac.md", path.read_bytes())], max_chars=300)
    changed = ingest_paths([write(tmp_path / "sua.md", path.read_text(encoding="utf-8") + "Thêm một câu.\n")])

    ids = [c.id for c in first.chunks]
    assert ids == [c.id for c in again.chunks] == [c.id for c in renamed.chunks]
    assert len(set(ids)) == len(ids)
    assert changed.documents[0].doc_id != first.documents[0].doc_id

    doc = first.documents[0]
    assert doc.doc_id == "doc-" + doc.sha256[:12]
    doc_id, section_id, index = parse_chunk_id(ids[-1])
    assert (doc_id, section_id, index) == (doc.doc_id, "thanh-toan-qr", len(ids) - 1)
    located = first.locate(ids[-1])
    assert located is not None and located[0].path == str(path.absolute()) and located[1].title == "Thanh toán QR"
    with pytest.raises(ValueError):
        parse_chunk_id("vneid-muc-2#cac-buoc/0")


# --------------------------------------------------------------------------------------------------- persistence


def _two_reports(tmp_path: Path) -> tuple[IngestReport, IngestReport]:
    a = ingest_paths([write(tmp_path / "src" / "a.md", GOOD_MD)])
    b = ingest_paths([make_docx(tmp_path / "src" / "b.docx"), write(tmp_path / "src" / "c.pdf", make_pdf(["Page."]))])
    return a, b


def test_saved_chunks_load_back_identical_with_a_manifest_that_traces_each_document(tmp_path: Path):
    report, _ = _two_reports(tmp_path)
    out = tmp_path / "data" / "ingested"
    manifest_path = save_ingested(report, out)

    assert load_ingested(out) == report.chunks
    assert load_manifest(out) == report.documents
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    [entry] = manifest["documents"]
    doc = report.documents[0]
    assert (entry["path"], entry["sha256"], entry["title"], entry["chunks"]) == (
        doc.path,
        doc.sha256,
        doc.title,
        len(report.chunks),
    )
    assert (out / entry["file"]).name.startswith(doc.doc_id)


def test_saving_again_adds_documents_and_their_hashes_count_as_seen(tmp_path: Path):
    a, b = _two_reports(tmp_path)
    out = tmp_path / "ingested"
    save_ingested(a, out)
    save_ingested(b, out)
    save_ingested(a, out)  # saving the same document again replaces it, no duplicates

    assert load_ingested(out) == a.chunks + b.chunks
    assert ingested_hashes(out) == {d.sha256 for d in a.documents + b.documents}
    assert len(list(out.glob("*.jsonl"))) == 3


def test_nothing_saved_loads_as_empty(tmp_path: Path):
    assert load_ingested(tmp_path / "chua-co") == []
    assert ingested_hashes(tmp_path / "chua-co") == set()


def test_a_save_that_fails_before_the_manifest_is_replaced_keeps_the_previous_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    a, b = _two_reports(tmp_path)
    out = tmp_path / "ingested"
    save_ingested(a, out)
    manifest_before = (out / "manifest.json").read_bytes()
    real_replace = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).name == "manifest.json":
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(ingest_module.os, "replace", replace)
    with pytest.raises(CorpusError, match="No space left"):
        save_ingested(b, out)
    monkeypatch.undo()

    assert (out / "manifest.json").read_bytes() == manifest_before
    assert load_ingested(out) == a.chunks
    assert list(out.glob(".*.tmp")) == []


def test_a_save_that_fails_while_rewriting_a_document_keeps_its_previous_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = write(tmp_path / "a.md", "# Chuyển tiền\n" + " ".join(SENTENCES) + "\n")
    out = tmp_path / "ingested"
    before = ingest_paths([path], max_chars=800)
    save_ingested(before, out)
    files_before = {p.name: p.read_bytes() for p in out.iterdir()}
    rechunked = ingest_paths([path], max_chars=200)  # same document, other chunks
    assert rechunked.documents[0].doc_id == before.documents[0].doc_id and rechunked.chunks != before.chunks

    def fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(ingest_module.os, "fsync", fsync)
    with pytest.raises(CorpusError):
        save_ingested(rechunked, out)
    monkeypatch.undo()

    assert {p.name: p.read_bytes() for p in out.iterdir()} == files_before
    assert load_ingested(out) == before.chunks
    save_ingested(rechunked, out)  # and once the disk is fine again, the new chunks replace the old
    assert load_ingested(out) == rechunked.chunks
    assert len(list(out.glob("*.jsonl"))) == 1


def test_a_damaged_saved_file_is_a_corpus_error_not_silent_data_loss(tmp_path: Path):
    report, _ = _two_reports(tmp_path)
    out = tmp_path / "ingested"
    save_ingested(report, out)
    chunk_file = next(out.glob("*.jsonl"))
    chunk_file.write_bytes(chunk_file.read_bytes()[:-20])
    with pytest.raises(CorpusError, match="Nạp lại"):
        load_ingested(out)

    (out / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CorpusError, match="manifest.json"):
        load_ingested(out)


def test_a_short_first_line_of_a_text_file_is_its_title_and_not_repeated_in_its_text(tmp_path: Path):
    path = write(tmp_path / "p150.txt", f"Cảnh giác khi có người xưng công an\n{OTP} Tắt máy rồi tự gọi 113.\n")
    report = ingest_paths([path])
    assert report.documents[0].title == "Cảnh giác khi có người xưng công an"
    assert report.chunks[0].text.split("\n")[0] == OTP
