"""BM25 over accent-folded syllables and syllable pairs: the lexical path, which also serves unaccented questions.

Saved beside the vectors when the index is built, and opened memory-mapped: bm25s keeps its score matrix in three
.npy arrays (mapped with mmap=True), and the vocabulary is kept here as sorted 64-bit token hashes (also mapped)
instead of a Python dict, which at 100k chunks would cost every worker tens of megabytes of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from tutor.text import lexical_tokens
from tutor.types import Chunk, Hit


def token_hash(token: str) -> int:
    """A stable 64-bit hash (Python's hash() differs between processes)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


#: The folder, beside index.faiss, that holds a saved BM25 index.
BM25_DIR = "bm25"
_HASHES, _IDS = "vocab.hashes.npy", "vocab.ids.npy"


class BM25Index:
    """Indexes each chunk's titles and text, folded, so "kich hoat" matches "kích hoạt"."""

    def __init__(self, chunks: Sequence[Chunk], *, _loaded: tuple[bm25s.BM25, np.ndarray, np.ndarray] | None = None):
        # Kept as given: a memory-mapped ChunkTable is not copied.
        self._chunks = chunks
        if _loaded is not None:
            self._bm25, self._hashes, self._ids = _loaded
            return
        self._bm25 = bm25s.BM25()
        corpus = [lexical_tokens(c.embed_text) or ["_"] for c in self._chunks]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        vocab: dict[str, int] = getattr(self._bm25, "vocab_dict", None) or {}
        pairs = sorted((token_hash(tok), i) for tok, i in vocab.items())
        self._hashes = np.array([h for h, _ in pairs], dtype="<u8")
        self._ids = np.array([i for _, i in pairs], dtype="<i8")

    def save(self, directory: Path) -> None:
        """bm25s' own files (scores as .npy) plus the hashed vocabulary; the chunks are saved with the vectors."""
        self._bm25.save(str(directory), show_progress=False)
        (directory / "vocab.index.json").write_text("{}", encoding="utf-8")  # the hashes below replace it
        np.save(directory / _HASHES, self._hashes)
        np.save(directory / _IDS, self._ids)

    @classmethod
    def load(cls, directory: Path, chunks: Sequence[Chunk]) -> BM25Index:
        """Open a saved index memory-mapped: its pages are shared by every process that opens it."""
        bm25 = bm25s.BM25.load(str(directory), mmap=True, load_vocab=False, show_progress=False)
        hashes = np.load(directory / _HASHES, mmap_mode="r")
        ids = np.load(directory / _IDS, mmap_mode="r")
        return cls(chunks, _loaded=(bm25, hashes, ids))

    def _token_ids(self, tokens: list[str]) -> list[int]:
        if not len(self._hashes):
            return []
        wanted = np.array([token_hash(t) for t in tokens], dtype="<u8")
        at = np.searchsorted(self._hashes, wanted)
        at[at >= len(self._hashes)] = 0
        found = self._hashes[at] == wanted
        return [int(i) for i in self._ids[at[found]]]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, in store order (zeros when no query token is known)."""
        ids = self._token_ids(lexical_tokens(query))
        if not ids or not len(self._chunks):
            return np.zeros(len(self._chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def search(self, query: str, k: int) -> list[Hit]:
        scores = self.scores(query)
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(chunk=self._chunks[i], score=float(scores[i]), lexical_rank=rank)
            for rank, i in enumerate(order)
            if scores[i] > 0
        ]


def open_bm25(source: Path | None, chunks: Sequence[Chunk]) -> BM25Index:
    """The BM25 index saved in an index version directory, or (no directory, or an index saved without one) built."""
    if source is not None and (source / BM25_DIR / _HASHES).exists():
        return BM25Index.load(source / BM25_DIR, chunks)
    return BM25Index(chunks)
