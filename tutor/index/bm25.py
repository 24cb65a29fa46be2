"""BM25 over accent-folded syllables: the lexical path that still works when a question has no diacritics."""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import numpy as np

from tutor.text import folded_syllables
from tutor.types import Chunk, Hit


class BM25Index:
    """Indexes each chunk's titles and text, folded, so "kich hoat" matches "kích hoạt"."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = list(chunks)
        self._bm25 = bm25s.BM25()
        corpus = [folded_syllables(c.embed_text) or ["_"] for c in self._chunks]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._vocab = {tok for doc in corpus for tok in doc}

    def search(self, query: str, k: int) -> list[Hit]:
        toks = [t for t in folded_syllables(query) if t in self._vocab]
        if not toks or not self._chunks:
            return []
        scores = np.asarray(self._bm25.get_scores(toks))
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(chunk=self._chunks[i], score=float(scores[i]), lexical_rank=rank)
            for rank, i in enumerate(order)
            if scores[i] > 0
        ]
