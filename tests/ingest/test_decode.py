"""Bytes to text: Vietnamese and Western Windows code pages, UTF-16 and BOMs, icon-font bullets that are not binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.conftest import OTP, VNEID, nfc, to_cp1258, write
from tutor.corpus.ingest import ingest_paths
from tutor.text import sentences


def test_icon_font_bullets_are_dropped_rather_than_taken_for_binary(tmp_path: Path):
    lines = "".join(f"\uf0b7 Bước {n}: mở ứng dụng.\n" for n in range(1, 21))  # Word bullets as PDFs extract them
    report = ingest_paths([write(tmp_path / "buoc.txt", lines)])
    assert report.skipped == []
    assert sentences(report.chunks[0].text)[:2] == ["Bước 1: mở ứng dụng.", "Bước 2: mở ứng dụng."]


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
