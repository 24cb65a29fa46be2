"""Chunk ids: stable across runs and renames, parsed back, and traced to their file and section."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.conftest import SENTENCES, write
from tutor.corpus.ingest import ingest_paths, parse_chunk_id


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
