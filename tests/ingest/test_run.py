"""ingest_paths over files and folders: every bad file skipped with a reason, duplicates ingested once."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from fpdf import FPDF

from tests.ingest.conftest import GOOD_MD, OTP, VNEID, make_docx, make_pdf, write
from tutor.corpus.ingest import ingest_paths
from tutor.errors import CorpusError


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
