"""Retrieval and end-to-end benchmark: one run, one machine, one table (`make bench`).

Measures on the gold set our hybrid retriever against dense only, BM25 only and the LangChain
tutorial baseline (FAISS + HuggingFaceEmbeddings on the packaged all-MiniLM-L6-v2); index build
throughput and the rebuild after editing one lesson; a synthetic 100k-chunk scale run; and the
real service with the embedded LLM against raw llama-cpp-python on the same prompt.

Also: query latency by embedder threads idle and beside a CPU-bound process, and an ingest-and-retrieve row on
a public Vietnamese document set (eval/docs_bench.py).

Usage: .venv/bin/python eval/bench_retrieval.py [--skip-e2e] [--skip-scale] [--skip-docs] [--scale N]
       [--e2e-questions N]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import numpy as np

from tutor.answering.context import fit_passages
from tutor.answering.tutor import extract_passages, retrieval_query
from tutor.config import Settings
from tutor.corpus.load import load_lessons
from tutor.evals.dataset import GoldItem, load_gold
from tutor.index.bm25 import BM25Index
from tutor.index.build import build_index
from tutor.index.embed_cache import EmbeddingCache
from tutor.index.faiss_store import FaissStore
from tutor.index.hybrid import HybridRetriever
from tutor.testing.service import free_port, running
from tutor.text import for_matching
from tutor.types import Chunk, Group, Level, Message
from tutor.wiring import build_embedder, build_retriever, retriever_over

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Làm sao kích hoạt tài khoản định danh điện tử mức 2?",
    "có người gọi xưng công an đòi mã OTP thì làm sao",
    "bật wifi trên điện thoại thế nào",
    "chuyển khoản nhầm người thì phải làm gì",
    "quên mật khẩu VNeID thì lấy lại sao",
    "quét mã QR thanh toán cần kiểm tra gì",
]


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def rank_metrics(ranked: Sequence[Sequence[str]], gold: Sequence[str]) -> dict[str, float]:
    """Lesson-level hit@k, MRR and nDCG@5 (one relevant lesson per question)."""
    out = {"hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "MRR": 0.0, "nDCG@5": 0.0}
    for lessons, g in zip(ranked, gold, strict=True):
        if g not in lessons:
            continue
        r = lessons.index(g) + 1
        out["MRR"] += 1 / r
        for k in (1, 3, 5):
            out[f"hit@{k}"] += r <= k
        if r <= 5:
            out["nDCG@5"] += 1 / math.log2(r + 1)
    return {k: v / len(gold) for k, v in out.items()}


def distinct_lessons(lesson_ids: Sequence[str], n: int = 10) -> list[str]:
    return list(dict.fromkeys(lesson_ids))[:n]


def run_system(search: Callable[[str], list[str]], queries: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    for q in queries[:5]:  # warm caches and lazy loads before timing
        search(q)
    ranked, lat = [], []
    for q in queries:
        t0 = time.perf_counter()
        ranked.append(distinct_lessons(search(q)))
        lat.append(time.perf_counter() - t0)
    m = rank_metrics(ranked, gold)
    m["p50 ms"], m["p95 ms"] = pct(lat, 50) * 1e3, pct(lat, 95) * 1e3
    return m


def langchain_baseline(settings: Settings) -> Callable[[str], list[str]]:
    """The LangChain RAG tutorial: split documents, HuggingFaceEmbeddings, FAISS, similarity_search."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from tutor.embed.sbert import packaged_minilm_path

    docs = [
        Document(
            page_content=Path(lesson.path).read_text(encoding="utf-8").split("\n---\n", 1)[-1],
            metadata={"lesson": lesson.id},
        )
        for lesson in load_lessons(settings.lessons_dir)
    ]
    splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
    emb = HuggingFaceEmbeddings(model_name=str(packaged_minilm_path()))
    store = FAISS.from_documents(splits, emb)
    return lambda q: [d.metadata["lesson"] for d in store.similarity_search(q, k=20)]


def bench_gold(settings: Settings, retriever: HybridRetriever, items: Sequence[GoldItem]) -> dict[str, dict]:
    queries = [retrieval_query(i.question, [Message(t.role, t.content) for t in i.history]) for i in items]
    gold = [i.gold.lesson for i in items if i.gold]
    levels = {q: (i.level.value, i.group.value) for q, i in zip(queries, items, strict=True)}
    bm25 = BM25Index(retriever.store.chunks)
    embedder = retriever._embedder
    systems: dict[str, Callable[[str], list[str]]] = {
        "ours (hybrid)": lambda q: [
            h.chunk.lesson_id for h in retriever.retrieve(q, 20, level=levels[q][0], group=levels[q][1])
        ],
        "dense only": lambda q: [
            h.chunk.lesson_id for h in retriever.store.search(embedder.embed_query(for_matching(q)), 20)
        ],
        "BM25 only": lambda q: [h.chunk.lesson_id for h in bm25.search(q, 20)],
        "LangChain baseline": langchain_baseline(settings),
    }
    return {name: run_system(fn, queries, gold) for name, fn in systems.items()}


def query_latency(settings: Settings, threads: int) -> dict[str, float]:
    """Warm query latency over the gold questions with the embedder on `threads`: the question's embedding alone,
    and the whole retrieval (embed + search + fuse)."""
    embedder = build_embedder(settings, threads=threads)
    retriever = build_retriever(settings, embedder)
    items = [i for i in load_gold(ROOT / "eval" / "datasets" / "gold_vi.jsonl") if i.gold]
    for item in items[:10]:
        retriever.retrieve(item.question + " ?", 4)  # warm up, without filling the query cache for the run
    embed, total = [], []
    for item in items:
        text = retriever.dense_text(item.question)
        t0 = time.perf_counter()
        embedder.embed_query(text)
        embed.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        retriever.retrieve(item.question, settings.k, level=item.level.value, group=item.group.value)
        total.append((time.perf_counter() - t0) * 1000)
    return {"embed p50 ms": pct(embed, 50), "embed p95 ms": pct(embed, 95), "retrieve p95 ms": pct(total, 95)}


#: A CPU-bound process to share the cores with: "another job on the machine" while query latency is measured.
# It runs until the bench kills it (a latency run under load can take minutes on a shared machine).
BURNER = "while True:\n    sum(i * i for i in range(10000))\n"


def bench_threads() -> dict[str, float]:
    """Query latency by embedder thread count, idle and while a CPU-bound process runs beside it (the machine an
    operator shares). Each in a fresh process: OpenMP fixes its thread count when it first starts. The default
    (TUTOR_EMBED_THREADS=0 -> 1) is the count whose p95 holds under load."""
    out: dict[str, float] = {}
    for load in ("idle", "under load"):
        for threads in (1, 2):
            burner = subprocess.Popen([sys.executable, "-c", BURNER]) if load == "under load" else None
            try:
                done = subprocess.run(
                    [sys.executable, __file__, "--query-latency", str(threads)],
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd=ROOT,
                )
            finally:
                if burner is not None:
                    burner.kill()
                    burner.wait()
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            out.update({f"{load} {threads} thread {k}": v for k, v in figures.items()})
    return out


def bench_docs() -> dict[str, object]:
    """Ingest-and-retrieve on the public document set (eval/docs_bench.py): ingest rate, hit@1/hit@5 with and
    without marks beside BM25 alone and the LangChain baseline, extractive answers with the gold span; for
    question sets 1, 2 and 4; 2 and 4 written apart, 4 held out: nothing was chosen on it (eval/docs_set.py)."""
    import docs_bench
    import docs_set

    with tempfile.TemporaryDirectory() as tmp:
        index = docs_bench.prepare(Path(tmp), Settings())
        return {
            "ingest": index.figures,
            "retrieval": docs_bench.retrieval(index),
            "answers (scope gate off)": docs_bench.answers(index, scope_gate=False),
            "retrieval (set 2)": docs_bench.retrieval(index, baseline=False, questions=docs_set.QUESTIONS_2),
            "answers (set 2, scope gate on)": docs_bench.answers(
                index, scope_gate=True, questions=docs_set.QUESTIONS_2
            ),
            "retrieval (set 4)": docs_bench.retrieval(index, baseline=False, questions=docs_set.QUESTIONS_4),
            "answers (set 4, scope gate on)": docs_bench.answers(
                index, scope_gate=True, questions=docs_set.QUESTIONS_4
            ),
        }


def bench_build(settings: Settings) -> dict[str, float]:
    """Full build without a cache, then the rebuild after editing one lesson with the cache."""
    embedder = build_embedder(settings, threads=settings.build_threads)
    with tempfile.TemporaryDirectory() as tmp:
        lessons = Path(tmp) / "lessons"
        shutil.copytree(settings.lessons_dir, lessons)
        cache = EmbeddingCache(Path(tmp) / "cache")
        t0 = time.perf_counter()
        manifest = build_index(Path(tmp) / "index", lessons, embedder, cache=cache)
        full = time.perf_counter() - t0
        lesson = lessons / "dien-thoai-ket-noi-wifi.md"
        text = lesson.read_text(encoding="utf-8")
        lesson.write_text(
            text.replace("## Cơ bản\n", "## Cơ bản\nĐây là một câu mới thêm vào bài.\n", 1), encoding="utf-8"
        )
        t0 = time.perf_counter()
        build_index(Path(tmp) / "index", lessons, embedder, cache=cache)
        rebuild = time.perf_counter() - t0
        cache.close()
    return {
        "chunks": manifest.chunk_count,
        "full build s": full,
        "chunks/s": manifest.chunk_count / full,
        "rebuild after one edit s": rebuild,
    }


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_scale(settings: Settings, retriever: HybridRetriever, n: int) -> dict[str, float]:
    """n synthetic chunks (real sentences, perturbed real vectors) through the full hybrid retriever."""
    rng = np.random.default_rng(0)
    base_chunks = list(retriever.store.chunks)
    base_vecs = retriever.store._index.reconstruct_n(0, len(base_chunks))
    before = rss_mb()
    picks = rng.integers(0, len(base_chunks), n)
    chunks = [
        Chunk(f"syn-{i}#x/0", f"syn-{i % 5000}", "x", base_chunks[p].lesson_title, "X", base_chunks[p].text)
        for i, p in enumerate(picks)
    ]
    vecs = base_vecs[picks] + 0.05 * rng.standard_normal((n, base_vecs.shape[1])).astype(np.float32)
    t0 = time.perf_counter()
    store = FaissStore.from_vectors(vecs, chunks)
    big = retriever_over(retriever._embedder, store)
    build_s = time.perf_counter() - t0
    qs = QUESTIONS * 10
    faiss_lat, hybrid_lat = [], []
    for q in qs:
        v = retriever._embedder.embed_query(q)
        t0 = time.perf_counter()
        store.search(v, 20)
        faiss_lat.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        big.retrieve(q, 5)
        hybrid_lat.append(time.perf_counter() - t0)
    return {
        "chunks": n,
        "index": store.kind,
        "build s": build_s,
        "FAISS search p50 ms": pct(faiss_lat, 50) * 1e3,
        "FAISS search p95 ms": pct(faiss_lat, 95) * 1e3,
        "hybrid retrieve p95 ms": pct(hybrid_lat, 95) * 1e3,
        "memory added MB": rss_mb() - before,
    }


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_e2e(settings: Settings, retriever: HybridRetriever, n_questions: int) -> dict[str, float]:
    """The real service (uvicorn, embedded LLM) over HTTP, then raw llama-cpp-python on the same prompts."""
    from llama_cpp import Llama

    from tutor.answering.prompts import Prompts
    from tutor.llm.gguf import QWEN_05B, assemble

    port = free_port()
    env = {**os.environ, "TUTOR_PORT": str(port), "TUTOR_LLM": "llamacpp"}
    base = f"http://127.0.0.1:{port}"
    questions = (QUESTIONS * 3)[:n_questions]
    ttft: list[float] = []
    streamed: list[tuple[str, str, float]] = []  # first piece shown, the whole text, seconds after the first piece
    # Loading the GGUF model and the index takes a while on two cores.
    with running([sys.executable, "-m", "tutor.cli", "serve"], f"{base}/readyz", env=env, cwd=ROOT, timeout=300) as pid:
        for i, q in enumerate(questions):
            t0 = time.perf_counter()
            first = None
            text, event, first_piece = "", "", ""
            with httpx.stream("POST", f"{base}/api/chat/stream", json={"question": q}, timeout=300) as r:
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "token":
                        if first is None:
                            first = time.perf_counter() - t0
                        piece = json.loads(line[6:])["text"]
                        text += piece
                        first_piece = first_piece or piece
            total = time.perf_counter() - t0
            if i == 0:
                continue  # the first request pays for loading the model and the system prompt
            if first is not None:
                ttft.append(first)
                # The service shows text in guarded pieces, not tokens: count the model's tokens in what it showed.
                streamed.append((first_piece, text, total - first))
        service_rss = _peak_rss_mb(pid)

    # Raw llama-cpp-python, same model, same prompts, same options.
    llm = Llama(
        model_path=str(assemble(QWEN_05B, settings.models_dir)),
        n_ctx=settings.llm_ctx,
        n_threads=settings.llm_threads,
        verbose=False,
        seed=0,
        flash_attn=True,
    )

    def tokens(text: str) -> int:
        return len(llm.tokenize(text.encode(), add_bos=False))

    # Decode speed counts the tokens after the first piece shown: the guard's first piece holds several tokens
    # (it holds back a few words), and counting them over the time after it would flatter the service.
    rates = [(tokens(text) - tokens(head)) / span for head, text, span in streamed if span > 0]
    prompts = Prompts(settings.prompts_dir)
    raw_ttft, raw_rates = [], []
    for i, q in enumerate(questions):
        hits = retriever.retrieve(q, settings.k, level="co-ban", group="nguoi-dan")
        shown = fit_passages(q, extract_passages(hits, Level.CO_BAN, settings.llm_passages), settings.llm_context_chars)
        msgs = prompts.answer_messages(q, Level.CO_BAN, Group.NGUOI_DAN, shown)
        t0 = time.perf_counter()
        first = None
        raw_text, raw_head = "", ""
        for chunk in llm.create_chat_completion(
            messages=[{"role": m.role, "content": m.content} for m in msgs],
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            stream=True,
            repeat_penalty=1.15,
        ):
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                raw_text += piece
                if first is None:
                    raw_head = piece
                    first = time.perf_counter() - t0
        total = time.perf_counter() - t0
        if i == 0 or first is None:
            continue
        raw_ttft.append(first)
        if total > first:
            raw_rates.append((tokens(raw_text) - tokens(raw_head)) / (total - first))
    service_rate, raw_rate = float(np.median(rates)), float(np.median(raw_rates))
    return {
        "questions timed": len(ttft),
        "service TTFT p50 s": pct(ttft, 50),
        "service TTFT p95 s": pct(ttft, 95),
        "raw TTFT p50 s": pct(raw_ttft, 50),
        "service tok/s": service_rate,
        "raw tok/s": raw_rate,
        "service/raw decode": service_rate / raw_rate,
        "service peak RSS MB": service_rss,
    }


def line(title: str, figures: dict[str, float | int | str]) -> str:
    return f"{title}: " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())


def ratio(a: float, b: float) -> str:
    return f"×{a / b:.2f}" if b else "×inf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--skip-docs", action="store_true", help="no ingest-and-retrieve row (needs libreoffice-help-vi)"
    )
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--e2e-questions", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--query-latency", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.query_latency:
        print(json.dumps(query_latency(Settings(), args.query_latency)))
        return

    settings = Settings()
    retriever = build_retriever(settings, build_embedder(settings))
    items = [i for i in load_gold(ROOT / "eval" / "datasets" / "gold_vi.jsonl") if i.gold]
    results: dict[str, object] = {"machine": f"{os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d %H:%M")}

    print(f"Gold set: {len(items)} answerable questions, lesson-level ranking", flush=True)
    gold = bench_gold(settings, retriever, items)
    results["gold"] = gold
    cols = ["hit@1", "hit@3", "hit@5", "MRR", "nDCG@5", "p50 ms", "p95 ms"]
    print(f"{'system':22s}" + "".join(f"{c:>9s}" for c in cols))
    for name, m in gold.items():
        print(f"{name:22s}" + "".join(f"{m[c]:9.3f}" if "ms" not in c else f"{m[c]:9.1f}" for c in cols))
    ours = gold["ours (hybrid)"]
    for name, m in gold.items():
        if name != "ours (hybrid)":
            print(
                f"  ours / {name:20s} hit@5 {ratio(ours['hit@5'], m['hit@5'])}   MRR {ratio(ours['MRR'], m['MRR'])}"
                f"   nDCG@5 {ratio(ours['nDCG@5'], m['nDCG@5'])}"
            )

    threads = bench_threads()
    results["query_threads"] = threads
    print("\n" + line("Warm query by embedder threads", threads))

    if not args.skip_docs:
        docs = bench_docs()
        results["docs"] = docs
        print("\n" + line("Documents: ingest 240 paragraphs", docs["ingest"]))  # type: ignore[arg-type]
        for title, key, answers_key in (
            ("set 1, 100 questions", "retrieval", "answers (scope gate off)"),
            ("set 2, 140 questions written apart", "retrieval (set 2)", "answers (set 2, scope gate on)"),
            ("set 4, 120 questions written apart, held out", "retrieval (set 4)", "answers (set 4, scope gate on)"),
        ):
            print(f"Documents, {title}, paragraph-level ({'with marks / without':>21s})")
            for name, m in docs[key].items():  # type: ignore[attr-defined]
                print(
                    f"  {name:20s} hit@1 {m['hit@1 marks']:.3f} / {m['hit@1 no marks']:.3f}"
                    f"   hit@5 {m['hit@5 marks']:.3f} / {m['hit@5 no marks']:.3f}"
                )
            print(line(f"Documents, {title}: extractive {answers_key}", docs[answers_key]))  # type: ignore[arg-type]

    build = bench_build(settings)
    results["build"] = build
    print("\n" + line("Index build", build))
    if not args.skip_scale:
        scale = bench_scale(settings, retriever, args.scale)
        results["scale"] = scale
        print(line("Scale", scale))
    if not args.skip_e2e:
        e2e = bench_e2e(settings, retriever, args.e2e_questions)
        results["e2e"] = e2e
        print(line("End to end", e2e))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
