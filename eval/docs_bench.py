"""Ingest-and-retrieve bench on a public Vietnamese document set (eval/docs_set.py): a trainer's 240 paragraphs.

Ingests the paragraphs as `.txt` files into a fresh data directory beside the 64 lessons (distractors), builds
the index (the lessons' vectors come from a warmed cache, so the timed build embeds the paragraphs only), then
asks the 100 questions typed with marks and with every mark stripped. Paragraph-level hit@1/hit@5 for our hybrid
retriever, BM25 alone and the LangChain tutorial baseline; and how many extractive answers (no LLM) contain the
gold answer span, with the scope gate on or off.

`make bench` runs it as one row. Alone, e.g. to re-measure the answers with the scope gate on:
    .venv/bin/python eval/docs_bench.py --scope-gate on --answers 100 [--set 2] [--no-lessons] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import docs_set  # eval/ is on sys.path when a script in it runs

from tutor.config import Settings
from tutor.corpus.chunk import chunk_lessons
from tutor.corpus.ingest import ingest_paths, save_ingested
from tutor.corpus.load import load_lessons
from tutor.diacritics import strip_marks
from tutor.index.bm25 import BM25Index
from tutor.index.build import build_index
from tutor.index.embed_cache import EmbeddingCache, cache_key, embed_with_cache
from tutor.protocols import Embedder
from tutor.text import for_matching
from tutor.wiring import build_embedder, build_retriever, build_tutor

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class DocsIndex:
    settings: Settings
    doc_of_source: dict[str, str]
    file_of_source: dict[str, Path]
    figures: dict[str, float]


def _warm_lessons(embedder: Embedder, lessons_dir: Path, cache: EmbeddingCache, known: Path | None) -> None:
    """Put the lessons' vectors into `cache`: copied from the service's cache (`known`) when it has them, so the
    bench does not embed the lessons again, else embedded now."""
    texts = [for_matching(c.embed_text) for c in chunk_lessons(load_lessons(lessons_dir))]
    source = EmbeddingCache(known) if known is not None and known.is_dir() else None
    try:
        vectors, _ = embed_with_cache(embedder, texts, source)
    finally:
        if source is not None:
            source.close()
    for text, vector in zip(texts, vectors, strict=True):
        cache.put(cache_key(embedder.id, text), vector)


def prepare(work: Path, base: Settings, *, lessons: bool = True, cache_dir: Path | None = None) -> DocsIndex:
    """Write the set, ingest it, build the index; figures: parse time and the paragraphs' embedding rate."""
    files_of = docs_set.write_set(work / "docs")
    lessons_dir = base.lessons_dir
    if not lessons:
        (work / "corpus" / "lessons").mkdir(parents=True, exist_ok=True)
    settings = base.model_copy(
        update={"data_dir": work / "data", "corpus_dir": base.corpus_dir if lessons else work / "corpus"}
    )
    cache = EmbeddingCache(cache_dir or work / "cache")
    embedder = build_embedder(settings, threads=settings.build_threads)
    try:
        if lessons:  # the timed build below embeds the paragraphs only
            _warm_lessons(embedder, lessons_dir, cache, base.embed_cache_dir)
        t0 = time.perf_counter()
        report = ingest_paths(sorted(files_of.values()))
        parse_s = time.perf_counter() - t0
        save_ingested(report, settings.ingested_dir)
        t0 = time.perf_counter()
        build_index(settings.index_dir, settings.lessons_dir, embedder, cache=cache, ingested_dir=settings.ingested_dir)
        build_s = time.perf_counter() - t0
    finally:
        cache.close()
    doc_of_path = {Path(d.path).name: d.doc_id for d in report.documents}
    doc_of_source = {source: doc_of_path[path.name] for source, path in files_of.items()}
    figures = {
        "paragraphs": len(report.documents),
        "chunks": len(report.chunks),
        "parse s": parse_s,
        "build s": build_s,
        "chunks/s": len(report.chunks) / build_s,
        "load": os.getloadavg()[0],
    }
    return DocsIndex(settings, doc_of_source, files_of, figures)


def hits_at(ranked: Sequence[Sequence[str]], gold: Sequence[str]) -> dict[str, float]:
    n = len(gold)
    return {
        "hit@1": sum(g in r[:1] for r, g in zip(ranked, gold, strict=True)) / n,
        "hit@5": sum(g in r[:5] for r, g in zip(ranked, gold, strict=True)) / n,
    }


def _distinct(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def langchain_search(settings: Settings, files: Sequence[Path]) -> Callable[[str], list[str]]:
    """The LangChain tutorial over the same lessons and paragraphs; paragraphs are named by their file."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from tutor.embed.sbert import packaged_minilm_path

    docs = [
        Document(page_content=Path(x.path).read_text(encoding="utf-8").split("\n---\n", 1)[-1], metadata={"id": x.id})
        for x in load_lessons(settings.lessons_dir, allow_empty=True)
    ]
    docs += [Document(page_content=f.read_text(encoding="utf-8"), metadata={"id": f.name}) for f in files]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    store = FAISS.from_documents(splits, HuggingFaceEmbeddings(model_name=str(packaged_minilm_path())))
    return lambda q: [d.metadata["id"] for d in store.similarity_search(q, k=20)]


def retrieval(
    index: DocsIndex, *, baseline: bool = True, questions: Path = docs_set.QUESTIONS
) -> dict[str, dict[str, float]]:
    """hit@1/hit@5 (paragraph level) of each system, questions typed with marks and without."""
    qs = docs_set.questions(questions)
    gold = [index.doc_of_source[q.source] for q in qs]
    embedder = build_embedder(index.settings)
    retriever = build_retriever(index.settings, embedder)
    bm25 = BM25Index(retriever.store.chunks)
    systems: dict[str, Callable[[str], list[str]]] = {
        "ours (hybrid)": lambda q: [h.chunk.lesson_id for h in retriever.retrieve(q, 5)],
        "BM25 only": lambda q: [h.chunk.lesson_id for h in bm25.search(q, 20)],
    }
    golds = {name: gold for name in systems}
    if baseline:
        systems["LangChain baseline"] = langchain_search(index.settings, sorted(index.file_of_source.values()))
        golds["LangChain baseline"] = [index.file_of_source[q.source].name for q in qs]
    out: dict[str, dict[str, float]] = {}
    for name, search in systems.items():
        row: dict[str, float] = {}
        for form, typed in (("marks", lambda s: s), ("no marks", strip_marks)):
            ranked = [_distinct(search(typed(q.question))) for q in qs]
            row.update({f"{k} {form}": v for k, v in hits_at(ranked, golds[name]).items()})
        out[name] = row
    # Looser, as open-domain QA counts it: the top passage contains the answer, whichever paragraph it is (some
    # questions are answered by two near-identical help pages, e.g. cell borders in Calc and in Writer).
    for form, typed in (("marks", lambda s: s), ("no marks", strip_marks)):
        tops = [retriever.retrieve(typed(q.question), 1) for q in qs]
        found = [bool(t) and _squash(q.answer) in _squash(t[0].chunk.text) for t, q in zip(tops, qs, strict=True)]
        out["ours (hybrid)"][f"answer in top passage {form}"] = sum(found) / len(qs)
    return out


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def answers(
    index: DocsIndex, *, scope_gate: bool, limit: int | None = None, questions: Path = docs_set.QUESTIONS
) -> dict[str, float]:
    """Extractive answers (no LLM): the share containing the gold span, and how many were refused."""
    settings = index.settings.model_copy(update={"llm": "extractive", "scope_gate": scope_gate})
    tutor = build_tutor(settings)
    qs = docs_set.questions(questions)[:limit]
    contains = refused = 0
    for q in qs:
        a = tutor.answer(q.question)
        refused += not a.citations
        contains += _squash(q.answer) in _squash(a.text)
    return {"questions": len(qs), "gold span": contains / len(qs), "refused": refused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scope-gate", choices=("on", "off"), default="off")
    parser.add_argument("--answers", type=int, default=100, help="questions answered extractively (0: none)")
    parser.add_argument("--no-lessons", action="store_true", help="the paragraphs alone, no lessons as distractors")
    parser.add_argument("--no-baseline", action="store_true", help="skip the LangChain baseline (needs torch)")
    parser.add_argument("--set", choices=sorted(docs_set.SETS), default="1", help="question set (default: 1)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    questions = docs_set.SETS[args.set]
    with tempfile.TemporaryDirectory() as tmp:
        index = prepare(Path(tmp), Settings(), lessons=not args.no_lessons)
        results: dict[str, object] = {"ingest": index.figures}
        print(json.dumps(index.figures), flush=True)
        results["retrieval"] = retrieval(index, baseline=not args.no_baseline, questions=questions)
        for name, row in results["retrieval"].items():  # type: ignore[union-attr]
            print(f"{name:20s} " + "  ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
        if args.answers:
            results["answers"] = answers(
                index, scope_gate=args.scope_gate == "on", limit=args.answers, questions=questions
            )
            print(f"extractive answers, scope gate {args.scope_gate}: {json.dumps(results['answers'])}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
