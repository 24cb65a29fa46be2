"""BM25 over accent-folded syllables and syllable pairs: the lexical path, which also serves unaccented questions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import bm25s
import numpy as np

from tutor.text import folded_syllables
from tutor.types import Chunk, Hit


def lexical_tokens(text: str) -> list[str]:
    """Folded syllables plus adjacent pairs. Most Vietnamese words are two syllables, so the pairs stand in
    for words ("kich_hoat") without a segmenter; on the gold set this beat pyvi words (eval/results)."""
    syl = folded_syllables(text)
    return syl + [f"{a}_{b}" for a, b in itertools.pairwise(syl)]


class BM25Index:
    """Indexes each chunk's titles and text, folded, so "kich hoat" matches "kích hoạt"."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = list(chunks)
        self._bm25 = bm25s.BM25()
        corpus = [lexical_tokens(c.embed_text) or ["_"] for c in self._chunks]
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._vocab = {tok for doc in corpus for tok in doc}

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, in store order (zeros when no query token is known)."""
        toks = [t for t in lexical_tokens(query) if t in self._vocab]
        if not toks or not self._chunks:
            return np.zeros(len(self._chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(toks), dtype=np.float32)

    def search(self, query: str, k: int) -> list[Hit]:
        scores = self.scores(query)
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(chunk=self._chunks[i], score=float(scores[i]), lexical_rank=rank)
            for rank, i in enumerate(order)
            if scores[i] > 0
        ]
