"""Measure retrieval variants on the gold set to choose tokenisation, fusion weights and depth.

Run: .venv/bin/python eval/tune_retrieval.py  (needs a built index: `tutor index build`).
Prints one table; the chosen settings are recorded in eval/results/retrieval_tuning.md.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import numpy as np

from tutor.answering.tutor import retrieval_query
from tutor.config import Settings
from tutor.evals.dataset import load_gold
from tutor.index.faiss_store import load_index
from tutor.text import fold, for_matching, has_diacritics, syllables
from tutor.types import Chunk, Message
from tutor.wiring import build_embedder

ROOT = Path(__file__).resolve().parent.parent
Tokenizer = Callable[[str], list[str]]


def tok_folded(text: str) -> list[str]:
    return syllables(fold(text))


def tok_folded_bigrams(text: str) -> list[str]:
    t = tok_folded(text)
    return t + [f"{a}_{b}" for a, b in itertools.pairwise(t)]


def tok_accented(text: str) -> list[str]:
    return syllables(for_matching(text))


def tok_pyvi(text: str) -> list[str]:
    from pyvi import ViTokenizer

    return [w.lower() for w in ViTokenizer.tokenize(for_matching(text)).split() if any(c.isalnum() for c in w)]


def tok_pyvi_folded(text: str) -> list[str]:
    return [fold(w) for w in tok_pyvi(text)]


class Lexical:
    def __init__(self, chunks: Sequence[Chunk], tok: Tokenizer, k1: float = 1.5, b: float = 0.75) -> None:
        self.tok = tok
        corpus = [tok(c.embed_text) or ["_"] for c in chunks]
        self.vocab = {t for d in corpus for t in d}
        self.bm = bm25s.BM25(k1=k1, b=b)
        self.bm.index(corpus, show_progress=False)
        self.n = len(chunks)

    def scores(self, q: str) -> np.ndarray:
        toks = [t for t in self.tok(q) if t in self.vocab]
        return np.asarray(self.bm.get_scores(toks)) if toks else np.zeros(self.n)


def ranks(scores: np.ndarray) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")
    r = np.empty_like(order)
    r[order] = np.arange(len(order))
    return r


def lesson_metrics(chunk_lessons: list[str], fused: list[np.ndarray], gold: list[str]) -> tuple[float, float, float]:
    h1 = h5 = mrr = 0.0
    for scores, g in zip(fused, gold, strict=True):
        seen: list[str] = []
        for i in np.argsort(-scores, kind="stable")[:40]:
            if chunk_lessons[i] not in seen:
                seen.append(chunk_lessons[i])
        if g in seen:
            r = seen.index(g) + 1
            h1 += r == 1
            h5 += r <= 5
            mrr += 1 / r
    n = len(gold)
    return h1 / n, h5 / n, mrr / n


def main() -> None:
    settings = Settings(llm="extractive")
    embedder = build_embedder(settings)
    store, _ = load_index(settings.index_dir, embedder.id)
    chunks = list(store.chunks)
    vecs = store._index.reconstruct_n(0, store._index.ntotal)
    items = [i for i in load_gold(ROOT / "eval" / "datasets" / "gold_vi.jsonl") if i.gold]
    queries = [retrieval_query(i.question, [Message(t.role, t.content) for t in i.history]) for i in items]
    gold = [i.gold.lesson for i in items if i.gold]
    accented = np.array([has_diacritics(q) for q in queries])
    qv = np.stack([embedder.embed_query(for_matching(q)) for q in queries])
    dense = qv @ vecs.T
    chunk_lessons = [c.lesson_id for c in chunks]

    rows: list[tuple[str, float, float, float]] = []
    # Split halves guard against tuning to the test: choose on one half, report on the other.
    half_a = [i for i in range(len(items)) if i % 2 == 0]
    half_b = [i for i in range(len(items)) if i % 2 == 1]
    halves: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {}

    def report(name: str, fused: list[np.ndarray]) -> None:
        rows.append((name, *lesson_metrics(chunk_lessons, fused, gold)))
        halves[name] = (
            lesson_metrics(chunk_lessons, [fused[i] for i in half_a], [gold[i] for i in half_a]),
            lesson_metrics(chunk_lessons, [fused[i] for i in half_b], [gold[i] for i in half_b]),
        )

    report("dense", list(dense))
    lexicals = {
        "bm25 folded": Lexical(chunks, tok_folded),
        "bm25 folded+bigrams": Lexical(chunks, tok_folded_bigrams),
        "bm25 accented": Lexical(chunks, tok_accented),
        "bm25 pyvi": Lexical(chunks, tok_pyvi),
        "bm25 pyvi folded": Lexical(chunks, tok_pyvi_folded),
    }
    lex_scores = {name: np.stack([lx.scores(q) for q in queries]) for name, lx in lexicals.items()}
    for name, sc in lex_scores.items():
        report(name, list(sc))

    dense_ranks = np.stack([ranks(s) for s in dense])
    for lex_name in ["bm25 folded", "bm25 folded+bigrams", "bm25 pyvi folded"]:
        lr = np.stack([ranks(s) for s in lex_scores[lex_name]])
        for wd, wd_plain, k in itertools.product([0.5, 0.8, 1.0], [0.2, 0.35, 0.5], [10, 30, 60]):
            fused = []
            for i in range(len(queries)):
                w = wd if accented[i] else wd_plain
                fused.append(w / (k + dense_ranks[i] + 1) + 1.0 / (k + lr[i] + 1))
            report(f"rrf {lex_name} wd={wd}/{wd_plain} k={k}", fused)
        # weighted sum of per-query max-normalised scores
        for alpha, alpha_plain in itertools.product([0.3, 0.5, 0.7], [0.1, 0.2, 0.3]):
            fused = []
            for i in range(len(queries)):
                d = dense[i]
                d = (d - d.min()) / (d.max() - d.min() + 1e-9)
                lx = lex_scores[lex_name][i]
                lx = lx / (lx.max() + 1e-9)
                a = alpha if accented[i] else alpha_plain
                fused.append(a * d + (1 - a) * lx)
            report(f"sum {lex_name} a={alpha}/{alpha_plain}", fused)

    rows.sort(key=lambda r: (-r[2], -r[3]))
    print(f"{len(items)} answerable gold items, {int((~accented).sum())} typed without diacritics")
    print(f"{'variant':55s} hit@1  hit@5  MRR")
    for name, h1, h5, mrr in rows[: int(sys.argv[1]) if len(sys.argv) > 1 else 25]:
        print(f"{name:55s} {h1:.3f}  {h5:.3f}  {mrr:.3f}")
    for name, h1, h5, mrr in rows:
        if not name.startswith(("rrf", "sum")):
            print(f"{name:55s} {h1:.3f}  {h5:.3f}  {mrr:.3f}")
    for chooser, scorer in ((0, 1), (1, 0)):
        best = max(halves, key=lambda n: (halves[n][chooser][1], halves[n][chooser][2]))
        h1, h5, mrr = halves[best][scorer]
        print(f"chosen on half {'AB'[chooser]}: {best}; on half {'AB'[scorer]}: hit@5 {h5:.3f} MRR {mrr:.3f}")


if __name__ == "__main__":
    main()
