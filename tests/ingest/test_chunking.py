"""Sections cut into chunks at sentence boundaries, overlapping by whole sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.conftest import OTP, SENTENCES, VNEID, write
from tutor.corpus.ingest import ingest_paths
from tutor.text import sentences


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


def test_a_sentence_longer_than_max_chars_stands_alone_uncut(tmp_path: Path):
    giant = "Đây là một câu rất dài " + "và còn dài nữa " * 30 + "kết thúc ở đây."
    path = write(tmp_path / "dai.txt", f"{OTP} {giant} {VNEID}")
    report = ingest_paths([path], max_chars=120, overlap_sentences=1)

    assert [c.text for c in report.chunks] == [OTP, giant, VNEID]
