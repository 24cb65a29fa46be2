"""Ingested chunks on disk: saved and loaded back identical, added to, and never half-written or silently lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.ingest.conftest import GOOD_MD, SENTENCES, make_docx, make_pdf, write
from tutor.corpus import ingest as ingest_module
from tutor.corpus.ingest import IngestReport, ingest_paths, ingested_hashes, load_ingested, load_manifest, save_ingested
from tutor.errors import CorpusError


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
