"""The index on disk is read in place: vectors, chunks and BM25 are memory-mapped, so workers share one copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tutor.config import Settings
from tutor.index.bm25 import BM25_DIR, BM25Index, open_bm25
from tutor.index.chunk_table import OFFSETS_FILE, ChunkTable, write_chunks
from tutor.index.faiss_store import load_index
from tutor.types import Chunk
from tutor.wiring import build_retriever


def _mapped_files() -> set[str]:
    """Files this process has memory-mapped (/proc/self/maps), whether or not their pages were read yet."""
    return {line.split(maxsplit=5)[5] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line}


def _chunks(n: int) -> list[Chunk]:
    return [
        Chunk(f"c{i}", f"l{i % 3}", "co-ban", "Bài", "Mục", f"Đoạn số {i}: kích hoạt tài khoản", ("nguoi-dan",), ())
        for i in range(n)
    ]


def test_a_chunk_table_reads_what_was_written_by_index_and_slice(tmp_path: Path):
    chunks = _chunks(5)
    write_chunks(tmp_path, chunks)
    table = ChunkTable(tmp_path)
    assert len(table) == 5 and table[0] == chunks[0] and table[-1] == chunks[4]
    assert table[1:3] == chunks[1:3] and list(table) == chunks


def test_an_index_written_before_offsets_existed_is_still_read(tmp_path: Path):
    chunks = _chunks(4)
    write_chunks(tmp_path, chunks)
    (tmp_path / OFFSETS_FILE).unlink()
    body = (tmp_path / "chunks.jsonl").read_text(encoding="utf-8")
    (tmp_path / "chunks.jsonl").write_text(body.replace("\n", "\n\n", 1), encoding="utf-8")  # a stray blank line
    assert list(ChunkTable(tmp_path)) == chunks


def test_the_loaded_index_maps_its_files_instead_of_copying_them(built_settings: Settings):
    store, manifest = load_index(built_settings.index_dir, "hash:256")
    version = built_settings.index_dir.resolve() / "current"
    version = version.resolve()
    assert isinstance(store.chunks, ChunkTable) and len(store.chunks) == manifest.chunk_count
    bm25 = open_bm25(store.source, store.chunks)
    mapped = _mapped_files()
    for name in ("index.faiss", "chunks.jsonl", OFFSETS_FILE, f"{BM25_DIR}/data.csc.index.npy"):
        assert str(version / name) in mapped, f"{name} is not memory-mapped"
    assert bm25.scores("kich hoat tai khoan").max() > 0


def test_the_saved_bm25_scores_exactly_like_one_built_in_memory(built_settings: Settings):
    store, _ = load_index(built_settings.index_dir, "hash:256")
    saved, fresh = open_bm25(store.source, store.chunks), BM25Index(list(store.chunks))
    for query in ("kich hoat tai khoan dinh danh muc 2", "mã OTP công an", "từ không có trong bài nào xyz"):
        assert np.allclose(saved.scores(query), fresh.scores(query))


def test_retrieval_over_the_mapped_index_finds_the_lesson(built_settings: Settings, hash_embedder):
    retriever = build_retriever(built_settings, hash_embedder)
    hits = retriever.retrieve("kích hoạt tài khoản định danh điện tử mức 2", 3)
    assert hits and hits[0].chunk.lesson_id == "vneid-muc-2"


def test_the_saved_diacritic_restorer_restores_like_the_built_one_and_is_mapped(built_settings: Settings):
    from tutor.diacritics import DiacriticRestorer
    from tutor.index.hybrid import RESTORER_DIR, build_restorer

    store, _ = load_index(built_settings.index_dir, "hash:256")
    assert store.source is not None
    saved, built = DiacriticRestorer.load(store.source / RESTORER_DIR), build_restorer(list(store.chunks))
    for typed in ("kich hoat tai khoan dinh danh muc 2", "co nguoi goi xung cong an doi ma OTP", "Xin Chao zzz"):
        assert saved.restore(typed) == built.restore(typed)
    assert saved.restore("kich hoat tai khoan") != "kich hoat tai khoan"
    assert str(store.source / RESTORER_DIR / "forms.txt") in _mapped_files()
